"""Indicators computed from hand-built cases (tests/indicator_data.py): every figure exact, the counting
rules at their edges, the 40/60 rule at its boundaries, the targets' status and forecast, and a constant
number of queries."""

import json
from datetime import date, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grants.indicators import Balance, Target, balance_met, compute, compute_all, share_of_year
from grants.models import Application, Event, FinalReport, FundYear, LedgerEntry, Payment
from tests.factories import ApplicationFactory, CallFactory, FundFactory, OrganisationFactory, UserFactory
from tests.indicator_data import at, build_world

pytestmark = pytest.mark.django_db

ZERO_MEDIANS = {"submitted": None, "completion": None, "review": None, "decision": None, "granted": None,
                "report_submitted": None, "submission_to_decision": None}


@pytest.fixture
def world(db):
    return build_world()


def figures(fund, year, as_of=None):
    return compute(fund, year, as_of=as_of or date(year, 12, 31)).as_json()


# -- every figure, two funds, two years -------------------------------------------------------------------------

def test_fund_a_2025_every_figure(world):
    assert figures(world.fund_a, 2025) == {
        "fund": "dialog-a", "year": 2025, "as_of": "2025-12-31",
        "targets": {"applications": 4, "carried_out": 2, "collaboration_projects": 0, "participants_balance": 0,
                    "trainers_balance": 0, "survey_participants": 0},
        "actuals": {
            # a1, a2 (withdrawn later), a3, a4, a5 (23:30 on New Year's Eve, Swedish time); eligible: a1, a3, a5
            "applications": {"received": 5, "eligible": 3, "sent_back": 1, "ineligible": 0, "reviewed": 2,
                             "granted": 2, "rejected": 0, "withdrawn": 1, "carried_out": 1,
                             "collaboration_projects": 0, "ended": 0},
            "amounts": {"requested": "67000.00", "granted": "35000.00", "granted_carried_out": "15000.00",
                        "granted_ended": "0.00", "paid": "34000.00", "returned": "1000.00"},
            "ended": {"grants": 0, "granted": "0.00", "released": "0.00", "claimed_back": "0.00", "paid_back": "0.00"},
            "participants": {"women": 11, "men": 9, "other": 0, "total": 20, "newcomers": 10, "established": 10},
            "trainers": {"women": 1, "men": 1},
            "gender_balance": {"participants": {"women_percent": 55.0, "men_percent": 45.0, "met": True},
                               "trainers": {"women_percent": 50.0, "men_percent": 50.0, "met": True}},
            "survey": {"reports": 1, "participants": 20, "percent": 70.0, "projects_meeting_target": 1,
                       "projects_percent": 100.0},
            # submitted: a1 5, a2 15, a3 4, a4 2, a5 15 minutes; review: 14, 15; decision: 9, 14 (+1 h, winter
            # time); granted: a1 175 (−1 h, summer time); report: 10; submission to decision: 28 and 33 (+1 h).
            "median_days": {"submitted": 4.0, "completion": None, "review": 14.5, "decision": 11.5, "granted": 175.0,
                            "report_submitted": 10.0, "submission_to_decision": 30.5},
        },
        "values": {"applications": 5, "carried_out": 1, "collaboration_projects": 0, "participants_balance": 45.0,
                   "trainers_balance": 50.0, "survey_participants": 70.0},
        "status": {"applications": "met", "carried_out": "behind", "collaboration_projects": None,
                   "participants_balance": None, "trainers_balance": None, "survey_participants": None},
        "forecast": {"applications": 5.0, "carried_out": 1.0, "collaboration_projects": 0.0,
                     "participants_balance": 45.0, "trainers_balance": 50.0, "survey_participants": 70.0},
        "met": {"applications": True, "carried_out": False, "collaboration_projects": None,
                "participants_balance": None, "trainers_balance": None, "survey_participants": None},
        # a1: 15 000 committed, 14 000 paid, 1 000 returned; a3: 20 000 committed and paid.
        "budget": {"budget": "200000.00", "committed": "0.00", "paid": "34000.00", "returned": "1000.00",
                   "available": "166000.00"},
    }


def test_fund_a_2026_every_figure(world):
    assert figures(world.fund_a, 2026) == {
        "fund": "dialog-a", "year": 2026, "as_of": "2026-12-31",
        "targets": {"applications": 10, "carried_out": 5, "collaboration_projects": 0, "participants_balance": 0,
                    "trainers_balance": 0, "survey_participants": 0},
        "actuals": {
            # received a6, a8 (a6 eligible, a8 not checked yet); ineligible a4 (sent back in 2025); reviewed a5
            # (00:30 on 1 January) and a6; granted a6 only (a3's report sent back to "granted" is no grant);
            # rejected a5; carried out a3.
            "applications": {"received": 2, "eligible": 1, "sent_back": 0, "ineligible": 1, "reviewed": 2,
                             "granted": 1, "rejected": 1, "withdrawn": 0, "carried_out": 1,
                             "collaboration_projects": 0, "ended": 0},
            # a6's grant as corrected; the correction's 2 000 back to the fund is returned (one definition).
            "amounts": {"requested": "17000.00", "granted": "8000.00", "granted_carried_out": "20000.00",
                        "granted_ended": "0.00", "paid": "8000.00", "returned": "2000.00"},
            "ended": {"grants": 0, "granted": "0.00", "released": "0.00", "claimed_back": "0.00", "paid_back": "0.00"},
            # a3's approved report; the one sent back for completion does not count.
            "participants": {"women": 4, "men": 6, "other": 5, "total": 15, "newcomers": 9, "established": 6},
            "trainers": {"women": 0, "men": 2},
            # 4 women of 10 women and men: exactly 40 % (other / not stated left out: 4 of 15 would fail).
            "gender_balance": {"participants": {"women_percent": 40.0, "men_percent": 60.0, "met": True},
                               "trainers": {"women_percent": 0.0, "men_percent": 100.0, "met": False}},
            "survey": {"reports": 1, "participants": 15, "percent": 55.0, "projects_meeting_target": 0,
                       "projects_percent": 0.0},
            "median_days": {"submitted": 8.0, "completion": 14.0, "review": 5.0, "decision": 34.2, "granted": 42.5,
                            "report_submitted": 7.0, "submission_to_decision": 43.7},
        },
        "values": {"applications": 2, "carried_out": 1, "collaboration_projects": 0, "participants_balance": 40.0,
                   "trainers_balance": 0.0, "survey_participants": 55.0},
        "status": {"applications": "behind", "carried_out": "behind", "collaboration_projects": None,
                   "participants_balance": None, "trainers_balance": None, "survey_participants": None},
        "forecast": {"applications": 2.0, "carried_out": 1.0, "collaboration_projects": 0.0,
                     "participants_balance": 40.0, "trainers_balance": 0.0, "survey_participants": 55.0},
        "met": {"applications": False, "carried_out": False, "collaboration_projects": None,
                "participants_balance": None, "trainers_balance": None, "survey_participants": None},
        # a6: 10 000 committed, 2 000 returned by the correction, 8 000 paid.
        "budget": {"budget": "200000.00", "committed": "0.00", "paid": "8000.00", "returned": "2000.00",
                   "available": "192000.00"},
    }


def test_fund_b_both_years_every_figure(world):
    b2025, b2026 = figures(world.fund_b, 2025), figures(world.fund_b, 2026)
    assert b2025["actuals"]["applications"] == {"received": 1, "eligible": 1, "sent_back": 0, "ineligible": 0,
                                                "reviewed": 1, "granted": 1, "rejected": 0, "withdrawn": 0,
                                                "carried_out": 0, "collaboration_projects": 0, "ended": 0}
    assert b2025["actuals"]["amounts"] == {"requested": "30000.00", "granted": "30000.00", "granted_carried_out": "0.00",
                                           "granted_ended": "0.00", "paid": "15000.00", "returned": "0.00"}
    # As of 31 December 2025 the final payment (recorded 20 January) and the return are not yet known.
    assert b2025["budget"] == {"budget": "100000.00", "committed": "15000.00", "paid": "15000.00",
                               "returned": "0.00", "available": "70000.00"}
    assert b2025["actuals"]["participants"] == {"women": 0, "men": 0, "other": 0, "total": 0, "newcomers": 0,
                                                "established": 0}
    assert b2025["actuals"]["gender_balance"]["participants"] == {"women_percent": None, "men_percent": None,
                                                                  "met": None}
    assert b2025["actuals"]["survey"] == {"reports": 0, "participants": 0, "percent": None,
                                          "projects_meeting_target": 0, "projects_percent": None}
    # b1's project (1 May to 1 December) ended its stage in 2025; its report waited into 2026.
    assert b2025["actuals"]["median_days"] == {**ZERO_MEDIANS, "submitted": 4.0, "review": 15.0, "decision": 11.0,
                                               "granted": 214.0, "submission_to_decision": 30.0}
    assert b2025["targets"] == {"applications": 0, "carried_out": 3, "collaboration_projects": 0,
                                "participants_balance": 0, "trainers_balance": 0, "survey_participants": 0}
    assert b2025["status"] == {"applications": None, "carried_out": "behind", "collaboration_projects": None,
                               "participants_balance": None, "trainers_balance": None, "survey_participants": None}

    # b1 approved in January 2026: carried out, participants, survey and the return count in 2026.
    assert b2026["actuals"]["applications"] == {"received": 1, "eligible": 1, "sent_back": 0, "ineligible": 0,
                                                "reviewed": 1, "granted": 0, "rejected": 1, "withdrawn": 0,
                                                "carried_out": 1, "collaboration_projects": 0, "ended": 0}
    assert b2026["actuals"]["amounts"] == {"requested": "25000.00", "granted": "0.00", "granted_carried_out": "30000.00",
                                           "granted_ended": "0.00", "paid": "13000.00", "returned": "2000.00"}
    # The 2026 budget year holds nothing (b2 was rejected); b1's money is the 2025 budget's.
    assert b2026["budget"] == {"budget": "100000.00", "committed": "0.00", "paid": "0.00", "returned": "0.00",
                               "available": "100000.00"}
    assert b2026["actuals"]["participants"] == {"women": 50, "men": 50, "other": 0, "total": 100, "newcomers": 60,
                                                "established": 40}
    assert b2026["actuals"]["gender_balance"]["participants"] == {"women_percent": 50.0, "men_percent": 50.0,
                                                                  "met": True}
    # exactly 60 % meets the survey indicator
    assert b2026["actuals"]["survey"] == {"reports": 1, "participants": 100, "percent": 60.0,
                                          "projects_meeting_target": 1, "projects_percent": 100.0}
    assert b2026["actuals"]["median_days"] == {**ZERO_MEDIANS, "submitted": 4.0, "review": 15.0, "decision": 12.0,
                                               "report_submitted": 45.0, "submission_to_decision": 31.0}


def test_per_month_series(world):
    a2025 = compute(world.fund_a, 2025, as_of=date(2025, 12, 31))
    assert a2025.per_month["received"] == [0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 2]
    assert a2025.per_month["granted"] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert a2025.per_month["carried_out"] == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    # In the middle of 2026 the months to come are empty, not zero.
    a2026 = compute(world.fund_a, 2026, as_of=date(2026, 6, 30))
    assert a2026.per_month["received"] == [0, 1, 0, 0, 1, 0, None, None, None, None, None, None]
    assert a2026.per_month["carried_out"] == [0, 1, 0, 0, 0, 0] + [None] * 6


def test_as_of_counts_only_what_had_happened(world):
    """At the end of February 2026: a5 not yet rejected, a6 not yet granted, a6's payment not yet made."""
    data = figures(world.fund_a, 2026, as_of=date(2026, 2, 28))
    assert data["as_of"] == "2026-02-28"
    assert data["actuals"]["applications"] == {"received": 1, "eligible": 1, "sent_back": 0, "ineligible": 1,
                                               "reviewed": 2, "granted": 0, "rejected": 0, "withdrawn": 0,
                                               "carried_out": 1, "collaboration_projects": 0, "ended": 0}
    assert data["actuals"]["amounts"]["paid"] == "0.00"
    # The stages as they were that day, rebuilt from the audit trail: a5 and a6 waiting for the decision,
    # a8 still a draft (not in the pipeline), a7 not yet created.
    pipeline = compute(world.fund_a, 2026, as_of=date(2026, 2, 28)).pipeline
    assert {stage: n for stage, n in pipeline.items() if n} == {"decision": 2, "carried_out": 2, "ineligible": 1,
                                                                 "withdrawn": 1}


def test_a_year_counts_in_swedish_time(world):
    """a5 was submitted at 23:30 on 31 December 2025 Swedish time (22:30 UTC) and reviewed at 00:30 on
    1 January 2026 (23:30 UTC on 31 December): received in 2025, reviewed in 2026."""
    a5 = world.cases["a5"]
    assert a5.submitted_at.year == 2025
    reviewed = Event.objects.get(application=a5, to_status="decision").created_at
    assert reviewed.astimezone(dt_timezone.utc).year == 2025
    assert compute(world.fund_a, 2025, as_of=date(2025, 12, 31)).applications["reviewed"] == 2
    assert compute(world.fund_a, 2026, as_of=date(2026, 12, 31)).applications["reviewed"] == 2


# -- status and forecast -----------------------------------------------------------------------------------------

def test_status_and_forecast_in_the_middle_of_the_year(world):
    """30 June 2026 (181 of 365 days). Applications: 2 received, pace 4.03; one open draft in an open call
    times the submit rate 1 (every application in a closed call was submitted): 3; forecast 4.0 < 10 and
    2 < floor(4.96): behind. Carried out: 1, plus a6 (report due in September) times the completion rate 1
    (a1 and a3, due before, are carried out): forecast 2.0 < 5, and 1 < floor(2.48): behind."""
    ind = compute(world.fund_a, 2026, as_of=date(2026, 6, 30))
    applications, carried = ind.targets["applications"], ind.targets["carried_out"]
    assert applications.share == Fraction(181, 365)
    assert (applications.actual, applications.pipeline, applications.rate) == (2, 1.0, 1.0)
    assert applications.forecast == 4.0 and applications.expected_by_now == 5.0
    assert applications.status == "behind"
    assert (carried.actual, carried.pipeline, carried.rate) == (1, 1.0, 1.0)
    assert carried.forecast == 2.0 and carried.status == "behind"
    # In January fund B has carried out b1: a third of its target in a twelfth of the year is on track.
    b = compute(world.fund_b, 2026, as_of=date(2026, 1, 31)).targets["carried_out"]
    assert (b.actual, b.status) == (1, "on_track")


@pytest.mark.parametrize("target, actual, share, pipeline, status, forecast", [
    (10, 10, Fraction(1, 2), 0, "met", 20.0),
    (10, 12, Fraction(1), 0, "met", 12.0),
    (10, 9, Fraction(1), 5, "behind", 9.0),  # the year is over: the pipeline no longer helps
    (10, 5, Fraction(1, 2), 0, "on_track", 10.0),  # exactly on pace
    (10, 4, Fraction(1, 2), 0, "behind", 8.0),  # a whole case behind the pace
    (10, 4, Fraction(1, 2), 6, "on_track", 10.0),  # ... but the pipeline makes up for it
    (10, 0, Fraction(1, 20), 0, "on_track", 0.0),  # half a case "behind" is not behind
    (10, 0, Fraction(0), 0, "on_track", 0.0),  # the year has not begun
    (0, 3, Fraction(1, 2), 0, None, 6.0),  # no target
])
def test_target_status_and_forecast_rules(target, actual, share, pipeline, status, forecast):
    t = Target(key="applications", target=target, actual=actual, share=share, pipeline=pipeline, rate=1.0)
    assert (t.status, t.forecast) == (status, forecast)


def test_share_of_year():
    assert share_of_year(2026, date(2025, 12, 31)) == 0
    assert share_of_year(2026, date(2026, 1, 1)) == Fraction(1, 365)
    assert share_of_year(2028, date(2028, 12, 30)) == Fraction(365, 366)
    assert share_of_year(2026, date(2026, 12, 31)) == 1
    assert share_of_year(2026, date(2027, 5, 1)) == 1


# -- the 40/60 rule ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("women, men, met", [
    (399, 601, False),  # 39.9 % women
    (400, 600, True),  # 40 %
    (600, 400, True),  # 60 %
    (601, 399, False),  # 60.1 % women, so 39.9 % men
    (2, 3, True),
    (1, 0, False),
    (0, 0, None),  # nobody to measure: not assessable
])
def test_the_40_60_rule_at_its_boundaries(women, men, met):
    assert balance_met(women, men) is met


@pytest.mark.parametrize("women, men, shown, met", [
    (3999, 6001, (39.9, 60.0), False),  # 39.99 %: never shown as 40.0 % beside "not met"
    (4000, 6000, (40.0, 60.0), True),
    (6001, 3999, (60.0, 39.9), False),
    (1, 2, (33.3, 66.6), False),
])
def test_the_shares_shown_agree_with_the_40_60_verdict(women, men, shown, met):
    balance = Balance(women=women, men=men)
    assert ((balance.women_percent, balance.men_percent), balance.met) == (shown, met)
    assert (min(shown) >= 40) is met


def test_other_or_not_stated_is_left_out_of_the_40_60_base():
    balance = Balance(women=40, men=60)
    assert (balance.women_percent, balance.men_percent, balance.met) == (40.0, 60.0, True)


@pytest.mark.parametrize("women, men, met", [(399, 601, False), (400, 600, True), (600, 400, True), (601, 399, False)])
def test_the_40_60_rule_on_approved_reports(world, women, men, met):
    """The boundaries through the whole computation: a report with 150 'other or not stated' on top."""
    fund_year = FundYear.objects.get(fund=world.fund_b, year=2026)
    call = CallFactory(fund=world.fund_b, budget_year=fund_year.year)
    application = ApplicationFactory(call=call, organisation=OrganisationFactory(), created_by=world.staff,
                                     lines=False)
    Application.objects.filter(pk=application.pk).update(status="carried_out", submitted_at=at("2025-06-01"))
    Event.objects.create(application=application, kind=Event.Kind.REPORT_APPROVED, from_status="report_submitted",
                         to_status="carried_out", created_at=at("2027-02-01"))
    FinalReport.objects.create(application=application, submitted_by=world.staff, outcome="approved",
                               activities_done="x", lessons="y", participants_women=women, participants_men=men,
                               participants_other=150, participants_newcomers=0, participants_established=0,
                               trainers_women=1, trainers_men=1, costs_total=Decimal("1"), survey_share=59)
    data = figures(world.fund_b, 2027)["actuals"]
    assert data["gender_balance"]["participants"]["met"] is met
    assert data["participants"]["total"] == women + men + 150
    # 59 % of every participant: not 60 %
    assert data["survey"] == {"reports": 1, "participants": women + men + 150, "percent": 59.0,
                              "projects_meeting_target": 0, "projects_percent": 0.0}


# -- from the real workflow --------------------------------------------------------------------------------------

def test_the_workflows_own_records_are_counted(draft, applicant, case_officer, reviewer, secretary):
    """Driven through the services (not hand-built): submitted, granted, report approved today."""
    from tests.flow_helpers import open_task, to_stage
    from workflows import services

    to_stage(draft, "report_approval", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    services.report_approval_record(task_pk=open_task(draft).pk, user=secretary, approve=True)
    draft.refresh_from_db()
    ind = compute(draft.call.fund, timezone.localdate(draft.submitted_at).year)
    assert ind.applications == {"received": 1, "eligible": 1, "sent_back": 0, "ineligible": 0, "reviewed": 1,
                                "granted": 1, "rejected": 0, "withdrawn": 0, "carried_out": 1,
                                "collaboration_projects": 0, "ended": 0}
    assert ind.amounts["requested"] == Decimal("20000") and ind.amounts["granted"] == Decimal("15000")
    assert (ind.participants["women"], ind.participants["men"]) == (11, 9)
    assert ind.survey == {"reports": 1, "participants": 20, "percent": 70.0, "projects_meeting_target": 1,
                          "projects_percent": 100.0}
    assert all(value is not None for key, value in ind.median_days.items() if key != "completion")


# -- the command -----------------------------------------------------------------------------------------------

def test_the_command_prints_the_same_figures_as_json_and_csv(world):
    out = StringIO()
    call_command("indicators", "--fund", "dialog-a", "--year", "2025", "--as-of", "2025-12-31", stdout=out)
    data = json.loads(out.getvalue())
    assert data == figures(world.fund_a, 2025)
    assert list(data) == ["fund", "year", "as_of", "targets", "actuals", "values", "status", "forecast", "met",
                          "budget"]

    out = StringIO()
    call_command("indicators", "--fund", "dialog-a", "--year", "2025", "--format", "csv", "--as-of", "2025-12-31",
                 stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "fund,year,indicator,value"
    rows = {line.split(",")[2]: line.split(",", 3)[3] for line in lines[1:]}
    assert all(line.startswith("dialog-a,2025,") for line in lines[1:])
    assert rows["actuals.applications.received"] == "5"
    assert rows["actuals.amounts.granted"] == "35000.00"
    assert rows["actuals.gender_balance.participants.met"] == "true"
    assert rows["actuals.median_days.completion"] == ""
    assert rows["status.carried_out"] == "behind"
    assert rows["forecast.applications"] == "5.0"
    assert len(rows) == 84  # every key of the JSON but fund and year


def test_the_command_refuses_an_unknown_fund_or_a_bad_date(world):
    with pytest.raises(CommandError, match="dialog-a"):
        call_command("indicators", "--fund", "nope", "--year", "2025")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("indicators", "--fund", "dialog-a", "--year", "2025", "--as-of", "31/12")


# -- a constant number of queries --------------------------------------------------------------------------------

def populate(fund, call, staff, count: int):
    """`count` carried-out cases with their whole trail, in bulk."""
    fund_year = FundYear.objects.get(fund=fund, year=call.budget_year)
    org = OrganisationFactory()
    apps = Application.objects.bulk_create([
        Application(organisation=org, call=call, created_by=staff, title=f"Case {n}", status="carried_out",
                    submitted_at=at("2026-02-01"), requested_amount=Decimal("10000"), report_due_on=date(2026, 9, 1))
        for n in range(count)])
    steps = [("2026-02-01", "draft", "submitted"), ("2026-02-05", "submitted", "review"),
             ("2026-02-20", "review", "decision"), ("2026-03-01", "decision", "granted"),
             ("2026-08-01", "granted", "report_submitted"), ("2026-08-10", "report_submitted", "carried_out")]
    Event.objects.bulk_create([Event(application=a, kind="checked", actor=staff, from_status=f, to_status=t,
                                     created_at=at(d)) for a in apps for d, f, t in steps])
    from grants.models import Decision

    Decision.objects.bulk_create([Decision(application=a, outcome="granted", amount=Decimal("9000"),
                                           decided_by=staff, decided_at=at("2026-03-01")) for a in apps])
    payments = Payment.objects.bulk_create([Payment(application=a, kind="advance", amount=Decimal("9000"),
                                                    status="paid", paid_on=date(2026, 3, 5)) for a in apps])
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(fund_year=fund_year, application=a, kind="commitment", amount=Decimal("9000"), created_by=staff)
         for a in apps]
        + [LedgerEntry(fund_year=fund_year, application=p.application, payment=p, kind="payment",
                       amount=p.amount, created_by=staff) for p in payments])
    FinalReport.objects.bulk_create([FinalReport(
        application=a, submitted_by=staff, outcome="approved", activities_done="x", lessons="y",
        participants_women=5, participants_men=5, participants_other=1, participants_newcomers=5,
        participants_established=6, trainers_women=1, trainers_men=1, costs_total=Decimal("9000"), survey_share=65,
    ) for a in apps])


def queries_for(fund, year) -> int:
    with CaptureQueriesContext(connection) as captured:
        ind = compute(fund, year, as_of=date(year, 12, 31))
    return len(captured), ind


def test_the_indicators_take_the_same_few_queries_for_10_or_200_applications(django_assert_max_num_queries):
    staff = UserFactory(role="secretary")
    small, large = FundFactory(slug="small"), FundFactory(slug="large")
    for fund in (small, large):
        FundYear.objects.create(fund=fund, year=2026, budget=Decimal("10000000"), target_applications=10,
                                target_carried_out=5)
    populate(small, CallFactory(fund=small, budget_year=2026), staff, 10)
    populate(large, CallFactory(fund=large, budget_year=2026), staff, 200)

    # 7 + the planner's settings and the stored summary's lookup on PostgreSQL (here never served: this test's
    # transaction has written, grants.indicators.summaries).
    postgresql = 2 if connection.vendor == "postgresql" else 0
    with django_assert_max_num_queries(7 + postgresql):
        ten = compute(small, 2026, as_of=date(2026, 12, 31))
    with django_assert_max_num_queries(7 + postgresql):
        two_hundred = compute(large, 2026, as_of=date(2026, 12, 31))
    assert queries_for(small, 2026)[0] == queries_for(large, 2026)[0]
    assert (ten.applications["carried_out"], two_hundred.applications["carried_out"]) == (10, 200)
    assert two_hundred.amounts["paid"] == Decimal("1800000")
    assert two_hundred.participants["total"] == 2200
    assert two_hundred.median_days["decision"] == 9.0
    # Every fund of the year at once: the same number per fund.
    with django_assert_max_num_queries(2 + 7 * 2):
        compute_all(2026, as_of=date(2026, 12, 31))


def test_the_dashboard_takes_the_same_number_of_queries(client, django_assert_max_num_queries):
    staff = UserFactory(role="steering_group")
    fund = FundFactory(slug="only")
    FundYear.objects.create(fund=fund, year=2026, budget=Decimal("10000000"), target_applications=10,
                            target_carried_out=5)
    call = CallFactory(fund=fund, budget_year=2026)
    populate(fund, call, UserFactory(), 10)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/indikatorer/?year=2026").status_code == 200
    populate(fund, call, UserFactory(), 190)
    with django_assert_max_num_queries(len(few)):
        assert client.get("/indikatorer/?year=2026").status_code == 200


def test_dates_ahead_of_the_year_count_nothing(world):
    data = figures(world.fund_a, 2026, as_of=date(2025, 12, 31))
    assert data["actuals"]["applications"] == dict.fromkeys(data["actuals"]["applications"], 0)
    assert data["status"] == {"applications": "on_track", "carried_out": "on_track", "collaboration_projects": None,
                              "participants_balance": None, "trainers_balance": None, "survey_participants": None}
    assert compute(world.fund_a, 2026, as_of=date(2025, 12, 31)).per_month["received"] == [None] * 12


def test_a_day_before_the_year_ends_is_not_the_whole_year(world):
    ind = compute(world.fund_a, 2026, as_of=date(2026, 12, 31) - timedelta(days=1))
    assert ind.targets["applications"].share == Fraction(364, 365)
