"""The outbox: delivery with retries, the daily digest, resending from the case page, e-mail settings."""

import smtplib
from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from notifications import delivery, tasks
from notifications.delivery import MAX_ATTEMPTS, TransientDeliveryError, outbox_send, outbox_stuck_ids
from notifications.digest import digests_send
from notifications.models import OutboxMessage
from common.errors import NotAllowed
from notifications.services import notification_queue, outbox_resend
from tests.factories import UserFactory
from tests.flow_helpers import submit

pytestmark = pytest.mark.django_db


def queue(user, application, kind="submitted_staff", stage=""):
    return notification_queue(user=user, kind=kind, stage=stage, application=application, link="/uppgifter/")


def failing_send(code: int, message: bytes = b"try later"):
    return mock.patch("django.core.mail.EmailMessage.send", side_effect=smtplib.SMTPDataError(code, message))


def later(seconds: float):
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=seconds))


# -- delivery -----------------------------------------------------------------------------------

def test_a_row_is_sent_once_with_its_stable_message_id(draft, case_officer):
    row = queue(case_officer, draft)
    assert outbox_send(row.pk) == "sent"
    assert outbox_send(row.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")


def test_a_transient_failure_is_retried_after_a_backoff_and_then_sent(draft, case_officer):
    row = queue(case_officer, draft)

    # when: the server answers 451
    with failing_send(451), pytest.raises(TransientDeliveryError) as failure:
        outbox_send(row.pk)

    # then: the row waits for its next attempt, and neither a task nor the sweeper sends it earlier
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "451" in row.last_error
    assert 15 <= failure.value.retry_in <= 30
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=10)
    assert outbox_send(row.pk) == "skipped"
    with later(failure.value.retry_in + 60):
        assert outbox_stuck_ids() == []

    # when: the backoff has passed
    with later(failure.value.retry_in):
        assert outbox_send(row.pk) == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, len(mail.outbox)) == ("sent", 2, "", 1)


def test_a_lost_retry_is_picked_up_by_the_sweeper(draft, case_officer):
    row = queue(case_officer, draft)
    with failing_send(451), pytest.raises(TransientDeliveryError) as failure:
        outbox_send(row.pk)
    with later(failure.value.retry_in + 121):
        assert outbox_stuck_ids() == [row.pk]


def test_a_permanent_failure_is_not_retried(draft, case_officer):
    row = queue(case_officer, draft)
    with failing_send(550, b"no such user"):
        assert outbox_send(row.pk) == "failed"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 1, None)
    assert "550" in row.last_error
    assert outbox_send(row.pk) == "skipped"


def test_a_row_fails_for_good_after_the_last_attempt(draft, case_officer):
    row = queue(case_officer, draft)
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1)
    with failing_send(451):
        assert outbox_send(row.pk) == "failed"
    assert OutboxMessage.objects.get(pk=row.pk).status == "failed"


def test_the_backoff_grows_and_is_capped():
    assert [delivery.retry_delay(n) <= min(30 * 2 ** (n - 1), 900) for n in range(1, 9)] == [True] * 8
    assert all(delivery.retry_delay(8) >= 450 for _ in range(20))


def test_the_task_retries_a_transient_failure(draft, case_officer):
    row = queue(case_officer, draft)
    with failing_send(451), mock.patch.object(tasks.outbox_deliver, "retry", side_effect=RuntimeError) as retry:
        with pytest.raises(RuntimeError):
            tasks.outbox_deliver.run(row.pk)
    assert 15 <= retry.call_args.kwargs["countdown"] <= 30


def test_a_row_claimed_by_a_dead_worker_is_sent_again_after_the_claim_timeout(draft, case_officer):
    row = queue(case_officer, draft)
    OutboxMessage.objects.filter(pk=row.pk).update(status="sending", claimed_at=timezone.now())
    assert outbox_send(row.pk) == "skipped"
    assert outbox_stuck_ids() == []
    with later(settings.OUTBOX_CLAIM_TIMEOUT + 1):
        assert outbox_stuck_ids() == [row.pk]
        assert tasks.outbox_sweep() == 1
    assert OutboxMessage.objects.get(pk=row.pk).status == "sent"


def test_worker_settings_survive_a_killed_worker():
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT <= visibility / 2
    assert settings.CELERY_TASK_TIME_LIMIT < settings.OUTBOX_CLAIM_TIMEOUT
    assert settings.OUTBOX_RETRY_BACKOFF_MAX <= visibility / 2
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"notifications.tasks.outbox_sweep", "notifications.tasks.reminders_send",
            "notifications.tasks.digest_send"} <= beat


@pytest.mark.parametrize("name, value", [
    ("CELERY_TASK_TIME_LIMIT", "2000"),  # over half the visibility timeout
    ("OUTBOX_CLAIM_TIMEOUT", "100"),  # a live worker's claim could be taken over
    ("OUTBOX_RETRY_BACKOFF_MAX", "3000"),
])
def test_limits_that_could_send_twice_stop_the_start(name, value, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, name: value, "POTTEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Celery limits" in result.stderr


def test_the_flow_has_no_viewflow_timers_so_no_dispatcher_runs():
    """The workflow's clock is workflows.reminders (beat, hourly), not viewflow timers: the flow has
    none, and beat runs no viewflow timer dispatcher. A timer node added to the flow would never fire
    without one: add a beat task calling viewflow.workflow.timers.fire_due_timers (and
    fire_due_start_timers / fire_due_conditions for those nodes), prove it on a real timer task, then
    change this test."""
    from viewflow.workflow.nodes import ConditionalCatch, StartTimer, Timer

    from workflows.flows import ApplicationFlow

    nodes = list(ApplicationFlow.instance.nodes())
    assert len(nodes) > 10
    assert [n.name for n in nodes if isinstance(n, (Timer, StartTimer, ConditionalCatch))
            or n.task_type in ("TIMER", "CONDITION")] == []
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert not any("timer" in task for task in beat)


# -- the daily digest ---------------------------------------------------------------------------

def at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def digest_reader(db):
    return UserFactory(role=roles.CASE_OFFICER, email_frequency="daily", language="en", full_name="Dana Digest")


def test_a_digest_reader_gets_news_once_a_day_and_decisions_at_once(draft, digest_reader, applicant,
                                                                   django_capture_on_commit_callbacks):
    # given: news and a decision-kind mail for a digest reader
    with django_capture_on_commit_callbacks(execute=True):
        news = [queue(digest_reader, draft, stage="1"), queue(digest_reader, draft, kind="resubmitted_staff")]
        urgent = queue(digest_reader, draft, kind="decision_returned", stage="d1")

    # then: the news waits, the decision went at once
    assert [m.status for m in OutboxMessage.objects.filter(pk__in=[n.pk for n in news])] == ["held", "held"]
    assert OutboxMessage.objects.get(pk=urgent.pk).status == "sent"
    assert len(mail.outbox) == 1

    # when: the digest runs, twice, the next morning
    tomorrow = timezone.localdate() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send(now=at(tomorrow, 7)) == 1
        assert digests_send(now=at(tomorrow, 8)) == 0

    # then: one mail lists both, with their links; the bundled rows are sent with the digest's id
    digest = OutboxMessage.objects.get(kind="digest")
    assert (digest.status, digest.recipient, digest.language) == ("sent", digest_reader.email, "en")
    assert len(mail.outbox) == 2
    body = mail.outbox[1].body
    assert all(n.subject in body for n in news) and body.count("/uppgifter/") == 2
    for row in OutboxMessage.objects.filter(pk__in=[n.pk for n in news]):
        assert (row.status, row.digest_id, row.sent_at) == ("sent", digest.pk, digest.sent_at)

    # when: more news arrives later that day: it waits for the next day's digest
    with django_capture_on_commit_callbacks(execute=True):
        late = queue(digest_reader, draft, stage="2")
        assert digests_send(now=at(tomorrow, 15)) == 0
        assert digests_send(now=at(tomorrow + timedelta(days=1), 7)) == 1
    assert OutboxMessage.objects.get(pk=late.pk).status == "sent"
    assert OutboxMessage.objects.filter(kind="digest").count() == 2


def test_the_digest_task_waits_for_the_morning(draft, digest_reader):
    queue(digest_reader, draft)
    with mock.patch("django.utils.timezone.now", return_value=at(timezone.localdate(), 5)):
        assert tasks.digest_send() == 0
    with mock.patch("django.utils.timezone.now", return_value=at(timezone.localdate(), 9)):
        assert tasks.digest_send() == 1


def test_held_mail_is_never_sent_on_its_own(draft, digest_reader):
    row = queue(digest_reader, draft)
    assert outbox_send(row.pk) == "skipped"
    with later(3600):
        assert outbox_stuck_ids() == []


def refusing_digests(code: int, message: bytes = b"message too large"):
    """The server refuses every digest (e.g. for its size) and accepts every other mail."""
    real_send = EmailMessage.send

    def send(self, fail_silently=False):
        if OutboxMessage.objects.filter(kind="digest", subject=self.subject).exists():
            raise smtplib.SMTPDataError(code, message)
        return real_send(self, fail_silently)

    return mock.patch.object(EmailMessage, "send", autospec=True, side_effect=send)


def test_a_digest_that_fails_for_good_sends_its_mails_on_their_own(draft, digest_reader,
                                                                   django_capture_on_commit_callbacks):
    # given: two held mails
    news = [queue(digest_reader, draft, stage="1"), queue(digest_reader, draft, stage="2")]

    # when: their digest is refused for good (552)
    with refusing_digests(552), django_capture_on_commit_callbacks(execute=True):
        assert digests_send(now=at(timezone.localdate(), 9)) == 1

    # then: the digest failed, and each mail it bundled went out on its own, once; nothing is left held
    digest = OutboxMessage.objects.get(kind="digest")
    assert (digest.status, digest.attempts) == ("failed", 1)
    assert [(m.status, m.digest_id, m.attempts) for m in OutboxMessage.objects.filter(pk__in=[n.pk for n in news])
            ] == [("sent", digest.pk, 1), ("sent", digest.pk, 1)]
    assert sorted(m.subject for m in mail.outbox) == sorted(n.subject for n in news)
    assert OutboxMessage.objects.filter(status="held").count() == 0

    # and: the failed digest cannot be sent again (its mails were), and the next digest run sends nothing
    with pytest.raises(NotAllowed):
        outbox_resend(message_id=digest.pk, user=digest_reader)
    assert not digest.can_resend
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send(now=at(timezone.localdate() + timedelta(days=1), 9)) == 0
    assert len(mail.outbox) == 2


def test_a_digest_out_of_attempts_releases_its_mails_too(draft, digest_reader, django_capture_on_commit_callbacks):
    row = queue(digest_reader, draft)
    with refusing_digests(451, b"try later"), django_capture_on_commit_callbacks(execute=True):
        digests_send(now=at(timezone.localdate(), 9))  # the task is told to retry later
    digest = OutboxMessage.objects.get(kind="digest")
    # a transient failure keeps the mail in its digest, to be retried
    assert (digest.status, OutboxMessage.objects.get(pk=row.pk).status) == ("pending", "held")

    OutboxMessage.objects.filter(pk=digest.pk).update(attempts=MAX_ATTEMPTS - 1, next_attempt_at=None)
    with refusing_digests(451, b"try later"), django_capture_on_commit_callbacks(execute=True):
        assert outbox_send(digest.pk) == "failed"
    assert OutboxMessage.objects.get(pk=row.pk).status == "sent"
    assert [m.subject for m in mail.outbox] == [row.subject]


def test_a_released_mail_whose_task_was_lost_is_found_by_the_sweeper(draft, digest_reader):
    row = queue(digest_reader, draft)
    digests_send(now=at(timezone.localdate(), 9))  # the test transaction never commits: no task runs
    digest = OutboxMessage.objects.get(kind="digest")
    with refusing_digests(552):
        assert outbox_send(digest.pk) == "failed"
    assert OutboxMessage.objects.get(pk=row.pk).status == "pending"
    with later(3600):
        assert outbox_stuck_ids() == [row.pk]


def test_a_sent_digest_sent_again_marks_nothing_twice(draft, digest_reader, django_capture_on_commit_callbacks):
    row = queue(digest_reader, draft)
    with django_capture_on_commit_callbacks(execute=True):
        digests_send(now=at(timezone.localdate(), 9))
    digest = OutboxMessage.objects.get(kind="digest")
    first_sent = OutboxMessage.objects.get(pk=row.pk).sent_at
    with django_capture_on_commit_callbacks(execute=True):
        copy = outbox_resend(message_id=digest.pk, user=digest_reader)
    assert OutboxMessage.objects.get(pk=copy.pk).status == "sent"
    assert OutboxMessage.objects.get(pk=row.pk).sent_at == first_sent
    assert len(mail.outbox) == 2


def test_the_migration_frees_mails_held_by_a_digest_that_failed_before(draft, digest_reader):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("notifications.migrations.0004_stable_reminder_keys_release_failed_digests")
    row = queue(digest_reader, draft)
    digests_send(now=at(timezone.localdate(), 9))
    digest = OutboxMessage.objects.get(kind="digest")
    OutboxMessage.objects.filter(pk=digest.pk).update(status="failed")  # as the old code left it
    other = queue(digest_reader, draft, stage="later")  # held, in no digest yet: stays held

    migration.release_failed_digests(apps, None)

    assert OutboxMessage.objects.get(pk=row.pk).status == "pending"
    assert OutboxMessage.objects.get(pk=other.pk).status == "held"


def test_the_migration_gives_old_reminder_rows_the_stable_stages(draft, applicant):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("notifications.migrations.0004_stable_reminder_keys_release_failed_digests")
    key = f"{applicant.email}|reminder_draft|application:{draft.pk}"
    # the old bug: the lead time changed from 3 to 5 days after the first reminder, so it went twice
    old = [queue(applicant, draft, kind="reminder_draft", stage=stage) for stage in ("due-3d", "due-5d")]
    OutboxMessage.objects.filter(pk__in=[o.pk for o in old]).update(
        occurrence=f"reminder_draft|application:{draft.pk}|due-3d")
    resent = queue(applicant, draft, kind="reminder_check_waiting", stage="waiting-7d|resend-1")
    overdue = queue(applicant, draft, kind="reminder_review_overdue", stage="overdue-2")

    migration.stable_reminder_keys(apps, None)

    rows = {o.pk: OutboxMessage.objects.get(pk=o.pk) for o in [*old, resent, overdue]}
    assert (rows[old[0].pk].dedupe_key, rows[old[0].pk].occurrence) == (
        f"{key}|due", f"reminder_draft|application:{draft.pk}|due")
    assert (rows[old[1].pk].dedupe_key, rows[old[1].pk].occurrence) == (
        f"{key}|due-5d", f"reminder_draft|application:{draft.pk}|due")
    assert rows[resent.pk].dedupe_key.endswith("|reminder_check_waiting|application:%s|waiting|resend-1" % draft.pk)
    assert rows[overdue.pk].dedupe_key.endswith("|overdue-2")


# -- e-mail settings ------------------------------------------------------------------------------

def test_the_settings_page_changes_language_and_frequency(client, applicant):
    url = reverse("notifications:settings")
    assert client.get(url).status_code == 302  # anonymous: to the login
    client.force_login(applicant)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="email_frequency"' in page.content.decode()

    response = client.post(url, {"language": "en", "email_frequency": "daily"})

    assert response.status_code == 302
    applicant.refresh_from_db()
    assert (applicant.language, applicant.email_frequency) == ("en", "daily")


def test_a_bad_choice_changes_nothing(client, applicant):
    client.force_login(applicant)
    response = client.post(reverse("notifications:settings"), {"language": "de", "email_frequency": "hourly"})
    assert response.status_code == 400
    applicant.refresh_from_db()
    assert (applicant.language, applicant.email_frequency) == ("sv", "immediate")


def test_back_to_immediate_mail_sends_what_was_held(client, draft, digest_reader, django_capture_on_commit_callbacks):
    row = queue(digest_reader, draft)
    client.force_login(digest_reader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:settings"), {"language": "en", "email_frequency": "immediate"})
    assert OutboxMessage.objects.get(pk=row.pk).status == "sent"
    assert len(mail.outbox) == 1


# -- the case page: failures and resend -------------------------------------------------------------

def resend_url(row):
    return reverse("notifications:resend", args=[row.application_id, row.pk])


def test_staff_see_attempts_and_failures_and_can_send_again(client, draft, applicant, case_officer,
                                                            django_capture_on_commit_callbacks):
    # given: a submitted application whose mail to the officer failed
    with failing_send(550, b"mailbox full"), django_capture_on_commit_callbacks(execute=True):
        submit(draft, applicant)
    failed = OutboxMessage.objects.get(kind="submitted_staff")
    assert failed.status == "failed"

    # then: the case page shows the failure and offers to send it again
    client.force_login(case_officer)
    page = client.get(reverse("workflows:case_detail", args=[draft.pk])).content.decode()
    assert "mailbox full" in page and resend_url(failed) in page

    # when: the officer sends it again (now the server accepts)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend_url(failed))

    # then: a copy with a new key went out, and who asked for it is kept
    assert response.status_code == 302
    copy = OutboxMessage.objects.get(resent_from=failed)
    assert (copy.status, copy.queued_by, copy.dedupe_key) == ("sent", case_officer, failed.dedupe_key + "|resend-1")
    assert (copy.subject, copy.body_text, copy.recipient) == (failed.subject, failed.body_text, failed.recipient)
    assert mail.outbox[-1].to == [case_officer.email]
    assert OutboxMessage.objects.get(pk=failed.pk).status == "failed"

    # and: a sent mail can be sent again too, with the next key
    with django_capture_on_commit_callbacks(execute=True):
        client.post(resend_url(failed))
    assert OutboxMessage.objects.filter(resent_from=failed).count() == 2
    assert OutboxMessage.objects.filter(dedupe_key=failed.dedupe_key + "|resend-2").exists()


def test_a_mail_still_waiting_cannot_be_sent_again(client, draft, applicant, case_officer):
    submit(draft, applicant)
    row = OutboxMessage.objects.get(kind="submitted_staff")
    assert row.status == "pending"  # the test transaction never commits, so delivery has not run
    client.force_login(case_officer)
    response = client.post(resend_url(row), follow=True)
    assert OutboxMessage.objects.filter(resent_from=row).count() == 0
    assert "can be sent again" in response.content.decode() or "skickas igen" in response.content.decode()


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "other_applicant"])
def test_only_staff_can_send_a_mail_again(client, draft, applicant, case_officer, reviewer, other_applicant, persona):
    submit(draft, applicant)
    row = OutboxMessage.objects.get(kind="submitted")
    OutboxMessage.objects.filter(pk=row.pk).update(status="sent")
    client.force_login({"applicant": applicant, "reviewer": reviewer, "other_applicant": other_applicant}[persona])
    assert client.post(resend_url(row)).status_code == 404
    assert OutboxMessage.objects.filter(resent_from=row).count() == 0


def test_resend_needs_a_post_and_a_login(client, draft, applicant, case_officer):
    submit(draft, applicant)
    row = OutboxMessage.objects.get(kind="submitted")
    assert client.post(resend_url(row)).status_code == 302  # to the login
    client.force_login(case_officer)
    assert client.get(resend_url(row)).status_code == 405
    assert OutboxMessage.objects.filter(resent_from=row).count() == 0


def test_a_mail_of_another_case_is_not_found(client, draft, applicant, case_officer, secretary, reviewer):
    from tests.factories import ApplicationFactory

    other = ApplicationFactory()
    submit(draft, applicant)
    row = OutboxMessage.objects.get(kind="submitted")
    OutboxMessage.objects.filter(pk=row.pk).update(status="sent")
    client.force_login(case_officer)
    assert client.post(reverse("notifications:resend", args=[other.pk, row.pk])).status_code == 404
    assert OutboxMessage.objects.filter(resent_from=row).count() == 0


# -- the undelivered page: mails of no case -------------------------------------------------------

def invitation(email="kim@example.org", stage="invitation:1"):
    from notifications.services import notification_queue_to_address

    return notification_queue_to_address(email=email, language="sv", kind="invitation", stage=stage,
                                         link="/organisation/inbjudan/x/",
                                         context={"organisation": "Föreningen", "invited_by": "Amina",
                                                  "expires_at": timezone.now()})


def test_staff_see_the_mails_of_no_case_that_failed_or_wait_and_send_them_again(
        client, draft, applicant, case_officer, digest_reader, django_capture_on_commit_callbacks):
    # given: a failed invitation, a waiting one, a sent one, a failed case mail and a failed digest
    with failing_send(550, b"no such user"), django_capture_on_commit_callbacks(execute=True):
        failed = invitation()
        queue(case_officer, draft)
        queue(digest_reader, draft)
        digests_send(now=at(timezone.localdate(), 9))
    waiting = invitation("waiting@example.org", "invitation:2")
    with django_capture_on_commit_callbacks(execute=True):
        invitation("sent@example.org", "invitation:3")
    digest = OutboxMessage.objects.get(kind="digest")

    # when: a case officer opens the page
    client.force_login(case_officer)
    page = client.get(reverse("notifications:outbox"))

    # then: the mails of no case that are not delivered, newest first; the failed one can be sent again
    assert page.status_code == 200
    assert [m.pk for m in page.context["outbox"]] == [waiting.pk, digest.pk, failed.pk]
    html = page.content.decode()
    assert "no such user" in html
    assert reverse("notifications:resend_unattached", args=[failed.pk]) in html
    assert reverse("notifications:resend_unattached", args=[digest.pk]) not in html  # its mails went on their own
    assert reverse("notifications:resend_unattached", args=[waiting.pk]) not in html  # still on its way

    # when: she sends the failed invitation again, twice
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:resend_unattached", args=[failed.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:outbox")
    copy = OutboxMessage.objects.get(resent_from=failed)
    assert (copy.status, copy.queued_by, copy.recipient) == ("sent", case_officer, "kim@example.org")
    assert [m.pk for m in client.get(reverse("notifications:outbox")).context["outbox"]] == [waiting.pk, digest.pk]

    # and: a failed digest is refused with a reason, nothing queued
    response = client.post(reverse("notifications:resend_unattached", args=[digest.pk]), follow=True)
    assert OutboxMessage.objects.filter(resent_from=digest).count() == 0
    assert "daily summary" in response.content.decode() or "dagliga sammanfattning" in response.content.decode()


@pytest.mark.parametrize("persona", ["applicant", "reviewer", "steering"])
def test_only_staff_see_and_resend_the_mails_of_no_case(client, applicant, reviewer, steering, persona):
    with failing_send(550):
        failed = invitation()
        outbox_send(failed.pk)
    client.force_login({"applicant": applicant, "reviewer": reviewer, "steering": steering}[persona])
    assert client.get(reverse("notifications:outbox")).status_code == 404
    assert client.post(reverse("notifications:resend_unattached", args=[failed.pk])).status_code == 404
    assert OutboxMessage.objects.filter(resent_from=failed).count() == 0


def test_the_undelivered_page_needs_a_login_and_resend_a_post(client, secretary):
    with failing_send(550):
        failed = invitation()
        outbox_send(failed.pk)
    assert client.get(reverse("notifications:outbox")).status_code == 302
    assert client.post(reverse("notifications:resend_unattached", args=[failed.pk])).status_code == 302
    client.force_login(secretary)
    assert client.get(reverse("notifications:outbox")).status_code == 200
    assert client.get(reverse("notifications:resend_unattached", args=[failed.pk])).status_code == 405
    assert OutboxMessage.objects.filter(resent_from=failed).count() == 0


def test_a_case_mail_is_not_resent_from_the_undelivered_page(client, draft, case_officer):
    with failing_send(550):
        row = queue(case_officer, draft)
        outbox_send(row.pk)
    client.force_login(case_officer)
    assert client.post(reverse("notifications:resend_unattached", args=[row.pk])).status_code == 404
    assert OutboxMessage.objects.filter(resent_from=row).count() == 0
