"""Deliver one outbox row: claim it, send it, record the result."""

import logging
import smtplib
import socket
from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

# Errors worth another try: the server or the network may recover.
TRANSIENT_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPDataError,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    ConnectionError,
    socket.timeout,
    TimeoutError,
)
MAX_ATTEMPTS = 8
# A row claimed longer ago than this belongs to a worker that died.
CLAIM_TIMEOUT = timedelta(minutes=10)


class TransientDeliveryError(Exception):
    pass


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, (smtplib.SMTPResponseException,)) and not isinstance(exc, smtplib.SMTPServerDisconnected):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, TRANSIENT_ERRORS)


def outbox_send(message_id: int) -> str:
    """Send one row at most once. Returns what happened: sent / skipped / failed.

    Raises TransientDeliveryError when the caller should retry later.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENDING, claimed_at=now
    ) or OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(claimed_at=now)
    if claimed != 1:
        return "skipped"
    message = OutboxMessage.objects.get(pk=message_id)
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.body_text, to=[message.recipient],
        headers={"Message-ID": message.message_id},
    )
    email.attach_alternative(message.body_html, "text/html")
    for item in message.files:
        with default_storage.open(item["name"], "rb") as handle:
            email.attach(item["filename"], handle.read(), item["content_type"])
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 -- every failure is recorded on the row
        attempts = message.attempts + 1
        transient = _is_transient(exc) and attempts < MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.SENDING).update(
            status=OutboxMessage.Status.PENDING if transient else OutboxMessage.Status.FAILED,
            attempts=attempts, last_error=f"{type(exc).__name__}: {exc}"[:2000], claimed_at=None,
        )
        if transient:
            raise TransientDeliveryError(str(exc)) from exc
        logger.error("Outbox message %s failed permanently: %s", message_id, exc)
        return "failed"
    OutboxMessage.objects.filter(pk=message_id).update(
        status=OutboxMessage.Status.SENT, attempts=message.attempts + 1, sent_at=timezone.now(), last_error="",
    )
    return "sent"


def outbox_stuck_ids(*, older_than: timedelta = timedelta(minutes=2), limit: int = 500) -> list[int]:
    """Rows that should have been sent by now: pending for a while, or claimed by a dead worker."""
    now = timezone.now()
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, created_at__lt=now - older_than)
    stale = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    return list((pending | stale).order_by("pk").values_list("pk", flat=True)[:limit])
