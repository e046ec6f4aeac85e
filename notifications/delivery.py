"""Deliver one outbox row: claim it, send it, record the result.

Delivery is at-least-once, never at-most-once: a row is claimed (PENDING → SENDING, committed)
before the SMTP conversation and marked SENT after it. A worker killed between the server's
"250 OK" and that last update leaves the row SENDING; after OUTBOX_CLAIM_TIMEOUT (longer than any
task may run) the sweeper hands it out again and it is sent a second time, with the same
Message-ID so mail clients can fold the two. That window is the only source of duplicates.
"""

import logging
import random
import smtplib
import socket
import ssl
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.text import single_line
from notifications.models import ACCOUNT_KIND_PREFIX, OutboxMessage
from notifications.services import outbox_render_row

logger = logging.getLogger(__name__)

# Errors worth another try: the server or the network may recover. An SMTP reply counts by its code
# (4xx again later, 5xx never: a refused login, sender or recipient); these carry no code.
TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPDataError,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    ConnectionError,  # reset, aborted, refused, broken pipe
    ssl.SSLError,  # a TLS handshake or record broken off midway
    socket.timeout,
    TimeoutError,
)
MAX_ATTEMPTS = 8
# A task message may arrive a little before the row's next_attempt_at (clocks, ETA rounding).
EARLY_SLACK = timedelta(seconds=5)


def claim_timeout() -> timedelta:
    """A row claimed longer ago than this belongs to a worker that died (it is above the task time limit)."""
    return timedelta(seconds=getattr(settings, "OUTBOX_CLAIM_TIMEOUT", 600))


def retry_delay(attempts: int) -> float:
    """Seconds before attempt number `attempts + 1`: exponential, capped, with jitter."""
    base = getattr(settings, "OUTBOX_RETRY_BACKOFF", 30)
    cap = getattr(settings, "OUTBOX_RETRY_BACKOFF_MAX", 900)
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return delay * random.uniform(0.5, 1.0)


class TransientDeliveryError(Exception):
    def __init__(self, message: str, retry_in: float = 30.0):
        super().__init__(message)
        self.retry_in = retry_in


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, (smtplib.SMTPResponseException,)) and not isinstance(exc, smtplib.SMTPServerDisconnected):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, TRANSIENT_ERRORS)


def _claim(message_id: int, now) -> bool:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + EARLY_SLACK)
    return bool(
        OutboxMessage.objects.filter(due, pk=message_id, status=OutboxMessage.Status.PENDING).update(
            status=OutboxMessage.Status.SENDING, claimed_at=now)
        or OutboxMessage.objects.filter(
            pk=message_id, status=OutboxMessage.Status.SENDING, claimed_at__lt=now - claim_timeout()
        ).update(claimed_at=now)
    )


def _digest_release(digest: OutboxMessage) -> None:
    """A digest failed for good: each mail it bundled goes out on its own, so none is lost.

    (A digest can fail as a whole where its parts do not, e.g. a server refusing its size.) The rows keep
    their link to the failed digest as a record; a failed digest cannot be sent again (its mails were).
    Runs in the transaction that marks the digest failed; delivery is scheduled after commit.
    """
    from notifications.services import delivery_schedule

    digests = [pk for pk in (digest.pk, digest.resent_from_id) if pk]
    held = OutboxMessage.objects.filter(digest_id__in=digests, status=OutboxMessage.Status.HELD)
    ids = list(held.values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.HELD).update(
        status=OutboxMessage.Status.PENDING, next_attempt_at=None)
    logger.warning("Digest %s failed: its %s mails are sent on their own", digest.pk, len(ids))
    delivery_schedule(ids)


def outbox_send(message_id: int) -> str:
    """Send one row. Returns what happened: sent / skipped / failed.

    Raises TransientDeliveryError (with `retry_in` seconds) when the caller should retry later.
    """
    now = timezone.now()
    if not _claim(message_id, now):
        return "skipped"
    message = OutboxMessage.objects.select_related("user", "application__call", "application__organisation").get(
        pk=message_id)
    try:
        outbox_render_row(message)  # a reminder is rendered here, in the worker; a template error is recorded
        email = EmailMultiAlternatives(
            subject=single_line(message.subject), body=message.body_text, to=[message.recipient],
            headers={"Message-ID": message.message_id},
        )
        email.attach_alternative(message.body_html, "text/html")
        for item in message.files:
            with default_storage.open(item["name"], "rb") as handle:
                email.attach(single_line(item["filename"]), handle.read(), item["content_type"])
        email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 -- every failure is recorded on the row
        attempts = message.attempts + 1
        transient = _is_transient(exc) and attempts < MAX_ATTEMPTS
        retry_in = retry_delay(attempts)
        with transaction.atomic():
            recorded = OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.SENDING).update(
                status=OutboxMessage.Status.PENDING if transient else OutboxMessage.Status.FAILED,
                attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000], claimed_at=None,
                next_attempt_at=timezone.now() + timedelta(seconds=retry_in) if transient else None,
            )
            if recorded and not transient and message.kind == "digest":
                _digest_release(message)
        if transient:
            raise TransientDeliveryError(str(exc), retry_in=retry_in) from exc
        logger.error("Outbox message %s failed permanently: %s", message_id, exc)
        return "failed"
    sent_at = timezone.now()
    # A sent account mail keeps who, what and when, but not its one-time link.
    blank = {"body_text": "", "body_html": ""} if message.kind.startswith(ACCOUNT_KIND_PREFIX) else {}
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message_id).update(
            status=OutboxMessage.Status.SENT, attempts=message.attempts + 1, sent_at=sent_at, last_error="",
            claimed_at=None, next_attempt_at=None, **blank,
        )
        if message.kind == "digest":  # the rows it bundles are sent with it
            digests = [pk for pk in (message.pk, message.resent_from_id) if pk]
            OutboxMessage.objects.filter(digest_id__in=digests, status=OutboxMessage.Status.HELD).update(
                status=OutboxMessage.Status.SENT, sent_at=sent_at)
    return "sent"


def outbox_stuck_ids(*, older_than: timedelta = timedelta(minutes=2), limit: int = 500) -> list[int]:
    """Rows that should have been sent by now: pending for a while (their task was lost, or their retry
    is overdue), or claimed by a dead worker."""
    now = timezone.now()
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).filter(
        Q(next_attempt_at__isnull=True, created_at__lt=now - older_than)
        | Q(next_attempt_at__lt=now - older_than)
    )
    stale = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - claim_timeout())
    return list((pending | stale).order_by("pk").values_list("pk", flat=True)[:limit])
