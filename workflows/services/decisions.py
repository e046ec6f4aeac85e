"""The decision and everything that changes it: a first decision (grant or reject), the second approval of a
large grant, a correction (a new decision linked to the old one) and its second approval, and ending a grant
that will not be carried out. The money moves through grants.services.ledger; the locks are taken in the
order of workflows.locks: process, fund year, application.
"""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from common.errors import NotAllowed
from common.formatting import money
from grants.models import Application, Decision, Event, LedgerEntry, Payment, Repayment
from grants.services import ledger
from grants.services.applications import application_status_change, event_record
from grants.services.contacts import contacts_notify
from grants.services.letters import decision_letter_attach as letter_attach
from notifications.services import notification_queue
from workflows.locks import case_lock
from workflows.models import ApplicationProcess
from workflows.services.core import role_notify, status_set, step_execute


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
                role_notify(application, roles.SECRETARY, "approval_waiting", stage=f"decision-{decision.pk}")
            else:
                _take_effect(application, decision, user)
        return decision

    return step_execute(task_pk, user, "decision", apply)


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
    status_set(application, new_status, user, Event.Kind.DECIDED, message=decision.motivation, visible=True)
    letter = {"name": decision.letter.name, "content_type": "application/pdf",
              "filename": f"beslut-{application.case_number or application.pk}.pdf"}
    contacts_notify(application, "decision", stage=f"decision-{decision.pk}", decision=decision, files=[letter])


def correction_takes_effect(*, application, old, new, fund_year, delta, paid, user):
    """Store a correcting decision with its letter; move the money and re-plan the advance (grants.services.ledger).
    The caller holds the process, fund year and application locks."""
    paid_advance = sum((p.amount for p in application.payments.filter(kind=Payment.Kind.ADVANCE,
                                                                      status=Payment.Status.PAID)), Decimal("0"))
    advance = max(ledger.advance_amount(application.call.fund, new.amount) - paid_advance, Decimal("0"))
    with _letter_removed_on_failure(new):
        letter_attach(new, advance=advance)
        if new.pk is None:
            new.save()
        else:  # a correction approved by a second secretary (correction_approval_record)
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
        contacts_notify(application, "decision", stage=f"decision-{new.pk}", decision=new, files=[letter])


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

    return step_execute(task_pk, user, "second_approval", apply)


# -- corrections and the end of a grant -------------------------------------------------------------

def decision_correct(*, application_id: int, user, amount: Decimal, conditions: str, motivation: str) -> Decision:
    """Correct a grant in effect with a new decision linked to it (the old one is kept, marked replaced).

    The money follows: a larger grant must fit in what is left, a smaller one returns the difference;
    a grant can never become smaller than what has already been paid. The planned advance is re-planned.
    Like a first decision, a corrected grant above the fund's four-eyes limit waits for another project
    secretary (correction_approval_record): a raise reserves its money now, nothing else moves until then.
    """
    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    if not motivation.strip():
        raise ValidationError({"motivation": _("Explain why the decision is corrected.")})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter the amount to grant.")})
    with case_lock(application_id):  # the order of the workflow steps: process, fund year, application
        application = Application.objects.select_related("call__fund").get(pk=application_id)
        fund_year = ledger.fund_year_for(application, lock=True)
        application = Application.objects.select_for_update().get(pk=application_id)
        old = ledger.effective_grant(application)
        if application.status != Application.Status.GRANTED or old is None:
            raise NotAllowed(_("Only a grant whose project is under way can be corrected."))
        if application.decisions.filter(status=Decision.Status.PENDING).exists():
            raise NotAllowed(_("A correction of this grant is already waiting for a second approver."))
        ledger.grant_amount_check(application, amount)
        paid = ledger.paid_total(application)
        if amount < paid:
            raise ValidationError({"amount": _("The grant cannot be smaller than what is already paid: %(paid)s.")
                                   % {"paid": money(paid)}})
        delta = amount - old.amount
        if delta > 0:
            ledger.ensure_available(fund_year=fund_year, amount=delta)
        limit = application.call.fund.four_eyes_above
        pending = limit is not None and amount > limit
        decision = Decision(application=application, outcome=Decision.Outcome.GRANTED, amount=amount,
                            conditions=conditions, motivation=motivation, decided_by=user, corrects=old,
                            status=Decision.Status.PENDING if pending else Decision.Status.EFFECTIVE)
        if not pending:
            correction_takes_effect(application=application, old=old, new=decision, fund_year=fund_year,
                                    delta=delta, paid=paid, user=user)
            return decision
        decision.save()
        if delta > 0:  # reserved now, so the colleague's approval can never overspend the fund
            LedgerEntry.objects.create(fund_year=fund_year, application=application, decision=decision,
                                       kind=LedgerEntry.Kind.COMMITMENT, amount=delta, created_by=user)
        event_record(application=application, kind=Event.Kind.DECISION_PENDING, actor=user,
                     message=f"{money(old.amount)} → {money(amount)}. {motivation}")
        for person in roles.users_with_role(roles.SECRETARY).exclude(pk=user.pk):
            notification_queue(user=person, kind="approval_waiting", stage=f"decision-{decision.pk}",
                               application=application,
                               link=reverse("workflows:case_detail", args=[application.pk]))
        return decision


def correction_approval_record(*, decision_id: int, user, approve: bool, comment: str = "") -> Decision:
    """Another project secretary approves a pending correction (it takes effect with its letter and
    mail) or returns it (it is annulled, a reserved raise goes back to the fund, the decision in effect
    stays). Refused for the secretary who made the correction."""
    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Tell your colleague why the correction is returned.")})
    found = Decision.objects.filter(pk=decision_id, corrects__isnull=False).values_list("application_id", flat=True)
    if not found:
        raise NotAllowed(_("There is no correction waiting for approval."))
    with case_lock(found[0]):
        application = Application.objects.select_related("call__fund").get(pk=found[0])
        fund_year = ledger.fund_year_for(application, lock=True)
        application = Application.objects.select_for_update().get(pk=application.pk)
        decision = Decision.objects.select_for_update().get(pk=decision_id)
        if decision.status != Decision.Status.PENDING:
            raise NotAllowed(_("There is no correction waiting for approval."))
        if decision.decided_by_id == user.pk:
            raise NotAllowed(_("Another project secretary must approve your own decision."))
        old = decision.corrects
        if not approve:
            ledger.correction_annul(decision=decision, fund_year=fund_year, user=user)
            event_record(application=application, kind=Event.Kind.DECISION_RETURNED, actor=user, message=comment)
            notification_queue(user=decision.decided_by, kind="correction_returned", stage=f"decision-{decision.pk}",
                               application=application,
                               link=reverse("workflows:case_detail", args=[application.pk]),
                               context={"comment": comment, "decision": decision})
            return decision
        if application.status != Application.Status.GRANTED or old.status != Decision.Status.EFFECTIVE:
            raise NotAllowed(_("Only a grant whose project is under way can be corrected."))
        paid = ledger.paid_total(application)
        if decision.amount < paid:
            raise NotAllowed(_("The grant cannot be smaller than what is already paid: %(paid)s.")
                             % {"paid": money(paid)})
        decision.status = Decision.Status.EFFECTIVE
        decision.approved_by, decision.approved_at = user, timezone.now()
        event_record(application=application, kind=Event.Kind.DECISION_APPROVED, actor=user, message=comment)
        delta = decision.amount - old.amount
        # A raise was committed when the correction was made; only a reduction moves money now.
        correction_takes_effect(application=application, old=old, new=decision, fund_year=fund_year,
                                delta=min(delta, Decimal("0")), paid=paid, user=user)
        return decision


def grant_end(*, application_id: int, user, reason: str, accepted_costs: Decimal = Decimal("0")) -> Application:
    """End a granted project that will not be carried out (avslutat utan genomförande).

    Planned payments are cancelled and a correction waiting for approval lapses. `accepted_costs` is
    what the organisation already spent in good faith and may keep (at most the grant): what was paid
    beyond it is claimed back (repayment_claim, once); what it exceeds the payments made is planned as
    a final payment. The rest of the commitment returns to the fund (case_close_release, once), the
    process ends and the applicant is told why. Locks in the order of the workflow steps (process,
    fund year, application): a second closing waits, then finds the case ended and changes nothing.
    """
    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason the grant is ended.")})
    accepted_costs = accepted_costs or Decimal("0")
    if accepted_costs < 0:
        raise ValidationError({"accepted_costs": _("The accepted costs cannot be negative.")})
    not_started = _("Only a granted project that is under way can be ended.")
    with case_lock(application_id, not_started=not_started) as process:
        application = Application.objects.select_related("call__fund").get(pk=application_id)
        fund_year = ledger.fund_year_for(application, lock=True)
        application = Application.objects.select_for_update().get(pk=application_id)
        if application.status == Application.Status.ENDED:
            return application  # ended by a click a moment ago: nothing more
        if application.status != Application.Status.GRANTED:
            raise NotAllowed(_("Only a granted project that is under way can be ended."))
        grant = ledger.effective_grant(application)
        if grant is not None and accepted_costs > grant.amount:
            raise ValidationError({"accepted_costs": _(
                "The accepted costs cannot be more than the grant, %(amount)s.") % {"amount": money(grant.amount)}})
        process = ApplicationProcess.objects.get(pk=process.pk)  # as it is now, under the lock
        for pending in application.decisions.select_for_update().filter(status=Decision.Status.PENDING):
            ledger.correction_annul(decision=pending, fund_year=fund_year, user=user)
        process.flow_class.instance.cancel(process)
        ledger.payments_cancel_planned(application=application, user=user, why=reason)
        paid = ledger.paid_total(application)
        ledger.repayment_claim(application=application, amount=paid - accepted_costs,
                               reason=Repayment.Reason.ENDED, user=user)
        ledger.payment_plan(application=application, kind=Payment.Kind.FINAL, amount=accepted_costs - paid, user=user)
        ledger.case_close_release(application=application, user=user)
        application_status_change(application=application, to_status=Application.Status.ENDED, user=user,
                                  kind=Event.Kind.GRANT_ENDED, visible=True,
                                  message=reason if not accepted_costs else f"{reason}\n{money(accepted_costs)}")
        contacts_notify(application, "grant_ended", stage="ended", reason=reason, accepted_costs=accepted_costs)
        return application
