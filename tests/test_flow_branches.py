"""The send-back loop and both rejections end where they should."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from grants.models import Application, Event, ExAnteCheck, LedgerEntry
from notifications.models import OutboxMessage
from tests.flow_helpers import all_points, check_pass, open_task, submit, to_stage
from workflows import services
from workflows.models import ApplicationProcess

pytestmark = pytest.mark.django_db


def test_completion_loop_reopens_named_fields_and_returns_to_the_check(client, draft, applicant, case_officer):
    # given: a submitted application
    submit(draft, applicant)
    deadline = timezone.localdate() + timedelta(days=14)

    # when: the officer sends it back for completion of the goals
    services.exante_check_record(
        task_pk=open_task(draft).pk, user=case_officer, outcome="completion", results=all_points(draft),
        comment="Skriv mätbara mål.", completion_fields=["goals"], completion_deadline=deadline,
    )

    # then: the applicant has a completion task with only the goals open, and got a mail
    draft.refresh_from_db()
    assert draft.status == Application.Status.COMPLETION
    assert draft.reopened_fields == ["goals"]
    task = open_task(draft)
    assert (task.flow_task.name, task.owner_id) == ("completion", applicant.pk)
    assert OutboxMessage.objects.filter(kind="completion_requested", recipient=applicant.email).count() == 1
    client.force_login(applicant)
    page = client.get(reverse("workflows:task", args=[task.pk]))
    editor = page.context["editor"]
    assert (list(editor.form.fields), list(editor.formsets)) == (["goals", "version"], [])
    assert "Skriv mätbara mål." in page.content.decode()

    # when: she completes the goals (and tries to change the title and the budget, which are not reopened)
    response = client.post(reverse("workflows:task", args=[task.pk]), {
        "goals": "Minst 60 % anger ökad kunskap.", "title": "Något annat", "version": str(draft.version),
        "budget-TOTAL_FORMS": "1", "budget-INITIAL_FORMS": "0", "budget-0-description": "Nytt",
        "budget-0-amount": "20000"})

    # then: only the goals changed, and the application is back at the ex-ante check
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.goals, draft.title) == ("Minst 60 % anger ökad kunskap.", "Språkcafé")
    assert list(draft.budget_lines.values_list("description", flat=True)) == ["Lokalhyra", "Arvoden"]
    assert draft.status == Application.Status.SUBMITTED
    assert draft.reopened_fields == []
    assert open_task(draft).flow_task.name == "exante_check"
    assert Event.objects.filter(application=draft, kind=Event.Kind.RESUBMITTED).count() == 1

    # and: passing the second check moves it on to review
    check_pass(draft, case_officer)
    assert open_task(draft).flow_task.name == "review"
    assert list(draft.checks.values_list("outcome", flat=True)) == ["completion", "pass"]


def test_reject_as_ineligible_ends_the_process(draft, applicant, case_officer):
    submit(draft, applicant)
    services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome="ineligible",
                                 results=all_points(draft, "fail"), comment="Organisationen är inte idéburen.")
    draft.refresh_from_db()
    assert draft.status == Application.Status.INELIGIBLE
    process = ApplicationProcess.objects.get(application=draft)
    assert process.status == PROCESS.DONE
    assert process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).count() == 0
    assert process.task_set.get(flow_task_type="END").flow_task.name == "ineligible"
    mail = OutboxMessage.objects.get(kind="ineligible")
    assert "Organisationen är inte idéburen." in mail.body_text


def test_rejection_by_the_secretary_ends_the_process_and_commits_nothing(draft, applicant, case_officer,
                                                                        reviewer, secretary):
    task = to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    services.decision_record(task_pk=task.pk, user=secretary, outcome="rejected", amount=None,
                             motivation="Andra ansökningar svarade bättre mot syftet.")
    draft.refresh_from_db()
    assert draft.status == Application.Status.REJECTED
    process = ApplicationProcess.objects.get(application=draft)
    assert process.status == PROCESS.DONE
    assert process.task_set.get(flow_task_type="END").flow_task.name == "rejected"
    assert LedgerEntry.objects.count() == 0
    assert OutboxMessage.objects.filter(kind="decision", recipient=applicant.email).count() == 1


def test_report_completion_returns_the_report_to_the_applicant(draft, applicant, case_officer, reviewer, secretary):
    task = to_stage(draft, "report_approval", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    services.report_approval_record(task_pk=task.pk, user=secretary, approve=False, comment="Bifoga enkäten.")
    draft.refresh_from_db()
    assert draft.status == Application.Status.GRANTED
    assert open_task(draft).flow_task.name == "final_report"
    assert draft.final_reports.get().outcome == "completion"


@pytest.mark.parametrize("kwargs, field", [
    ({"outcome": "pass", "failing": 1}, "override_reason"),
    ({"outcome": "pass", "missing": 1}, "item"),
    ({"outcome": "completion", "comment": "x"}, "completion_fields"),
    ({"outcome": "completion", "comment": "x", "completion_fields": ["goals"]}, "completion_deadline"),
    ({"outcome": "ineligible"}, "comment"),
])
def test_an_incomplete_check_is_refused_and_changes_nothing(draft, applicant, case_officer, kwargs, field):
    submit(draft, applicant)
    task = open_task(draft)
    events_before = Event.objects.count()
    results = all_points(draft)
    first = next(iter(results))
    if kwargs.pop("failing", 0):
        results[first] = ("fail", "Saknas")
    if kwargs.pop("missing", 0):
        del results[first]
    with pytest.raises(ValidationError) as error:
        services.exante_check_record(task_pk=task.pk, user=case_officer, results=results, **kwargs)
    assert any(key.startswith(field) for key in error.value.message_dict), error.value.message_dict
    assert ExAnteCheck.objects.count() == 0
    assert Event.objects.count() == events_before
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.NEW, None)


def test_a_grant_larger_than_what_is_left_is_refused(draft, applicant, case_officer, reviewer, secretary, fund_year):
    fund_year.budget = Decimal("10000")
    fund_year.save()
    task = to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    with pytest.raises(ValidationError) as error:
        services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("15000"),
                                 motivation="Delvis.")
    assert "10" in error.value.message_dict["amount"][0]
    assert LedgerEntry.objects.count() == 0
    draft.refresh_from_db()
    assert draft.status == Application.Status.DECISION
    assert OutboxMessage.objects.filter(kind="decision").count() == 0


def test_a_grant_above_the_request_is_refused(draft, applicant, case_officer, reviewer, secretary):
    task = to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    with pytest.raises(ValidationError):
        services.decision_record(task_pk=task.pk, user=secretary, outcome="granted", amount=Decimal("20000.01"))
    assert LedgerEntry.objects.count() == 0


def test_a_reviewer_from_the_applying_organisation_is_never_asked(draft, applicant, case_officer, reviewer):
    from grants.models import Membership
    from reviewers.models import Assignment

    Membership.objects.create(user=reviewer, organisation=draft.organisation)
    submit(draft, applicant)
    check_pass(draft, case_officer)
    assert Assignment.objects.filter(reviewer=reviewer).count() == 0
