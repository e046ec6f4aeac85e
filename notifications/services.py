"""Queue notifications in the outbox, in the caller's transaction."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from notifications.models import OutboxMessage


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _outbox_write(*, dedupe_key: str, recipient: str, user, language: str, kind: str, application, link: str,
                  context: dict, files=()):
    """Render `kind` in `language` and write its outbox row unless `dedupe_key` exists.

    Delivery is scheduled after commit. Returns the row, or None when it was queued before.
    """
    dedupe_key = dedupe_key[:255]
    if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    ctx = {"user": user, "application": application, "link": _absolute(link) if link else settings.SITE_URL,
           "site_url": settings.SITE_URL, **(context or {})}
    with translation.override(language):
        subject = render_to_string(f"notifications/email/{kind}_subject.txt", ctx).strip().replace("\n", " ")
        body_text = render_to_string(f"notifications/email/{kind}.txt", ctx)
        body_html = render_to_string("notifications/email/base.html", {**ctx, "body_text": body_text,
                                                                       "subject": subject})
    try:
        with transaction.atomic():  # savepoint: a concurrent twin loses quietly
            message = OutboxMessage.objects.create(
                dedupe_key=dedupe_key, recipient=recipient, user=user, kind=kind, application=application,
                language=language, subject=subject[:255], body_text=body_text, body_html=body_html,
                files=list(files),
            )
    except IntegrityError:
        return None
    from notifications.tasks import outbox_deliver

    transaction.on_commit(lambda: outbox_deliver.delay(message.pk))
    return message


@transaction.atomic
def notification_queue(*, user, kind: str, stage: str = "", application=None, link: str = "", context=None,
                       files=()):
    """Write one outbox row for (recipient, kind, object, stage) unless it already exists.

    `files` are stored files to attach: dicts with the storage `name`, the `filename` shown to the
    recipient and the `content_type` (a decision letter).

    Rendered now, in the recipient's language, so what was queued is what is sent.
    Delivery is scheduled after commit; a rolled-back transaction leaves no row and no task.
    Returns the row, or None when this notification was queued before.
    """
    object_key = f"application:{application.pk}" if application is not None else "-"
    return _outbox_write(
        dedupe_key=f"{user.email.lower()}|{kind}|{object_key}|{stage}", recipient=user.email, user=user,
        language=user.language or settings.LANGUAGE_CODE, kind=kind, application=application, link=link,
        context=context, files=files,
    )


@transaction.atomic
def notification_queue_to_address(*, email: str, language: str, kind: str, stage: str, link: str = "",
                                  context=None):
    """Like notification_queue, for an address that may have no account yet (an invitation).

    Keyed by (address, kind, stage); make `stage` name the object, e.g. the invitation id.
    """
    email = email.strip().lower()
    return _outbox_write(
        dedupe_key=f"{email}|{kind}|-|{stage}", recipient=email, user=None,
        language=language or settings.LANGUAGE_CODE, kind=kind, application=None, link=link, context=context,
    )
