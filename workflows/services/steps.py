"""The steps of the workflow besides the decision (workflows.services.decisions): the ex-ante check, the
completion loop, the end of the review, the final report and its approval. Each runs as one human task
through `step_execute` (workflows.services.core): under the process lock, one transaction, refused whole.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import roles
from common.errors import EditConflict, NotAllowed
from grants.models import (
    Application, CheckItemResult, ChecklistItem, Decision, Event, ExAnteCheck, FinalReport, FinalReportDraft, Payment,
    Repayment,
)
from grants.services import ledger
from grants.services.applications import application_write_changes, event_record, submission_errors
from grants.services.contacts import contacts_notify
from grants.services.reports import draft_data_clean, report_create
from reviewers.services import assignments_fill
from workflows.services.core import role_notify, status_set, step_execute, task_get, user_may_do_task


def exante_check_record(*, task_pk: int, user, outcome: str, results: dict, override_reason: str = "",
                        comment: str = "", completion_fields=(), completion_deadline=None) -> ExAnteCheck:
    """Record the ex-ante check: a result (pass / fail / n/a, with a comment) for every point of the fund's
    checklist, and the outcome. Passing to review with a failed point needs an explicit reason."""
    errors = {}
    if outcome == ExAnteCheck.Outcome.COMPLETION:
        if not completion_fields:
            errors["completion_fields"] = _("Choose the fields the applicant should complete.")
        if completion_deadline is None:
            errors["completion_deadline"] = _("Set a deadline for the completion.")
        elif completion_deadline < timezone.localdate():
            errors["completion_deadline"] = _("The deadline cannot be in the past.")
        if not comment.strip():
            errors["comment"] = _("Tell the applicant what to complete.")
    if outcome == ExAnteCheck.Outcome.INELIGIBLE and not comment.strip():
        errors["comment"] = _("Give the reason the application is ineligible.")
    if set(completion_fields) - set(Application.CONTENT_FIELDS) - set(Application.LIST_PARTS):
        errors["completion_fields"] = _("Unknown field.")
    if errors:
        raise ValidationError(errors)

    def apply(task, application):
        items = list(ChecklistItem.objects.filter(fund_id=application.call.fund_id, is_active=True))
        missing = {f"item_{item.pk}": _("Choose met, not met or not applicable.") for item in items
                   if results.get(item.pk, ("", ""))[0] not in CheckItemResult.Result.values}
        if missing:
            raise ValidationError(missing)
        failed = [item for item in items if results[item.pk][0] == CheckItemResult.Result.FAIL]
        if outcome == ExAnteCheck.Outcome.PASS and failed and not override_reason.strip():
            raise ValidationError({"override_reason": _(
                "%(count)s point(s) of the checklist are not met. Give the reason to pass the application to "
                "review anyway, or choose another outcome.") % {"count": len(failed)}})
        check = ExAnteCheck.objects.create(
            application=application, outcome=outcome, comment=comment, checked_by=user,
            override_reason=override_reason if outcome == ExAnteCheck.Outcome.PASS and failed else "",
            completion_fields=list(completion_fields) if outcome == ExAnteCheck.Outcome.COMPLETION else [],
            completion_deadline=completion_deadline if outcome == ExAnteCheck.Outcome.COMPLETION else None,
        )
        CheckItemResult.objects.bulk_create(
            CheckItemResult(exante_check=check, item=item, result=results[item.pk][0],
                            comment=(results[item.pk][1] or "")[:500])
            for item in items
        )
        if outcome == ExAnteCheck.Outcome.PASS:
            if failed:
                event_record(application=application, kind=Event.Kind.OVERRIDE, actor=user,
                             message="; ".join(str(i) for i in failed) + f" — {override_reason}")
            application.reopened_fields = []
            status_set(application, Application.Status.REVIEW, user, Event.Kind.CHECKED,
                        message=_outcome_message(check), visible=False)
            assignments_fill(application=application)
        elif outcome == ExAnteCheck.Outcome.COMPLETION:
            application.reopened_fields = list(completion_fields)
            status_set(application, Application.Status.COMPLETION, user, Event.Kind.COMPLETION_REQUESTED,
                        message=_outcome_message(check), visible=True)
            contacts_notify(application, "completion_requested", stage=f"check-{check.pk}", check=check)
        else:
            application.reopened_fields = []
            status_set(application, Application.Status.INELIGIBLE, user, Event.Kind.INELIGIBLE,
                        message=_outcome_message(check), visible=True)
            contacts_notify(application, "ineligible", stage=f"check-{check.pk}", check=check)
        return check

    return step_execute(task_pk, user, "exante_check", apply)


@transaction.atomic
def completion_draft_save(*, task_pk: int, user, changes: dict) -> Application:
    """Keep what the applicant typed on the completion page (autosave, "save draft", before an upload) without
    sending it: only the reopened fields and parts, only while the completion step is open, refused when the
    form is older than the stored application (another tab or a colleague saved in between)."""
    task = task_get(task_pk)
    if task.flow_task.name != "completion":
        raise NotAllowed(_("This task is not a completion."))
    application = Application.objects.select_for_update().get(pk=task.process.coerced.application_id)
    task.refresh_from_db()
    if application.status != Application.Status.COMPLETION or not user_may_do_task(user, task):
        raise NotAllowed(_("The completed application has been sent and can no longer be changed here."))
    version = changes.get("version")
    if version is not None and version != application.version:
        raise EditConflict(_("The application was changed in another window or by a colleague after you opened "
                             "it. Copy what you have written, reload the page and add it again."))
    application_write_changes(application, changes, allowed=set(application.reopened_fields))
    return application


def _outcome_message(check) -> str:
    """The event of a check says what it decided, then the comment: "Passed to review. Komplett."."""
    return f"{check.outcome_past()}. {check.comment}".strip()


def completion_submit(*, task_pk: int, user, changes: dict) -> Application:
    """The applicant answers a completion request: only the reopened fields and parts change,
    and the whole application must then be complete."""

    def apply(task, application):
        if changes.get("version") not in (None, application.version):
            raise NotAllowed(_("The application was changed in another window after you opened it. "
                               "Reload the page and try again."))
        application_write_changes(application, changes, allowed=set(application.reopened_fields))
        errors = submission_errors(application)
        if errors:
            raise ValidationError(errors)
        application.reopened_fields = []
        status_set(application, Application.Status.SUBMITTED, user, Event.Kind.RESUBMITTED, visible=True)
        role_notify(application, roles.CASE_OFFICER, "resubmitted_staff", stage=f"task-{task.pk}")
        return application

    return step_execute(task_pk, user, "completion", apply)


def review_finished(*, application, process, user) -> None:
    """Move a reviewed application on to the decision when reviewers.services reports every asked reviewer
    answered, or the case officer closes the review (workflows.services.reviews, under the process lock)."""
    review = process.flow_class.review
    task = Task.objects.filter(process__applicationprocess__application=application,
                               flow_task=review, status=STATUS.NEW).first()
    if task is None:
        return
    review.run(task)
    status_set(application, Application.Status.DECISION, user, Event.Kind.REVIEW_CLOSED)
    role_notify(application, roles.SECRETARY, "decision_waiting", stage=f"review-task-{task.pk}")


def final_report_submit(*, task_pk: int, user, data: dict) -> FinalReport:
    """Send the final report: checked as a whole, written with its cost and activity lines (grants.services.reports)."""
    def apply(task, application):
        report = report_create(application=application, user=user, data=data)
        status_set(application, Application.Status.REPORT_SUBMITTED, user, Event.Kind.REPORT_SUBMITTED,
                    visible=True)
        role_notify(application, roles.SECRETARY, "report_received", stage=f"report-{report.pk}")
        return report

    return step_execute(task_pk, user, "final_report", apply)


def report_approval_record(*, task_pk: int, user, approve: bool, comment: str = "") -> FinalReport:
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Tell the applicant what to complete in the report.")})

    def apply(task, application):
        report = application.final_reports.select_for_update().order_by("-submitted_at", "-pk").first()
        if report is None or report.outcome != FinalReport.Outcome.PENDING:
            raise NotAllowed(_("There is no final report waiting for approval."))
        report.outcome = FinalReport.Outcome.APPROVED if approve else FinalReport.Outcome.COMPLETION
        report.reviewed_by = user
        report.reviewed_at = timezone.now()
        report.reviewer_comment = comment
        report.save()
        if approve:
            ledger.fund_year_for(application, lock=True)
            if application.decisions.filter(status=Decision.Status.PENDING).exists():
                raise NotAllowed(_("A correction of the grant is waiting for a second approver. "
                                   "Approve or return it before the final report."))
            grant = ledger.effective_grant(application)
            # What is owed is what was spent (at most the grant). A payment not yet made is replaced by
            # the final payment of what is still owed; unspent money then goes back to the fund. An
            # advance paid beyond what was spent is claimed back, and returns when it is received.
            ledger.payments_cancel_planned(application=application, user=user,
                                           why=_("Settled by the approved final report."))
            paid = ledger.paid_total(application)
            spent = min(grant.amount, report.costs_total)
            ledger.payment_plan(application=application, kind=Payment.Kind.FINAL, amount=spent - paid, user=user)
            ledger.repayment_claim(application=application, amount=paid - spent, reason=Repayment.Reason.UNSPENT,
                                   user=user)
            ledger.case_close_release(application=application, user=user)
            status_set(application, Application.Status.CARRIED_OUT, user, Event.Kind.REPORT_APPROVED,
                        message=comment, visible=True)
            contacts_notify(application, "report_approved", stage=f"report-{report.pk}")
        else:
            status_set(application, Application.Status.GRANTED, user, Event.Kind.REPORT_COMPLETION,
                        message=comment, visible=True)
            contacts_notify(application, "report_completion", stage=f"report-{report.pk}", report=report)
        return report

    return step_execute(task_pk, user, "report_approval", apply)


@transaction.atomic
def final_report_draft_save(*, task_pk: int, user, data: dict, version: int | None) -> FinalReportDraft:
    """Keep what the applicant typed in the report, exactly as typed (nothing is required yet).

    Only while the report step is open. Refused when the form is older than the stored draft (another
    tab or a colleague saved in between): `version` is the draft's version the form was loaded with,
    0 when there was none; None skips the check."""
    clean = draft_data_clean(data)
    task = Task.objects.select_related("process").filter(pk=task_pk).first()
    if task is None or task.flow_task.name != "final_report":
        raise NotAllowed(_("This task is not the final report."))
    application = Application.objects.select_for_update().get(pk=task.process.coerced.application_id)
    task.refresh_from_db()
    if application.status != Application.Status.GRANTED or not user_may_do_task(user, task):
        raise NotAllowed(_("The final report has been sent and can no longer be changed."))
    draft = FinalReportDraft.objects.select_for_update().filter(application=application).first()
    if version is not None and version != (draft.version if draft else 0):
        raise EditConflict(_(
            "The report was saved in another window or by a colleague after you opened it. "
            "Copy what you have written, reload the page and add it again."
        ))
    if draft is None:
        return FinalReportDraft.objects.create(application=application, data=clean, updated_by=user)
    draft.data, draft.updated_by = clean, user
    draft.version += 1
    draft.save()
    return draft
