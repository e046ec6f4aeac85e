from celery import shared_task


@shared_task
def fire_workflow_timers() -> int:
    """Beat: fire due viewflow timers (viewflow's own Celery task is in the PRO edition only)."""
    from viewflow.workflow.timers import fire_due_timers

    return fire_due_timers()
