"""The money after the grant: an advance paid beyond what was spent is claimed back and returns to the
fund when received; a grant that will not be carried out is ended; a correction above the fund's
four-eyes limit waits for a second secretary."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from grants.services import ledger
from grants.indicators import compute
from grants.models import Application, Decision, Event, LedgerEntry, Payment, Repayment
from grants.selectors import fund_year_balance
from common.errors import NotAllowed
from notifications.models import OutboxMessage
from tests.factories import ApplicationFactory, UserFactory
from tests.flow_helpers import REPORT, open_task, to_stage
from tests.threads import run_together
from workflows import services
from workflows.models import ApplicationProcess

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_secretary(db):
    return UserFactory(role="secretary", full_name="Sam Sekreterare")


def granted(application, applicant, case_officer, reviewer, secretary, amount):
    task = to_stage(application, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    return services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal(amount),
                                    motivation="Delar av budgeten är för höga.")


def report_with_costs(application, applicant, costs):
    """Send a final report whose actual costs (FinalReport.costs_total) come to `costs`."""
    data = dict(REPORT)
    try:
        from grants.services.reports import REPORT_FIELDS
    except ImportError:  # the report with one total
        REPORT_FIELDS = ("costs_total",)
    if "costs_total" in REPORT_FIELDS:
        data["costs_total"] = Decimal(costs)
    else:  # the report in detail: the total is the sum of the cost lines; all of it on the first line
        data.pop("costs_total", None)
        data.setdefault("started_on", timezone.localdate() - timezone.timedelta(days=10))
        data.setdefault("ended_on", timezone.localdate())
        data["costs"] = [{"budget_line": line.pk, "amount": Decimal(costs) if i == 0 else Decimal("0"), "comment": ""}
                         for i, line in enumerate(application.budget_lines.all())]
        data["activities"] = [{"activity": a.pk, "status": "done", "comment": ""} for a in application.activities.all()]
    report = services.final_report_submit(task_pk=open_task(application).pk, user=applicant, data=data)
    assert report.costs_total == Decimal(costs)
    return report


def pay_all_planned(secretary):
    for payment in Payment.objects.filter(status=Payment.Status.PLANNED):
        ledger.payment_mark_paid(payment_id=payment.pk, user=secretary, paid_on=timezone.localdate())


def ledger_sums(application):
    sums = {}
    for entry in LedgerEntry.objects.filter(application=application):
        key = (entry.kind, entry.note) if entry.kind == LedgerEntry.Kind.RELEASE else entry.kind
        sums[key] = sums.get(key, Decimal("0")) + entry.amount
    return sums


def state(application):
    """Everything a refused action must leave as it was."""
    application.refresh_from_db()
    return (application.status, LedgerEntry.objects.count(), Repayment.objects.count(),
            list(Payment.objects.order_by("pk").values_list("status", flat=True)), OutboxMessage.objects.count(),
            Event.objects.count(), list(Decision.objects.order_by("pk").values_list("status", flat=True)),
            ApplicationProcess.objects.get(application=application).status)


# -- the overpaid advance ---------------------------------------------------------------------------

def test_a_full_advance_beyond_what_was_spent_is_claimed_back_and_returns_to_the_fund(
        client, call, applicant, organisation, case_officer, reviewer, secretary, fund_year):
    # given: a fund paying 100 % in advance; 30 000 granted and the advance paid out
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                     requested_amount=Decimal("30000"))
    granted(application, applicant, case_officer, reviewer, secretary, "30000")
    pay_all_planned(secretary)
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("70000")

    # when: the final report says 20 000 was spent, and the secretary approves it
    report_with_costs(application, applicant, "20000")
    services.report_approval_record(task_pk=open_task(application).pk, user=secretary, approve=True)

    # then: 10 000 is owed back; no final payment; the money is not back in the fund before it arrives
    claim = Repayment.objects.get()
    assert (claim.application, claim.amount, claim.reason, claim.status, claim.due_on) == (
        application, Decimal("10000"), "unspent", "claimed", timezone.localdate() + timezone.timedelta(days=30))
    assert list(Payment.objects.values_list("kind", "status", "amount")) == [("advance", "paid", Decimal("30000"))]
    assert fund_year_balance(fund_year=fund_year) == {
        "budget": Decimal("100000"), "committed": Decimal("0"), "paid": Decimal("30000"),
        "released": Decimal("0"), "available": Decimal("70000")}
    event = Event.objects.get(kind=Event.Kind.REPAYMENT_CLAIMED)
    assert (event.actor, event.visible_to_applicant) == (secretary, True)
    mail = OutboxMessage.objects.get(kind="repayment_claimed")
    application.refresh_from_db()
    assert mail.recipient == applicant.email
    assert "10" in mail.body_text and application.case_number in mail.body_text
    assert "10" in mail.body_html and "<html" in mail.body_html

    # and: it shows on the case page, on the payments page and to the applicant
    client.force_login(secretary)
    case_page = client.get(reverse("workflows:case_detail", args=[application.pk]))
    assert list(case_page.context["repayments"]) == [claim]
    payments_page = client.get(reverse("grants:payments"))
    assert [row.pk for row in payments_page.context["claims"]] == [claim.pk]  # rows are values, not instances
    assert reverse("grants:repayment_mark_received", args=[claim.pk]).encode() in payments_page.content
    client.force_login(applicant)
    own_page = client.get(reverse("grants:application_detail", args=[application.pk]))
    assert list(own_page.context["repayments"]) == [claim]
    assert "10\xa0000\xa0kr".encode() in own_page.content

    # when: the secretary records the money received (twice: a double click)
    client.force_login(secretary)
    url = reverse("grants:repayment_mark_received", args=[claim.pk])
    for _ in range(2):
        response = client.post(url, {"received_on": timezone.localdate().isoformat(), "reference": "V-77"})
        assert response.status_code == 302

    # then: available is back up by 10 000, once, and the ledger sums are exact
    claim.refresh_from_db()
    assert (claim.status, claim.received_on, claim.reference, claim.received_recorded_by) == (
        "received", timezone.localdate(), "V-77", secretary)
    assert fund_year_balance(fund_year=fund_year) == {
        "budget": Decimal("100000"), "committed": Decimal("0"), "paid": Decimal("20000"),
        "released": Decimal("10000"), "available": Decimal("80000")}
    assert ledger_sums(application) == {"commitment": Decimal("30000"), "payment": Decimal("30000"),
                                        "repayment": Decimal("10000")}
    assert LedgerEntry.objects.get(kind="repayment").repayment == claim
    assert Event.objects.filter(kind=Event.Kind.REPAYMENT_RECEIVED).count() == 1
    assert OutboxMessage.objects.filter(kind="repayment_received", recipient=applicant.email).count() == 1
    # and: the indicators count it as returned and no longer paid (the same definition as the budget), from the
    # records
    figures = compute(call.fund, fund_year.year)
    assert (figures.amounts["paid"], figures.amounts["returned"]) == (Decimal("20000"), Decimal("10000"))
    assert (figures.budget["paid"], figures.budget["returned"]) == (Decimal("20000"), Decimal("10000"))


def test_a_partial_advance_beyond_what_was_spent_releases_the_rest_and_claims_the_difference(
        draft, applicant, case_officer, reviewer, secretary, fund_year):
    # given: 60 % in advance of 20 000 (12 000) paid; the report says 10 000 was spent
    draft.call.fund.advance_percent = 60
    draft.call.fund.save()
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    pay_all_planned(secretary)
    report_with_costs(draft, applicant, "10000")

    services.report_approval_record(task_pk=open_task(draft).pk, user=secretary, approve=True)

    # then: the unpaid 8 000 goes back now, the overpaid 2 000 is claimed, nothing more is paid
    assert Repayment.objects.get().amount == Decimal("2000")
    assert Payment.objects.filter(kind="final").count() == 0
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("88000")
    ledger.repayment_mark_received(repayment_id=Repayment.objects.get().pk, user=secretary,
                                   received_on=timezone.localdate())
    assert fund_year_balance(fund_year=fund_year) == {
        "budget": Decimal("100000"), "committed": Decimal("0"), "paid": Decimal("10000"),
        "released": Decimal("10000"), "available": Decimal("90000")}
    assert ledger_sums(draft) == {"commitment": Decimal("20000"), "payment": Decimal("12000"),
                                  ("release", "close"): Decimal("8000"), "repayment": Decimal("2000")}


def test_an_unpaid_advance_still_becomes_the_final_payment_and_nothing_is_claimed(
        draft, applicant, case_officer, reviewer, secretary, fund_year):
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    report_with_costs(draft, applicant, "14000")
    services.report_approval_record(task_pk=open_task(draft).pk, user=secretary, approve=True)
    assert Repayment.objects.count() == 0
    assert OutboxMessage.objects.filter(kind="repayment_claimed").count() == 0
    assert Payment.objects.get(status="planned").amount == Decimal("14000")
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("86000")


def test_only_the_secretary_records_a_repayment_and_a_refused_one_changes_nothing(
        client, draft, applicant, case_officer, reviewer, secretary, fund_year):
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    pay_all_planned(secretary)
    report_with_costs(draft, applicant, "5000")
    services.report_approval_record(task_pk=open_task(draft).pk, user=secretary, approve=True)
    claim = Repayment.objects.get()
    before = state(draft)
    url = reverse("grants:repayment_mark_received", args=[claim.pk])
    for user, status in ((case_officer, 403), (applicant, 403)):
        client.force_login(user)
        assert client.post(url, {"received_on": timezone.localdate().isoformat()}).status_code == status
    client.force_login(secretary)
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    assert client.post(url, {"received_on": tomorrow.isoformat()}).status_code == 302  # refused: in the future
    assert state(draft) == before
    assert Repayment.objects.get().status == "claimed"


# -- ending a grant that will not be carried out ------------------------------------------------------

def test_the_secretary_ends_a_grant_over_http_and_the_money_goes_back(
        client, draft, applicant, case_officer, reviewer, secretary, fund_year):
    # given: 20 000 granted, 50 % advance (10 000) paid out
    draft.call.fund.advance_percent = 50
    draft.call.fund.save()
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    pay_all_planned(secretary)
    client.force_login(secretary)
    url = reverse("grants:grant_end", args=[draft.pk])
    assert client.get(url).status_code == 200

    # when: she ends it with a reason (and clicks twice)
    responses = [client.post(url, {"reason": "Föreningen har lagt ned projektet."}) for _ in range(2)]

    # then: the unpaid half returns to the fund, the paid half is claimed back, the process is over
    assert [r.status_code for r in responses] == [302, 302]
    draft.refresh_from_db()
    assert draft.status == Application.Status.ENDED
    process = ApplicationProcess.objects.get(application=draft)
    assert process.status == PROCESS.CANCELED
    assert not process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    claim = Repayment.objects.get()
    assert (claim.amount, claim.reason) == (Decimal("10000"), "ended")
    assert ledger_sums(draft) == {"commitment": Decimal("20000"), "payment": Decimal("10000"),
                                  ("release", "close"): Decimal("10000")}
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("90000")
    event = Event.objects.get(kind=Event.Kind.GRANT_ENDED)
    assert (event.actor, event.message, event.visible_to_applicant, event.from_status, event.to_status) == (
        secretary, "Föreningen har lagt ned projektet.", True, "granted", "ended")
    mail = OutboxMessage.objects.get(kind="grant_ended")
    assert (mail.recipient, "Föreningen har lagt ned projektet." in mail.body_text) == (applicant.email, True)
    assert OutboxMessage.objects.filter(kind="repayment_claimed", recipient=applicant.email).count() == 1

    # and: when the money arrives the fund is whole again
    ledger.repayment_mark_received(repayment_id=claim.pk, user=secretary, received_on=timezone.localdate())
    assert fund_year_balance(fund_year=fund_year) == {
        "budget": Decimal("100000"), "committed": Decimal("0"), "paid": Decimal("0"),
        "released": Decimal("20000"), "available": Decimal("100000")}


def test_ending_a_grant_with_nothing_paid_cancels_the_advance_and_claims_nothing(
        client, draft, applicant, case_officer, reviewer, secretary, fund_year):
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    client.force_login(secretary)
    response = client.post(reverse("grants:grant_end", args=[draft.pk]), {"reason": "Ingen lokal."})
    assert response.status_code == 302
    assert list(Payment.objects.values_list("status", flat=True)) == ["cancelled"]
    assert Repayment.objects.count() == 0
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("100000")
    assert open_task_count(draft) == 0


def test_ending_a_grant_with_accepted_costs_claims_back_only_the_rest(
        client, draft, applicant, case_officer, reviewer, secretary, fund_year):
    # given: 20 000 granted, all of it paid in advance (the default 100 %)
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    pay_all_planned(secretary)
    client.force_login(secretary)

    # when: the project stops, and the secretary accepts the 6 000 it had already spent
    response = client.post(reverse("grants:grant_end", args=[draft.pk]),
                           {"reason": "Ledaren flyttade.", "accepted_costs": "6 000"})

    # then: 14 000 is claimed back, nothing more is paid, and the accepted costs stay spent
    assert response.status_code == 302
    assert Repayment.objects.get().amount == Decimal("14000")
    assert list(Payment.objects.values_list("kind", "status", "amount")) == [("advance", "paid", Decimal("20000"))]
    assert ledger_sums(draft) == {"commitment": Decimal("20000"), "payment": Decimal("20000")}
    assert "6000" in OutboxMessage.objects.get(kind="grant_ended").body_text.replace(" ", "").replace("\xa0", "")
    ledger.repayment_mark_received(repayment_id=Repayment.objects.get().pk, user=secretary,
                                   received_on=timezone.localdate())
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("94000")


def test_ending_a_grant_with_costs_above_the_advance_pays_the_difference(
        client, draft, applicant, case_officer, reviewer, secretary, fund_year):
    # given: 20 000 granted, a 50 % advance (10 000) paid
    draft.call.fund.advance_percent = 50
    draft.call.fund.save()
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    pay_all_planned(secretary)
    client.force_login(secretary)

    # when: 12 000 of costs are accepted
    client.post(reverse("grants:grant_end", args=[draft.pk]), {"reason": "Stopp.", "accepted_costs": "12000"})

    # then: nothing is claimed, 2 000 is planned as a final payment, and 8 000 goes back to the fund
    assert Repayment.objects.count() == 0
    assert list(Payment.objects.order_by("pk").values_list("kind", "status", "amount")) == [
        ("advance", "paid", Decimal("10000")), ("final", "planned", Decimal("2000"))]
    assert ledger_sums(draft)[("release", "close")] == Decimal("8000")
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("88000")


def test_accepted_costs_above_the_grant_are_refused_and_nothing_changes(
        client, draft, applicant, case_officer, reviewer, secretary, fund_year):
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    pay_all_planned(secretary)
    before = state(draft)
    client.force_login(secretary)
    for amount in ("20001", "-1"):
        response = client.post(reverse("grants:grant_end", args=[draft.pk]), {"reason": "x", "accepted_costs": amount})
        assert response.status_code == 400
        assert response.context["form"].errors["accepted_costs"]
    assert state(draft) == before


def open_task_count(application):
    return ApplicationProcess.objects.get(application=application).task_set.filter(
        status__in=[STATUS.NEW, STATUS.ASSIGNED]).count()


def test_a_case_officer_cannot_end_a_grant_and_nothing_changes(client, draft, applicant, case_officer, reviewer,
                                                               secretary, fund_year):
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    pay_all_planned(secretary)
    before = state(draft)
    url = reverse("grants:grant_end", args=[draft.pk])
    client.force_login(case_officer)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Vill avsluta."}).status_code == 403
    client.force_login(applicant)
    assert client.post(url, {"reason": "Vill avsluta."}).status_code == 404
    client.force_login(secretary)
    response = client.post(url, {"reason": "  "})  # no reason
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert state(draft) == before
    assert open_task(draft).flow_task.name == "final_report"


def test_a_carried_out_case_cannot_be_ended(draft, applicant, case_officer, reviewer, secretary):
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    report_with_costs(draft, applicant, "14000")
    services.report_approval_record(task_pk=open_task(draft).pk, user=secretary, approve=True)
    before = state(draft)
    with pytest.raises(NotAllowed):
        services.grant_end(application_id=draft.pk, user=secretary, reason="x")
    assert state(draft) == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)")
def test_ending_a_grant_twice_at_once_returns_the_money_once(draft, applicant, case_officer, reviewer, secretary,
                                                             fund_year):
    draft.call.fund.advance_percent = 50
    draft.call.fund.save()
    granted(draft, applicant, case_officer, reviewer, secretary, "20000")
    pay_all_planned(secretary)
    url = reverse("grants:grant_end", args=[draft.pk])

    def click(i):
        browser = Client()
        browser.force_login(secretary)
        return browser.post(url, {"reason": f"Avslutas ({i})."})

    responses = run_together(2, click)

    assert [r for r in responses if isinstance(r, Exception)] == []
    assert sorted(r.status_code for r in responses) == [302, 302]
    assert LedgerEntry.objects.filter(kind="release", note="close").count() == 1
    assert Repayment.objects.get().amount == Decimal("10000")
    assert Event.objects.filter(kind=Event.Kind.GRANT_ENDED).count() == 1
    assert OutboxMessage.objects.filter(kind="grant_ended").count() == 1
    assert OutboxMessage.objects.filter(kind="repayment_claimed").count() == 1
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("90000")


# -- a correction above the four-eyes limit ---------------------------------------------------------------

def test_a_correction_above_the_limit_waits_for_a_second_secretary(client, call, applicant, organisation,
                                                                   case_officer, reviewer, secretary,
                                                                   second_secretary, fund_year):
    # given: a fund whose grants above 10 000 need two secretaries; 10 000 granted (in effect at once)
    call.fund.four_eyes_above = Decimal("10000")
    call.fund.save()
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                     requested_amount=Decimal("30000"))
    first = granted(application, applicant, case_officer, reviewer, secretary, "10000")
    assert first.status == "effective"
    client.force_login(secretary)
    url = reverse("grants:decision_correct", args=[application.pk])

    # when: the secretary corrects it to 15 000
    response = client.post(url, {"amount": "15000", "motivation": "Lokalhyran glömdes."})

    # then: the raise is reserved, but nothing reaches the applicant and the old grant stays in effect
    assert response.status_code == 302
    correction = Decision.objects.get(corrects=first)
    first.refresh_from_db()
    assert (first.status, correction.status, bool(correction.letter)) == ("effective", "pending", False)
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("85000")
    assert list(Payment.objects.values_list("status", "amount")) == [("planned", Decimal("10000"))]
    assert OutboxMessage.objects.filter(kind="decision").count() == 1
    assert list(OutboxMessage.objects.filter(kind="approval_waiting").values_list("recipient", flat=True)) == [
        second_secretary.email]
    assert ledger.effective_grant(application) == first
    # and: a second correction, or approving one's own, is refused
    assert client.post(url, {"amount": "12000", "motivation": "x"}).status_code == 400
    approval_url = reverse("grants:correction_approval", args=[application.pk, correction.pk])
    assert client.post(approval_url, {"approve": "yes"}).status_code == 400
    correction.refresh_from_db()
    assert correction.status == "pending"
    # and: the final report cannot be approved past it
    report_with_costs(application, applicant, "9000")
    with pytest.raises(NotAllowed):
        services.report_approval_record(task_pk=open_task(application).pk, user=secretary, approve=True)
    services.report_approval_record(task_pk=open_task(application).pk, user=secretary, approve=False,
                                    comment="Bifoga kvitton.")

    # when: the colleague approves
    client.force_login(second_secretary)
    assert client.get(approval_url).status_code == 200
    response = client.post(approval_url, {"approve": "yes", "comment": "OK"})

    # then: the corrected grant takes effect with its letter, its mail and its advance; the money is right
    assert response.status_code == 302
    first.refresh_from_db()
    correction.refresh_from_db()
    assert (first.status, correction.status, correction.approved_by, bool(correction.letter)) == (
        "superseded", "effective", second_secretary, True)
    assert list(Payment.objects.values_list("status", "amount")) == [("cancelled", Decimal("10000")),
                                                                      ("planned", Decimal("15000"))]
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("85000")
    assert LedgerEntry.objects.filter(kind="commitment").count() == 2
    assert OutboxMessage.objects.filter(kind="decision", recipient=applicant.email).count() == 2
    assert Event.objects.filter(kind=Event.Kind.DECISION_APPROVED).count() == 1


def test_a_returned_correction_releases_its_reserve_and_the_old_grant_stays(
        call, applicant, organisation, case_officer, reviewer, secretary, second_secretary, fund_year):
    call.fund.four_eyes_above = Decimal("10000")
    call.fund.save()
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                     requested_amount=Decimal("30000"))
    first = granted(application, applicant, case_officer, reviewer, secretary, "10000")
    correction = services.decision_correct(application_id=application.pk, user=secretary, amount=Decimal("25000"),
                                         conditions="", motivation="Fler träffar.")
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("75000")

    services.correction_approval_record(decision_id=correction.pk, user=second_secretary, approve=False,
                                      comment="Vänta på ledningsgruppen.")

    correction.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, correction.status) == ("effective", "annulled")
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("90000")
    assert list(OutboxMessage.objects.filter(kind="correction_returned").values_list("recipient", flat=True)) == [
        secretary.email]
    assert OutboxMessage.objects.filter(kind="decision").count() == 1


def test_a_correction_within_the_limit_takes_effect_at_once(call, applicant, organisation, case_officer,
                                                            reviewer, secretary, fund_year):
    call.fund.four_eyes_above = Decimal("20000")
    call.fund.save()
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                     requested_amount=Decimal("30000"))
    granted(application, applicant, case_officer, reviewer, secretary, "10000")
    correction = services.decision_correct(application_id=application.pk, user=secretary, amount=Decimal("20000"),
                                         conditions="", motivation="Fler träffar.")
    assert correction.status == "effective"
    assert fund_year_balance(fund_year=fund_year)["available"] == Decimal("80000")


def test_ending_a_grant_lets_a_pending_correction_lapse(call, applicant, organisation, case_officer, reviewer,
                                                        secretary, fund_year):
    call.fund.four_eyes_above = Decimal("10000")
    call.fund.save()
    application = ApplicationFactory(organisation=organisation, call=call, created_by=applicant,
                                     requested_amount=Decimal("30000"))
    granted(application, applicant, case_officer, reviewer, secretary, "10000")
    correction = services.decision_correct(application_id=application.pk, user=secretary, amount=Decimal("25000"),
                                         conditions="", motivation="Fler träffar.")
    services.grant_end(application_id=application.pk, user=secretary, reason="Projektet ställs in.")
    correction.refresh_from_db()
    assert correction.status == "annulled"
    assert fund_year_balance(fund_year=fund_year) == {
        "budget": Decimal("100000"), "committed": Decimal("0"), "paid": Decimal("0"),
        "released": Decimal("25000"), "available": Decimal("100000")}
