"""The applicant side of the skeleton: organisation, draft, submit, open calls."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.models import Application, Organisation
from grants.validators import validate_org_number
from notifications.models import OutboxMessage
from tests.factories import CallFactory, OrganisationFactory, application_post_data, org_number
from workflows.models import ApplicationProcess

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value, ok", [
    ("802456-1238", True), ("8024561238", True), ("802456 1238", True),
    ("802456-1231", False),  # wrong check digit
    ("801456-1234", False),  # third digit below 2: a personal identity number, not an organisation
    ("80245-61238", False), ("abc", False), ("", False),
])
def test_organisation_numbers_are_validated(value, ok):
    from django.core.exceptions import ValidationError

    if ok:
        validate_org_number(value)
    else:
        with pytest.raises(ValidationError):
            validate_org_number(value)


@pytest.mark.parametrize("n", [0, 1, 9, 10, 99_999, 100_000, 123_456])
def test_the_factories_organisation_numbers_pass_the_apps_validator(n):
    validate_org_number(org_number(n))
    assert org_number(n) == f"{org_number(n)[:6]}-{org_number(n)[7:]}" and len(org_number(n)) == 11


def test_a_factory_organisation_is_valid_as_the_forms_see_it():
    organisation = OrganisationFactory()
    organisation.full_clean()
    assert organisation.org_number[2] >= "2"


def test_an_invalid_organisation_number_is_refused_with_a_clear_error(client, applicant):
    client.force_login(applicant)
    response = client.post(reverse("grants:organisation_create"), {
        "name": "X", "org_number": "802456-1231", "municipality": "1", "kind": "association",
    })
    assert response.status_code == 400
    assert "org_number" in response.context["form"].errors
    assert Organisation.objects.filter(name="X").count() == 0


REQUIRED = [
    "title", "summary", "problem", "motivation", "similar_projects", "anchoring", "goals", "indicators",
    "target_group", "planned_women", "planned_men", "planned_other", "planned_newcomers", "planned_established",
    "accessibility_plan", "equal_treatment_plan", "signatory_name", "signatory_role", "signatory_email",
    "requested_amount", "start_date", "end_date",
]


@pytest.mark.parametrize("field", REQUIRED)
def test_submitting_with_a_required_field_missing_shows_that_field_and_submits_nothing(client, draft, applicant,
                                                                                    field):
    client.force_login(applicant)
    response = client.post(reverse("grants:application_edit", args=[draft.pk]),
                           application_post_data(draft, **{field: "", "submit": "1"}))
    assert response.status_code == 400
    errors = response.context["editor"].form.errors
    part_errors = {k for k, v in response.context["editor"].formsets.items() if v.non_form_errors()}
    assert set(errors) | part_errors == {field}
    assert f'href="#id_{field}"' in response.content.decode()  # the error summary links to the field
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT
    assert getattr(draft, field) in (None, "")  # what was typed is kept, even when incomplete
    assert ApplicationProcess.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize("overrides, part, message", [  # the messages in Swedish, the default language
    ({"themes": []}, "themes", "minst ett tema"),
    ({"activities-0-description": "", "activities-0-starts_on": "", "activities-0-ends_on": "",
      "activities-1-description": "", "activities-1-starts_on": ""}, "activities", "minst en aktivitet"),
    ({"budget-1-amount": "11000"}, "budget", "19"),
    ({"activities-1-starts_on": "2099-01-01"}, "activities-1-starts_on", "projektperioden"),
    ({"budget-0-amount": ""}, "budget-0-amount", "belopp"),
])
def test_list_parts_are_checked_on_submit(client, draft, applicant, overrides, part, message):
    client.force_login(applicant)
    response = client.post(reverse("grants:application_edit", args=[draft.pk]),
                           application_post_data(draft, submit="1", **overrides))
    assert response.status_code == 400
    links = " ".join(text for _anchor, text in response.context["editor"].error_links())
    assert message in links
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_a_microproject_needs_an_authority_and_an_idea_based_organisation(client, draft, applicant):
    from grants.models import Fund

    draft.call.fund.kind = Fund.Kind.MIKROPROJEKT
    draft.call.fund.save()
    client.force_login(applicant)
    url = reverse("grants:application_edit", args=[draft.pk])
    response = client.post(url, application_post_data(draft, submit="1"))
    assert response.status_code == 400
    assert response.context["editor"].formsets["partners"].non_form_errors()
    response = client.post(url, application_post_data(draft, submit="1", **{
        "version": str(draft.version + 1), "partners-0-name": "Kalmar kommun", "partners-0-kind": "authority",
        "partners-0-role": "Lokaler och marknadsföring", "partners-TOTAL_FORMS": "3"}))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Application.Status.SUBMITTED
    assert list(draft.partners.values_list("name", flat=True)) == ["Kalmar kommun"]


def test_all_problems_are_shown_at_once(client, call, applicant, organisation):
    application = Application.objects.create(organisation=organisation, call=call, created_by=applicant)
    client.force_login(applicant)
    response = client.post(reverse("grants:application_edit", args=[application.pk]),
                           application_post_data(application, submit="1"))
    assert response.status_code == 400
    editor = response.context["editor"]
    assert set(editor.form.errors) == set(REQUIRED) | {"themes"}
    assert [str(e) for e in editor.formsets["activities"].non_form_errors()] != []
    assert [str(e) for e in editor.formsets["budget"].non_form_errors()] != []


def test_an_amount_above_the_funds_ceiling_cannot_be_submitted(client, draft, applicant):
    client.force_login(applicant)
    too_much = str(draft.call.fund.max_amount + 1)
    response = client.post(reverse("grants:application_edit", args=[draft.pk]),
                           application_post_data(draft, requested_amount=too_much, submit="1"))
    assert response.status_code == 400
    assert "requested_amount" in response.context["editor"].form.errors


def test_a_draft_is_saved_and_read_back_in_a_new_session(client, draft, applicant):
    client.force_login(applicant)
    data = application_post_data(draft, problem="Ett nytt problem, halvskrivet", save="1")
    assert client.post(reverse("grants:application_edit", args=[draft.pk]), data).status_code == 302
    client.logout()
    client.force_login(applicant)
    page = client.get(reverse("grants:application_edit", args=[draft.pk]))
    assert page.context["form"]["problem"].value() == "Ett nytt problem, halvskrivet"


def test_autosave_round_trip_and_a_stale_tab_is_refused(client, draft, applicant):
    # given: the draft open in two tabs (both loaded version 1)
    client.force_login(applicant)
    url = reverse("grants:application_autosave", args=[draft.pk])
    first_tab = application_post_data(draft)

    # when: the first tab autosaves twice as she types
    one = client.post(url, {**first_tab, "goals": "Mål, utkast 1"})
    two = client.post(url, {**first_tab, "goals": "Mål, utkast 2", "version": str(one.json()["version"])})

    # then: both are stored, each answer carrying the new version
    assert (one.status_code, two.status_code) == (200, 200)
    assert (one.json()["version"], two.json()["version"]) == (draft.version + 1, draft.version + 2)
    draft.refresh_from_db()
    assert draft.goals == "Mål, utkast 2"
    # and: another session sees what was typed
    client.logout()
    client.force_login(applicant)
    assert client.get(reverse("grants:application_edit", args=[draft.pk])).context["form"]["goals"].value() \
        == "Mål, utkast 2"

    # when: the second tab, still on version 1, autosaves
    stale = client.post(url, {**first_tab, "goals": "Gammal flik"})

    # then: it is refused with a clear message and nothing is overwritten
    assert stale.status_code == 409
    assert "another window" in stale.json()["message"] or "annat fönster" in stale.json()["message"]
    draft.refresh_from_db()
    assert draft.goals == "Mål, utkast 2"


def test_autosave_keeps_valid_parts_of_a_half_typed_form(client, draft, applicant):
    client.force_login(applicant)
    url = reverse("grants:application_autosave", args=[draft.pk])
    response = client.post(url, application_post_data(draft, summary="Ny sammanfattning", planned_men="tio"))
    assert response.status_code == 200
    draft.refresh_from_db()
    assert (draft.summary, draft.planned_men) == ("Ny sammanfattning", 8)
    # and: the answer names the field it could not store, instead of just "saved"
    problems = response.json()["problems"]
    assert [p["field"] for p in problems] == ["id_planned_men"]
    assert problems[0]["message"] in response.json()["message"]


@pytest.mark.parametrize("amount", ["0", "-5", "0,00"])
def test_a_requested_amount_of_zero_or_less_is_a_field_error_and_the_rest_is_kept(client, draft, applicant, amount):
    client.force_login(applicant)
    before = draft.requested_amount
    autosave = client.post(reverse("grants:application_autosave", args=[draft.pk]),
                           application_post_data(draft, summary="Kvar", requested_amount=amount))
    assert autosave.status_code == 200
    assert [p["field"] for p in autosave.json()["problems"]] == ["id_requested_amount"]
    draft.refresh_from_db()
    assert (draft.summary, draft.requested_amount) == ("Kvar", before)

    saved = client.post(reverse("grants:application_edit", args=[draft.pk]),
                        application_post_data(draft, summary="Kvar igen", requested_amount=amount, save="1"))
    assert saved.status_code == 400
    assert saved.context["form"].errors["requested_amount"]
    draft.refresh_from_db()
    assert (draft.summary, draft.requested_amount) == ("Kvar igen", before)


def test_autosave_after_submit_is_refused(client, draft, applicant):
    from tests.flow_helpers import submit

    submit(draft, applicant)
    client.force_login(applicant)
    response = client.post(reverse("grants:application_autosave", args=[draft.pk]),
                           application_post_data(draft, title="Ändrad"))
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.title == "Språkcafé"


def test_withdrawing_before_the_decision_cancels_the_process(client, draft, applicant, case_officer):
    from viewflow.workflow.status import PROCESS, STATUS

    from tests.flow_helpers import check_pass, submit

    submit(draft, applicant)
    check_pass(draft, case_officer)
    client.force_login(applicant)
    assert client.get(reverse("grants:application_withdraw", args=[draft.pk])).status_code == 200
    response = client.post(reverse("grants:application_withdraw", args=[draft.pk]), {"reason": "Ledaren flyttar."})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Application.Status.WITHDRAWN
    process = ApplicationProcess.objects.get(application=draft)
    assert process.status == PROCESS.CANCELED
    assert process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).count() == 0
    assert draft.events.filter(kind="withdrawn", message="Ledaren flyttar.").count() == 1
    assert draft.assignments.exclude(status="removed").count() == 0  # reviewers are no longer asked
    # a second click changes nothing
    client.post(reverse("grants:application_withdraw", args=[draft.pk]), {"reason": ""})
    assert draft.events.filter(kind="withdrawn").count() == 1


def test_a_decided_application_cannot_be_withdrawn(client, draft, applicant, case_officer, reviewer, secretary):
    from tests.flow_helpers import to_stage

    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    client.force_login(applicant)
    client.post(reverse("grants:application_withdraw", args=[draft.pk]), {"reason": ""})
    draft.refresh_from_db()
    assert draft.status == Application.Status.GRANTED


def test_applying_outside_an_open_call_is_refused(client, applicant, organisation, fund_year):
    closed = CallFactory(fund=fund_year.fund, opens_at=timezone.now() - timedelta(days=30),
                         closes_at=timezone.now() - timedelta(days=1))
    client.force_login(applicant)
    response = client.post(reverse("grants:application_new", args=[closed.pk]), {"organisation": organisation.pk})
    assert response.status_code == 400
    assert "not open" in response.context["error"] or "inte öppen" in response.context["error"]
    assert Application.objects.count() == 0


def test_a_draft_in_a_call_that_has_closed_cannot_be_submitted(client, draft, applicant):
    draft.call.closes_at = timezone.now() - timedelta(minutes=1)
    draft.call.opens_at = timezone.now() - timedelta(days=5)
    draft.call.save()
    client.force_login(applicant)
    response = client.post(reverse("grants:application_edit", args=[draft.pk]),
                           application_post_data(draft, submit="1"))
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_a_submitted_application_is_read_only_and_shows_where_it_is(client, draft, applicant):
    from tests.flow_helpers import submit

    submit(draft, applicant)
    client.force_login(applicant)
    edit = client.get(reverse("grants:application_edit", args=[draft.pk]))
    assert edit.status_code == 302
    response = client.post(reverse("grants:application_edit", args=[draft.pk]),
                           application_post_data(draft, title="Ändrad", save="1"))
    draft.refresh_from_db()
    assert draft.title == "Språkcafé"
    page = client.get(reverse("grants:application_detail", args=[draft.pk]))
    assert [s["state"] for s in page.context["steps"]] == ["done", "current", "todo", "todo", "todo", "todo"]
    assert response.status_code == 302


def test_the_start_page_lists_only_open_calls(client, call, fund_year):
    CallFactory(fund=fund_year.fund, title="Stängd", opens_at=timezone.now() - timedelta(days=30),
                closes_at=timezone.now() - timedelta(days=1))
    page = client.get(reverse("home"))
    assert [c.title for c in page.context["calls"]] == [call.title]


@pytest.mark.parametrize("typed, stored", [
    ("25000", "25000"), ("25 000", "25000"), ("25\u00a0000", "25000"), ("25 000 kr", "25000"),
    ("24999,50", "24999.50"), ("24 999.50", "24999.50"),
])
def test_amounts_are_read_as_people_type_them(client, draft, applicant, typed, stored):
    from decimal import Decimal

    client.force_login(applicant)
    client.post(reverse("grants:application_autosave", args=[draft.pk]),
                application_post_data(draft, requested_amount=typed))
    draft.refresh_from_db()
    assert draft.requested_amount == Decimal(stored)
