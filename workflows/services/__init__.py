"""Writes that advance an application's process, by concern:

- core: who may see and do a task, the skeleton of a human step (step_execute), claiming and releasing;
- steps: the ex-ante check, the completion loop, the end of the review, the final report and its approval;
- decisions: the decision, its second approval, corrections, ending a grant;
- applications: withdrawing (the process is cancelled); submitting starts it: workflows.submission;
- reviews: the review's writes that need the process lock (reviewers.services does the work).

Every one of them takes the case's process lock through workflows.locks, first. `from workflows import
services` and `services.<name>` reach them all.
"""

# core first: it needs no workflows.flows, and workflows.selectors (imported by the step views, which the
# flow's nodes name) reads OPEN_STATUSES and user_may_see_task from here while the rest is still loading.
from workflows.services.core import (  # isort: skip
    OPEN_STATUSES, role_notify, status_set, step_execute, task_claim, task_get, task_is_applicants, task_release,
    user_may_do_task, user_may_see_task,
)
from workflows.services.applications import WITHDRAWABLE, application_withdraw
from workflows.services.decisions import (
    correction_approval_record, correction_takes_effect, decision_correct, decision_record, grant_end,
    second_approval_record,
)
from workflows.services.reviews import (
    assignment_add, assignment_deadline_set, assignment_declare, review_close, review_save,
)
from workflows.services.steps import (
    completion_draft_save, completion_submit, exante_check_record, final_report_draft_save, final_report_submit,
    report_approval_record, review_finished,
)

__all__ = [
    "OPEN_STATUSES", "WITHDRAWABLE", "application_withdraw", "assignment_add",
    "assignment_deadline_set", "assignment_declare", "completion_draft_save", "completion_submit",
    "correction_approval_record", "correction_takes_effect", "decision_correct", "decision_record",
    "exante_check_record", "final_report_draft_save", "final_report_submit", "grant_end", "report_approval_record",
    "review_close", "review_finished", "review_save", "role_notify", "second_approval_record", "status_set",
    "step_execute", "task_claim", "task_get", "task_is_applicants", "task_release", "user_may_do_task",
    "user_may_see_task",
]
