"""The money: fund-year balance, payments, returns to the fund, repayments, budget changes, decision
corrections, and ending a grant that will not be carried out.

Every write locks the fund year (and the payment or application row it changes) in one order,
fund year first, so concurrent writers queue and available can never go below zero.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.formatting import money
from grants.models import Application, BudgetChange, Decision, Event, FundYear, LedgerEntry, Payment, Repayment
from grants.selectors import fund_year_balance
from grants.services.applications import NotAllowed, event_record


def fund_year_for(application: Application, *, lock: bool = False) -> FundYear:
    queryset = FundYear.objects.select_for_update() if lock else FundYear.objects
    fund_year = queryset.filter(fund_id=application.call.fund_id, year=application.call.budget_year).first()
    if fund_year is None:
        raise NotAllowed(_("The fund has no budget for %(year)s.") % {"year": application.call.budget_year})
    return fund_year


def effective_grant(application: Application) -> Decision | None:
    """The decision in effect, if it grants money."""
    decision = application.decisions.filter(status=Decision.Status.EFFECTIVE).order_by("-decided_at", "-pk").first()
    return decision if decision and decision.outcome == Decision.Outcome.GRANTED else None


def advance_amount(fund, amount: Decimal) -> Decimal:
    """The fund's advance share of a grant, in whole kronor."""
    return (amount * Decimal(fund.advance_percent) / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def grant_amount_check(application, amount: Decimal) -> None:
    """A grant is never larger than what was asked nor than the fund's ceiling."""
    if amount > application.requested_amount:
        raise ValidationError({"amount": _("The grant cannot be larger than the requested %(requested)s.")
                               % {"requested": money(application.requested_amount)}})
    if amount > application.call.fund.max_amount:
        raise ValidationError({"amount": _("The fund grants at most %(max)s per application.")
                               % {"max": money(application.call.fund.max_amount)}})


def ensure_available(*, fund_year: FundYear, amount: Decimal) -> None:
    """Refuse an amount larger than what is left. The caller holds the fund year's row lock."""
    available = fund_year_balance(fund_year=fund_year)["available"]
    if amount > available:
        raise ValidationError({"amount": _("Only %(available)s is left in the fund for %(year)s.")
                               % {"available": money(available), "year": fund_year.year}})


def commitment_reserve(*, fund_year: FundYear, application, decision, amount: Decimal, user) -> LedgerEntry:
    """Commit money to a grant. The caller holds the fund year's row lock."""
    ensure_available(fund_year=fund_year, amount=amount)
    return LedgerEntry.objects.create(fund_year=fund_year, application=application, decision=decision,
                                      kind=LedgerEntry.Kind.COMMITMENT, amount=amount, created_by=user)


def paid_total(application) -> Decimal:
    """What has been paid out to the application (payments made)."""
    return sum((p.amount for p in application.payments.filter(status=Payment.Status.PAID)), Decimal("0"))


def _notify_contacts(application, kind, stage, **context):
    from notifications.services import notification_queue
    from workflows.services import applicant_contacts

    for contact in applicant_contacts(application):
        notification_queue(user=contact, kind=kind, stage=stage, application=application,
                           link=reverse("grants:application_detail", args=[application.pk]), context=context)


def payment_plan(*, application, kind: str, amount: Decimal, user) -> Payment | None:
    if amount <= 0:
        return None
    payment = Payment.objects.create(application=application, kind=kind, amount=amount)
    event_record(application=application, kind=Event.Kind.PAYMENT_PLANNED, actor=user,
                 message=f"{payment.get_kind_display()}: {money(amount)}", visible=True)
    return payment


def payments_cancel_planned(*, application, user, why: str, kind: str | None = None) -> list[Payment]:
    """Cancel the payments not yet made (of one kind, or all), each with an event saying why.
    The caller holds the application's lock, in its transaction."""
    planned = application.payments.select_for_update().filter(status=Payment.Status.PLANNED)
    if kind is not None:
        planned = planned.filter(kind=kind)
    cancelled = list(planned)
    for payment in cancelled:
        payment.status = Payment.Status.CANCELLED
        payment.save(update_fields=["status"])
        event_record(application=application, kind=Event.Kind.PAYMENT_CANCELLED, actor=user,
                     message=f"{payment.get_kind_display()}: {money(payment.amount)}. {why}", visible=True)
    return cancelled


@transaction.atomic
def payment_mark_paid(*, payment_id: int, user, paid_on, reference: str = "") -> Payment:
    """Record that a planned payment has been paid. Doing it twice changes nothing."""
    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    payment = Payment.objects.select_related("application__call").get(pk=payment_id)
    fund_year = fund_year_for(payment.application, lock=True)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == Payment.Status.PAID:
        return payment
    if payment.status != Payment.Status.PLANNED:
        raise NotAllowed(_("This payment is cancelled."))
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    payment.status = Payment.Status.PAID
    payment.paid_on = paid_on
    payment.reference = reference
    payment.paid_recorded_by = user
    payment.save(update_fields=["status", "paid_on", "reference", "paid_recorded_by"])
    LedgerEntry.objects.create(fund_year=fund_year, application=payment.application, payment=payment,
                               kind=LedgerEntry.Kind.PAYMENT, amount=payment.amount, created_by=user)
    event_record(application=payment.application, kind=Event.Kind.PAYMENT_PAID, actor=user,
                 message=f"{payment.get_kind_display()}: {money(payment.amount)}", visible=True)
    from notifications.services import notification_queue
    from workflows.services import applicant_contacts

    for contact in applicant_contacts(payment.application):
        notification_queue(user=contact, kind="payment", stage=f"payment-{payment.pk}",
                           application=payment.application,
                           link=reverse("grants:application_detail", args=[payment.application_id]),
                           context={"payment": payment})
    return payment


@transaction.atomic
def case_close_release(*, application: Application, user) -> LedgerEntry | None:
    """Return the money a closed case did not use: committed and not paid or planned to be paid.

    Exactly once per application, even when two closings race: the second insert hits the
    database's unique constraint and changes nothing. The caller holds the fund year's lock.
    """
    fund_year = fund_year_for(application, lock=True)
    entries = LedgerEntry.objects.filter(application=application)
    committed = sum((e.amount for e in entries if e.kind == LedgerEntry.Kind.COMMITMENT), Decimal("0"))
    released = sum((e.amount for e in entries if e.kind == LedgerEntry.Kind.RELEASE), Decimal("0"))
    to_pay = sum((p.amount for p in application.payments.exclude(status=Payment.Status.CANCELLED)), Decimal("0"))
    unspent = committed - released - to_pay
    if unspent <= 0:
        return None
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(fund_year=fund_year, application=application, note="close",
                                               kind=LedgerEntry.Kind.RELEASE, amount=unspent, created_by=user)
    except IntegrityError:
        return None  # already returned when the case was closed before
    event_record(application=application, kind=Event.Kind.MONEY_RETURNED, actor=user,
                 message=f"{money(unspent)}", visible=False)
    return entry


@transaction.atomic
def fund_year_budget_change(*, fund_year_id: int, user, new_budget: Decimal, reason: str) -> BudgetChange:
    """Raise or lower a fund year's budget, with a logged reason; never below what is committed and paid."""
    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the change.")})
    if new_budget < 0:
        raise ValidationError({"new_budget": _("The budget cannot be negative.")})
    fund_year = FundYear.objects.select_for_update().get(pk=fund_year_id)
    balance = fund_year_balance(fund_year=fund_year)
    floor = balance["committed"] + balance["paid"]
    if new_budget < floor:
        raise ValidationError({"new_budget": _(
            "The budget cannot be lower than what is already committed and paid: %(floor)s.") % {"floor": money(floor)}})
    change = BudgetChange.objects.create(fund_year=fund_year, previous_budget=fund_year.budget, new_budget=new_budget,
                                         reason=reason, changed_by=user)
    fund_year.budget = new_budget
    fund_year.save(update_fields=["budget"])
    return change


def decision_correct(*, application_id: int, user, amount: Decimal, conditions: str, motivation: str) -> Decision:
    """Correct a grant in effect with a new decision linked to it (the old one is kept, marked replaced).

    The money follows: a larger grant must fit in what is left, a smaller one returns the difference;
    a grant can never become smaller than what has already been paid. The planned advance is re-planned.
    Like a first decision, a corrected grant above the fund's four-eyes limit waits for another project
    secretary (correction_approval_record): a raise reserves its money now, nothing else moves until then.
    """
    from workflows.flows import ApplicationFlow
    from workflows.models import ApplicationProcess
    from workflows.services import correction_takes_effect

    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    if not motivation.strip():
        raise ValidationError({"motivation": _("Explain why the decision is corrected.")})
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter the amount to grant.")})
    process = ApplicationProcess.objects.get(application_id=application_id)
    with ApplicationFlow.lock(process.pk):  # the order of the workflow steps: process, fund year, application
        application = Application.objects.select_related("call__fund").get(pk=application_id)
        fund_year = fund_year_for(application, lock=True)
        application = Application.objects.select_for_update().get(pk=application_id)
        old = effective_grant(application)
        if application.status != Application.Status.GRANTED or old is None:
            raise NotAllowed(_("Only a grant whose project is under way can be corrected."))
        if application.decisions.filter(status=Decision.Status.PENDING).exists():
            raise NotAllowed(_("A correction of this grant is already waiting for a second approver."))
        grant_amount_check(application, amount)
        paid = paid_total(application)
        if amount < paid:
            raise ValidationError({"amount": _("The grant cannot be smaller than what is already paid: %(paid)s.")
                                   % {"paid": money(paid)}})
        delta = amount - old.amount
        if delta > 0:
            ensure_available(fund_year=fund_year, amount=delta)
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
        from accounts import roles
        from notifications.services import notification_queue

        for person in roles.users_with_role(roles.SECRETARY).exclude(pk=user.pk):
            notification_queue(user=person, kind="approval_waiting", stage=f"decision-{decision.pk}",
                               application=application,
                               link=reverse("workflows:case_detail", args=[application.pk]))
        return decision


def _correction_annul(*, decision: Decision, fund_year: FundYear, user) -> None:
    """A pending correction that will not take effect: marked annulled, its reserved raise released.
    The caller holds the fund year's and the decision's locks."""
    decision.status = Decision.Status.ANNULLED
    decision.save(update_fields=["status"])
    reserved = decision.amount - decision.corrects.amount
    if reserved > 0:
        LedgerEntry.objects.create(fund_year=fund_year, application=decision.application, decision=decision,
                                   kind=LedgerEntry.Kind.RELEASE, amount=reserved, note="annulled",
                                   created_by=user)


def correction_approval_record(*, decision_id: int, user, approve: bool, comment: str = "") -> Decision:
    """Another project secretary approves a pending correction (it takes effect with its letter and
    mail) or returns it (it is annulled, a reserved raise goes back to the fund, the decision in effect
    stays). Refused for the secretary who made the correction."""
    from workflows.flows import ApplicationFlow
    from workflows.models import ApplicationProcess
    from workflows.services import correction_takes_effect

    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Tell your colleague why the correction is returned.")})
    found = Decision.objects.filter(pk=decision_id, corrects__isnull=False).values_list("application_id", flat=True)
    if not found:
        raise NotAllowed(_("There is no correction waiting for approval."))
    process = ApplicationProcess.objects.get(application_id=found[0])
    with ApplicationFlow.lock(process.pk):
        application = Application.objects.select_related("call__fund").get(pk=found[0])
        fund_year = fund_year_for(application, lock=True)
        application = Application.objects.select_for_update().get(pk=application.pk)
        decision = Decision.objects.select_for_update().get(pk=decision_id)
        if decision.status != Decision.Status.PENDING:
            raise NotAllowed(_("There is no correction waiting for approval."))
        if decision.decided_by_id == user.pk:
            raise NotAllowed(_("Another project secretary must approve your own decision."))
        old = decision.corrects
        if not approve:
            _correction_annul(decision=decision, fund_year=fund_year, user=user)
            event_record(application=application, kind=Event.Kind.DECISION_RETURNED, actor=user, message=comment)
            from notifications.services import notification_queue

            notification_queue(user=decision.decided_by, kind="correction_returned", stage=f"decision-{decision.pk}",
                               application=application,
                               link=reverse("workflows:case_detail", args=[application.pk]),
                               context={"comment": comment, "decision": decision})
            return decision
        if application.status != Application.Status.GRANTED or old.status != Decision.Status.EFFECTIVE:
            raise NotAllowed(_("Only a grant whose project is under way can be corrected."))
        paid = paid_total(application)
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


# -- money owed back, and ending a grant ---------------------------------------------------------------

REPAYMENT_DUE_DAYS = 30


def repayment_claim(*, application: Application, amount: Decimal, reason: str, user) -> Repayment | None:
    """Claim back from the organisation money paid out that it may not keep (återbetalningskrav).

    Once per application: the callers (report approval, grant_end) hold the process, fund year and
    application locks, and the database's unique constraint refuses a second claim even so.
    The money returns to the fund when the secretary records it received (repayment_mark_received).
    """
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            repayment = Repayment.objects.create(
                application=application, reason=reason, amount=amount, claimed_by=user,
                due_on=timezone.localdate() + timedelta(days=REPAYMENT_DUE_DAYS))
    except IntegrityError:
        return None  # already claimed when the case was closed before
    event_record(application=application, kind=Event.Kind.REPAYMENT_CLAIMED, actor=user,
                 message=f"{repayment.get_reason_display()}: {money(amount)}", visible=True)
    _notify_contacts(application, "repayment_claimed", stage=f"repayment-{repayment.pk}", repayment=repayment)
    return repayment


@transaction.atomic
def repayment_mark_received(*, repayment_id: int, user, received_on, reference: str = "") -> Repayment:
    """Record that the organisation has paid back a claim: the money returns to the fund. Twice: once."""
    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    repayment = Repayment.objects.select_related("application__call").get(pk=repayment_id)
    fund_year = fund_year_for(repayment.application, lock=True)
    repayment = Repayment.objects.select_for_update().select_related("application").get(pk=repayment_id)
    if repayment.status == Repayment.Status.RECEIVED:
        return repayment
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The date cannot be in the future.")})
    repayment.status = Repayment.Status.RECEIVED
    repayment.received_on = received_on
    repayment.reference = reference
    repayment.received_recorded_by = user
    repayment.save(update_fields=["status", "received_on", "reference", "received_recorded_by"])
    LedgerEntry.objects.create(fund_year=fund_year, application=repayment.application, repayment=repayment,
                               kind=LedgerEntry.Kind.REPAYMENT, amount=repayment.amount, created_by=user)
    event_record(application=repayment.application, kind=Event.Kind.REPAYMENT_RECEIVED, actor=user,
                 message=f"{money(repayment.amount)}", visible=True)
    _notify_contacts(repayment.application, "repayment_received", stage=f"repayment-{repayment.pk}",
                     repayment=repayment)
    return repayment


def grant_end(*, application_id: int, user, reason: str, accepted_costs: Decimal = Decimal("0")) -> Application:
    """End a granted project that will not be carried out (avslutat utan genomförande).

    Planned payments are cancelled and a correction waiting for approval lapses. `accepted_costs` is
    what the organisation already spent in good faith and may keep (at most the grant): what was paid
    beyond it is claimed back (repayment_claim, once); what it exceeds the payments made is planned as
    a final payment. The rest of the commitment returns to the fund (case_close_release, once), the
    process ends and the applicant is told why. Locks in the order of the workflow steps (process,
    fund year, application): a second closing waits, then finds the case ended and changes nothing.
    """
    from viewflow.workflow.exceptions import FlowLockFailed

    from workflows.flows import ApplicationFlow
    from workflows.models import ApplicationProcess

    if not user.has_perm("grants.decide_application"):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason the grant is ended.")})
    accepted_costs = accepted_costs or Decimal("0")
    if accepted_costs < 0:
        raise ValidationError({"accepted_costs": _("The accepted costs cannot be negative.")})
    process = ApplicationProcess.objects.filter(application_id=application_id).first()
    if process is None:
        raise NotAllowed(_("Only a granted project that is under way can be ended."))
    try:
        with ApplicationFlow.lock(process.pk):
            application = Application.objects.select_related("call__fund").get(pk=application_id)
            fund_year = fund_year_for(application, lock=True)
            application = Application.objects.select_for_update().get(pk=application_id)
            if application.status == Application.Status.ENDED:
                return application  # ended by a click a moment ago: nothing more
            if application.status != Application.Status.GRANTED:
                raise NotAllowed(_("Only a granted project that is under way can be ended."))
            grant = effective_grant(application)
            if grant is not None and accepted_costs > grant.amount:
                raise ValidationError({"accepted_costs": _(
                    "The accepted costs cannot be more than the grant, %(amount)s.") % {"amount": money(grant.amount)}})
            process = ApplicationProcess.objects.get(pk=process.pk)  # as it is now, under the lock
            for pending in application.decisions.select_for_update().filter(status=Decision.Status.PENDING):
                _correction_annul(decision=pending, fund_year=fund_year, user=user)
            ApplicationFlow.instance.cancel(process)
            payments_cancel_planned(application=application, user=user, why=reason)
            paid = paid_total(application)
            repayment_claim(application=application, amount=paid - accepted_costs,
                            reason=Repayment.Reason.ENDED, user=user)
            payment_plan(application=application, kind=Payment.Kind.FINAL, amount=accepted_costs - paid, user=user)
            case_close_release(application=application, user=user)
            old = application.status
            application.status = Application.Status.ENDED
            application.status_changed_at = timezone.now()
            application.save(update_fields=["status", "status_changed_at", "updated_at"])
            event_record(application=application, kind=Event.Kind.GRANT_ENDED, actor=user, from_status=old,
                         to_status=application.status, visible=True,
                         message=reason if not accepted_costs else f"{reason}\n{money(accepted_costs)}")
            _notify_contacts(application, "grant_ended", stage="ended", reason=reason, accepted_costs=accepted_costs)
            return application
    except FlowLockFailed:
        raise NotAllowed(_("Someone else is working on this case right now. Try again in a moment.")) from None
