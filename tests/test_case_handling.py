"""Case handling: the checklist, decisions with letters, the second approver, payments and the ledger."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from grants.services import ledger
from grants.models import (
    Application, BudgetChange, CheckItemResult, Decision, Event, ExAnteCheck, LedgerEntry, Payment,
)
from grants.selectors import fund_year_balance
from common.errors import NotAllowed
from notifications.models import OutboxMessage
from tests.factories import UserFactory
from tests.flow_helpers import all_points, open_task, report, submit, to_stage
from workflows import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_secretary(db):
    return UserFactory(role="secretary", full_name="Sam Sekreterare")


def at_decision(draft, applicant, case_officer, reviewer, secretary):
    return to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)


# -- the checklist -----------------------------------------------------------------------------

@pytest.mark.parametrize("outcome, status, node, mail_kind, mail_to", [
    ("pass", "review", "review", "review_assigned", "reviewer"),
    ("completion", "completion", "completion", "completion_requested", "applicant"),
    ("ineligible", "ineligible", None, "ineligible", "applicant"),
])
def test_each_check_outcome_ends_in_the_right_state_with_the_right_mail(draft, applicant, case_officer, reviewer,
                                                                       outcome, status, node, mail_kind, mail_to):
    submit(draft, applicant)
    results = all_points(draft)
    extra = {"completion_fields": ["goals"], "completion_deadline": timezone.localdate() + timedelta(days=7)} \
        if outcome == "completion" else {}
    check = services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome=outcome,
                                         results=results, comment="Kommentar.", **extra)
    draft.refresh_from_db()
    assert draft.status == status
    assert check.results.count() == len(results) == 13
    if node:
        assert open_task(draft).flow_task.name == node
    recipient = {"reviewer": reviewer, "applicant": applicant}[mail_to]
    assert list(OutboxMessage.objects.filter(kind=mail_kind).values_list("recipient", flat=True)) == [recipient.email]


def test_a_failed_point_needs_an_explicit_override_with_a_reason(draft, applicant, case_officer):
    submit(draft, applicant)
    results = all_points(draft)
    failed_item = next(iter(results))
    results[failed_item] = ("fail", "Stadgarna saknas.")
    with pytest.raises(ValidationError) as error:
        services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome="pass", results=results)
    assert list(error.value.message_dict) == ["override_reason"]
    assert ExAnteCheck.objects.count() == 0

    services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome="pass", results=results,
                                 override_reason="Stadgarna kommer före beslut; övrigt är starkt.")
    check = ExAnteCheck.objects.get()
    assert check.override_reason == "Stadgarna kommer före beslut; övrigt är starkt."
    assert check.results.get(item_id=failed_item).result == CheckItemResult.Result.FAIL
    override = Event.objects.get(application=draft, kind=Event.Kind.OVERRIDE)
    assert (override.actor, "Stadgarna kommer före beslut" in override.message) == (case_officer, True)


def test_the_check_page_shows_the_funds_checklist_grouped(client, draft, applicant, case_officer):
    submit(draft, applicant)
    client.force_login(case_officer)
    page = client.get(reverse("workflows:task", args=[open_task(draft).pk]))
    groups = page.context["form"].groups()
    # the page is in Swedish (no language chosen), the labels too
    assert [(str(label), len(rows)) for label, rows in groups] == [("Bedömningsbarhet", 7), ("Formella krav", 6)]


# -- case numbers --------------------------------------------------------------------------------

def test_case_numbers_count_per_fund_and_year(call, applicant, organisation):
    from tests.factories import ApplicationFactory

    apps = [ApplicationFactory(organisation=organisation, call=call, created_by=applicant) for _ in range(3)]
    for application in apps:
        submit(application, applicant)
    year = timezone.localdate().year
    prefix = call.fund.case_prefix
    assert [Application.objects.get(pk=a.pk).case_number for a in apps] == [
        f"{prefix}-{year}-0001", f"{prefix}-{year}-0002", f"{prefix}-{year}-0003"]


# -- decisions and letters --------------------------------------------------------------------------

def test_a_grant_makes_a_swedish_letter_that_is_stored_and_mailed(draft, applicant, case_officer, reviewer,
                                                                  secretary, settings):
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    decision = services.decision_record(task_pk=task.pk, user=secretary, outcome="granted",
                                        amount=Decimal("18000"), conditions="Redovisa deltagarlistor.",
                                        motivation="Budgeten för arvoden är för hög.")
    draft.refresh_from_db()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(decision.letter.read())).pages)
    for expected in ("Beslut", draft.case_number, "18 000 kr", "Redovisa deltagarlistor.",
                     "Budgeten för arvoden är för hög.", draft.organisation.name, "slutrapport"):
        assert expected in text.replace("\xa0", " "), expected
    assert len(decision.letter_sha256) == 64
    mail = OutboxMessage.objects.get(kind="decision")
    assert mail.files == [{"name": decision.letter.name, "content_type": "application/pdf",
                           "filename": f"beslut-{draft.case_number}.pdf"}]
    assert draft.report_due_on == draft.end_date + timedelta(days=draft.call.fund.report_due_days)


def test_a_decision_cannot_be_edited(draft, applicant, case_officer, reviewer, secretary):
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    decision = services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))
    decision.amount = Decimal("1")
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.save(update_fields=["amount"])
    assert Decision.objects.get().amount == Decimal("20000")


def test_a_partial_grant_needs_a_motivation(draft, applicant, case_officer, reviewer, secretary):
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    with pytest.raises(ValidationError) as error:
        services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("19999"))
    assert list(error.value.message_dict) == ["motivation"]
    assert (Decision.objects.count(), LedgerEntry.objects.count(), OutboxMessage.objects.filter(kind="decision")
            .count()) == (0, 0, 0)


@pytest.mark.parametrize("persona", ["case_officer", "reviewer", "applicant"])
def test_only_the_secretary_decides_and_a_refused_decision_changes_nothing(client, draft, applicant, case_officer,
                                                                           reviewer, secretary, persona):
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    people = {"case_officer": case_officer, "reviewer": reviewer, "applicant": applicant}
    before = (LedgerEntry.objects.count(), OutboxMessage.objects.count(), Decision.objects.count())
    client.force_login(people[persona])
    response = client.post(reverse("workflows:task", args=[task.pk]), {"outcome": "granted", "amount": "20000"})
    assert response.status_code == 404
    with pytest.raises(NotAllowed):
        services.decision_record(task_pk=task.pk, user=people[persona], outcome="granted", amount=Decimal("20000"))
    assert (LedgerEntry.objects.count(), OutboxMessage.objects.count(), Decision.objects.count()) == before


# -- four eyes ---------------------------------------------------------------------------------------

def test_a_grant_above_the_limit_waits_for_a_second_secretary(draft, applicant, case_officer, reviewer, secretary,
                                                              second_secretary, fund_year):
    draft.call.fund.four_eyes_above = Decimal("10000")
    draft.call.fund.save()
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)

    # when: the first secretary grants 20 000
    decision = services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))

    # then: the money is reserved, but nothing reaches the applicant yet
    assert (decision.status, bool(decision.letter)) == ("pending", False)
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("80000")
    assert OutboxMessage.objects.filter(kind="decision").count() == 0
    assert OutboxMessage.objects.filter(kind="approval_waiting", recipient=second_secretary.email).count() == 1
    approval = open_task(draft)
    assert approval.flow_task.name == "second_approval"

    # and: she cannot approve her own decision
    with pytest.raises(NotAllowed):
        services.second_approval_record(task_pk=approval.pk, user=secretary, approve=True)
    assert Decision.objects.get().status == "pending"

    # when: the colleague approves
    services.second_approval_record(task_pk=approval.pk, user=second_secretary, approve=True, comment="OK")

    # then: the grant takes effect with its letter, its mail and its advance
    decision.refresh_from_db()
    assert (decision.status, decision.approved_by, bool(decision.letter)) == ("effective", second_secretary, True)
    assert OutboxMessage.objects.filter(kind="decision", recipient=applicant.email).count() == 1
    assert Payment.objects.get().amount == Decimal("20000")
    assert open_task(draft).flow_task.name == "final_report"


def test_a_returned_grant_releases_its_money_and_reopens_the_decision(draft, applicant, case_officer, reviewer,
                                                                     secretary, second_secretary, fund_year):
    draft.call.fund.four_eyes_above = Decimal("10000")
    draft.call.fund.save()
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))
    services.second_approval_record(task_pk=open_task(draft).pk, user=second_secretary, approve=False,
                                    comment="Vänta på revisionen.")
    assert Decision.objects.get().status == "annulled"
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("100000")
    assert open_task(draft).flow_task.name == "decision"
    assert OutboxMessage.objects.filter(kind="decision_returned", recipient=secretary.email).count() == 1
    assert OutboxMessage.objects.filter(kind="decision").count() == 0


# -- payments, returns and the budget -------------------------------------------------------------------

def test_the_money_of_a_case_adds_up_to_the_krona(draft, applicant, case_officer, reviewer, secretary, fund_year):
    draft.call.fund.advance_percent = 60
    draft.call.fund.save()
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))
    advance = Payment.objects.get()
    assert advance.amount == Decimal("12000")
    ledger.payment_mark_paid(payment_id=advance.pk, user=secretary, paid_on=timezone.localdate())
    ledger.payment_mark_paid(payment_id=advance.pk, user=secretary, paid_on=timezone.localdate())  # twice: once
    assert LedgerEntry.objects.filter(kind="payment").count() == 1
    report(draft, applicant)  # actual costs 14 000
    services.report_approval_record(task_pk=open_task(draft).pk, user=secretary, approve=True)
    final = Payment.objects.get(kind="final")
    assert final.amount == Decimal("2000")
    ledger.payment_mark_paid(payment_id=final.pk, user=secretary, paid_on=timezone.localdate(), reference="V-9")
    assert fund_year_balance(fund_year=fund_year) == {
        "budget": Decimal("100000"), "committed": Decimal("0"), "paid": Decimal("14000"),
        "released": Decimal("6000"), "available": Decimal("86000")}


def test_closing_a_case_twice_returns_its_money_once(draft, applicant, case_officer, reviewer, secretary, fund_year):
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))
    Payment.objects.all().update(status="cancelled")  # say the project was called off before any payment
    first = ledger.case_close_release(application=draft, user=secretary)
    second = ledger.case_close_release(application=draft, user=secretary)
    assert (first.amount, second) == (Decimal("20000"), None)
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("100000")


def test_the_budget_changes_with_a_reason_and_never_below_what_is_committed(draft, applicant, case_officer,
                                                                            reviewer, secretary, fund_year):
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))
    with pytest.raises(ValidationError) as error:
        ledger.fund_year_budget_change(fund_year_id=fund_year.pk, user=secretary, new_budget=Decimal("19999"),
                                       reason="Neddragning")
    assert "20\u00a0000\u00a0kr" in error.value.message_dict["new_budget"][0]
    with pytest.raises(ValidationError):
        ledger.fund_year_budget_change(fund_year_id=fund_year.pk, user=secretary, new_budget=Decimal("150000"),
                                       reason=" ")
    with pytest.raises(PermissionDenied):
        ledger.fund_year_budget_change(fund_year_id=fund_year.pk, user=case_officer, new_budget=Decimal("150000"),
                                       reason="x")
    ledger.fund_year_budget_change(fund_year_id=fund_year.pk, user=secretary, new_budget=Decimal("20000"),
                                   reason="Ledningsgruppens beslut 12 mars")
    fund_year.refresh_from_db()
    assert fund_year.budget == Decimal("20000")
    change = BudgetChange.objects.get()
    assert (change.previous_budget, change.new_budget, change.changed_by) == (Decimal("100000"), Decimal("20000"),
                                                                              secretary)
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("0")


def test_the_budget_page_changes_the_budget_for_the_secretary_only(client, fund_year, secretary, case_officer):
    url = reverse("grants:fund_budget", args=[fund_year.pk])
    client.force_login(case_officer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"new_budget": "1", "reason": "x"}).status_code == 403
    client.force_login(secretary)
    response = client.post(url, {"new_budget": "120 000", "reason": "Tillskott"})
    assert response.status_code == 302
    fund_year.refresh_from_db()
    assert fund_year.budget == Decimal("120000")


def test_the_letter_is_downloadable_by_the_applicant_and_staff_only(client, draft, applicant, other_applicant,
                                                                    case_officer, reviewer, secretary):
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    decision = services.decision_record(task_pk=task.pk, user=secretary, outcome="rejected", amount=None,
                                        motivation="Ryms inte i årets prioriteringar.")
    url = reverse("grants:decision_letter", args=[decision.pk])
    for user, status in ((applicant, 200), (case_officer, 200), (other_applicant, 404), (reviewer, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status
        if status == 200:
            assert b"".join(response.streaming_content)[:5] == b"%PDF-"


def test_a_correction_is_a_new_linked_decision_and_the_money_follows(client, draft, applicant, case_officer,
                                                                    reviewer, secretary, fund_year):
    draft.call.fund.advance_percent = 50
    draft.call.fund.save()
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    first = services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))
    client.force_login(secretary)
    url = reverse("grants:decision_correct", args=[draft.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"amount": "16000", "conditions": "Nya villkor", "motivation": "Räknefel."})

    assert response.status_code == 302
    first.refresh_from_db()
    second = Decision.objects.get(corrects=first)
    assert (first.status, second.status, second.amount) == ("superseded", "effective", Decimal("16000"))
    assert first.letter_sha256 != second.letter_sha256
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("84000")
    assert list(Payment.objects.values_list("status", "amount")) == [("cancelled", Decimal("10000")),
                                                                      ("planned", Decimal("8000"))]
    assert OutboxMessage.objects.filter(kind="decision").count() == 2

    # a correction never goes below what is paid, nor above what is left
    ledger.payment_mark_paid(payment_id=Payment.objects.get(status="planned").pk, user=secretary,
                             paid_on=timezone.localdate())
    response = client.post(url, {"amount": "7999", "motivation": "x"})
    assert response.status_code == 400
    assert Decision.objects.filter(status="effective").get().amount == Decimal("16000")
    client.force_login(case_officer)
    assert client.post(url, {"amount": "15000", "motivation": "x"}).status_code == 403


def test_an_advance_not_yet_paid_at_approval_becomes_the_final_payment_of_what_was_spent(
        draft, applicant, case_officer, reviewer, secretary, fund_year):
    # given: a fund paying 100 % in advance; the advance was never paid out
    task = at_decision(draft, applicant, case_officer, reviewer, secretary)
    services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000"))
    report(draft, applicant)  # actual costs 14 000
    services.report_approval_record(task_pk=open_task(draft).pk, user=secretary, approve=True)
    assert sorted(Payment.objects.values_list("kind", "status", "amount")) == [
        ("advance", "cancelled", Decimal("20000")), ("final", "planned", Decimal("14000"))]
    assert fund_year_balance(fund_year=fund_year) == {
        "budget": Decimal("100000"), "committed": Decimal("14000"), "paid": Decimal("0"),
        "released": Decimal("6000"), "available": Decimal("86000")}
