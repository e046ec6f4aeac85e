"""The applicant side of the skeleton: organisation, draft, submit, open calls."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.models import Application, Organisation
from grants.validators import validate_org_number
from notifications.models import OutboxMessage
from tests.factories import CallFactory
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


def test_an_invalid_organisation_number_is_refused_with_a_clear_error(client, applicant):
    client.force_login(applicant)
    response = client.post(reverse("grants:organisation_create"), {
        "name": "X", "org_number": "802456-1231", "municipality": "1", "kind": "association",
    })
    assert response.status_code == 400
    assert "org_number" in response.context["form"].errors
    assert Organisation.objects.filter(name="X").count() == 0


@pytest.mark.parametrize("field, value", [
    ("title", ""), ("summary", ""), ("problem", ""), ("goals", ""), ("target_group", ""),
    ("planned_women", ""), ("requested_amount", ""), ("start_date", ""), ("end_date", ""),
])
def test_submitting_with_a_required_part_missing_shows_that_field_and_submits_nothing(client, draft, applicant,
                                                                                   field, value):
    client.force_login(applicant)
    data = {name: getattr(draft, name) or "" for name in Application.CONTENT_FIELDS}
    data.update({"start_date": draft.start_date.isoformat(), "end_date": draft.end_date.isoformat()})
    data[field] = value
    response = client.post(reverse("grants:application_edit", args=[draft.pk]), {**data, "submit": "1"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert f'href="#id_{field}"' in response.content.decode()  # the error summary links to the field
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT
    assert getattr(draft, field) in (None, "")  # what was typed is kept, even when incomplete
    assert ApplicationProcess.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_all_problems_are_shown_at_once(client, call, applicant, organisation):
    application = Application.objects.create(organisation=organisation, call=call, created_by=applicant)
    client.force_login(applicant)
    response = client.post(reverse("grants:application_edit", args=[application.pk]), {"submit": "1"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {
        "title", "summary", "problem", "goals", "target_group", "planned_women", "planned_men", "planned_other",
        "requested_amount", "start_date", "end_date",
    }


def test_an_amount_above_the_funds_ceiling_cannot_be_submitted(client, draft, applicant):
    draft.requested_amount = draft.call.fund.max_amount + 1
    draft.save()
    client.force_login(applicant)
    data = {name: getattr(draft, name) for name in Application.CONTENT_FIELDS}
    response = client.post(reverse("grants:application_edit", args=[draft.pk]), {**data, "submit": "1"})
    assert response.status_code == 400
    assert "requested_amount" in response.context["form"].errors


def test_a_draft_is_saved_and_read_back_in_a_new_session(client, draft, applicant):
    client.force_login(applicant)
    data = {name: getattr(draft, name) for name in Application.CONTENT_FIELDS}
    data["problem"] = "Ett nytt problem, halvskrivet"
    assert client.post(reverse("grants:application_edit", args=[draft.pk]), {**data, "save": "1"}).status_code == 302
    client.logout()
    client.force_login(applicant)
    page = client.get(reverse("grants:application_edit", args=[draft.pk]))
    assert page.context["form"]["problem"].value() == "Ett nytt problem, halvskrivet"


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
    data = {name: getattr(draft, name) for name in Application.CONTENT_FIELDS}
    response = client.post(reverse("grants:application_edit", args=[draft.pk]), {**data, "submit": "1"})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_a_submitted_application_is_read_only_and_shows_where_it_is(client, draft, applicant):
    from tests.flow_helpers import submit

    submit(draft, applicant)
    client.force_login(applicant)
    edit = client.get(reverse("grants:application_edit", args=[draft.pk]))
    assert edit.status_code == 302
    response = client.post(reverse("grants:application_edit", args=[draft.pk]), {"title": "Ändrad", "save": "1"})
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
