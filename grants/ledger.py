"""The money: fund-year balance, payments, returns to the fund, budget changes, decision corrections.

Every write locks the fund year (and the payment or application row it changes) in one order,
fund year first, so concurrent writers queue and available can never go below zero.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.models import Application, BudgetChange, Decision, Event, FundYear, LedgerEntry, Payment
from grants.selectors import fund_year_balance
from grants.services import NotAllowed, event_record


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
        raise ValidationError({"amount": _("The grant cannot be larger than the requested %(requested)s SEK.")
                               % {"requested": application.requested_amount}})
    if amount > application.call.fund.max_amount:
        raise ValidationError({"amount": _("The fund grants at most %(max)s SEK per application.")
                               % {"max": application.call.fund.max_amount}})


def ensure_available(*, fund_year: FundYear, amount: Decimal) -> None:
    """Refuse an amount larger than what is left. The caller holds the fund year's row lock."""
    available = fund_year_balance(fund_year=fund_year)["available"]
    if amount > available:
        raise ValidationError({"amount": _("Only %(available)s SEK is left in the fund for %(year)s.")
                               % {"available": available, "year": fund_year.year}})


def commitment_reserve(*, fund_year: FundYear, application, decision, amount: Decimal, user) -> LedgerEntry:
    """Commit money to a grant. The caller holds the fund year's row lock."""
    ensure_available(fund_year=fund_year, amount=amount)
    return LedgerEntry.objects.create(fund_year=fund_year, application=application, decision=decision,
                                      kind=LedgerEntry.Kind.COMMITMENT, amount=amount, created_by=user)


def payment_plan(*, application, kind: str, amount: Decimal, user) -> Payment | None:
    if amount <= 0:
        return None
    payment = Payment.objects.create(application=application, kind=kind, amount=amount)
    event_record(application=application, kind=Event.Kind.PAYMENT_PLANNED, actor=user,
                 message=f"{payment.get_kind_display()}: {amount} SEK", visible=True)
    return payment


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
                 message=f"{payment.get_kind_display()}: {payment.amount} SEK", visible=True)
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
                 message=f"{unspent} SEK", visible=False)
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
            "The budget cannot be lower than what is already committed and paid: %(floor)s SEK.") % {"floor": floor}})
    change = BudgetChange.objects.create(fund_year=fund_year, previous_budget=fund_year.budget, new_budget=new_budget,
                                         reason=reason, changed_by=user)
    fund_year.budget = new_budget
    fund_year.save(update_fields=["budget"])
    return change


def decision_correct(*, application_id: int, user, amount: Decimal, conditions: str, motivation: str) -> Decision:
    """Correct a grant in effect with a new decision linked to it (the old one is kept, marked replaced).

    The money follows: a larger grant must fit in what is left, a smaller one returns the difference;
    a grant can never become smaller than what has already been paid. The planned advance is re-planned.
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
        grant_amount_check(application, amount)
        paid = sum((p.amount for p in application.payments.filter(status=Payment.Status.PAID)), Decimal("0"))
        if amount < paid:
            raise ValidationError({"amount": _("The grant cannot be smaller than what is already paid: %(paid)s SEK.")
                                   % {"paid": paid}})
        delta = amount - old.amount
        if delta > 0:
            ensure_available(fund_year=fund_year, amount=delta)
        decision = Decision(application=application, outcome=Decision.Outcome.GRANTED, amount=amount,
                            conditions=conditions, motivation=motivation, decided_by=user, corrects=old)
        correction_takes_effect(application=application, old=old, new=decision, fund_year=fund_year, delta=delta,
                                paid=paid, user=user)
        return decision
