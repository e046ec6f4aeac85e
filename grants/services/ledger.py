"""The money: fund-year balance, commitments, payments, returns to the fund, repayments and budget changes.
Decision corrections and ending a grant move money through here but take the case's process lock first, so
they live with the workflow (workflows.services.decisions).

Every write locks the fund year (and the payment or application row it changes) in one order,
fund year first, so concurrent writers queue and available can never go below zero.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.formatting import money
from grants.models import Application, BudgetChange, Decision, Event, FundYear, LedgerEntry, Payment, Repayment
from grants.selectors import fund_year_balance
from grants.services.applications import NotAllowed, event_record
from grants.services.contacts import contacts_notify


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
    contacts_notify(payment.application, "payment", stage=f"payment-{payment.pk}", payment=payment)
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


def correction_annul(*, decision: Decision, fund_year: FundYear, user) -> None:
    """A pending correction that will not take effect: marked annulled, its reserved raise released.
    The caller holds the fund year's and the decision's locks."""
    decision.status = Decision.Status.ANNULLED
    decision.save(update_fields=["status"])
    reserved = decision.amount - decision.corrects.amount
    if reserved > 0:
        LedgerEntry.objects.create(fund_year=fund_year, application=decision.application, decision=decision,
                                   kind=LedgerEntry.Kind.RELEASE, amount=reserved, note="annulled",
                                   created_by=user)


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
    contacts_notify(application, "repayment_claimed", stage=f"repayment-{repayment.pk}", repayment=repayment)
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
    contacts_notify(repayment.application, "repayment_received", stage=f"repayment-{repayment.pk}",
                     repayment=repayment)
    return repayment
