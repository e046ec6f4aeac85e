from datetime import timedelta

from celery import shared_task

from grants.attachments import attachment_orphans_delete


@shared_task
def attachments_sweep() -> int:
    """Beat, hourly: delete stored files that no attachment row refers to (left by a failed upload)."""
    return len(attachment_orphans_delete(older_than=timedelta(hours=1), dry_run=False))
