"""Hand-built cases for the indicator tests: two funds, two years, every timestamp chosen.

Each case is written as its records would be left by the workflow: the application with its status,
the audit trail's status changes, decisions, ledger entries, payments and final reports. Times are
Swedish local time; `at("2025-03-10")` is noon.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from grants.models import (
    Application, Call, Decision, Event, FinalReport, Fund, FundYear, LedgerEntry, Payment,
)
from tests.factories import ApplicationFactory, FundFactory, OrganisationFactory, UserFactory

STHLM = ZoneInfo("Europe/Stockholm")

KIND = {
    "submitted": Event.Kind.SUBMITTED, "review": Event.Kind.CHECKED, "completion": Event.Kind.COMPLETION_REQUESTED,
    "ineligible": Event.Kind.INELIGIBLE, "decision": Event.Kind.REVIEWED, "granted": Event.Kind.DECIDED,
    "rejected": Event.Kind.DECIDED, "withdrawn": Event.Kind.WITHDRAWN, "report_submitted": Event.Kind.REPORT_SUBMITTED,
    "carried_out": Event.Kind.REPORT_APPROVED,
}


def at(value: str) -> datetime:
    """'2025-03-10' (noon) or '2025-12-31 23:30', Swedish time."""
    if " " in value:
        return datetime.fromisoformat(value).replace(tzinfo=STHLM)
    return datetime.combine(date.fromisoformat(value), time(12), tzinfo=STHLM)


REPORT = dict(activities_done="Träffar.", participants_women=0, participants_men=0, participants_other=0,
              participants_newcomers=0, participants_established=0, trainers_women=0, trainers_men=0,
              costs_total=Decimal("0"), survey_share=0, lessons="Mycket.", publish_consent=False)


@dataclass
class World:
    fund_a: Fund
    fund_b: Fund
    staff: object
    cases: dict


def build_case(*, call, staff, timeline, requested="20000", status=None, report_due_on=None, decisions=(),
               ledger=(), payments=(), reports=()) -> Application:
    """timeline: [(when, to_status)], the first being the submission (from draft)."""
    application = ApplicationFactory(call=call, organisation=OrganisationFactory(), created_by=staff,
                                     requested_amount=Decimal(requested), lines=False)
    previous = Application.Status.DRAFT
    for when, to_status in timeline:
        Event.objects.create(application=application, kind=KIND[to_status], actor=staff, from_status=previous,
                             to_status=to_status, created_at=at(when))
        Event.objects.create(application=application, kind=Event.Kind.TASK_CLAIMED, actor=staff,
                             created_at=at(when))  # not a status change: never counted
        previous = to_status
    # Created when the call opened (or at the submission, if earlier): an as-of day before it knows nothing of it.
    created = min([call.opens_at] + ([at(timeline[0][0])] if timeline else []))
    fields = {"status": status or previous, "report_due_on": report_due_on, "created_at": created}
    if timeline:
        fields["submitted_at"] = at(timeline[0][0])
    if previous == "withdrawn":
        fields["withdrawn_at"] = at(timeline[-1][0])
    Application.objects.filter(pk=application.pk).update(**fields)
    fund_year = FundYear.objects.get(fund=call.fund, year=call.budget_year)
    made = []
    for outcome, amount, when, decision_status in decisions:
        made.append(Decision.objects.create(
            application=application, outcome=outcome, amount=Decimal(amount), decided_by=staff, decided_at=at(when),
            status=decision_status, motivation="", corrects=made[-1] if made and outcome == "granted" else None))
    for kind, amount, when, note in ledger:
        LedgerEntry.objects.create(fund_year=fund_year, application=application, kind=kind,
                                   amount=Decimal(amount), note=note, created_by=staff, created_at=at(when))
    for kind, amount, paid_on in payments:
        payment = Payment.objects.create(application=application, kind=kind, amount=Decimal(amount),
                                         status=Payment.Status.PAID, paid_on=date.fromisoformat(paid_on))
        LedgerEntry.objects.create(fund_year=fund_year, application=application, payment=payment,
                                   kind=LedgerEntry.Kind.PAYMENT, amount=Decimal(amount), created_by=staff,
                                   created_at=at(paid_on))
    for outcome, when, figures in reports:
        FinalReport.objects.create(application=application, submitted_by=staff, submitted_at=at(when),
                                   outcome=outcome, reviewed_by=staff, reviewed_at=at(when),
                                   **{**REPORT, **figures})
    application.refresh_from_db()
    return application


def call_for(fund, year, opens, closes) -> Call:
    return Call.objects.create(fund=fund, title=f"{fund.name} {opens}", budget_year=year, opens_at=at(opens),
                               closes_at=at(closes))


def build_world() -> World:
    """Two funds over 2025 and 2026. The expected figures are in tests/test_indicators.py."""
    staff = UserFactory(role="secretary")
    fund_a = FundFactory(name="Dialog A", slug="dialog-a", max_amount=Decimal("30000"))
    fund_b = FundFactory(name="Mikro B", slug="mikro-b", kind=Fund.Kind.MIKROPROJEKT, max_amount=Decimal("50000"))
    FundYear.objects.create(fund=fund_a, year=2025, budget=Decimal("200000"), target_applications=4,
                            target_carried_out=2)
    FundYear.objects.create(fund=fund_a, year=2026, budget=Decimal("200000"), target_applications=10,
                            target_carried_out=5)
    FundYear.objects.create(fund=fund_b, year=2025, budget=Decimal("100000"), target_applications=0,
                            target_carried_out=3)
    FundYear.objects.create(fund=fund_b, year=2026, budget=Decimal("100000"), target_applications=0,
                            target_carried_out=3)
    a2025 = call_for(fund_a, 2025, "2025-01-01", "2026-01-01 00:00")
    a2026 = call_for(fund_a, 2026, "2026-01-15", "2026-05-31")
    a2026b = call_for(fund_a, 2026, "2026-06-01", "2026-09-30")
    b2025 = call_for(fund_b, 2025, "2025-03-01", "2025-04-30")
    b2026 = call_for(fund_b, 2026, "2026-02-01", "2026-03-31")
    G, R = Decision.Outcome.GRANTED, Decision.Outcome.REJECTED
    EFF, SUP = Decision.Status.EFFECTIVE, Decision.Status.SUPERSEDED
    APPROVED, COMPLETION = FinalReport.Outcome.APPROVED, FinalReport.Outcome.COMPLETION
    C, P, REL = LedgerEntry.Kind.COMMITMENT, Payment.Kind, LedgerEntry.Kind.RELEASE
    cases = {}
    # a1: the whole road in 2025; 1 000 returned when it closed.
    cases["a1"] = build_case(
        call=a2025, staff=staff, requested="20000", report_due_on=date(2025, 10, 15),
        timeline=[("2025-02-10", "submitted"), ("2025-02-15", "review"), ("2025-03-01", "decision"),
                  ("2025-03-10", "granted"), ("2025-09-01", "report_submitted"), ("2025-09-11", "carried_out")],
        decisions=[(G, "15000", "2025-03-10", EFF)],
        ledger=[(C, "15000", "2025-03-10", ""), (REL, "1000", "2025-09-11", "close")],
        payments=[(P.ADVANCE, "10000", "2025-03-15"), (P.FINAL, "4000", "2025-09-20")],
        reports=[(APPROVED, "2025-09-01", dict(participants_women=11, participants_men=9, participants_newcomers=10,
                                               participants_established=10, trainers_women=1, trainers_men=1,
                                               costs_total=Decimal("14000"), survey_share=70))])
    # a2: withdrawn after submission.
    cases["a2"] = build_case(call=a2025, staff=staff, requested="10000",
                             timeline=[("2025-03-05", "submitted"), ("2025-03-20", "withdrawn")])
    # a3: granted in 2025, carried out in 2026 after one completion of its report.
    cases["a3"] = build_case(
        call=a2025, staff=staff, requested="20000", report_due_on=date(2026, 1, 31),
        timeline=[("2025-10-01", "submitted"), ("2025-10-05", "review"), ("2025-10-20", "decision"),
                  ("2025-11-03", "granted"), ("2026-01-20", "report_submitted"), ("2026-01-25", "granted"),
                  ("2026-02-01", "report_submitted"), ("2026-02-10", "carried_out")],
        decisions=[(G, "20000", "2025-11-03", EFF)],
        ledger=[(C, "20000", "2025-11-03", "")],
        payments=[(P.ADVANCE, "20000", "2025-11-10")],
        reports=[(COMPLETION, "2026-01-20", dict(participants_women=100, participants_men=1, survey_share=99)),
                 (APPROVED, "2026-02-01", dict(participants_women=4, participants_men=6, participants_other=5,
                                               participants_newcomers=9, participants_established=6,
                                               trainers_women=0, trainers_men=2, costs_total=Decimal("20000"),
                                               survey_share=55))])
    # a4: sent back in 2025, resubmitted and found ineligible in 2026.
    cases["a4"] = build_case(call=a2025, staff=staff, requested="5000",
                             timeline=[("2025-12-20", "submitted"), ("2025-12-22", "completion"),
                                       ("2026-01-05", "submitted"), ("2026-01-12", "ineligible")])
    # a5: submitted half an hour before the new year (Swedish time), reviewed just after it, rejected.
    cases["a5"] = build_case(call=a2025, staff=staff, requested="12000",
                             timeline=[("2025-12-31 23:30", "submitted"), ("2025-12-31 23:45", "review"),
                                       ("2026-01-01 00:30", "decision"), ("2026-03-01 10:00", "rejected")],
                             decisions=[(R, "0", "2026-03-01 10:00", EFF)])
    # a6: granted 10 000 in 2026, corrected to 8 000; under way, report due in September.
    cases["a6"] = build_case(
        call=a2026, staff=staff, requested="10000", report_due_on=date(2026, 9, 30),
        timeline=[("2026-02-01", "submitted"), ("2026-02-10", "review"), ("2026-02-20", "decision"),
                  ("2026-03-01", "granted")],
        decisions=[(G, "10000", "2026-03-01", SUP), (G, "8000", "2026-04-01", EFF)],
        ledger=[(C, "10000", "2026-03-01", ""), (REL, "2000", "2026-04-01", "correction")],
        payments=[(P.ADVANCE, "8000", "2026-04-05")])
    # a7: a draft in a call that is still open at midsummer 2026.
    cases["a7"] = build_case(call=a2026b, staff=staff, requested="9000", timeline=[])
    # a8: submitted in May 2026, waiting for the check.
    cases["a8"] = build_case(call=a2026, staff=staff, requested="7000", timeline=[("2026-05-01", "submitted")])
    # b1: the other fund: granted in 2025, approved in January 2026; 2 000 returned.
    cases["b1"] = build_case(
        call=b2025, staff=staff, requested="30000", report_due_on=date(2026, 1, 31),
        timeline=[("2025-04-01", "submitted"), ("2025-04-05", "review"), ("2025-04-20", "decision"),
                  ("2025-05-01", "granted"), ("2025-12-01", "report_submitted"), ("2026-01-15", "carried_out")],
        decisions=[(G, "30000", "2025-05-01", EFF)],
        ledger=[(C, "30000", "2025-05-01", ""), (REL, "2000", "2026-01-15", "close")],
        payments=[(P.ADVANCE, "15000", "2025-05-10"), (P.FINAL, "13000", "2026-01-20")],
        reports=[(APPROVED, "2025-12-01", dict(participants_women=50, participants_men=50, participants_newcomers=60,
                                               participants_established=40, trainers_women=1, trainers_men=1,
                                               costs_total=Decimal("28000"), survey_share=60))])
    # b2: rejected in 2026.
    cases["b2"] = build_case(call=b2026, staff=staff, requested="25000",
                             timeline=[("2026-03-01", "submitted"), ("2026-03-05", "review"),
                                       ("2026-03-20", "decision"), ("2026-04-01", "rejected")],
                             decisions=[(R, "0", "2026-04-01", EFF)])
    return World(fund_a=fund_a, fund_b=fund_b, staff=staff, cases=cases)
