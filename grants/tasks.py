from datetime import timedelta

from celery import shared_task

from grants.services.attachments import attachment_orphans_delete
from grants.services.stage_counts import stage_counts_compact


@shared_task
def attachments_sweep() -> int:
    """Beat, hourly: delete stored files that no attachment row refers to (left by a failed upload)."""
    return len(attachment_orphans_delete(older_than=timedelta(hours=1), dry_run=False))


@shared_task
def stage_counts_fold() -> int:
    """Beat, every 10 minutes: fold the rows of the kept counts per stage (grants.services.stage_counts)."""
    return stage_counts_compact()


# Indicator mails (grants/indicators/mail.py). Beat runs each daily; each mail goes at most once per period.
@shared_task
def indicators_monthly_status(day: str | None = None) -> int:
    """Beat, daily: the steering group's monthly status, on the first working day of February–December."""
    from grants.indicators.mail import monthly_status_send

    return monthly_status_send(day)


@shared_task
def indicators_yearly_report(day: str | None = None) -> int:
    """Beat, daily: the previous year's report with its PDF, on the first working day of January."""
    from grants.indicators.mail import yearly_report_send

    return yearly_report_send(day)


@shared_task
def indicators_behind_warning(day: str | None = None) -> int:
    """Beat, daily: warn the staff when a target of the year falls behind (once per target and month)."""
    from grants.indicators.mail import behind_warning_send

    return behind_warning_send(day)


@shared_task
def privacy_retention() -> int:
    """Beat, nightly: pseudonymise the personal data of closed cases past their fund's retention period
    (docs/privacy.md). Batched; when a batch was full, the rest follows in a new task. Idempotent."""
    from django.conf import settings

    from workflows.privacy import retention_run

    done = retention_run(batch=settings.PRIVACY_RETENTION_BATCH)
    if done >= settings.PRIVACY_RETENTION_BATCH:
        privacy_retention.apply_async(countdown=5)
    return done


@shared_task
def indicators_summaries() -> dict:
    """Beat, every minute: prune the stored indicator summaries and compute again what the dashboard reads
    first where a record has changed (grants/indicators/summaries.py), so the steering group seldom waits."""
    from grants.indicators.compute import summaries_refresh
    from grants.indicators.summaries import enabled, prune

    if not enabled():  # SQLite stores nothing: there is nothing to keep fresh
        return {"summaries": 0, "changes": 0, "funds": 0}
    return {**prune(), "funds": summaries_refresh()}


@shared_task
def sessions_clear() -> None:
    """Beat, nightly: delete the expired sessions (Django's clearsessions), so the session table stays small and
    an erasure's scan of it stays short."""
    from django.core.management import call_command

    call_command("clearsessions")
