from celery import shared_task

from notifications.delivery import TransientDeliveryError, outbox_send, outbox_stuck_ids


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True,
    autoretry_for=(TransientDeliveryError,), retry_backoff=30, retry_backoff_max=1800, max_retries=7,
)
def outbox_deliver(self, message_id: int) -> str:
    return outbox_send(message_id)


@shared_task
def outbox_sweep() -> int:
    """Beat: re-enqueue rows that were never delivered (lost task, dead worker, broker down)."""
    ids = outbox_stuck_ids()
    for message_id in ids:
        outbox_deliver.delay(message_id)
    return len(ids)
