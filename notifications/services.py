"""Queue notifications in the outbox, in the caller's transaction.

A row is rendered when it is queued, in the recipient's language, so what was queued is what
is sent. Delivery is scheduled after commit; a rolled-back transaction leaves no row and no
task. Rows for a user who chose the daily digest wait (status "held") unless their kind is
urgent; notifications.digest bundles them once a day.
"""

import hashlib
import logging
import uuid
from datetime import date, datetime, timedelta

from celery import current_app

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from common.errors import NotAllowed
from common.text import single_line
from notifications.models import ACCOUNT_KIND_PREFIX, OutboxMessage

logger = logging.getLogger(__name__)

# Decisions and deadlines always go at once, whatever the recipient chose. Everything else
# (news about a case, work waiting in a queue) may wait for the daily digest.
IMMEDIATE_KINDS = frozenset({
    "decision", "ineligible", "decision_returned", "completion_requested", "report_completion",
    "report_approved", "invitation", "digest", "repayment_claimed", "grant_ended", "correction_returned",
    "reminder_draft", "reminder_completion_due", "reminder_completion_overdue", "reminder_review_due",
    "reminder_review_overdue", "reminder_report_due", "reminder_report_overdue",
})
# Answers about a person's own access to an organisation (grants.services.organisations).
IMMEDIATE_KINDS |= {"join_approved", "join_declined", "contact_added", "contact_removed"}


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def outbox_status_for(user, kind: str) -> str:
    """HELD for a digest reader's non-urgent mail, PENDING otherwise."""
    if (user is not None and kind not in IMMEDIATE_KINDS
            and getattr(user, "email_frequency", "immediate") == "daily"):
        return OutboxMessage.Status.HELD
    return OutboxMessage.Status.PENDING


def outbox_render(*, kind: str, language: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, HTML) of `kind` in `language`.

    The subject and the text part are rendered with autoescaping off (they are plain text, and
    a title like "Barn & unga" must read so), so they hold whatever the user typed. The HTML part
    escapes them: they are handed over as plain `str`, never as the SafeString render_to_string
    returns, which the HTML template's escaping would take as already safe and copy raw. The
    subject is one line with no control characters, whatever a stored title holds.
    """
    with translation.override(language):
        subject = single_line(render_to_string(f"notifications/email/{kind}_subject.txt", context))[:255]
        body_text = str.__str__(render_to_string(f"notifications/email/{kind}.txt", context))
        body_html = mail_html(subject=subject, body_text=body_text, language=language)
    return subject, body_text, body_html


def mail_html(*, subject: str, body_text: str, language: str) -> str:
    """The HTML part of a mail: the text part, escaped, with Potten's own links clickable."""
    return render_to_string("notifications/email/base.html", {
        "body_text": str.__str__(str(body_text)), "subject": single_line(subject), "LANGUAGE_CODE": language})


def outbox_context_encode(context: dict) -> dict:
    """A template context as JSON: dates and times are tagged so they come back as such."""
    encoded = {}
    for key, value in context.items():
        if isinstance(value, datetime):
            encoded[key] = {"datetime": value.isoformat()}
        elif isinstance(value, date):
            encoded[key] = {"date": value.isoformat()}
        else:
            encoded[key] = value
    return encoded


def _context_decode(context: dict) -> dict:
    decoded = {}
    for key, value in context.items():
        if isinstance(value, dict) and value.keys() == {"datetime"}:
            decoded[key] = datetime.fromisoformat(value["datetime"])
        elif isinstance(value, dict) and value.keys() == {"date"}:
            decoded[key] = date.fromisoformat(value["date"])
        else:
            decoded[key] = value
    return decoded


def outbox_render_row(message: OutboxMessage) -> None:
    """Render a row the sweep wrote unrendered (a reminder), in its recipient's language; once.

    Called by the worker just before sending and by the digest before bundling. A row rendered
    already (by another worker, a moment ago) is read back instead of rendered again.
    """
    if message.rendered:
        return
    subject, body_text, body_html = outbox_render(kind=message.kind, language=message.language, context={
        "user": message.user, "application": message.application, "link": message.link,
        "site_url": settings.SITE_URL, **_context_decode(message.context)})
    OutboxMessage.objects.filter(pk=message.pk, rendered=False).update(
        subject=subject, body_text=body_text, body_html=body_html, rendered=True)
    message.refresh_from_db(fields=["subject", "body_text", "body_html", "rendered"])


# From this many rows on, one task carries the ids and a worker publishes the delivery tasks (a sweep
# that writes thousands of rows does not spend its time publishing).
FAN_OUT_FROM = 20


# Rows per delivery task: one claim and one SMTP connection for many mails; small enough that the
# workers share a burst evenly.
DELIVERY_BATCH = 25


def _task(name: str):
    """A delivery task by its registered name (notifications.tasks, registered when the app is ready): the
    tasks call these services, so the services publish them by name instead of importing them."""
    return current_app.tasks[f"notifications.tasks.{name}"]


def delivery_publish(ids) -> None:
    """Delivery tasks for the rows, over one broker connection: one row alone, more in batches."""
    outbox_deliver, outbox_deliver_batch = _task("outbox_deliver"), _task("outbox_deliver_batch")
    ids = list(ids)
    # No retries while publishing: with the broker down a request must not wait (the rows are safe in the
    # outbox, and outbox_sweep publishes them again once the broker is back).
    with outbox_deliver.app.producer_or_acquire() as producer:
        if len(ids) == 1:
            outbox_deliver.apply_async((ids[0],), producer=producer, retry=False)
            return
        for start in range(0, len(ids), DELIVERY_BATCH):
            outbox_deliver_batch.apply_async((ids[start:start + DELIVERY_BATCH],), producer=producer, retry=False)


def delivery_schedule(ids) -> None:
    """After commit, a delivery task for each row.

    Robust: if the broker is down the rows stay pending and outbox_sweep enqueues them later.
    """
    ids = list(ids)
    if not ids:
        return

    def publish():
        if len(ids) >= FAN_OUT_FROM:
            _task("outbox_fan_out").apply_async((ids,), retry=False)
        else:
            delivery_publish(ids)

    transaction.on_commit(publish, robust=True)


def _outbox_write(*, dedupe_key: str, recipient: str, user, language: str, kind: str, application, link: str,
                  context: dict, files=(), occurrence: str = ""):
    """Render `kind` in `language` and write its outbox row unless `dedupe_key` exists.

    Delivery is scheduled after commit. Returns the row, or None when it was queued before.
    """
    dedupe_key = dedupe_key[:255]
    if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    absolute_link = _absolute(link) if link else settings.SITE_URL
    ctx = {"user": user, "application": application, "link": absolute_link, "site_url": settings.SITE_URL,
           **(context or {})}
    subject, body_text, body_html = outbox_render(kind=kind, language=language, context=ctx)
    status = outbox_status_for(user, kind)
    try:
        with transaction.atomic():  # savepoint: a concurrent twin loses quietly
            message = OutboxMessage.objects.create(
                dedupe_key=dedupe_key, occurrence=occurrence[:255], recipient=recipient, user=user, kind=kind,
                application=application, language=language, subject=subject, body_text=body_text,
                body_html=body_html, link=absolute_link[:500], files=list(files), status=status,
            )
    except IntegrityError:
        return None
    if status == OutboxMessage.Status.PENDING:
        delivery_schedule([message.pk])
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
        context=context, files=files, occurrence=f"{kind}|{object_key}|{stage}",
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
        occurrence=f"{kind}|-|{stage}",
    )


def _resend_key(original_key: str, number: int) -> str:
    suffix = f"|resend-{number}"
    if len(original_key) + len(suffix) > 255:
        original_key = original_key[:200] + "~" + hashlib.sha256(original_key.encode()).hexdigest()[:16]
    return original_key + suffix


@transaction.atomic
def outbox_resend(*, message_id: int, user) -> OutboxMessage:
    """Send a sent or failed e-mail again: a new row with the same rendered message and a new key.

    The new row records who asked for it and which row it copies (`queued_by`, `resent_from`).
    Two clicks at once make one copy: the second is refused.
    """
    original = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
    if original is not None and original.kind == "digest" and original.status == OutboxMessage.Status.FAILED:
        raise NotAllowed(_("The e-mails of a failed daily summary are sent on their own; send those again instead."))
    if original is None or not original.can_resend:
        raise NotAllowed(_("Only an e-mail that was sent or that failed can be sent again."))
    if original.resends.exclude(status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED]).exists():
        raise NotAllowed(_("This e-mail is already being sent again."))
    number = original.resends.count() + 1
    try:
        with transaction.atomic():
            copy = OutboxMessage.objects.create(
                dedupe_key=_resend_key(original.dedupe_key, number), occurrence=original.occurrence,
                recipient=original.recipient, user=original.user, kind=original.kind,
                application=original.application, language=original.language, subject=original.subject,
                body_text=original.body_text, body_html=original.body_html, link=original.link,
                rendered=original.rendered, context=original.context,
                files=original.files, resent_from=original, queued_by=user,
            )
    except IntegrityError:
        raise NotAllowed(_("This e-mail is already being sent again.")) from None
    logger.info("Outbox message %s resent as %s by user %s", original.pk, copy.pk, user.pk)
    delivery_schedule([copy.pk])
    return copy


@transaction.atomic
def user_email_settings_update(*, user, language: str, email_frequency: str):
    """The user's e-mail language and frequency. Back to immediate mail: what was held goes out now."""
    errors = {}
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose a language.")
    if email_frequency not in User.EmailFrequency.values:
        errors["email_frequency"] = _("Choose how often you get e-mails.")
    if errors:
        raise ValidationError(errors)
    User.objects.filter(pk=user.pk).update(language=language, email_frequency=email_frequency)
    user.language, user.email_frequency = language, email_frequency
    if email_frequency == User.EmailFrequency.IMMEDIATE:
        held = OutboxMessage.objects.filter(user=user, status=OutboxMessage.Status.HELD, digest__isnull=True)
        ids = list(held.values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.HELD, digest__isnull=True).update(
            status=OutboxMessage.Status.PENDING)
        delivery_schedule(ids)
    return user


# Account mails (allauth: address confirmation, password reset, …) are kinds "account_<template>".


@transaction.atomic
def account_mail_queue(*, email: str, user, language: str, template: str, subject: str, body_text: str,
                       body_html: str = "") -> OutboxMessage:
    """An account mail rendered by allauth, as one outbox row delivered by the same task as every mail.

    Always sent at once, never held for a digest. Each call is one mail (its key ends in a random part):
    allauth's rate limits, applied before it renders a mail, decide how often one may go out.
    `template` is allauth's template prefix ("account/email/password_reset_key").
    """
    kind = (ACCOUNT_KIND_PREFIX + template.rsplit("/", 1)[-1])[:50]
    stage = uuid.uuid4().hex
    subject = single_line(subject)
    if not body_html:
        with translation.override(language):
            body_html = mail_html(subject=subject, body_text=body_text, language=language)
    message = OutboxMessage.objects.create(
        dedupe_key=f"{email.lower()}|{kind}|-|{stage}"[:255], occurrence=f"{kind}|-|{stage}", recipient=email,
        user=user, kind=kind, language=language, subject=subject[:255], body_text=body_text, body_html=body_html,
        link=settings.SITE_URL, status=OutboxMessage.Status.PENDING,
    )
    delivery_schedule([message.pk])
    return message


def outbox_bodies_purge(*, days: int | None = None, batch: int = 1000, max_rows: int | None = None) -> int:
    """Remove the text of every mail sent or failed more than `days` (OUTBOX_BODY_RETENTION_DAYS) ago: who
    (recipient, user), what (kind, subject, case) and when (created, sent) stay. Rows waiting to be sent keep
    theirs. Batched by primary key; run again, it finds nothing left. Returns the number of rows purged."""
    days = days or settings.OUTBOX_BODY_RETENTION_DAYS
    now = timezone.now()
    due = OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED],
        created_at__lt=now - timedelta(days=days), body_purged_at__isnull=True,
    )
    purged, last = 0, 0
    while True:  # keyset batches: each starts after the last key, so no batch scans the rows done before
        if max_rows is not None and purged >= max_rows:
            return purged
        ids = list(due.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return purged
        last = ids[-1]
        purged += OutboxMessage.objects.filter(pk__in=ids, body_purged_at__isnull=True).update(
            body_text="", body_html="", context={}, body_purged_at=now)
