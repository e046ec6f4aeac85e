"""The final report (slutrapport) through HTTP: drafts that keep what was typed, dates, costs per budget line,
activities done versus planned, attachments of the report stage, every problem shown at once, and the
report read back by staff at approval and by the applicant afterwards."""

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.services import reports
from grants.models import Application, Attachment, Event, FinalReport, FinalReportActivity, FinalReportDraft
from notifications.models import OutboxMessage
from tests.attachment_files import MZ, pdf_bytes
from tests.flow_helpers import open_task, report_data, report_post_data, to_stage
from workflows import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def granted(draft, applicant, case_officer, reviewer, secretary):
    """A granted application (15 000 of the 20 000 asked for) whose final report is the open step.
    Its budget: Lokalhyra 8 000 and Arvoden 12 000; its plan: a weekly language café and a closing party."""
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    draft.refresh_from_db()
    return draft


def task_url(application):
    return reverse("workflows:task", args=[open_task(application).pk])


def stored_files(root):
    """The stored attachments (decision letters live beside them)."""
    return sorted(path for path in (root / "attachments").rglob("*") if path.is_file())


def upload(client, application, name, content, next_url):
    from tests.attachment_files import multipart

    body, content_type = multipart({"description": "Enkätsvar", "next": next_url},
                                   [("file", name, content, "application/pdf")])
    return client.post(reverse("grants:attachment_add", args=[application.pk]), data=body, content_type=content_type)


def report_mails():
    return OutboxMessage.objects.filter(kind="report_received").count()


def page_text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


# -- a whole report ----------------------------------------------------------------------------------------

def test_a_full_report_with_lines_and_an_attachment_is_sent_and_read_back(
        client, granted, applicant, secretary, media, django_capture_on_commit_callbacks):
    # given: the applicant opens her final report, prefilled with the planned dates
    client.force_login(applicant)
    url = task_url(granted)
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["editor"].form["started_on"].value() == granted.start_date.isoformat()
    text = page_text(page)
    assert "Lokalhyra: budget 8,000 kr" in text and "Arvoden: budget 12,000 kr" in text
    assert "Activity 1: Språkcafé varje tisdag" in text and "Activity 2: Avslutningsfest" in text

    # when: she attaches the survey's results to the report
    response = upload(client, granted, "enkat.pdf", pdf_bytes("Enkät"), next_url=url)
    assert response.status_code == 302 and response["Location"] == url
    attachment = Attachment.objects.get()
    assert (attachment.stage, attachment.original_name, attachment.description) == ("report", "enkat.pdf",
                                                                                     "Enkätsvar")

    # and: she sends the report: one cost lower than budgeted, one extra cost, the party changed, one added activity
    today = timezone.localdate()
    data = report_post_data(granted, spent=["7 500", "12000"], **{
        "costs-0-comment": "Billigare lokal.",
        "extra_costs-TOTAL_FORMS": "2", "extra_costs-0-description": "Bussbiljetter", "extra_costs-0-amount": "600",
        "extra_costs-0-comment": "Utflykt.",
        "activities-1-status": "changed", "activities-1-comment": "Festen blev en picknick.",
        "extra_activities-0-description": "Studiebesök på museet",
        "extra_activities-0-starts_on": (today - timezone.timedelta(days=3)).isoformat(),
        "extra_activities-0-comment": "Deltagarna önskade det.",
    })
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    # then: it is stored with every line, and the actual costs are the sum of the lines
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:application_detail", args=[granted.pk])
    report = FinalReport.objects.get()
    assert (report.started_on, report.ended_on) == (today - timezone.timedelta(days=30), today)
    assert (report.participants_women, report.participants_men, report.participants_other,
            report.participants_newcomers, report.participants_established) == (11, 9, 0, 10, 10)
    assert (report.trainers_women, report.trainers_men, report.survey_share, report.publish_consent) == (1, 1, 70, True)
    assert report.outcome == FinalReport.Outcome.PENDING and report.submitted_by == applicant
    lines = granted.budget_lines.all()
    assert [(c.position, c.budget_line, c.description, c.amount, c.comment) for c in report.cost_lines.all()] == [
        (0, lines[0], "", Decimal("7500"), "Billigare lokal."),
        (1, lines[1], "", Decimal("12000"), ""),
        (2, None, "Bussbiljetter", Decimal("600"), "Utflykt."),
    ]
    assert report.costs_total == Decimal("20100") == report.cost_lines_total()
    planned = granted.activities.all()
    assert [(a.position, a.activity, a.status, a.description, a.starts_on, a.comment)
            for a in report.activity_lines.all()] == [
        (0, planned[0], "done", "", None, ""),
        (1, planned[1], "changed", "", None, "Festen blev en picknick."),
        (2, None, "added", "Studiebesök på museet", today - timezone.timedelta(days=3), "Deltagarna önskade det."),
    ]
    granted.refresh_from_db()
    assert granted.status == Application.Status.REPORT_SUBMITTED
    assert not FinalReportDraft.objects.exists()
    assert granted.events.filter(kind=Event.Kind.REPORT_SUBMITTED).count() == 1
    assert report_mails() == 1
    # and: the report's files are closed now that it is sent
    refused = upload(client, granted, "mer.pdf", pdf_bytes(), next_url=url)
    assert refused.status_code == 302 and Attachment.objects.count() == 1

    # and: the applicant reads her report back
    text = page_text(client.get(reverse("grants:application_detail", args=[granted.pk])))
    assert "Your final report" in text and "Festen blev en picknick." in text and "20,100 kr" in text

    # and: the secretary sees every detail at approval, and may download the attachment
    client.force_login(secretary)
    task = open_task(granted)
    assert task.flow_task.name == "report_approval"
    client.post(reverse("workflows:claim", args=[task.pk]))
    page = client.get(reverse("workflows:task", args=[task.pk]))
    assert page.status_code == 200
    detail = page.context["report_detail"]
    assert [(c["description"], c["budgeted"], c["amount"], c["difference"]) for c in detail["costs"]] == [
        ("Lokalhyra", Decimal("8000"), Decimal("7500"), Decimal("-500")),
        ("Arvoden", Decimal("12000"), Decimal("12000"), Decimal("0")),
        ("Bussbiljetter", None, Decimal("600"), None),
    ]
    assert (detail["budgeted_total"], detail["granted"], detail["costs_total"], detail["over_grant"]) == (
        Decimal("20000"), Decimal("15000"), Decimal("20100"), True)
    assert [(a["description"], a["status"]) for a in detail["activities"]] == [
        ("Språkcafé varje tisdag", "done"), ("Avslutningsfest", "changed"), ("Studiebesök på museet", "added")]
    text = page_text(page)
    for shown in ("Done, but changed", "Festen blev en picknick.", "Added: not in the plan", "Billigare lokal.",
                  "7,500 kr", "20,100 kr", "enkat.pdf", "The costs are higher than the grant"):
        assert shown in text
    download = client.get(reverse("grants:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf_bytes("Enkät")
    # and: the case page shows it too
    text = page_text(client.get(reverse("workflows:case_detail", args=[granted.pk])))
    assert "Final report" in text and "Studiebesök på museet" in text


def test_approval_pays_what_the_lines_add_up_to(client, granted, applicant, secretary):
    """helper A's money reads costs_total: it is the sum of the cost lines, never typed."""
    client.force_login(applicant)
    response = client.post(task_url(granted), report_post_data(granted, spent=["5000", "4000"]))
    assert response.status_code == 302
    assert FinalReport.objects.get().costs_total == Decimal("9000")
    services.report_approval_record(task_pk=open_task(granted).pk, user=secretary, approve=True)
    granted.refresh_from_db()
    assert granted.status == Application.Status.CARRIED_OUT
    assert granted.payments.get(kind="final", status="planned").amount == Decimal("9000")


def test_the_service_refuses_a_typed_total(granted, applicant):
    with pytest.raises(ValueError, match="costs_total"):
        services.final_report_submit(task_pk=open_task(granted).pk, user=applicant,
                                     data=report_data(granted, costs_total=Decimal("1")))
    assert not FinalReport.objects.exists()


# -- drafts ---------------------------------------------------------------------------------------------

def test_save_draft_keeps_everything_typed_even_what_is_not_valid_yet(client, granted, applicant):
    client.force_login(applicant)
    url = task_url(granted)
    data = report_post_data(granted, spent=["12a", ""], submit=None, save="1", lessons="Halvfärdigt …",
                            participants_men="", **{"extra_costs-TOTAL_FORMS": "2",
                                                    "extra_costs-1-description": "Fika"})
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    draft = FinalReportDraft.objects.get()
    assert (draft.version, draft.updated_by) == (1, applicant)
    assert draft.data["costs-0-amount"] == "12a" and draft.data["lessons"] == "Halvfärdigt …"
    assert "participants_men" not in draft.data and draft.data["extra_costs-1-description"] == "Fika"
    # nothing is sent
    assert not FinalReport.objects.exists() and report_mails() == 0
    granted.refresh_from_db()
    assert granted.status == Application.Status.GRANTED

    # when she comes back, the form holds exactly what she typed, without error messages
    page = client.get(url)
    editor = page.context["editor"]
    assert editor.cost_forms[0]["amount"].value() == "12a"
    assert editor.form["lessons"].value() == "Halvfärdigt …" and editor.form["version"].value() == 1
    assert editor.formsets["extra_costs"].forms[0]["description"].value() == "Fika"
    assert not editor.has_errors and "There is a problem" not in page.content.decode()


def test_autosave_stores_the_draft_and_refuses_an_older_form(client, granted, applicant, other_applicant):
    client.force_login(applicant)
    autosave = reverse("workflows:final_report_autosave", args=[open_task(granted).pk])
    data = report_post_data(granted, submit=None, version="0", lessons="Första")
    response = client.post(autosave, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert (body["ok"], body["version"]) == (True, 1)
    response = client.post(autosave, {**data, "version": "1", "lessons": "Andra"})
    assert json.loads(response.content)["version"] == 2
    # a second tab still on version 1 is refused and overwrites nothing
    response = client.post(autosave, {**data, "version": "1", "lessons": "Gammal flik"})
    assert response.status_code == 409 and json.loads(response.content)["ok"] is False
    assert FinalReportDraft.objects.get().data["lessons"] == "Andra"
    # another organisation cannot save into it
    client.force_login(other_applicant)
    assert client.post(autosave, {**data, "version": "2"}).status_code == 404
    assert FinalReportDraft.objects.get().version == 2


# -- every required part -------------------------------------------------------------------------------

MISSING = [
    ({"started_on": ""}, "started_on", "Enter the date the project really started."),
    ({"ended_on": ""}, "ended_on", "Enter the date the project really ended."),
    ({"activities_done": "  "}, "activities_done", "Describe in a few sentences what you did in the project."),
    ({"participants_women": ""}, "participants_women", "Enter a number (0 if none)."),
    ({"participants_established": ""}, "participants_established", "Enter a number (0 if none)."),
    ({"trainers_men": ""}, "trainers_men", "Enter a number (0 if none)."),
    ({"survey_share": ""}, "survey_share", "Enter a number (0 if none)."),
    ({"lessons": ""}, "lessons", "Tell us what you learnt: what worked well, and what you would change."),
    ({"costs-1-amount": ""}, "costs-1-amount", "Enter what this cost came to, in kronor (0 if nothing)."),
    ({"activities-0-status": ""}, "activities-0-status", "Choose done as planned, done but changed, or not done."),
    ({"activities-1-status": "not_done"}, "activities-1-comment",
     "Tell us what changed, or why the activity was not done."),
    ({"extra_costs-0-description": "Fika"}, "extra_costs-0-amount", "Enter what the cost came to, in kronor."),
    ({"extra_activities-0-description": "Extra träff"}, "extra_activities-0-starts_on",
     "Enter the date of the activity."),
    ({"participants_women": "0", "participants_men": "0", "participants_newcomers": "0",
      "participants_established": "0"}, "participants_women",
     "Enter how many took part. A project without participants cannot be reported as carried out."),
    ({"participants_newcomers": "15"}, "participants_established",
     "Newly arrived and long-established residents add up to 25, but 20 took part (women, men and other "
     "together). They cannot be more."),
    ({"started_on": "2026-05-02", "ended_on": "2026-05-01"}, "ended_on", "The project cannot end before it starts."),
    ({"ended_on": (timezone.localdate() + timezone.timedelta(days=1)).isoformat()}, "ended_on",
     "The end date is in the future. Send the final report when the project has ended."),
    ({"survey_share": "101"}, "survey_share", "A share is at most 100 %."),
]


@pytest.mark.parametrize("overrides, field, message", MISSING, ids=[m[1] for m in MISSING])
def test_a_missing_part_is_shown_next_to_its_field_and_nothing_is_sent(client, granted, applicant, overrides, field,
                                                                        message):
    client.force_login(applicant)
    url = task_url(granted)
    response = client.post(url, report_post_data(granted, **overrides))
    assert response.status_code == 400
    (anchor, text), = response.context["editor"].error_links()
    assert anchor == f"id_{field}" + ("_0" if field.endswith("status") else "")
    assert text.endswith(f": {message}")
    html = response.content.decode()
    assert f'id="id_{field}_errors"' in html and f'href="#{anchor}"' in html
    # nothing is sent, but nothing typed is lost either
    assert not FinalReport.objects.exists() and report_mails() == 0
    granted.refresh_from_db()
    assert granted.status == Application.Status.GRANTED
    assert FinalReportDraft.objects.get().data["trainers_women"] == "1"


def test_an_empty_report_shows_every_problem_at_once(client, granted, applicant):
    client.force_login(applicant)
    data = {key: value for key, value in report_post_data(granted).items() if key.endswith("_FORMS")}
    response = client.post(task_url(granted), {**data, "submit": "1"})
    assert response.status_code == 400
    anchors = [anchor for anchor, _text in response.context["editor"].error_links()]
    assert anchors == [
        "id_started_on", "id_ended_on", "id_activities_done", "id_participants_women", "id_participants_men",
        "id_participants_other", "id_participants_newcomers", "id_participants_established", "id_trainers_women",
        "id_trainers_men", "id_survey_share", "id_lessons",
        "id_costs-0-amount", "id_costs-1-amount", "id_activities-0-status_0", "id_activities-1-status_0",
    ]
    assert not FinalReport.objects.exists()


# -- attachments at the report stage ---------------------------------------------------------------------

def test_a_hostile_attachment_is_refused_at_the_report_stage(client, granted, applicant, media):
    client.force_login(applicant)
    url = task_url(granted)
    response = upload(client, granted, "enkat.pdf", MZ + b"\x00" * 200, next_url=url)
    assert response.status_code == 302
    page = client.get(url)
    assert "is a program or a script" in page_text(page)
    assert Attachment.objects.count() == 0 and stored_files(media) == []
    assert not Event.objects.filter(kind=Event.Kind.ATTACHMENT_ADDED).exists()


def test_the_applications_own_files_stay_fixed_while_the_report_is_written(client, granted, applicant):
    old = Attachment.objects.create(application=granted, file="attachments/x", original_name="plan.pdf",
                                    content_type="application/pdf", size=10, sha256="0" * 64, uploaded_by=applicant)
    client.force_login(applicant)
    response = client.post(reverse("grants:attachment_remove", args=[old.pk]), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == (
        "The files of the application can no longer be changed. You can add and remove the files of your final "
        "report.")
    assert Attachment.objects.filter(pk=old.pk).exists()


def test_reviewers_never_see_the_reports_files(client, granted, applicant, reviewer):
    client.force_login(applicant)
    upload(client, granted, "enkat.pdf", pdf_bytes(), next_url=task_url(granted))
    attachment = Attachment.objects.get(stage="report")
    client.force_login(reviewer)
    assert client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 404


# -- another organisation ---------------------------------------------------------------------------------

def test_another_organisation_gets_404_everywhere_and_nothing_changes(client, granted, applicant, other_applicant,
                                                                      media):
    client.force_login(applicant)
    url = task_url(granted)
    upload(client, granted, "enkat.pdf", pdf_bytes(), next_url=url)
    attachment = Attachment.objects.get()
    client.force_login(other_applicant)
    assert client.get(url).status_code == 404
    assert client.post(url, report_post_data(granted)).status_code == 404
    assert client.post(url, report_post_data(granted, submit=None, save="1")).status_code == 404
    assert upload(client, granted, "x.pdf", pdf_bytes(), next_url=url).status_code == 404
    assert client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("grants:attachment_remove", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("grants:application_detail", args=[granted.pk])).status_code == 404
    assert not FinalReport.objects.exists() and not FinalReportDraft.objects.exists()
    assert Attachment.objects.count() == 1 and len(stored_files(media)) == 1 and report_mails() == 0
    granted.refresh_from_db()
    assert granted.status == Application.Status.GRANTED


# -- completion of a report ------------------------------------------------------------------------------

def test_a_report_sent_back_opens_with_what_was_sent_and_is_sent_again(client, granted, applicant, secretary):
    client.force_login(applicant)
    client.post(task_url(granted), report_post_data(granted, spent=["8000", "7000"],
                                                    **{"activities-1-status": "not_done",
                                                       "activities-1-comment": "Regn."}))
    services.report_approval_record(task_pk=open_task(granted).pk, user=secretary, approve=False,
                                    comment="Bifoga enkäten.")
    url = task_url(granted)
    page = client.get(url)
    assert "Bifoga enkäten." in page_text(page)
    editor = page.context["editor"]
    assert [f["amount"].value() for f in editor.cost_forms] == ["8000", "7000"]
    assert editor.activity_forms[1]["status"].value() == "not_done"
    assert editor.activity_forms[1]["comment"].value() == "Regn."
    response = client.post(url, report_post_data(granted, spent=["8000", "7100"],
                                                 **{"activities-1-status": "not_done",
                                                    "activities-1-comment": "Regn."}))
    assert response.status_code == 302
    first, second = FinalReport.objects.order_by("pk")
    assert (first.outcome, first.costs_total) == ("completion", Decimal("15000"))
    assert (second.outcome, second.costs_total) == ("pending", Decimal("15100"))
    assert second.activity_lines.get(position=1).status == FinalReportActivity.Status.NOT_DONE
    assert reports.report_detail(second)["costs_total"] == Decimal("15100")


# -- the admin ---------------------------------------------------------------------------------------------

def test_the_admin_shows_a_report_with_its_lines_and_cannot_change_it(client, granted, applicant):
    from tests.factories import UserFactory

    client.force_login(applicant)
    assert client.post(task_url(granted), report_post_data(granted)).status_code == 302
    report = FinalReport.objects.get()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:grants_finalreport_change", args=[report.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Final report: Språkcafé" in html and "Lokalhyra (8000.00 SEK)" in html and "Avslutningsfest" in html
    client.post(url, {"lessons": "Ändrat i efterhand."})
    report.refresh_from_db()
    assert report.lessons == "Kvällstid passar bäst."
