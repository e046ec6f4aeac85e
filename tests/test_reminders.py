"""Reminders, with the clock moved by passing `now` to the sweep: each kind on the right day, once."""

from datetime import date, datetime, time, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts import roles
from common.formatting import day, daytime
from notifications import tasks
from notifications.delivery import outbox_send
from notifications.models import OutboxMessage, ReminderSettings
from workflows.reminders import deadline_stage, reminders_sweep
from notifications.services import notification_queue
from reviewers.models import Assignment
from tests.factories import MembershipFactory, UserFactory
from tests.flow_helpers import all_points, open_task, submit, to_stage
from workflows import services

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 9) -> datetime:
    """A moment on `day`, local time."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def stages(kind: str) -> list[tuple[str, str]]:
    """(recipient, stage) of every outbox row of `kind`, in order."""
    return [(row.recipient, row.dedupe_key.rsplit("|", 1)[1])
            for row in OutboxMessage.objects.filter(kind=kind).order_by("pk")]


def sweep_days(start: date, days: int) -> dict[int, int]:
    """Run the sweep twice a day from `start` for `days` days: {day offset: rows written} for the days that wrote."""
    written = {}
    for offset in range(days):
        day = start + timedelta(days=offset)
        count = reminders_sweep(now=at(day, 8)) + reminders_sweep(now=at(day, 15))
        if count:
            written[offset] = count
    return written


def test_the_stage_of_a_deadline():
    today = date(2026, 3, 10)

    def stage(deadline, before=3, every=7, times=3):
        return deadline_stage(today=today, deadline=deadline, days_before=before, every=every, max_times=times)

    assert stage(date(2026, 3, 14)) is None
    assert stage(date(2026, 3, 13)) == "due"
    assert stage(date(2026, 3, 10)) == "due"  # the deadline day itself
    assert stage(date(2026, 3, 9)) == "overdue-1"
    assert stage(date(2026, 3, 3)) == "overdue-1"
    assert stage(date(2026, 3, 2)) == "overdue-2"
    assert stage(date(2026, 2, 17)) == "overdue-3"
    assert stage(date(2026, 2, 16)) is None
    assert stage(date(2026, 3, 12), before=None) is None
    assert stage(date(2026, 3, 9), times=0) is None


def test_a_draft_is_reminded_once_three_days_before_the_call_closes(draft, applicant,
                                                                    django_capture_on_commit_callbacks):
    # given: a draft in a call that closes in ten days, and a second contact of the organisation
    colleague = MembershipFactory(organisation=draft.organisation, user__language="en").user
    closes = timezone.localdate(draft.call.closes_at)
    start = closes - timedelta(days=9)

    # when: the sweep runs twice a day until after the call has closed
    with django_capture_on_commit_callbacks(execute=True):
        written = sweep_days(start, 12)

    # then: both contacts got one reminder, three days before the call closes, straight to the draft
    assert written == {(closes - timedelta(days=3) - start).days: 2}
    assert sorted(stages("reminder_draft")) == sorted([(applicant.email, "due"), (colleague.email, "due")])
    assert len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == [colleague.email])
    assert reverse("grants:application_edit", args=[draft.pk]) in message.body
    assert message.alternatives[0][1] == "text/html"
    assert 'href="http://' in message.alternatives[0][0]
    row = OutboxMessage.objects.get(recipient=colleague.email)
    assert (row.language, row.status, row.application_id) == ("en", "sent", draft.pk)


def test_a_submitted_application_gets_no_draft_reminder(draft, applicant):
    submit(draft, applicant)
    closes = timezone.localdate(draft.call.closes_at)
    assert reminders_sweep(now=at(closes - timedelta(days=2))) == 0


def test_the_lead_time_is_set_per_fund(draft, applicant):
    # given: this fund reminds five days before, and another fund is left alone
    ReminderSettings.objects.create(fund=draft.call.fund, draft_days_before_close=5)
    closes = timezone.localdate(draft.call.closes_at)

    assert reminders_sweep(now=at(closes - timedelta(days=6))) == 0
    assert reminders_sweep(now=at(closes - timedelta(days=5))) == 1
    assert stages("reminder_draft") == [(applicant.email, "due")]

    # and: an empty lead time turns the reminder off
    OutboxMessage.objects.all().delete()
    ReminderSettings.objects.filter(fund=draft.call.fund).update(draft_days_before_close=None)
    assert reminders_sweep(now=at(closes - timedelta(days=2))) == 0


def test_a_longer_lead_time_set_after_a_reminder_does_not_send_it_again(draft, applicant):
    # given: the draft reminder went out three days before the call closes (the default)
    closes = timezone.localdate(draft.call.closes_at)
    assert reminders_sweep(now=at(closes - timedelta(days=3))) == 1

    # when: the fund moves its lead time to five days, and the sweep runs the next day and the day after
    ReminderSettings.objects.filter(fund=draft.call.fund).update(draft_days_before_close=5)
    written = [reminders_sweep(now=at(closes - timedelta(days=2))), reminders_sweep(now=at(closes - timedelta(days=1)))]

    # then: no second reminder
    assert written == [0, 0]
    assert stages("reminder_draft") == [(applicant.email, "due")]


def test_changing_lead_times_between_sweeps_sends_no_reminder_twice(draft, applicant, case_officer, reviewer,
                                                                     secretary):
    # given: a granted project whose final report is due in 14 days: the report reminder has gone out
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    draft.refresh_from_db()
    due = draft.report_due_on
    assert reminders_sweep(now=at(due - timedelta(days=14))) == 1

    # when: every lead time changes, and the sweep runs again the next day and on the deadline day
    ReminderSettings.objects.filter(fund=draft.call.fund).update(report_days_before=20, completion_days_before=9,
                                                                 review_days_before=9, decision_waiting_days=1,
                                                                 check_waiting_days=1)
    written = [reminders_sweep(now=at(due - timedelta(days=13))), reminders_sweep(now=at(due))]

    # then: nothing is sent again
    assert written == [0, 0]
    assert OutboxMessage.objects.filter(kind="reminder_report_due").count() == 1


def test_a_waiting_reminder_is_not_sent_again_when_the_waiting_time_changes(draft, applicant, case_officer):
    submit(draft, applicant)
    services.task_claim(task_pk=open_task(draft).pk, user=case_officer)
    today = timezone.localdate()
    assert reminders_sweep(now=at(today + timedelta(days=7))) == 1

    ReminderSettings.objects.filter(fund=draft.call.fund).update(check_waiting_days=8)
    assert reminders_sweep(now=at(today + timedelta(days=8))) == 0
    ReminderSettings.objects.filter(fund=draft.call.fund).update(check_waiting_days=3)
    assert reminders_sweep(now=at(today + timedelta(days=9))) == 0
    assert stages("reminder_check_waiting") == [(case_officer.email, "waiting")]


def test_overdue_reminders_still_count_up_to_the_maximum(draft, applicant, case_officer, reviewer, secretary):
    # given: a review three days overdue has had its first overdue reminder
    to_stage(draft, "review", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    deadline = Assignment.objects.get(application=draft).deadline
    assert reminders_sweep(now=at(deadline + timedelta(days=1))) == 1

    # when: the rhythm becomes every day, at most twice
    ReminderSettings.objects.filter(fund=draft.call.fund).update(overdue_every_days=1, overdue_max=2)
    written = [reminders_sweep(now=at(deadline + timedelta(days=n))) for n in (1, 2, 3, 4)]

    # then: the second overdue reminder on the next day, then nothing: overdue-1 is not sent again
    assert written == [0, 1, 0, 0]
    assert [stage for _to, stage in stages("reminder_review_overdue")] == ["overdue-1", "overdue-2"]


def test_a_fund_without_settings_gets_the_defaults(draft):
    assert not ReminderSettings.objects.filter(fund=draft.call.fund).exists()
    reminders_sweep(now=timezone.now())
    settings = ReminderSettings.objects.get(fund=draft.call.fund)
    assert (settings.draft_days_before_close, settings.overdue_every_days, settings.overdue_max) == (3, 7, 3)


def test_a_completion_is_reminded_before_its_deadline_and_when_overdue(draft, applicant, case_officer):
    # given: the officer asks for a completion within five days
    submit(draft, applicant)
    today = timezone.localdate()
    deadline = today + timedelta(days=5)
    services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome="completion",
                                 results=all_points(draft), comment="Fyll i målen.", completion_fields=["goals"],
                                 completion_deadline=deadline)
    task = open_task(draft)

    # when: nobody answers for six weeks
    written = sweep_days(today, 42)

    # then: two days before, and on days 1, 8 and 15 after the deadline; never more
    assert written == {3: 1, 6: 1, 13: 1, 20: 1}
    assert stages("reminder_completion_due") == [(applicant.email, "due")]
    assert stages("reminder_completion_overdue") == [(applicant.email, "overdue-1"), (applicant.email, "overdue-2"),
                                                      (applicant.email, "overdue-3")]
    row = OutboxMessage.objects.get(kind="reminder_completion_due")
    assert row.link.endswith(reverse("workflows:task", args=[task.pk]))
    # the worker writes the text as it sends the mail
    assert outbox_send(row.pk) == "sent"
    row.refresh_from_db()
    with translation.override("sv"):
        assert day(deadline) in row.body_text  # the date in the recipient's language


def test_an_answered_completion_is_not_reminded(draft, applicant, case_officer):
    submit(draft, applicant)
    deadline = timezone.localdate() + timedelta(days=5)
    services.exante_check_record(task_pk=open_task(draft).pk, user=case_officer, outcome="completion",
                                 results=all_points(draft), comment="Fyll i målen.", completion_fields=["goals"],
                                 completion_deadline=deadline)
    services.completion_submit(task_pk=open_task(draft).pk, user=applicant, changes={"goals": "Mätbara mål."})
    assert reminders_sweep(now=at(deadline + timedelta(days=1))) == 0


def test_a_review_is_reminded_before_it_is_due_and_when_overdue(draft, applicant, case_officer, reviewer, secretary):
    # given: the application is under review; its reviewer has the fund's 14 days
    to_stage(draft, "review", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    assignment = Assignment.objects.get(application=draft)
    today = timezone.localdate()
    assert assignment.deadline == today + timedelta(days=14)

    # when: the reviewer does nothing for six weeks
    written = sweep_days(today, 42)

    # then: three days before the deadline, then on days 1, 8 and 15 after it
    assert written == {11: 1, 15: 1, 22: 1, 29: 1}
    assert stages("reminder_review_due") == [(reviewer.email, "due")]
    assert [stage for _to, stage in stages("reminder_review_overdue")] == ["overdue-1", "overdue-2", "overdue-3"]
    row = OutboxMessage.objects.get(kind="reminder_review_due")
    assert row.link.endswith(reverse("reviewers:assignment", args=[assignment.pk]))


def test_the_overdue_rhythm_is_set_per_fund(draft, applicant, case_officer, reviewer, secretary):
    ReminderSettings.objects.create(fund=draft.call.fund, review_days_before=None, overdue_every_days=2,
                                    overdue_max=2)
    to_stage(draft, "review", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    today = timezone.localdate()
    assert sweep_days(today, 30) == {15: 1, 17: 1}


def test_a_submitted_review_is_not_reminded(draft, applicant, case_officer, reviewer, secretary):
    to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    deadline = Assignment.objects.get(application=draft).deadline
    reminders_sweep(now=at(deadline - timedelta(days=1)))
    reminders_sweep(now=at(deadline + timedelta(days=1)))
    assert OutboxMessage.objects.filter(kind__startswith="reminder_review").count() == 0


def test_an_ex_ante_check_waiting_a_week_reminds_the_case_officers_once(draft, applicant, case_officer):
    # given: a second case officer, and a submitted application nobody has taken
    other_officer = UserFactory(role=roles.CASE_OFFICER)
    submit(draft, applicant)
    task = open_task(draft)

    # when / then: nothing for six days, both officers on day seven, nothing after
    written = sweep_days(timezone.localdate(), 30)
    assert written == {7: 2}
    assert sorted(stages("reminder_check_waiting")) == sorted([(case_officer.email, "waiting"),
                                                               (other_officer.email, "waiting")])
    assert OutboxMessage.objects.filter(kind="reminder_check_waiting").first().link.endswith(
        reverse("workflows:task", args=[task.pk]))


def test_a_held_waiting_reminder_is_written_when_the_digest_bundles_it(draft, applicant, case_officer):
    from notifications.digest import digests_send

    # given: the case officer reads the daily digest, and a check has waited a week
    case_officer.email_frequency = "daily"
    case_officer.save()
    submit(draft, applicant)
    reminders_sweep(now=at(timezone.localdate() + timedelta(days=7)))
    held = OutboxMessage.objects.get(kind="reminder_check_waiting")
    assert (held.status, held.rendered) == ("held", False)

    # when: the day's digest is built and sent
    assert digests_send(now=at(timezone.localdate() + timedelta(days=7), 9)) == 1

    # then: the reminder was written in her language and is listed in the digest by its subject
    held.refresh_from_db()
    assert held.rendered is True and held.subject
    digest = OutboxMessage.objects.get(kind="digest")
    assert held.subject in digest.body_text
    assert held.digest == digest


def test_a_taken_task_reminds_only_the_person_who_took_it(draft, applicant, case_officer):
    UserFactory(role=roles.CASE_OFFICER)
    submit(draft, applicant)
    services.task_claim(task_pk=open_task(draft).pk, user=case_officer)
    assert sweep_days(timezone.localdate(), 10) == {7: 1}
    assert stages("reminder_check_waiting") == [(case_officer.email, "waiting")]


def test_a_decision_waiting_a_week_reminds_the_secretaries_once(draft, applicant, case_officer, reviewer, secretary):
    to_stage(draft, "decision", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    written = sweep_days(timezone.localdate(), 30)
    assert written == {7: 1}
    assert stages("reminder_decision_waiting") == [(secretary.email, "waiting")]


def test_the_final_report_is_reminded_before_it_is_due_and_when_overdue(draft, applicant, case_officer, reviewer,
                                                                        secretary):
    # given: a granted project; its report is due 30 days after the project ends
    task = to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
                    secretary=secretary)
    draft.refresh_from_db()
    due = draft.report_due_on
    assert due == draft.end_date + timedelta(days=30)
    start = due - timedelta(days=20)

    # when: the sweep runs from 20 days before until 40 days after
    written = sweep_days(start, 60)

    # then: 14 days before, and on days 1, 8 and 15 after
    assert written == {6: 1, 21: 1, 28: 1, 35: 1}
    assert stages("reminder_report_due") == [(applicant.email, "due")]
    assert [stage for _to, stage in stages("reminder_report_overdue")] == ["overdue-1", "overdue-2", "overdue-3"]
    row = OutboxMessage.objects.get(kind="reminder_report_due")
    assert row.link.endswith(reverse("workflows:task", args=[task.pk]))


def test_a_sent_report_is_not_reminded(draft, applicant, case_officer, reviewer, secretary):
    to_stage(draft, "report_approval", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    draft.refresh_from_db()
    assert reminders_sweep(now=at(draft.report_due_on + timedelta(days=1))) == 0


def test_a_digest_reader_still_gets_deadlines_at_once_but_staff_nudges_in_the_digest(draft, applicant, case_officer):
    applicant.email_frequency = case_officer.email_frequency = "daily"
    applicant.save()
    case_officer.save()
    closes = timezone.localdate(draft.call.closes_at)
    reminders_sweep(now=at(closes - timedelta(days=3)))
    assert OutboxMessage.objects.get(kind="reminder_draft").status == "pending"

    submit(draft, applicant)
    reminders_sweep(now=timezone.now() + timedelta(days=7))
    assert OutboxMessage.objects.get(kind="reminder_check_waiting").status == "held"


def test_a_rolled_back_transaction_queues_no_mail(draft, applicant, django_capture_on_commit_callbacks):
    closes = timezone.localdate(draft.call.closes_at)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notification_queue(user=applicant, kind="submitted", application=draft, link="/")
            reminders_sweep(now=at(closes - timedelta(days=3)))
            assert OutboxMessage.objects.count() == 2
            raise RuntimeError("the event failed")
    assert (OutboxMessage.objects.count(), len(callbacks), len(mail.outbox)) == (0, 0, 0)


def test_the_beat_task_sweeps_in_the_daytime_only(draft, applicant):
    closes = timezone.localdate(draft.call.closes_at)
    with mock.patch("django.utils.timezone.now", return_value=at(closes - timedelta(days=3), 3)):
        assert tasks.reminders_send() == 0
    with mock.patch("django.utils.timezone.now", return_value=at(closes - timedelta(days=3), 10)):
        assert tasks.reminders_send() == 1
        assert tasks.reminders_send() == 0


def test_a_withdrawn_application_reminds_nobody(draft, applicant, case_officer, reviewer, secretary):
    from workflows.services import application_withdraw

    to_stage(draft, "review", applicant=applicant, officer=case_officer, reviewer=reviewer, secretary=secretary)
    deadline = Assignment.objects.get(application=draft).deadline
    application_withdraw(application_id=draft.pk, user=applicant)
    assert sweep_days(deadline - timedelta(days=5), 30) == {}
    assert OutboxMessage.objects.filter(kind__startswith="reminder_").count() == 0


def test_every_reminder_is_plain_text_and_html_in_the_recipients_language(draft, applicant):
    applicant.language = "en"
    applicant.save()
    closes = timezone.localdate(draft.call.closes_at)
    reminders_sweep(now=at(closes - timedelta(days=3)))
    row = OutboxMessage.objects.get(kind="reminder_draft")
    # the sweep only decides; the worker writes the text, in the recipient's language, as it sends it
    assert (row.rendered, row.body_text) == (False, "")
    assert outbox_send(row.pk) == "sent"
    row.refresh_from_db()
    assert row.rendered is True
    assert mail.outbox[-1].body == row.body_text
    assert row.language == "en"
    assert '<html lang="en">' in row.body_html
    assert f'<a href="{row.link}">' in row.body_html
    with translation.override("en"):
        assert daytime(draft.call.closes_at) in row.body_text
