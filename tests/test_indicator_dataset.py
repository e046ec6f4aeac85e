"""A fixed two-year dataset driven through the services with time travel (time_machine), every figure
asserted exactly for both years and three as-of dates: a correction after year-end, a grant ended without
being carried out (claimed back and paid back), a second approval across the new year, a submission at
23:30 Stockholm time on 31 December, a collaboration project with two partners, a withdrawal, an ineligible
application, a budget change. The budget page, the JSON/CSV/Excel/PDF exports and the dashboard agree with
the computation figure by figure."""

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts import roles
from grants.services import ledger
from grants.indicators import compute
from grants.models import Call, FundYear, Partner, Payment, Repayment
from grants.selectors import fund_year_balance
from workflows.services import application_withdraw
from tests.factories import ApplicationFactory, FundFactory, MembershipFactory, UserFactory
from tests.flow_helpers import all_points, check_pass, grant, open_task, report, review, submit
from workflows import services

pytestmark = pytest.mark.django_db

STHLM = ZoneInfo("Europe/Stockholm")


def at(value: str):
    """Travel to '2025-03-10' (noon) or '2025-12-31 23:30', Stockholm time; the clock stands still."""
    moment = (datetime.fromisoformat(value) if " " in value else datetime.fromisoformat(value + " 12:00"))
    return time_machine.travel(moment.replace(tzinfo=STHLM), tick=False)


def paid(application, kind, user, day):
    payment = application.payments.get(kind=kind, status=Payment.Status.PLANNED)
    with at(day):
        ledger.payment_mark_paid(payment_id=payment.pk, user=user, paid_on=date.fromisoformat(day))


def new_case(call, applicant, when, requested="20000", partners=()):
    with at(when):
        application = ApplicationFactory(organisation=applicant.organisations.get(), call=call, created_by=applicant,
                                         requested_amount=Decimal(requested))
        for position, (name, kind) in enumerate(partners):
            Partner.objects.create(application=application, position=position, name=name, kind=kind, role="Lokaler")
    return application


def approve_report(application, applicant, secretary, sent, approved, spent, **figures):
    with at(sent):
        report(application, applicant, spent, **figures)
    with at(approved):
        services.report_approval_record(task_pk=open_task(application).pk, user=secretary, approve=True)


@pytest.fixture
def dataset(db):
    applicant = MembershipFactory(user__role=roles.APPLICANT).user
    officer = UserFactory(role=roles.CASE_OFFICER)
    reviewer = UserFactory(role=roles.REVIEWER)
    secretary = UserFactory(role=roles.SECRETARY)
    second = UserFactory(role=roles.SECRETARY)
    fund = FundFactory(name="Samverkanspotten", slug="samverkan", max_amount=Decimal("50000"), advance_percent=50,
                       four_eyes_above=Decimal("25000"))
    targets = dict(target_carried_out=2, target_collaboration_projects=1, target_balance_percent=40,
                   target_survey_percent=60)
    fy2025 = FundYear.objects.create(fund=fund, year=2025, budget=Decimal("200000"), target_applications=5, **targets)
    fy2026 = FundYear.objects.create(fund=fund, year=2026, budget=Decimal("150000"), target_applications=10, **targets)
    c2025 = Call.objects.create(fund=fund, title="2025", budget_year=2025,
                                opens_at=datetime(2025, 1, 1, tzinfo=STHLM), closes_at=datetime(2026, 1, 1, tzinfo=STHLM))
    c2026 = Call.objects.create(fund=fund, title="2026", budget_year=2026,
                                opens_at=datetime(2026, 1, 2, tzinfo=STHLM), closes_at=datetime(2026, 12, 1, tzinfo=STHLM))
    A = Payment.Kind.ADVANCE

    def through_review(application, submitted, checked, reviewed):
        with at(submitted):
            submit(application, applicant)
        with at(checked):
            check_pass(application, officer)
        with at(reviewed):
            review(application, reviewer)

    # P: a collaboration project with two partners, carried out in 2025; 1 000 unspent returned.
    p = new_case(c2025, applicant, "2025-01-10", partners=[("Kalmar kommun", Partner.Kind.AUTHORITY),
                                                           ("Lindsdalsskolan", Partner.Kind.OTHER)])
    through_review(p, "2025-02-03", "2025-02-05", "2025-02-10")
    with at("2025-02-15"):
        grant(p, secretary, "15000")
    paid(p, A, secretary, "2025-02-20")
    approve_report(p, applicant, secretary, "2025-09-01", "2025-09-05", "14000", participants_women=6,
                   participants_men=4, participants_other=0, participants_newcomers=5, participants_established=5,
                   survey_share=70)
    paid(p, Payment.Kind.FINAL, secretary, "2025-09-10")
    # Q: granted 20 000 in 2025, corrected to 12 000 on 10 February 2026 (after the year-end).
    q = new_case(c2025, applicant, "2025-03-01")
    through_review(q, "2025-03-03", "2025-03-05", "2025-03-20")
    with at("2025-04-01"):
        grant(q, secretary, "20000")
    paid(q, A, secretary, "2025-04-10")
    with at("2026-02-10"):
        services.decision_correct(application_id=q.pk, user=secretary, amount=Decimal("12000"), conditions="",
                                motivation="Lokalkostnaden blev lägre.")
    # R: granted 10 000, advance paid, ended without being carried out; the advance claimed and paid back.
    r = new_case(c2025, applicant, "2025-05-01")
    through_review(r, "2025-05-05", "2025-05-07", "2025-05-15")
    with at("2025-05-20"):
        grant(r, secretary, "10000")
    paid(r, A, secretary, "2025-05-25")
    with at("2025-11-10"):
        services.grant_end(application_id=r.pk, user=secretary, reason="Föreningen lades ned.")
    with at("2025-12-05"):
        ledger.repayment_mark_received(repayment_id=Repayment.objects.get(application=r).pk, user=secretary,
                                       received_on=date(2025, 12, 5))
    # S: 30 000 above the four-eyes limit, decided 20 December, approved by a second secretary on 8 January.
    s = new_case(c2025, applicant, "2025-09-20", requested="30000")
    through_review(s, "2025-10-01", "2025-10-05", "2025-10-15")
    with at("2025-12-20"):
        grant(s, secretary, "30000")
    with at("2026-01-08"):
        services.second_approval_record(task_pk=open_task(s).pk, user=second, approve=True)
    paid(s, A, secretary, "2026-01-15")
    # T: submitted at 23:30 on New Year's Eve, checked in January, rejected in February.
    t = new_case(c2025, applicant, "2025-12-30")
    through_review(t, "2025-12-31 23:30", "2026-01-12", "2026-01-20")
    with at("2026-02-01"):
        services.decision_record(task_pk=open_task(t).pk, user=secretary, outcome="rejected", amount=None,
                                 motivation="Andra ansökningar svarade bättre mot kriterierna.")
    # U: withdrawn. V: ineligible.
    u = new_case(c2025, applicant, "2025-05-30")
    with at("2025-06-01"):
        submit(u, applicant)
    with at("2025-06-10"):
        application_withdraw(application_id=u.pk, user=applicant, reason="Vi hinner inte.")
    v = new_case(c2025, applicant, "2025-06-30")
    with at("2025-07-01"):
        submit(v, applicant)
    with at("2025-07-03"):
        services.exante_check_record(task_pk=open_task(v).pk, user=officer, outcome="ineligible",
                                     results=all_points(v), comment="Inte en idéburen organisation.")
    # W: the 2026 call: granted 8 000, carried out in October with 3 women and 7 men, survey 50 %.
    w = new_case(c2026, applicant, "2026-02-20")
    through_review(w, "2026-03-01", "2026-03-05", "2026-03-15")
    with at("2026-03-20"):
        grant(w, secretary, "8000")
    paid(w, A, secretary, "2026-03-25")
    approve_report(w, applicant, secretary, "2026-10-01", "2026-10-05", "8000", participants_women=3,
                   participants_men=7, participants_other=2, participants_newcomers=6, participants_established=6,
                   survey_share=50)
    paid(w, Payment.Kind.FINAL, secretary, "2026-10-10")
    # The 2026 budget raised in June.
    with at("2026-06-01"):
        ledger.fund_year_budget_change(fund_year_id=fy2026.pk, user=secretary, new_budget=Decimal("160000"),
                                       reason="Extra medel från regionen.")
    return {"fund": fund, "fy2025": fy2025, "fy2026": fy2026, "secretary": secretary,
            "cases": dict(p=p, q=q, r=r, s=s, t=t, u=u, v=v, w=w)}


def figures(dataset, year, as_of):
    return compute(dataset["fund"], year, as_of=date.fromisoformat(as_of)).as_json()


NO_ENDED = {"grants": 0, "granted": "0.00", "released": "0.00", "claimed_back": "0.00", "paid_back": "0.00"}
TARGETS_2025 = {"applications": 5, "carried_out": 2, "collaboration_projects": 1, "participants_balance": 40,
                "trainers_balance": 40, "survey_participants": 60}


def test_2025_as_of_new_years_eve(dataset):
    data = figures(dataset, 2025, "2025-12-31")
    assert data["targets"] == TARGETS_2025
    assert data["actuals"]["applications"] == {
        # P Q R S T U V; T at 23:30 on 31 December. Eligible by then: P Q R S (T is checked in January).
        "received": 7, "eligible": 4, "sent_back": 0, "ineligible": 1, "reviewed": 4,
        # S waits for its second approval: not granted in 2025.
        "granted": 3, "rejected": 0, "withdrawn": 1, "carried_out": 1, "collaboration_projects": 1, "ended": 1}
    assert data["actuals"]["amounts"] == {
        # 6 × 20 000 + 30 000; Q at 20 000 (its correction is in February).
        "requested": "150000.00", "granted": "45000.00", "granted_carried_out": "15000.00",
        "granted_ended": "10000.00",
        # 7 500 + 6 500 (P) + 10 000 (Q) + 5 000 (R) paid, less R's 5 000 paid back.
        "paid": "24000.00",
        # P's 1 000 and R's 5 000 released on closing, R's 5 000 paid back.
        "returned": "11000.00"}
    assert data["actuals"]["ended"] == {"grants": 1, "granted": "10000.00", "released": "5000.00",
                                        "claimed_back": "5000.00", "paid_back": "5000.00"}
    assert data["actuals"]["participants"] == {"women": 6, "men": 4, "other": 0, "total": 10, "newcomers": 5,
                                               "established": 5}
    assert data["actuals"]["trainers"] == {"women": 1, "men": 1}
    assert data["actuals"]["survey"] == {"reports": 1, "participants": 10, "percent": 70.0,
                                         "projects_meeting_target": 1, "projects_percent": 100.0}
    assert data["values"] == {"applications": 7, "carried_out": 1, "collaboration_projects": 1,
                              "participants_balance": 40.0, "trainers_balance": 50.0, "survey_participants": 70.0}
    assert data["status"] == {"applications": "met", "carried_out": "behind", "collaboration_projects": "met",
                              "participants_balance": "met", "trainers_balance": "met", "survey_participants": "met"}
    assert data["met"] == {"applications": True, "carried_out": False, "collaboration_projects": True,
                           "participants_balance": True, "trainers_balance": True, "survey_participants": True}
    # Commitments 15 000 + 20 000 + 10 000 + 30 000 (S reserved when decided); committed: Q's 10 000 and S.
    assert data["budget"] == {"budget": "200000.00", "committed": "40000.00", "paid": "24000.00",
                              "returned": "11000.00", "available": "136000.00"}
    pipeline = compute(dataset["fund"], 2025, as_of=date(2025, 12, 31)).pipeline
    assert {k: n for k, n in pipeline.items() if n} == {"submitted": 1, "decision": 1, "granted": 1,
                                                        "carried_out": 1, "ended": 1, "ineligible": 1, "withdrawn": 1}


def test_2025_as_of_1_march_after_the_correction(dataset):
    data = figures(dataset, 2025, "2026-03-01")
    # T is eligible now (checked in January); the counts of 2025 stay.
    assert data["actuals"]["applications"] == {
        "received": 7, "eligible": 5, "sent_back": 0, "ineligible": 1, "reviewed": 4, "granted": 3, "rejected": 0,
        "withdrawn": 1, "carried_out": 1, "collaboration_projects": 1, "ended": 1}
    # Q's grant as corrected on 10 February: 15 000 + 12 000 + 10 000.
    assert data["actuals"]["amounts"] == {"requested": "150000.00", "granted": "37000.00",
                                          "granted_carried_out": "15000.00", "granted_ended": "10000.00",
                                          "paid": "24000.00", "returned": "11000.00"}
    # The 2025 budget now also holds Q's 8 000 back and S's 15 000 advance paid in January.
    assert data["budget"] == {"budget": "200000.00", "committed": "17000.00", "paid": "39000.00",
                              "returned": "19000.00", "available": "144000.00"}


def test_2025_as_of_the_end_of_2026_is_the_march_figure(dataset):
    assert figures(dataset, 2025, "2026-12-31") == {**figures(dataset, 2025, "2026-03-01"), "as_of": "2026-12-31"}


def test_2026_as_of_three_days(dataset):
    before = figures(dataset, 2026, "2025-12-31")
    assert before["actuals"]["applications"] == dict.fromkeys(before["actuals"]["applications"], 0)
    assert before["actuals"]["amounts"] == dict.fromkeys(before["actuals"]["amounts"], "0.00")
    assert before["budget"] == {"budget": "150000.00", "committed": "0.00", "paid": "0.00", "returned": "0.00",
                                "available": "150000.00"}

    march = figures(dataset, 2026, "2026-03-01")
    # W submitted on 1 March; T reviewed and rejected; S granted on its second approval (8 January).
    assert march["actuals"]["applications"] == {
        "received": 1, "eligible": 0, "sent_back": 0, "ineligible": 0, "reviewed": 1, "granted": 1, "rejected": 1,
        "withdrawn": 0, "carried_out": 0, "collaboration_projects": 0, "ended": 0}
    assert march["actuals"]["amounts"] == {"requested": "20000.00", "granted": "30000.00", "granted_carried_out": "0.00",
                                           "granted_ended": "0.00", "paid": "15000.00", "returned": "8000.00"}
    assert march["budget"] == {"budget": "150000.00", "committed": "0.00", "paid": "0.00", "returned": "0.00",
                               "available": "150000.00"}

    data = figures(dataset, 2026, "2026-12-31")
    assert data["targets"] == {**TARGETS_2025, "applications": 10}
    assert data["actuals"]["applications"] == {
        "received": 1, "eligible": 1, "sent_back": 0, "ineligible": 0, "reviewed": 2, "granted": 2, "rejected": 1,
        "withdrawn": 0, "carried_out": 1, "collaboration_projects": 0, "ended": 0}
    assert data["actuals"]["amounts"] == {"requested": "20000.00", "granted": "38000.00",
                                          "granted_carried_out": "8000.00", "granted_ended": "0.00",
                                          # S 15 000, W 4 000 + 4 000; Q's correction returned 8 000.
                                          "paid": "23000.00", "returned": "8000.00"}
    assert data["actuals"]["ended"] == NO_ENDED
    assert data["actuals"]["participants"] == {"women": 3, "men": 7, "other": 2, "total": 12, "newcomers": 6,
                                               "established": 6}
    assert data["actuals"]["survey"] == {"reports": 1, "participants": 12, "percent": 50.0,
                                         "projects_meeting_target": 0, "projects_percent": 0.0}
    assert data["status"] == {"applications": "behind", "carried_out": "behind", "collaboration_projects": "behind",
                              "participants_balance": "not_met", "trainers_balance": "met",
                              "survey_participants": "not_met"}
    assert data["values"]["participants_balance"] == 30.0
    # The budget raised to 160 000 in June; W's 8 000 paid.
    assert data["budget"] == {"budget": "160000.00", "committed": "0.00", "paid": "8000.00", "returned": "0.00",
                              "available": "152000.00"}


def test_the_budget_page_and_the_balance_agree_with_the_budget_block(dataset, client):
    data = figures(dataset, 2025, "2026-12-31")
    balance = fund_year_balance(fund_year=dataset["fy2025"])
    assert {key: f"{value:.2f}" for key, value in balance.items()} == {
        "budget": data["budget"]["budget"], "committed": data["budget"]["committed"], "paid": data["budget"]["paid"],
        "released": data["budget"]["returned"], "available": data["budget"]["available"]}
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=STHLM), tick=False):
        client.force_login(UserFactory(role=roles.STEERING_GROUP))
        page = client.get(reverse("grants:fund_budget", args=[dataset["fy2025"].pk]))
        years = client.get(reverse("grants:fund_years"))
    assert page.status_code == 200 and years.status_code == 200
    assert page.context["balance"] == balance
    assert dict(years.context["rows"])[dataset["fy2025"]]["available"] == balance["available"]
    for amount in ("200 000 kr", "17 000 kr", "39 000 kr", "19 000 kr", "144 000 kr"):
        assert amount in page.content.decode().replace("\xa0", " ")


def test_every_export_carries_the_same_figures(dataset, client):
    """JSON, CSV, Excel and PDF of 2025 as of 1 March 2026 against the computation, figure by figure."""
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from grants.indicators import flatten

    expected = figures(dataset, 2025, "2026-03-01")
    base = "/indikatorer/samverkan/2025."
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=STHLM), tick=False):
        client.force_login(UserFactory(role=roles.STEERING_GROUP))
        got = {fmt: client.get(f"{base}{fmt}?as_of=2026-03-01") for fmt in ("json", "csv", "xlsx", "pdf")}
    assert all(response.status_code == 200 for response in got.values())
    assert json.loads(got["json"].content) == expected
    rows = list(csv.reader(io.StringIO(got["csv"].content.decode())))
    flat = {key: ("" if value is None else ("true" if value is True else "false" if value is False else str(value)))
            for key, value in flatten({k: v for k, v in expected.items() if k not in ("fund", "year")})}
    assert {row[2]: row[3] for row in rows[1:]} == flat
    sheet = load_workbook(io.BytesIO(b"".join(got["xlsx"].streaming_content) if got["xlsx"].streaming else
                                     got["xlsx"].content)).worksheets[0]
    by_key = {row[3]: row[2] for row in sheet.iter_rows(values_only=True) if row and len(row) > 3 and row[3]}
    for key in ("budget.budget", "budget.committed", "budget.paid", "budget.returned", "budget.available",
                "actuals.amounts.granted", "actuals.amounts.paid", "actuals.amounts.returned",
                "actuals.ended.claimed_back"):
        section, name = key.rsplit(".", 1)
        value = expected[section.split(".")[0]][name] if section == "budget" else \
            expected["actuals"][section.split(".")[1]][name]
        assert Decimal(str(by_key[key])) == Decimal(value), key
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(got["pdf"].content)).pages)
    text = text.replace("\xa0", " ")
    for shown in ("37 000 kr", "17 000 kr", "39 000 kr", "19 000 kr", "144 000 kr",
                  "Genomförda samverkansprojekt", "Bidrag avslutade utan genomförande", str(2024)):
        assert shown in text, shown


def test_the_dashboard_links_each_count_to_its_cases(dataset, client):
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=STHLM), tick=False):
        client.force_login(UserFactory(role=roles.CASE_OFFICER))
        page = client.get("/indikatorer/?year=2025&fund=samverkan&as_of=2026-03-01")
        rows = {row.key: row for _title, rows in page.context["sections"] for row in rows}
        link = rows["actuals.applications.ended"].link
        cases = client.get(link)
        granted = client.get(rows["actuals.applications.granted"].link)
        collaboration = client.get(rows["actuals.applications.collaboration_projects"].link)
    assert page.status_code == 200
    content = page.content.decode()
    # The definitions that need a choice are named on the dashboard (in Swedish, the default language).
    assert "Så räknas siffrorna" in content
    assert "Avvisade, återtagna och avslagna ansökningar räknas som inkomna" in content
    assert "minst en samarbetspartner" in content
    assert [c.pk for c in cases.context["cases"]] == [dataset["cases"]["r"].pk]
    assert {c.pk for c in granted.context["cases"]} == {dataset["cases"][k].pk for k in "pqr"}
    assert [c.pk for c in collaboration.context["cases"]] == [dataset["cases"]["p"].pk]
    # The steering group sees the counts without the links (the case list is for staff).
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=STHLM), tick=False):
        client.force_login(UserFactory(role=roles.STEERING_GROUP))
        page = client.get("/indikatorer/?year=2025&fund=samverkan")
    assert all(not row.link for _title, rows in page.context["sections"] for row in rows)
    assert "/arenden/?" not in page.content.decode()
