"""The application workflow as a viewflow BPM flow.

submit → ex-ante check ─┬─ pass ───────→ review → decision ─┬─ grant → final report → report approval ─┬─ approve → carried out
                         ├─ completion → (applicant completes) ↺ ex-ante check      ├─ reject → rejected      └─ completion ↺ final report
                         └─ ineligible → rejected as ineligible                     └─ grant above the fund's limit → second approval
                                                                                        ─┬─ approve → final report
                                                                                         └─ return ↺ decision

Every human step is a `flow.View` whose view is a page of Potten's own
(workflows/step_views.py). Staff steps carry a permission, so they wait in the
queue of everyone with that role until one of them claims the task; applicant
steps are assigned to the person who submitted and may be done by any contact
of the organisation. The domain writes of each step live in workflows/services/.
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from grants.models import Decision, ExAnteCheck, FinalReport
from workflows import step_views
from workflows.models import ApplicationProcess


class ApplicationFlow(flow.Flow):
    process_class = ApplicationProcess
    process_title = _("Application")
    lock_impl = lock.select_for_update_lock

    start = (
        flow.StartHandle(this.start_process)
        .Annotation(title=_("Submitted"))
        .Next(this.exante_check)
    )
    exante_check = (
        flow.View(step_views.exante_check)
        .Annotation(title=_("Ex-ante check"))
        .Permission("grants.check_application")
        .Next(this.after_check)
    )
    after_check = (
        flow.Switch()
        .Annotation(title=_("Outcome of the check"))
        .Case(this.completion, this.check_wants_completion)
        .Case(this.ineligible, this.check_found_ineligible)
        .Default(this.review)
    )
    completion = (
        flow.View(step_views.completion)
        .Annotation(title=_("Completion by the applicant"))
        .Assign(this.applicant_contact)
        .Next(this.exante_check)
    )
    # Reviewers work on their assignments (reviewers/); the step ends when every asked reviewer has
    # answered, or when the case officer closes it with the fund's quorum (reviewers.services).
    review = (
        flow.Handle()
        .Annotation(title=_("Review"))
        .Next(this.decision)
    )
    decision = (
        flow.View(step_views.decision)
        .Annotation(title=_("Decision"))
        .Permission("grants.decide_application")
        .Next(this.after_decision)
    )
    after_decision = (
        flow.Switch()
        .Annotation(title=_("Granted?"))
        .Case(this.second_approval, this.needs_second_approver)
        .Case(this.final_report, this.was_granted)
        .Default(this.rejected)
    )
    second_approval = (
        flow.View(step_views.second_approval)
        .Annotation(title=_("Second approval of the grant"))
        .Permission("grants.decide_application")
        .Next(this.after_second_approval)
    )
    after_second_approval = (
        flow.If(this.was_granted)
        .Annotation(title=_("Approved?"))
        .Then(this.final_report)
        .Else(this.decision)
    )
    final_report = (
        flow.View(step_views.final_report)
        .Annotation(title=_("Final report"))
        .Assign(this.applicant_contact)
        .Next(this.report_approval)
    )
    report_approval = (
        flow.View(step_views.report_approval)
        .Annotation(title=_("Approval of the final report"))
        .Permission("grants.approve_final_report")
        .Next(this.after_report)
    )
    after_report = (
        flow.If(this.report_was_approved)
        .Annotation(title=_("Report approved?"))
        .Then(this.carried_out)
        .Else(this.final_report)
    )
    carried_out = flow.End().Annotation(title=_("Carried out"))
    rejected = flow.End().Annotation(title=_("Rejected"))
    ineligible = flow.End().Annotation(title=_("Rejected as ineligible"))

    # -- start ------------------------------------------------------------------------------
    def start_process(self, activation, application, user):
        activation.process.application = application
        activation.task.owner = user
        return activation.process

    # -- assignment ------------------------------------------------------------------------
    def applicant_contact(self, activation):
        return activation.process.application.submitted_by

    # -- gateway conditions: read the record the step just wrote ------------------------------
    def check_wants_completion(self, activation):
        return _latest_check(activation).outcome == ExAnteCheck.Outcome.COMPLETION

    def check_found_ineligible(self, activation):
        return _latest_check(activation).outcome == ExAnteCheck.Outcome.INELIGIBLE

    def _latest_decision(self, activation):
        return activation.process.application.decisions.order_by("-decided_at", "-pk").first()

    def needs_second_approver(self, activation):
        decision = self._latest_decision(activation)
        return decision is not None and decision.status == Decision.Status.PENDING

    def was_granted(self, activation):
        decision = self._latest_decision(activation)
        return (decision is not None and decision.status == Decision.Status.EFFECTIVE
                and decision.outcome == Decision.Outcome.GRANTED)

    def report_was_approved(self, activation):
        report = activation.process.application.final_reports.order_by("-submitted_at", "-pk").first()
        return report is not None and report.outcome == FinalReport.Outcome.APPROVED


def _latest_check(activation):
    return activation.process.application.checks.order_by("-checked_at", "-pk").first()
