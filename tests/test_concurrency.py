"""Races against PostgreSQL (SQLite has no row locks, so these run only there)."""

from decimal import Decimal

import pytest
from django.db import connection

from django.utils import timezone

from grants.models import Application, Decision, Event, LedgerEntry
from grants.selectors import fund_year_balance
from grants.services.applications import NotAllowed
from workflows.submission import application_submit
from notifications.models import OutboxMessage
from tests.factories import ApplicationFactory
from tests.flow_helpers import open_task, to_stage
from tests.threads import run_together
from workflows import services
from workflows.models import ApplicationProcess

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"),
]


def test_twenty_concurrent_submits_make_one_submission_one_process_one_mail(draft, applicant, case_officer):
    results = run_together(20, lambda i: application_submit(application_id=draft.pk, user=applicant))

    assert [r for r in results if isinstance(r, Exception)] == []
    draft.refresh_from_db()
    assert draft.status == Application.Status.SUBMITTED
    assert ApplicationProcess.objects.filter(application=draft).count() == 1
    assert Event.objects.filter(application=draft, kind=Event.Kind.SUBMITTED).count() == 1
    assert OutboxMessage.objects.filter(kind="submitted", recipient=applicant.email).count() == 1
    assert OutboxMessage.objects.filter(kind="submitted_staff").count() == 1


def test_twenty_concurrent_grants_on_room_for_three(fund_year, call, applicant, organisation, case_officer,
                                                    reviewer, secretary):
    # given: 20 applications waiting for decision, and room in the budget for 3 grants of 30 000
    fund_year.budget = Decimal("90000")
    fund_year.save()
    applications = [ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                       requested_amount=Decimal("30000")) for _ in range(20)]
    tasks = [to_stage(a, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                      secretary=secretary) for a in applications]

    # when: the secretary grants all twenty at once
    def grant(i):
        return services.decision_record(task_pk=tasks[i].pk, user=secretary, outcome="granted",
                                        amount=Decimal("30000"))

    results = run_together(20, grant)

    # then: exactly three are granted, the others refused with a clear message, and nothing is overspent
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 17
    assert all("left in the fund" in str(r) or "kvar i fonden" in str(r) for r in refused), refused
    assert LedgerEntry.objects.filter(kind="commitment").count() == 3
    assert Decimal(sum(e.amount for e in LedgerEntry.objects.filter(kind="commitment"))) == Decimal("90000")
    balance = fund_year_balance(fund_year=fund_year)
    assert (balance["committed"], balance["available"]) == (Decimal("90000"), Decimal("0"))
    assert Application.objects.filter(status=Application.Status.GRANTED).count() == 3
    assert Decision.objects.count() == 3
    assert OutboxMessage.objects.filter(kind="decision").count() == 3
    assert sum(1 for a in applications if open_task(a).flow_task.name == "decision") == 17


def test_twenty_concurrent_submissions_get_twenty_case_numbers_without_gaps(call, applicant, organisation):
    applications = [ApplicationFactory(organisation=organisation, call=call, created_by=applicant)
                    for _ in range(20)]
    results = run_together(20, lambda i: application_submit(application_id=applications[i].pk, user=applicant))
    assert [r for r in results if isinstance(r, Exception)] == []
    numbers = sorted(Application.objects.values_list("case_number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"{call.fund.case_prefix}-{year}-{n:04d}" for n in range(1, 21)]


def test_closing_a_case_twice_at_once_returns_its_money_once(draft, applicant, case_officer, reviewer, secretary,
                                                            fund_year):
    from grants.services import ledger
    from grants.models import Payment

    task = to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))
    Payment.objects.all().update(status="cancelled")

    results = run_together(2, lambda i: ledger.case_close_release(application=draft, user=secretary))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(r is None for r in results) == [False, True]
    assert LedgerEntry.objects.filter(kind="release").count() == 1
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("100000")


def test_two_officers_claiming_at_once_get_one_claim(draft, applicant, case_officer):
    from tests.factories import UserFactory

    application_submit(application_id=draft.pk, user=applicant)
    task = open_task(draft)
    officers = [case_officer] + [UserFactory(role="case_officer") for _ in range(4)]
    results = run_together(5, lambda i: services.task_claim(task_pk=task.pk, user=officers[i]))
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1
    assert all(isinstance(r, NotAllowed) for r in results if isinstance(r, Exception))
    task.refresh_from_db()
    assert task.owner_id in {o.pk for o in officers}
    assert Event.objects.filter(kind=Event.Kind.TASK_CLAIMED).count() == 1


def test_twenty_concurrent_submit_clicks_over_http_are_harmless(draft, applicant):
    from django.test import Client
    from django.urls import reverse

    from tests.factories import application_post_data

    data = application_post_data(draft, submit="1")
    url = reverse("grants:application_edit", args=[draft.pk])

    def click(i):
        client = Client()
        client.force_login(applicant)
        return client.post(url, data)

    responses = run_together(20, click)

    assert [r for r in responses if isinstance(r, Exception)] == []
    assert {(r.status_code, r.get("Location")) for r in responses} == {
        (302, reverse("grants:application_detail", args=[draft.pk]))}
    assert ApplicationProcess.objects.filter(application=draft).count() == 1
    assert OutboxMessage.objects.filter(kind="submitted", recipient=applicant.email).count() == 1
    assert Event.objects.filter(application=draft, kind=Event.Kind.SUBMITTED).count() == 1
