"""Every step page refuses users of the wrong role and other organisations; a refused
POST changes nothing and queues no mail."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from grants.models import Application, Event
from notifications.models import OutboxMessage
from tests.flow_helpers import all_points, open_task, submit, to_stage
from workflows import services

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "applicant", "other_applicant", "case_officer", "reviewer", "secretary", "steering"]
ALLOWED = {
    "exante_check": "case_officer", "completion": "applicant", "decision": "secretary",
    "final_report": "applicant", "report_approval": "secretary",
}
# What a POST would contain if it were allowed: a complete, valid answer for each step.
VALID_POST = {
    "exante_check": {"outcome": "pass"},  # plus every checklist point, added in the test
    "completion": {"goals": "Nya mål."},
    "decision": {"outcome": "granted", "amount": "1000"},
    "final_report": {"activities_done": "x", "participants_women": "1", "participants_men": "1",
                     "participants_other": "0", "participants_newcomers": "1", "participants_established": "1",
                     "trainers_women": "1", "trainers_men": "0", "costs_total": "1", "survey_share": "60",
                     "lessons": "x"},
    "report_approval": {"approve": "yes"},
}


@pytest.fixture
def people(applicant, other_applicant, case_officer, reviewer, secretary, steering):
    return {"anonymous": None, "applicant": applicant, "other_applicant": other_applicant,
            "case_officer": case_officer, "reviewer": reviewer, "secretary": secretary, "steering": steering}


def task_at(node, draft, people):
    if node == "completion":
        submit(draft, people["applicant"])
        services.exante_check_record(
            task_pk=open_task(draft).pk, user=people["case_officer"], outcome="completion",
            results=all_points(draft), comment="Mål.", completion_fields=["goals"],
            completion_deadline=timezone.localdate() + timedelta(days=7),
        )
        return open_task(draft)
    return to_stage(draft, node, applicant=people["applicant"], officer=people["case_officer"],
                    reviewer=people["reviewer"], secretary=people["secretary"])


def snapshot(task, application):
    task = Task.objects.get(pk=task.pk)
    application = Application.objects.get(pk=application.pk)
    return (task.status, task.owner_id, application.status, application.goals, Event.objects.count(),
            OutboxMessage.objects.count(), application.checks.count(), application.reviews.count(),
            application.decisions.count(), application.final_reports.count())


@pytest.mark.parametrize("node", list(ALLOWED))
@pytest.mark.parametrize("persona", PERSONAS)
def test_step_pages_refuse_everyone_but_the_right_role(client, draft, people, node, persona):
    # given: an application waiting at `node`
    task = task_at(node, draft, people)
    assert task.flow_task.name == node
    before = snapshot(task, draft)
    user = people[persona]
    if user is not None:
        client.force_login(user)
    url = reverse("workflows:task", args=[task.pk])
    data = dict(VALID_POST[node])
    if node == "exante_check":
        data.update({f"item_{pk}": "pass" for pk in all_points(draft)})

    # when
    get = client.get(url)
    post = client.post(url, data)
    claim = client.post(reverse("workflows:claim", args=[task.pk]))

    # then
    if persona == ALLOWED[node]:
        assert get.status_code == 200
        return
    if user is None:
        assert get.status_code == post.status_code == claim.status_code == 302
        assert get["Location"].startswith(reverse("account_login"))
    else:
        assert get.status_code == 404
        assert post.status_code == 404
        assert claim.status_code == 404
    assert snapshot(task, draft) == before


def test_a_task_claimed_by_a_colleague_cannot_be_done_by_another_of_the_same_role(client, draft, people):
    from tests.factories import UserFactory

    task = task_at("exante_check", draft, people)
    services.task_claim(task_pk=task.pk, user=people["case_officer"])
    colleague = UserFactory(role="case_officer")
    client.force_login(colleague)
    before = snapshot(task, draft)
    page = client.get(reverse("workflows:task", args=[task.pk]))
    assert page.status_code == 200 and page.context["may_do"] is False
    post = client.post(reverse("workflows:task", args=[task.pk]),
                       {**VALID_POST["exante_check"], **{f"item_{pk}": "pass" for pk in all_points(draft)}})
    assert post.status_code == 403
    claim = client.post(reverse("workflows:claim", args=[task.pk]))
    assert claim.status_code == 302
    assert snapshot(task, draft) == before


@pytest.mark.parametrize("name", ["grants:application_detail", "grants:application_edit"])
def test_another_organisations_applicant_gets_404_on_applicant_pages(client, draft, other_applicant, name):
    client.force_login(other_applicant)
    before = (draft.title, draft.status)
    assert client.get(reverse(name, args=[draft.pk])).status_code == 404
    assert client.post(reverse(name, args=[draft.pk]), {"title": "Kapad", "submit": "1"}).status_code == 404
    draft.refresh_from_db()
    assert (draft.title, draft.status) == before
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize("persona", ["applicant", "other_applicant", "reviewer", "steering"])
def test_case_pages_are_for_staff_only(client, draft, people, persona):
    submit(draft, people["applicant"])
    client.force_login(people[persona])
    assert client.get(reverse("workflows:case_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("workflows:case_list")).status_code == 403


def test_staff_see_the_case_with_its_workflow_and_audit_trail(client, draft, people):
    submit(draft, people["applicant"])
    client.force_login(people["case_officer"])
    page = client.get(reverse("workflows:case_detail", args=[draft.pk]))
    assert page.status_code == 200
    assert [t.flow_task.name for t in page.context["tasks"]] == ["start", "exante_check"]
    assert [e.kind for e in page.context["events"]] == ["submitted"]  # the factory draft has no "created" event
    listing = client.get(reverse("workflows:case_list"))
    assert [case.pk for case in listing.context["cases"]] == [draft.pk]


def test_another_organisations_applicant_gets_404_on_every_applicant_url(client, draft, applicant, other_applicant,
                                                                          settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grants.services.attachments import attachment_add
    from tests.factories import application_post_data

    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}}}
    attachment = attachment_add(application_id=draft.pk, user=applicant,
                                upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n" + b" " * 64))
    before = (draft.title, draft.status, draft.attachments.count())
    client.force_login(other_applicant)
    gets = [reverse(name, args=[draft.pk]) for name in (
        "grants:application_detail", "grants:application_edit", "grants:application_withdraw")] + [
        reverse("grants:attachment_download", args=[attachment.pk]),
        reverse("grants:organisation_detail", args=[draft.organisation_id])]
    posts = {
        reverse("grants:application_edit", args=[draft.pk]): application_post_data(draft, title="Kapad", submit="1"),
        reverse("grants:application_autosave", args=[draft.pk]): application_post_data(draft, title="Kapad"),
        reverse("grants:application_withdraw", args=[draft.pk]): {"reason": "x"},
        reverse("grants:attachment_add", args=[draft.pk]): {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4\n")},
        reverse("grants:attachment_remove", args=[attachment.pk]): {},
        reverse("grants:organisation_detail", args=[draft.organisation_id]): {"email": "x@example.org"},
    }
    assert [client.get(url).status_code for url in gets] == [404] * len(gets)
    assert [client.post(url, data).status_code for url, data in posts.items()] == [404] * len(posts)
    draft.refresh_from_db()
    assert (draft.title, draft.status, draft.attachments.count()) == before
    assert OutboxMessage.objects.exclude(kind="submitted").count() == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_second_approval_refuses_everyone_but_another_secretary(client, draft, people, persona):
    from decimal import Decimal

    from grants.models import Decision
    from tests.factories import UserFactory

    # given: a grant above the fund's four-eyes limit, decided by `secretary`, waiting for a colleague
    draft.call.fund.four_eyes_above = Decimal("1000")
    draft.call.fund.save()
    decision_task = task_at("decision", draft, people)
    services.decision_record(task_pk=decision_task.pk, user=people["secretary"], outcome="granted",
                             amount=draft.requested_amount)
    task = open_task(draft)
    assert task.flow_task.name == "second_approval"
    before = snapshot(task, draft) + (tuple(Decision.objects.values_list("status", flat=True)),)
    user = people[persona]
    if user is not None:
        client.force_login(user)
    url = reverse("workflows:task", args=[task.pk])

    # when
    get = client.get(url)
    post = client.post(url, {"approve": "yes", "comment": "Ok."})

    # then: nobody but a secretary reaches the page, and the deciding secretary cannot approve her own grant
    if user is None:
        assert get.status_code == post.status_code == 302
    elif persona == "secretary":
        assert get.status_code == 200 and get.context["own_decision"] is True
        assert post.status_code in (200, 400)
    else:
        assert get.status_code == post.status_code == 404
    assert snapshot(task, draft) + (tuple(Decision.objects.values_list("status", flat=True)),) == before

    # and: a second secretary can
    client.force_login(UserFactory(role="secretary"))
    assert client.post(url, {"approve": "yes", "comment": "Ok."}).status_code == 302
    assert Decision.objects.get().status == "effective"


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_review_assignment_is_reachable_only_by_its_reviewer(client, draft, people, persona):
    from reviewers.models import Assignment

    # given: the application in review, assigned to `reviewer`, who has not declared yet
    task_at("review", draft, people)
    assignment = Assignment.objects.get(application=draft)
    assert assignment.reviewer == people["reviewer"]
    state = lambda: (Assignment.objects.filter(pk=assignment.pk).values_list().get(),  # noqa: E731
                     Event.objects.count(), OutboxMessage.objects.count(), draft.reviews.count())
    before = state()
    user = people[persona]
    if user is not None:
        client.force_login(user)
    url = reverse("reviewers:assignment", args=[assignment.pk])

    # when
    get = client.get(url)
    post = client.post(url, {"conflict": "no"})

    # then
    if persona == "reviewer":
        assert get.status_code == 200
        return
    if user is None:
        assert get.status_code == post.status_code == 302
    else:
        assert get.status_code == post.status_code == 404
    assert state() == before
