"""Celery tasks of the outbox. Thin: each calls one function and lets the database decide.

Beat (exactly one process, see README) runs outbox_sweep every minute, reminders_send and
digest_send every hour.
"""

from celery import shared_task
from django.utils import timezone

from notifications.delivery import (
    MAX_ATTEMPTS, TransientDeliveryError, outbox_send, outbox_send_batch, outbox_stuck_ids,
)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_ATTEMPTS)
def outbox_deliver(self, message_id: int) -> str:
    """Send one outbox row. The row counts the attempts; a transient failure is retried with backoff
    (the delay is kept on the row, so the sweeper does not retry it early)."""
    try:
        return outbox_send(message_id)
    except TransientDeliveryError as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def outbox_deliver_batch(message_ids: list[int]) -> dict:
    """Send a batch of rows over the worker's one SMTP connection, claimed together (see
    notifications.delivery.outbox_send_batch). A row that fails transiently gets its own retry task, with
    its backoff; lost, the batch's rows are found pending (or claimed by a dead worker) by the sweeper."""
    outcomes = outbox_send_batch(message_ids)
    for pk, retry_in in outcomes.pop("retries"):
        outbox_deliver.apply_async((pk,), countdown=retry_in)
    return outcomes


@shared_task(acks_late=True, reject_on_worker_lost=True)
def outbox_fan_out(message_ids: list[int]) -> int:
    """One delivery task per row of a large batch (a reminder sweep). Run twice, it only sends duplicate
    tasks, which find their rows claimed or sent; lost, the sweeper finds the rows pending."""
    from notifications.services import delivery_publish

    delivery_publish(message_ids)
    return len(message_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def outbox_sweep() -> int:
    """Beat: re-enqueue rows that were never delivered (lost task, dead worker, broker down)."""
    from notifications.services import delivery_publish

    ids = outbox_stuck_ids()
    delivery_publish(ids)
    return len(ids)


# Reminders and digests go out in the daytime (local time); a later run the same day catches up.
SEND_FROM_HOUR = 7
SEND_UNTIL_HOUR = 20


def _daytime(now) -> bool:
    return SEND_FROM_HOUR <= timezone.localtime(now).hour < SEND_UNTIL_HOUR


@shared_task(acks_late=True, reject_on_worker_lost=True)
def reminders_send() -> int:
    """Beat, hourly: queue the reminders that are due today. Idempotent (keyed rows)."""
    from workflows.reminders import reminders_sweep

    now = timezone.now()
    return reminders_sweep(now=now) if _daytime(now) else 0


@shared_task(acks_late=True, reject_on_worker_lost=True)
def digest_send() -> int:
    """Beat, hourly: the day's digest for everyone with held mail, once a day from SEND_FROM_HOUR."""
    from notifications.digest import digests_send

    now = timezone.now()
    return digests_send(now=now) if _daytime(now) else 0


@shared_task
def outbox_bodies_purge() -> int:
    """Beat, nightly: remove the text of mails sent or failed more than OUTBOX_BODY_RETENTION_DAYS ago."""
    from notifications.services import outbox_bodies_purge as purge

    purged = purge(max_rows=PURGE_ROWS_PER_TASK)
    if purged >= PURGE_ROWS_PER_TASK:  # more to do: the rest in a new task, each well within the time limit
        outbox_bodies_purge.apply_async(countdown=5)
    return purged


PURGE_ROWS_PER_TASK = 20_000
