"""Deliver one outbox row: claim it, send it, record the result.

Delivery is at-least-once, never at-most-once: a row is claimed (PENDING → SENDING, committed)
before the SMTP conversation and marked SENT after it. A worker killed between the server's
"250 OK" and that last update leaves the row SENDING; after OUTBOX_CLAIM_TIMEOUT (longer than any
task may run) the sweeper hands it out again and it is sent a second time, with the same
Message-ID so mail clients can fold the two. That window is the only source of duplicates.

A worker delivering commits without waiting for the disk (`_relaxed_commits`): a commit it has been told
of survives the worker's death, and only a crash of PostgreSQL itself can undo the last fraction of a second
of claims and marks. Undone, a claim leaves the row pending and a mark leaves it claimed: the mail is sent
again, with its Message-ID, never lost. That costs a mail a statement of a fraction of a millisecond instead
of a wait for the disk, which on a busy machine is most of its time.
"""

import atexit
import logging
import random
import smtplib
import socket
import ssl
import threading
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from common.text import single_line
from notifications.models import ACCOUNT_KIND_PREFIX, OutboxMessage
from notifications.services import delivery_schedule, outbox_render_row

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
    digests = [pk for pk in (digest.pk, digest.resent_from_id) if pk]
    held = OutboxMessage.objects.filter(digest_id__in=digests, status=OutboxMessage.Status.HELD)
    ids = list(held.values_list("pk", flat=True))
    OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.HELD).update(
        status=OutboxMessage.Status.PENDING, next_attempt_at=None)
    logger.warning("Digest %s failed: its %s mails are sent on their own", digest.pk, len(ids))
    delivery_schedule(ids)


# -- one SMTP connection per worker process ---------------------------------------------------------
#
# Opening a connection (TCP, EHLO, perhaps STARTTLS and AUTH) costs more than sending a mail over it, so
# a worker keeps one open and sends every mail over it. It is dropped after any failure (its state is
# unknown then) and when the mail settings change; a server that closed it while idle is met with one
# fresh connection for the same mail.

class _Kept(threading.local):
    """Per thread (a worker process has one; a threaded pool one per thread), never shared."""

    key = None
    connection = None


_smtp = _Kept()


def _smtp_key() -> tuple:
    return tuple(getattr(settings, name, None) for name in (
        "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
        "EMAIL_USE_SSL", "EMAIL_TIMEOUT", "EMAIL_FILE_PATH"))


def mail_connection():
    """This process's open mail connection (opened now if there is none). Returns (connection, fresh)."""
    key = _smtp_key()
    if _smtp.key != key or _smtp.connection is None:
        mail_connection_close()
        opened = get_connection(fail_silently=False)
        opened.open()
        _smtp.key, _smtp.connection = key, opened
        return opened, True
    return _smtp.connection, False


def mail_connection_close() -> None:
    kept, _smtp.connection, _smtp.key = _smtp.connection, None, None
    if kept is not None:
        try:
            kept.close()
        except Exception:  # noqa: BLE001 -- a broken connection is dropped whatever it says
            logger.debug("closing a broken mail connection", exc_info=True)


atexit.register(mail_connection_close)


def _send_email(email) -> None:
    """Send over this process's connection; once more over a fresh one if the kept one was closed by the
    server while idle (nothing was accepted on it, so this sends nothing twice)."""
    email.connection, fresh = mail_connection()
    try:
        email.send(fail_silently=False)
        return
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        mail_connection_close()
        if fresh:
            raise
    except BaseException:
        mail_connection_close()
        raise
    email.connection, _fresh = mail_connection()
    try:
        email.send(fail_silently=False)
    except BaseException:
        mail_connection_close()
        raise


_relaxed = threading.local()


@contextmanager
def _relaxed_commits():
    """On PostgreSQL, outside a transaction: this connection's commits do not wait for the disk until the
    (outermost) block ends (see the module's docstring for why a delivery may). Anything else runs as it is."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or getattr(_relaxed, "on", False):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    _relaxed.on = True
    try:
        yield
    finally:
        _relaxed.on = False
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # a broken connection is not reused with the setting
            connection.close()


def outbox_send(message_id: int) -> str:
    """Send one row. Returns what happened: sent / skipped / failed.

    Raises TransientDeliveryError (with `retry_in` seconds) when the caller should retry later.
    """
    with _relaxed_commits():
        now = timezone.now()
        if not _claim(message_id, now):
            return "skipped"
        message = OutboxMessage.objects.select_related(
            "user", "application__call", "application__organisation").get(pk=message_id)
        return _deliver_claimed(message)


def outbox_claim_batch(ids, now=None) -> list[int]:
    """Claim the due pending rows among `ids` at once (PENDING → SENDING, committed); returns the ids this
    caller claimed. On PostgreSQL one statement for the whole batch (rows another worker is claiming are
    skipped, not waited for); elsewhere one compare-and-swap per row."""
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + EARLY_SLACK)
    if connection.vendor != "postgresql":
        return [pk for pk in ids if _claim(pk, now)]
    pending = OutboxMessage.objects.filter(due, pk__in=list(ids), status=OutboxMessage.Status.PENDING).order_by(
        "pk").values("pk")
    sql, params = pending.query.sql_with_params()
    table = OutboxMessage._meta.db_table
    with connection.cursor() as cursor:  # one statement: lock what is free (in key order), claim it, say which
        cursor.execute(f"UPDATE {table} SET status = %s, claimed_at = %s "
                       f"WHERE id IN ({sql} FOR UPDATE SKIP LOCKED) RETURNING id",
                       [OutboxMessage.Status.SENDING, now, *params])
        return sorted(pk for (pk,) in cursor.fetchall())


def outbox_send_batch(ids) -> dict:
    """Send the rows `ids` over this process's one connection: claimed together, each marked sent as soon as
    the server has taken it (so a crash leaves at most the mail in flight to be sent again, as with
    `outbox_send`). Rows not pending (sent, taken, a dead worker's) go through `outbox_send` one by one.
    Returns {outcome: count}; a row that failed transiently is retried on its own later (`retries`)."""
    ids = list(dict.fromkeys(ids))
    with _relaxed_commits():
        return _send_batch(ids)


def _send_batch(ids) -> dict:
    claimed = outbox_claim_batch(ids)
    outcomes = {"sent": 0, "skipped": 0, "failed": 0, "retry": 0}
    retries = []
    rows = OutboxMessage.objects.select_related("user", "application__call", "application__organisation").in_bulk(
        claimed)
    for index, pk in enumerate(ids):
        try:
            outcome = _deliver_claimed(rows[pk]) if pk in rows else outbox_send(pk)
        except TransientDeliveryError as exc:
            outcomes["retry"] += 1
            retries.append((pk, exc.retry_in))
            # The server or the network is failing: the rest of the batch is handed back untried (no attempt
            # counted), to be retried after the same pause, rather than each waiting for its own timeout.
            rest = [later for later in ids[index + 1:] if later in rows]
            OutboxMessage.objects.filter(pk__in=rest, status=OutboxMessage.Status.SENDING).update(
                status=OutboxMessage.Status.PENDING, claimed_at=None,
                next_attempt_at=timezone.now() + timedelta(seconds=exc.retry_in))
            retries += [(later, exc.retry_in) for later in rest]
            outcomes["retry"] += len(rest)
            break
        outcomes[outcome] += 1
    outcomes["retries"] = retries
    return outcomes


def _deliver_claimed(message: OutboxMessage) -> str:
    """Send a row this caller has claimed, and record what happened."""
    message_id = message.pk
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
        _send_email(email)
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
    with transaction.atomic() if message.kind == "digest" else nullcontext():  # a mail: one statement
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
