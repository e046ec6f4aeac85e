"""The daily digest: one mail a day bundling a user's held (non-urgent) mail.

Exactly once: the digest row is keyed (user, day); a run locks the user's row, so runs for one
user take turns, and links every held row to the digest in the same transaction. They are marked sent
when the digest is sent (notifications.delivery). Mail held after the day's digest waits for the
next day's.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from notifications.models import OutboxMessage
from notifications.services import delivery_schedule, outbox_render, outbox_render_row

KIND = "digest"


def _occurrence(user_id: int, day) -> str:
    return f"{KIND}|user:{user_id}|{day.isoformat()}"


@transaction.atomic
def digest_build(*, user_id: int, day) -> OutboxMessage | None:
    """Bundle the user's held rows into the digest of `day`. None when there is nothing to send or the
    day's digest exists already."""
    # One run at a time per user: the user's row is the lock, so two runs can never split the
    # held rows between them (the loser's share would wait a day).
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or OutboxMessage.objects.filter(kind=KIND, occurrence=_occurrence(user_id, day)).exists():
        return None
    held = list(OutboxMessage.objects.select_for_update().filter(
        user_id=user_id, status=OutboxMessage.Status.HELD, digest__isnull=True).order_by("created_at", "pk"))
    if not held:
        return None
    for row in held:  # a held reminder is rendered now, to be listed by its subject
        outbox_render_row(row)
    language = user.language or settings.LANGUAGE_CODE
    subject, body_text, body_html = outbox_render(kind=KIND, language=language, context={
        "user": user, "items": held, "day": day, "link": settings.SITE_URL, "site_url": settings.SITE_URL})
    try:
        with transaction.atomic():
            digest = OutboxMessage.objects.create(
                dedupe_key=f"{user.email.lower()}|{KIND}|user:{user_id}|{day.isoformat()}"[:255],
                occurrence=_occurrence(user_id, day), recipient=user.email, user=user, kind=KIND,
                language=language, subject=subject, body_text=body_text, body_html=body_html,
                link=settings.SITE_URL,
            )
    except IntegrityError:
        return None
    OutboxMessage.objects.filter(pk__in=[row.pk for row in held]).update(digest=digest)
    delivery_schedule([digest.pk])
    return digest


def digests_send(*, now=None) -> int:
    """Build today's digest for everyone with held mail. Returns how many digests were written."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    # Held mail whose user was deleted has no one to bundle it for: send it as it is.
    OutboxMessage.objects.filter(status=OutboxMessage.Status.HELD, user__isnull=True).update(
        status=OutboxMessage.Status.PENDING)
    user_ids = set(OutboxMessage.objects.filter(status=OutboxMessage.Status.HELD, digest__isnull=True)
                   .values_list("user_id", flat=True).distinct())
    done = {int(o.split("|")[1].split(":")[1]) for o in OutboxMessage.objects.filter(
        kind=KIND, occurrence__in=[_occurrence(pk, day) for pk in user_ids]).values_list("occurrence", flat=True)}
    return sum(1 for user_id in sorted(user_ids - done) if digest_build(user_id=user_id, day=day))
