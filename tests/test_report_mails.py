"""The final report's mails: "received" to the project secretaries, "approved" to the organisation's contacts,
each with the link to the page where the recipient acts, in the recipient's language."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts import roles
from notifications.models import OutboxMessage
from tests.factories import MembershipFactory, UserFactory
from tests.flow_helpers import report as submit_report
from tests.flow_helpers import to_stage
from workflows import services

pytestmark = pytest.mark.django_db


def rows(kind):
    return list(OutboxMessage.objects.filter(kind=kind).order_by("recipient"))


def test_a_submitted_final_report_is_announced_to_every_active_secretary(
        draft, applicant, case_officer, reviewer, secretary, django_capture_on_commit_callbacks):
    # given: a second secretary who reads English, one who has left, and a second contact of the organisation
    english = UserFactory(role=roles.SECRETARY, language="en", full_name="Eve English")
    UserFactory(role=roles.SECRETARY, is_active=False)
    MembershipFactory(organisation=draft.organisation)
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)

    # when: the applicant submits the final report
    with django_capture_on_commit_callbacks(execute=True):
        report = submit_report(draft, applicant)

    # then: one "report received" mail to each active secretary, linking to the case page, and to no one else
    received = rows("report_received")
    assert sorted(r.recipient for r in received) == sorted([secretary.email, english.email])
    link = settings.SITE_URL + reverse("workflows:case_detail", args=[draft.pk])
    for row in received:
        assert (row.link, row.application, row.status) == (link, draft, "sent")
        assert row.dedupe_key.endswith(f"|report_received|application:{draft.pk}|report-{report.pk}")
        assert link in row.body_text and f'<a href="{link}">' in row.body_html
    by_recipient = {r.recipient: r for r in received}
    assert by_recipient[english.email].language == "en"
    assert "has sent the final report" in by_recipient[english.email].body_text
    assert draft.organisation.name in by_recipient[english.email].body_text
    assert sorted(m.to[0] for m in mail.outbox if m.subject in {r.subject for r in received}) == sorted(
        [secretary.email, english.email])


def test_an_approved_final_report_is_announced_to_every_contact_of_the_organisation(
        draft, applicant, case_officer, reviewer, secretary, django_capture_on_commit_callbacks):
    # given: a second contact who reads the daily digest, and a report waiting for approval
    colleague = MembershipFactory(organisation=draft.organisation, user__language="en",
                                  user__email_frequency="daily").user
    task = to_stage(draft, "report_approval", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    report = draft.final_reports.get()

    # when: the secretary approves it
    with django_capture_on_commit_callbacks(execute=True):
        services.report_approval_record(task_pk=task.pk, user=secretary, approve=True)

    # then: both contacts get "approved" at once (the digest does not hold it), linking to the application
    approved = rows("report_approved")
    assert sorted(r.recipient for r in approved) == sorted([applicant.email, colleague.email])
    link = settings.SITE_URL + reverse("grants:application_detail", args=[draft.pk])
    for row in approved:
        assert (row.link, row.application, row.status) == (link, draft, "sent")
        assert row.dedupe_key.endswith(f"|report_approved|application:{draft.pk}|report-{report.pk}")
        assert link in row.body_text
    english = next(r for r in approved if r.recipient == colleague.email)
    assert english.language == "en"
    assert english.subject == f"Your final report for “{draft.title}” is approved"
    # and: the staff got no "approved" mail
    assert not OutboxMessage.objects.filter(kind="report_approved", recipient=secretary.email).exists()


def test_a_report_sent_back_for_completion_is_not_announced_as_approved(
        draft, applicant, case_officer, reviewer, secretary):
    task = to_stage(draft, "report_approval", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    services.report_approval_record(task_pk=task.pk, user=secretary, approve=False, comment="Fyll i kostnaderna.")
    assert rows("report_approved") == []
    assert [r.recipient for r in rows("report_completion")] == [applicant.email]

