"""Writes that advance an application's process, one service per human step.

Each service takes the flow lock on the process row (select_for_update), re-reads
the task under it, checks that this user may do this step now, writes the step's
records, the application's new status and the audit event, queues the mails and
completes the viewflow task, all in one transaction. A refused call changes nothing.
"""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import roles
from common.formatting import money
from grants.services import ledger
from grants.services.letters import decision_letter_attach as letter_attach
from grants.models import (
    Application, CheckItemResult, ChecklistItem, Decision, Event, ExAnteCheck, FinalReport, LedgerEntry, Membership,
    Payment, Repayment,
)
from grants.services.applications import EditConflict, NotAllowed, application_write_changes, event_record, submission_errors
from notifications.services import notification_queue
from reviewers.services import assignments_fill

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


# -- who may do what ---------------------------------------------------------------------------

def task_is_applicants(task) -> bool:
    """Applicant steps have no permission: they are assigned to a contact of the organisation."""
    return not task.owner_permission


def user_may_see_task(user, task) -> bool:
    if not user.is_authenticated:
        return False
    if task_is_applicants(task):
        return Membership.objects.filter(user=user, organisation_id=task.process.coerced.application.organisation_id).exists()
    return user.has_perm(task.owner_permission)


def user_may_do_task(user, task) -> bool:
    if task.status not in OPEN_STATUSES or not user_may_see_task(user, task):
        return False
    if task_is_applicants(task):
        return True
    return task.owner_id in (None, user.pk)


# -- the shared mechanics ---------------------------------------------------------------------

def _get_task(task_pk: int):
    task = Task.objects.select_related("process").filter(pk=task_pk).first()
    if task is None:
        raise NotAllowed(_("The task does not exist."))
    return task


def _execute(task_pk: int, user, node_name: str, apply):
    """Run `apply(task, application)` as the work of one open human task, then complete it."""
    task = _get_task(task_pk)
    flow_class = task.flow_task.flow_class
    try:
        with flow_class.lock(task.process_id):
            task = Task.objects.select_related("process").get(pk=task_pk)
            if task.flow_task.name != node_name:
                raise NotAllowed(_("This task is not that step."))
            if task.status not in OPEN_STATUSES:
                raise NotAllowed(_("This step has already been done."))
            if not user_may_do_task(user, task):
                raise NotAllowed(_("You cannot do this step."))
            activation = task.flow_task.activation_class(task)
            if task.status == STATUS.NEW:
                activation.assign(user)
            elif task.owner_id != user.pk:  # another contact of the same organisation
                activation.reassign(user=user)
            activation.start(None)
            application = Application.objects.select_for_update().get(pk=task.process.coerced.application_id)
            result = apply(task, application)
            activation.execute()
            return result
    except FlowLockFailed:
        raise NotAllowed(_("Someone else is working on this case right now. Try again in a moment.")) from None


def _set_status(application, new_status, user, kind, message="", visible=False):
    old = application.status
    application.status = new_status
    application.status_changed_at = timezone.now()
    application.save(update_fields=["status", "status_changed_at", "reopened_fields", "report_due_on", "updated_at"])
    event_record(application=application, kind=kind, actor=user, from_status=old, to_status=new_status,
                 message=message, visible=visible)


def applicant_contacts(application):
    from accounts.models import User

    return User.objects.filter(membership__organisation=application.organisation, is_active=True).distinct()


def _notify_applicants(application, kind, stage, files=(), **context):
    link = reverse("grants:application_detail", args=[application.pk])
    for contact in applicant_contacts(application):
        notification_queue(user=contact, kind=kind, stage=stage, application=application, link=link,
                           context=context, files=files)


def _notify_role(application, role, kind, stage):
    link = reverse("workflows:case_detail", args=[application.pk])
    for person in roles.users_with_role(role):
        notification_queue(user=person, kind=kind, stage=stage, application=application, link=link)


# -- claim and release ---------------------------------------------------------------------------

def task_claim(*, task_pk: int, user):
    task = _get_task(task_pk)
    with task.flow_task.flow_class.lock(task.process_id):
        task = Task.objects.select_related("process").get(pk=task_pk)
        if task_is_applicants(task) or not user_may_see_task(user, task):
            raise NotAllowed(_("You cannot take this task."))
        if task.status != STATUS.NEW:
            raise NotAllowed(_("Someone has already taken this task."))
        task.flow_task.activation_class(task).assign(user)
        application = Application.objects.get(pk=task.process.coerced.application_id)
        event_record(application=application, kind=Event.Kind.TASK_CLAIMED, actor=user,
                     message=str(task.flow_task.task_title or task.flow_task.name))
    return task


def task_release(*, task_pk: int, user):
    task = _get_task(task_pk)
    with task.flow_task.flow_class.lock(task.process_id):
        task = Task.objects.select_related("process").get(pk=task_pk)
        if task_is_applicants(task) or task.status != STATUS.ASSIGNED or task.owner_id != user.pk:
            raise NotAllowed(_("You can only release a task you have taken."))
        task.flow_task.activation_class(task).unassign()
        application = Application.objects.get(pk=task.process.coerced.application_id)
        event_record(application=application, kind=Event.Kind.TASK_RELEASED, actor=user,
                     message=str(task.flow_task.task_title or task.flow_task.name))
    return task


# -- the steps -------------------------------------------------------------------------------

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
            _set_status(application, Application.Status.REVIEW, user, Event.Kind.CHECKED,
                        message=_outcome_message(check), visible=False)
            assignments_fill(application=application)
        elif outcome == ExAnteCheck.Outcome.COMPLETION:
            application.reopened_fields = list(completion_fields)
            _set_status(application, Application.Status.COMPLETION, user, Event.Kind.COMPLETION_REQUESTED,
                        message=_outcome_message(check), visible=True)
            _notify_applicants(application, "completion_requested", stage=f"check-{check.pk}", check=check)
        else:
            application.reopened_fields = []
            _set_status(application, Application.Status.INELIGIBLE, user, Event.Kind.INELIGIBLE,
                        message=_outcome_message(check), visible=True)
            _notify_applicants(application, "ineligible", stage=f"check-{check.pk}", check=check)
        return check

    return _execute(task_pk, user, "exante_check", apply)


@transaction.atomic
def completion_draft_save(*, task_pk: int, user, changes: dict) -> Application:
    """Keep what the applicant typed on the completion page (autosave, "save draft", before an upload) without
    sending it: only the reopened fields and parts, only while the completion step is open, refused when the
    form is older than the stored application (another tab or a colleague saved in between)."""
    task = _get_task(task_pk)
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
        _set_status(application, Application.Status.SUBMITTED, user, Event.Kind.RESUBMITTED, visible=True)
        _notify_role(application, roles.CASE_OFFICER, "resubmitted_staff", stage=f"task-{task.pk}")
        return application

    return _execute(task_pk, user, "completion", apply)


def review_finished(*, application, user) -> None:
    """Move a reviewed application on to the decision (called by reviewers.services under the process lock)."""
    from workflows.flows import ApplicationFlow

    task = Task.objects.filter(process__applicationprocess__application=application,
                               flow_task=ApplicationFlow.review, status=STATUS.NEW).first()
    if task is None:
        return
    ApplicationFlow.review.run(task)
    _set_status(application, Application.Status.DECISION, user, Event.Kind.REVIEW_CLOSED)
    _notify_role(application, roles.SECRETARY, "decision_waiting", stage=f"review-task-{task.pk}")


def decision_record(*, task_pk: int, user, outcome: str, amount: Decimal | None, conditions: str = "",
                    motivation: str = "") -> Decision:
    """Grant (within what was asked, the fund's ceiling and what is left) or reject.

    A grant above the fund's four-eyes limit reserves its money now but takes effect only when
    another secretary approves it (the second_approval step).
    """
    if outcome == Decision.Outcome.REJECTED and not motivation.strip():
        raise ValidationError({"motivation": _("Give the motivation for the rejection.")})
    if outcome == Decision.Outcome.GRANTED and (amount is None or amount <= 0):
        raise ValidationError({"amount": _("Enter the amount to grant.")})

    def apply(task, application):
        fund = application.call.fund
        granted = outcome == Decision.Outcome.GRANTED
        if granted:
            ledger.grant_amount_check(application, amount)
            if amount < application.requested_amount and not motivation.strip():
                raise ValidationError({"motivation": _("Explain why the grant is smaller than the amount applied for.")})
            # Lock the fund year: concurrent grants queue here, so available never goes below zero.
            fund_year = ledger.fund_year_for(application, lock=True)
            ledger.ensure_available(fund_year=fund_year, amount=amount)
        pending = granted and fund.four_eyes_above is not None and amount > fund.four_eyes_above
        decision = Decision(
            application=application, outcome=outcome, amount=amount if granted else Decimal("0"),
            conditions=conditions if granted else "", motivation=motivation, decided_by=user,
            status=Decision.Status.PENDING if pending else Decision.Status.EFFECTIVE,
        )
        with _letter_removed_on_failure(decision):
            if not pending:
                _prepare_effect(application, decision)
            decision.save()
            if granted:
                ledger.commitment_reserve(fund_year=fund_year, application=application, decision=decision,
                                          amount=amount, user=user)
            if pending:
                event_record(application=application, kind=Event.Kind.DECISION_PENDING, actor=user,
                             message=money(amount))
                _notify_role(application, roles.SECRETARY, "approval_waiting", stage=f"decision-{decision.pk}")
            else:
                _take_effect(application, decision, user)
        return decision

    return _execute(task_pk, user, "decision", apply)


@contextmanager
def _letter_removed_on_failure(decision):
    """A letter file written for a decision whose transaction then fails must not be left in storage."""
    try:
        yield
    except BaseException:
        if decision.letter:
            decision.letter.delete(save=False)
        raise


def _prepare_effect(application, decision):
    """Before a decision takes effect: the report's due date, then the letter that states it."""
    if decision.outcome == Decision.Outcome.GRANTED and application.end_date:
        application.report_due_on = application.end_date + timedelta(days=application.call.fund.report_due_days)
    advance = (ledger.advance_amount(application.call.fund, decision.amount)
               if decision.outcome == Decision.Outcome.GRANTED else None)
    letter_attach(decision, advance=advance)
    return advance


def _take_effect(application, decision, user):
    """A decision in effect: status, the advance payment, and the letter to the applicant."""
    if decision.outcome == Decision.Outcome.GRANTED:
        ledger.payment_plan(application=application, kind=Payment.Kind.ADVANCE,
                            amount=ledger.advance_amount(application.call.fund, decision.amount), user=user)
        new_status = Application.Status.GRANTED
    else:
        new_status = Application.Status.REJECTED
    _set_status(application, new_status, user, Event.Kind.DECIDED, message=decision.motivation, visible=True)
    letter = {"name": decision.letter.name, "content_type": "application/pdf",
              "filename": f"beslut-{application.case_number or application.pk}.pdf"}
    _notify_applicants(application, "decision", stage=f"decision-{decision.pk}", decision=decision, files=[letter])


def correction_takes_effect(*, application, old, new, fund_year, delta, paid, user):
    """Store a correcting decision with its letter; move the money and re-plan the advance (grants.services.ledger)."""
    paid_advance = sum((p.amount for p in application.payments.filter(kind=Payment.Kind.ADVANCE,
                                                                      status=Payment.Status.PAID)), Decimal("0"))
    advance = max(ledger.advance_amount(application.call.fund, new.amount) - paid_advance, Decimal("0"))
    with _letter_removed_on_failure(new):
        letter_attach(new, advance=advance)
        if new.pk is None:
            new.save()
        else:  # a correction approved by a second secretary (grants.services.ledger.correction_approval_record)
            new.save(update_fields=["status", "approved_by", "approved_at", "letter", "letter_sha256"])
        old.status = Decision.Status.SUPERSEDED
        old.save(update_fields=["status"])
        if delta > 0:
            LedgerEntry.objects.create(fund_year=fund_year, application=application, decision=new,
                                       kind=LedgerEntry.Kind.COMMITMENT, amount=delta, created_by=user)
        elif delta < 0:
            LedgerEntry.objects.create(fund_year=fund_year, application=application, decision=new,
                                       kind=LedgerEntry.Kind.RELEASE, amount=-delta, note="correction",
                                       created_by=user)
        ledger.payments_cancel_planned(application=application, user=user, kind=Payment.Kind.ADVANCE,
                                       why=_("Planned anew after the corrected decision."))
        ledger.payment_plan(application=application, kind=Payment.Kind.ADVANCE, amount=advance, user=user)
        event_record(application=application, kind=Event.Kind.DECISION_CORRECTED, actor=user,
                     message=f"{money(old.amount)} → {money(new.amount)}. {new.motivation}", visible=True)
        letter = {"name": new.letter.name, "content_type": "application/pdf",
                  "filename": f"beslut-{application.case_number or application.pk}.pdf"}
        _notify_applicants(application, "decision", stage=f"decision-{new.pk}", decision=new, files=[letter])


def second_approval_record(*, task_pk: int, user, approve: bool, comment: str = "") -> Decision:
    """Another secretary approves a large grant (it takes effect) or returns it (its money is released
    and the decision step opens again)."""
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Tell your colleague why the decision is returned.")})

    def apply(task, application):
        ledger.fund_year_for(application, lock=True)
        decision = application.decisions.select_for_update().filter(status=Decision.Status.PENDING).first()
        if decision is None:
            raise NotAllowed(_("There is no decision waiting for approval."))
        if decision.decided_by_id == user.pk:
            raise NotAllowed(_("Another project secretary must approve your own decision."))
        if approve:
            decision.status = Decision.Status.EFFECTIVE
            decision.approved_by, decision.approved_at = user, timezone.now()
            with _letter_removed_on_failure(decision):
                _prepare_effect(application, decision)
                decision.save(update_fields=["status", "approved_by", "approved_at", "letter", "letter_sha256"])
                event_record(application=application, kind=Event.Kind.DECISION_APPROVED, actor=user,
                             message=comment)
                _take_effect(application, decision, user)
        else:
            decision.status = Decision.Status.ANNULLED
            decision.save(update_fields=["status"])
            LedgerEntry.objects.create(fund_year=ledger.fund_year_for(application), application=application,
                                       decision=decision, kind=LedgerEntry.Kind.RELEASE, amount=decision.amount,
                                       note="annulled", created_by=user)
            event_record(application=application, kind=Event.Kind.DECISION_RETURNED, actor=user, message=comment)
            notification_queue(user=decision.decided_by, kind="decision_returned", stage=f"decision-{decision.pk}",
                               application=application, link=reverse("workflows:case_detail", args=[application.pk]),
                               context={"comment": comment})
        return decision

    return _execute(task_pk, user, "second_approval", apply)


def final_report_submit(*, task_pk: int, user, data: dict) -> FinalReport:
    """Send the final report: checked as a whole, written with its cost and activity lines (grants.services.reports)."""
    from grants.services.reports import report_create

    def apply(task, application):
        report = report_create(application=application, user=user, data=data)
        _set_status(application, Application.Status.REPORT_SUBMITTED, user, Event.Kind.REPORT_SUBMITTED,
                    visible=True)
        _notify_role(application, roles.SECRETARY, "report_received", stage=f"report-{report.pk}")
        return report

    return _execute(task_pk, user, "final_report", apply)


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
            _set_status(application, Application.Status.CARRIED_OUT, user, Event.Kind.REPORT_APPROVED,
                        message=comment, visible=True)
            _notify_applicants(application, "report_approved", stage=f"report-{report.pk}")
        else:
            _set_status(application, Application.Status.GRANTED, user, Event.Kind.REPORT_COMPLETION,
                        message=comment, visible=True)
            _notify_applicants(application, "report_completion", stage=f"report-{report.pk}", report=report)
        return report

    return _execute(task_pk, user, "report_approval", apply)
