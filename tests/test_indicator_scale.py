"""The indicators' speed and their agreement with the audit trail: the dashboard, one fund-year and the
fund-years page take the same number of queries for 1 and 10 funds; over seeded random histories the fast
computation equals a plain recomputation from the records for every year and several as-of dates; the
steering group reads the budgets and every write answers 403 with nothing changed."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from grants.indicators import TRANSITIONS, compute, compute_all, counts
from grants.indicators.compute import _claims_orm, _claims_sql, _ledger_orm, _ledger_sql
from grants.indicators.definitions import Period
from grants.indicators.exports import sections
from grants.indicators.records import decisions_in_force, transitioned
from grants.models import (
    Application, BudgetChange, Decision, Event, FinalReport, FundYear, LedgerEntry, Partner, Payment, Repayment,
)
from tests.factories import CallFactory, FundFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db
STHLM = ZoneInfo("Europe/Stockholm")
PATHS = [
    ["submitted", "withdrawn"],
    ["submitted", "ineligible"],
    ["submitted", "completion", "submitted", "review", "decision", "rejected"],
    ["submitted", "review", "decision", "granted"],
    ["submitted", "review", "decision", "granted", "ended"],
    ["submitted", "review", "decision", "granted", "report_submitted", "carried_out"],
    ["submitted", "review", "decision", "granted", "report_submitted", "granted", "report_submitted", "carried_out"],
]


def history(rng: random.Random, fund, call, fund_year, staff, n: int):
    """n applications with random paths and times over 2025–2026, written as the services leave them."""
    org = OrganisationFactory()
    for index in range(n):
        path = rng.choice(PATHS)
        # Every step before 1 December 2026 (the history is in the past, whenever the test runs).
        moment = datetime(2025, 1, 1, tzinfo=STHLM) + timedelta(hours=rng.randrange(0, 24 * 450))
        times = []
        for _step in path:
            times.append(moment)
            moment += timedelta(hours=rng.randrange(1, 24 * 30))
        app = Application.objects.create(organisation=org, call=call, created_by=staff, title=f"H{index}",
                                          status=path[-1], submitted_at=times[0],
                                          requested_amount=Decimal(rng.randrange(5, 30) * 1000),
                                          report_due_on=(times[0] + timedelta(days=rng.randrange(30, 400))).date())
        Application.objects.filter(pk=app.pk).update(created_at=times[0] - timedelta(days=1))
        if rng.random() < 0.4:
            Partner.objects.create(application=app, position=0, name="Skolan", kind="other")
        previous = "draft"
        for when, status in zip(times, path):
            Event.objects.create(application=app, kind="checked", actor=staff, from_status=previous, to_status=status,
                                 created_at=when)
            previous = status
        if "granted" in path:
            decided = times[path.index("granted")]
            amount = Decimal(rng.randrange(3, 20) * 1000)
            first = Decimal("0")
            if rng.random() < 0.4:  # a correction some days later
                first = Decimal(rng.randrange(3, 20) * 1000)
                old = Decimal(amount)
                Decision.objects.create(application=app, outcome="granted", amount=first, decided_by=staff,
                                        decided_at=decided, status="superseded")
                decided = decided + timedelta(days=rng.randrange(1, 90))
                amount = old
            Decision.objects.create(application=app, outcome="granted", amount=amount, decided_by=staff,
                                    decided_at=decided, status="effective")
            LedgerEntry.objects.create(fund_year=fund_year, application=app, kind="commitment",
                                       amount=max(amount, first), created_by=staff, created_at=decided)
            if first > amount:
                LedgerEntry.objects.create(fund_year=fund_year, application=app, kind="release", note="correction",
                                           amount=first - amount, created_by=staff, created_at=decided)
            paid_on = (decided + timedelta(days=rng.randrange(0, 5))).date()
            payment = Payment.objects.create(application=app, kind="advance", amount=amount, status="paid",
                                             paid_on=paid_on)
            LedgerEntry.objects.create(fund_year=fund_year, application=app, kind="payment", payment=payment,
                                       amount=amount, created_by=staff,
                                       created_at=datetime.combine(paid_on, datetime.min.time(), tzinfo=STHLM)
                                       + timedelta(days=rng.randrange(0, 10), hours=9))
            if path[-1] == "ended":
                ended = times[-1]
                claim = Repayment.objects.create(application=app, reason="ended", amount=amount, claimed_by=staff,
                                                 claimed_at=ended, due_on=ended.date() + timedelta(days=30))
                if rng.random() < 0.6:
                    received = ended.date() + timedelta(days=rng.randrange(1, 60))
                    Repayment.objects.filter(pk=claim.pk).update(status="received", received_on=received)
                    claim.refresh_from_db()
                    LedgerEntry.objects.create(fund_year=fund_year, application=app, kind="repayment",
                                               repayment=claim, amount=amount, created_by=staff,
                                               created_at=datetime.combine(received, datetime.min.time(),
                                                                           tzinfo=STHLM) + timedelta(hours=10))
        if path[-1] == "carried_out":
            women, men, other = rng.randrange(0, 15), rng.randrange(0, 15), rng.randrange(0, 3)
            FinalReport.objects.create(
                application=app, submitted_by=staff, outcome="approved", reviewed_at=times[-1],
                activities_done="x", lessons="y", participants_women=women, participants_men=men,
                participants_other=other, participants_newcomers=0, participants_established=0,
                trainers_women=rng.randrange(0, 3), trainers_men=rng.randrange(0, 3), costs_total=Decimal("1"),
                survey_share=rng.randrange(0, 101))


def day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=STHLM)


def recompute(fund, year: int, as_of: date) -> dict:
    """The plain way: walk every record in Python (no aggregate queries), as of the end of `as_of`."""
    start = datetime(year, 1, 1, tzinfo=STHLM)
    cutoff = min(datetime(year + 1, 1, 1, tzinfo=STHLM), day_end(as_of))
    known = day_end(as_of)
    apps = list(Application.objects.filter(call__fund=fund))
    events = {a.pk: [e for e in Event.objects.filter(application=a).order_by("created_at", "pk")] for a in apps}
    counts = {}
    for key, (from_status, to_status) in TRANSITIONS.items():
        counts[key] = sum(1 for a in apps if any(
            e.to_status == to_status and (from_status is None or e.from_status == from_status)
            and start <= e.created_at < cutoff for e in events[a.pk]))
    received = [a for a in apps if a.submitted_at and start <= a.submitted_at < cutoff]
    counts["received"] = len(received)
    counts["eligible"] = sum(1 for a in received if any(e.to_status == "review" and e.from_status == "submitted"
                                                        and e.created_at < known for e in events[a.pk]))

    def moved(a, key):
        from_status, to_status = TRANSITIONS[key]
        return any(e.to_status == to_status and (from_status is None or e.from_status == from_status)
                   and start <= e.created_at < cutoff for e in events[a.pk])

    partners = set(Partner.objects.exclude(name="").values_list("application_id", flat=True))
    counts["collaboration_projects"] = sum(1 for a in apps if moved(a, "carried_out") and a.pk in partners)

    def in_force(a):
        decisions = [d for d in a.decisions.all() if d.outcome == "granted" and d.status in ("effective", "superseded")
                     and (d.approved_at or d.decided_at) < known]
        decisions.sort(key=lambda d: ((d.approved_at or d.decided_at), d.pk))
        return decisions[-1].amount if decisions else Decimal("0")

    amounts = {"granted": sum((in_force(a) for a in apps if moved(a, "granted")), Decimal("0")),
               "granted_carried_out": sum((in_force(a) for a in apps if moved(a, "carried_out")), Decimal("0")),
               "granted_ended": sum((in_force(a) for a in apps if moved(a, "ended")), Decimal("0")),
               "requested": sum((a.requested_amount for a in received), Decimal("0"))}
    first, last = date(year, 1, 1), min(date(year, 12, 31), as_of)
    entries = [e for e in LedgerEntry.objects.filter(fund_year__fund=fund).select_related("payment", "repayment")
               if e.created_at < known]
    pay = sum((e.amount for e in entries if e.kind == "payment" and first <= e.payment.paid_on <= last), Decimal("0"))
    rep = sum((e.amount for e in entries if e.kind == "repayment" and first <= e.repayment.received_on <= last),
              Decimal("0"))
    rel = sum((e.amount for e in entries if e.kind == "release" and start <= e.created_at < cutoff), Decimal("0"))
    amounts["paid"], amounts["returned"] = pay - rep, rel + rep
    fund_year = FundYear.objects.get(fund=fund, year=year)
    mine = [e for e in entries if e.fund_year_id == fund_year.pk]

    def total(kind):
        return sum((e.amount for e in mine if e.kind == kind), Decimal("0"))

    later = BudgetChange.objects.filter(fund_year=fund_year, changed_at__gte=known).order_by("changed_at").first()
    budget = later.previous_budget if later else fund_year.budget
    committed = total("commitment") - total("payment") - total("release")
    paid = total("payment") - total("repayment")
    reports = [r for a in apps if moved(a, "carried_out") for r in a.final_reports.filter(outcome="approved")]
    people = sum(r.participants_women + r.participants_men + r.participants_other for r in reports)
    weighted = sum(r.survey_share * (r.participants_women + r.participants_men + r.participants_other)
                   for r in reports)
    stages = {}
    for a in apps:
        if a.created_at >= known:
            continue
        before = [e for e in events[a.pk] if e.created_at < known and e.to_status]
        stage = before[-1].to_status if before else "draft"
        if stage != "draft":
            stages[stage] = stages.get(stage, 0) + 1
    return {"applications": counts, "amounts": amounts, "stages": stages,
            "budget": {"budget": budget, "committed": committed, "paid": paid,
                       "returned": total("release") + total("repayment"),
                       "available": budget - (committed + paid)},
            "women": sum(r.participants_women for r in reports), "people": people,
            "survey_weighted": weighted}


def random_funds(seed: int) -> list:
    """Two funds with random histories over 2025 and 2026 (25 applications per call), a budget change in 2026."""
    rng = random.Random(seed)
    staff = UserFactory(role=roles.SECRETARY)
    funds = []
    for index in range(2):
        fund = FundFactory(slug=f"slump-{seed}-{index}")
        fund_years = {y: FundYear.objects.create(fund=fund, year=y, budget=Decimal("900000")) for y in (2025, 2026)}
        for year in (2025, 2026):
            call = CallFactory(fund=fund, budget_year=year)
            history(rng, fund, call, fund_years[year], staff, 25)
        BudgetChange.objects.create(fund_year=fund_years[2026], previous_budget=Decimal("900000"),
                                    new_budget=Decimal("950000"), reason="x", changed_by=staff,
                                    changed_at=datetime(2026, 5, 1, tzinfo=STHLM))
        FundYear.objects.filter(pk=fund_years[2026].pk).update(budget=Decimal("950000"))
        funds.append(fund)
    return funds


@pytest.mark.parametrize("seed", [3, 17])
def test_the_fast_computation_equals_a_plain_recomputation_over_random_histories(seed):
    funds = random_funds(seed)
    checked = 0
    for year in (2025, 2026):
        for as_of in (date(year, 3, 31), date(year, 12, 31), date(2026, 6, 30), date(2027, 3, 1)):
            every = {ind.fund.pk: ind for ind in compute_all(year, as_of=as_of)}
            # The dashboard's overview computes only the targets: the same targets, to the last field.
            targets_only = {ind.fund.pk: ind for ind in compute_all(year, as_of=as_of, detail=False)}
            # The comparison column (the year before) computes every figure of the tables, without targets.
            compared = {ind.fund.pk: ind for ind in compute_all(year, as_of=as_of, comparison=True)}
            for fund in funds:
                fast, plain = every[fund.pk], recompute(fund, year, as_of)
                assert {k: fast.applications[k] for k in plain["applications"]} == plain["applications"]
                assert {k: fast.amounts[k] for k in plain["amounts"]} == plain["amounts"]
                assert fast.budget == plain["budget"]
                assert {k: n for k, n in fast.pipeline.items() if n} == plain["stages"]
                assert fast.participants["women"] == plain["women"]
                assert fast.survey["participants"] == plain["people"]
                assert fast.as_json() == compute(fund, year, as_of=as_of).as_json()  # alone or with others
                light = targets_only[fund.pk]
                assert light.targets == fast.targets and light.targets["carried_out"].actual == plain[
                    "applications"]["carried_out"]
                assert {k: light.applications[k] for k in ("received", "carried_out", "collaboration_projects")} == {
                    k: plain["applications"][k] for k in ("received", "carried_out", "collaboration_projects")}
                with pytest.raises(ValueError):
                    light.as_json()
                column = compared[fund.pk]
                assert shown(column) == shown(fast) and column.per_month == fast.per_month
                assert column.targets == {} and column.pipeline == {}
                with pytest.raises(ValueError):
                    column.as_json()
                checked += 1
    assert checked == 16


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL written out is PostgreSQL's")
@pytest.mark.parametrize("seed", [3, 17])
def test_the_sql_written_out_for_postgresql_gives_the_rows_of_the_orm(seed):
    """The application counts, the status changes and the ledger sums are written out in SQL on PostgreSQL (what a
    fund's year costs after a change); the ORM's queries stay for SQLite. Both give the same rows, for today,
    past years and as-of days, one fund and several."""
    funds = random_funds(seed)
    fund_ids = [fund.pk for fund in funds]
    other = FundFactory(slug=f"tom-{seed}")  # no applications, no fund year
    compared = 0
    for year in (2025, 2026):
        for as_of in (date(year, 3, 31), date(year, 12, 31), date(2026, 6, 30), date(2027, 3, 1), date.today()):
            period = Period(year, as_of)
            for ids in (fund_ids, fund_ids[:1], [other.pk, *fund_ids]):
                for detail in (True, False):
                    sql_rows = counts._application_rows_sql(ids, period, detail=detail)
                    orm_rows = counts._application_rows_orm(ids, period, detail=detail)
                    assert sorted(map(application_row, sql_rows), key=repr) == sorted(
                        map(application_row, orm_rows), key=repr)
                in_force = (decisions_in_force(period.known_by) if period.reconstructs else Decision.objects.filter(
                    outcome=Decision.Outcome.GRANTED, status=Decision.Status.EFFECTIVE))
                sql_rows = counts._status_change_rows_sql(ids, period, in_force)
                orm_rows = counts._status_change_rows_orm(ids, period, in_force)
                assert sql_rows and status_change_rows(sql_rows) == status_change_rows(orm_rows)
                ended = transitioned("ended", period.start, period.cutoff)
                assert _ledger_sql(ids, period, ended) == _ledger_orm(ids, period, ended)
                assert _claims_sql(ids, period, ended) == _claims_orm(ids, period, ended)
                compared += 1
    assert compared == 30


def application_row(row: dict) -> tuple:
    """A group of `application_counts` as compared: "passed" is only asked for with detail (else None or absent)."""
    return tuple(sorted((key, value) for key, value in row.items() if not (key == "passed" and not value)))


def status_change_rows(rows) -> list:
    """The distinct rows of `status_changes` as compared: the approved final report is read only for those carried
    out (the ORM joins it to every row, and nothing but the carried out reads it)."""
    reports = len(counts.REPORT_SUMS) + 2
    return sorted({tuple(row) if row[1] == "carried_out" else (*row[:5], *[None] * reports, row[-1])
                   for row in rows}, key=repr)


def shown(ind) -> list:
    """Every figure of the tables as shown: (section, key, value, text)."""
    return [(title, row.key, row.value, row.text) for title, rows in sections(ind) for row in rows]


def a_fund_with_cases(staff, index: int, cases: int):
    fund = FundFactory(slug=f"mange-{index}")
    fund_year = FundYear.objects.create(fund=fund, year=2025, budget=Decimal("500000"), target_applications=3,
                                        target_collaboration_projects=1, target_balance_percent=40,
                                        target_survey_percent=60)
    history(random.Random(index), fund, CallFactory(fund=fund, budget_year=2025), fund_year, staff, cases)
    return fund


def queries(callable_):
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_the_same_number_of_queries_for_1_and_10_funds(client):
    staff = UserFactory(role=roles.SECRETARY)
    funds = [a_fund_with_cases(staff, 0, 5)]
    steering = UserFactory(role=roles.STEERING_GROUP)
    client.force_login(steering)

    def measure():
        return (queries(lambda: compute_all(2025, as_of=date(2025, 12, 31))),
                queries(lambda: compute(funds[0], 2025, as_of=date(2025, 12, 31))),
                queries(lambda: client.get("/indikatorer/?year=2025")),
                queries(lambda: client.get(reverse("grants:fund_years"))),
                queries(lambda: compute_all(2025, as_of=date(2025, 12, 31), detail=False)))

    one = measure()
    funds += [a_fund_with_cases(staff, index, 5 + index * 3) for index in range(1, 10)]
    ten = measure()
    assert one == ten
    # A fixed handful: one GROUP BY per kind of record (+ the planner's settings, the stored summary's lookup and
    # the fund years read again after its snapshot on PostgreSQL); the overview of every fund's targets three of
    # them (fund years, applications, status changes).
    postgresql = 3 if connection.vendor == "postgresql" else 0
    assert one[0] <= 7 + postgresql and one[1] <= 7 + postgresql
    assert one[4] <= 3 + postgresql
    assert len(compute_all(2025, as_of=date(2025, 12, 31))) == 10


def test_the_steering_group_reads_budgets_and_every_write_is_refused(client, secretary):
    fund = FundFactory(slug="las")
    fund_year = FundYear.objects.create(fund=fund, year=2025, budget=Decimal("100000"))
    history(random.Random(5), fund, CallFactory(fund=fund, budget_year=2025), fund_year, secretary, 8)
    payment = Payment.objects.create(application=Application.objects.filter(call__fund=fund).first(),
                                     kind="final", amount=Decimal("100"))
    claim = Repayment.objects.filter(application__call__fund=fund, status="claimed").first()
    before = (list(FundYear.objects.values_list("budget", flat=True)), LedgerEntry.objects.count(),
              BudgetChange.objects.count(), list(Payment.objects.values_list("status", flat=True).order_by("pk")))
    client.force_login(UserFactory(role=roles.STEERING_GROUP))
    page = client.get(reverse("grants:fund_budget", args=[fund_year.pk]))
    assert page.status_code == 200
    assert page.context["may_change"] is False and b"new_budget" not in page.content
    assert client.get(reverse("grants:fund_years")).status_code == 200
    writes = [
        (reverse("grants:fund_budget", args=[fund_year.pk]), {"new_budget": "1", "reason": "x"}),
        (reverse("grants:payment_mark_paid", args=[payment.pk]), {"paid_on": "2025-05-01"}),
    ]
    if claim:
        writes.append((reverse("grants:repayment_mark_received", args=[claim.pk]), {"received_on": "2025-05-01"}))
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    assert client.put(reverse("grants:fund_budget", args=[fund_year.pk])).status_code == 403
    assert client.delete(reverse("grants:fund_budget", args=[fund_year.pk])).status_code == 403
    assert before == (list(FundYear.objects.values_list("budget", flat=True)), LedgerEntry.objects.count(),
                      BudgetChange.objects.count(),
                      list(Payment.objects.values_list("status", flat=True).order_by("pk")))
