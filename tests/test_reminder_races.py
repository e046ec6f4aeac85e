"""Two sweepers at once against PostgreSQL: each reminder and each digest is written once and sent once."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts import roles
from workflows import reminders
from notifications.digest import digests_send
from notifications.models import OutboxMessage
from workflows.reminders import reminders_sweep
from notifications.services import notification_queue
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from tests.test_reminders import at
from tests.threads import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"),
]


@pytest.fixture
def drafts(call):
    """30 drafts of 30 organisations (two contacts each) in a call that closes in ten days."""
    result = []
    for _ in range(30):
        membership = MembershipFactory(user__role=roles.APPLICANT)
        MembershipFactory(organisation=membership.organisation, user__role=roles.APPLICANT)
        result.append(ApplicationFactory(organisation=membership.organisation, call=call, created_by=membership.user))
    return result


def test_two_sweeps_that_both_see_nothing_sent_write_each_reminder_once(drafts, call, monkeypatch):
    # given: both sweepers have read and rendered before either writes (the worst interleaving)
    barrier = threading.Barrier(2)
    insert = reminders._insert

    def insert_together(rows):
        barrier.wait(timeout=30)
        return insert(rows)

    monkeypatch.setattr(reminders, "_insert", insert_together)
    now = at(timezone.localdate(call.closes_at) - timedelta(days=3))

    # when
    results = run_together(2, lambda i: reminders_sweep(now=now))

    # then: 60 rows between them, 60 mails, and a third run finds nothing to do
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(results) == [0, 60]
    assert OutboxMessage.objects.filter(kind="reminder_draft").count() == 60
    assert OutboxMessage.objects.filter(kind="reminder_draft", status="sent").count() == 60
    assert len(mail.outbox) == 60
    assert len({m.to[0] for m in mail.outbox}) == 60
    monkeypatch.setattr(reminders, "_insert", insert)
    assert reminders_sweep(now=now) == 0


def test_four_sweeps_at_once_send_each_reminder_once(drafts, call):
    now = at(timezone.localdate(call.closes_at) - timedelta(days=3))
    results = run_together(4, lambda i: reminders_sweep(now=now))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(results) == 60
    assert len(mail.outbox) == 60
    assert OutboxMessage.objects.filter(kind="reminder_draft", status="sent").count() == 60


def test_two_digest_runs_at_once_make_one_digest_per_user(draft):
    readers = [UserFactory(role=roles.CASE_OFFICER, email_frequency="daily") for _ in range(5)]
    for reader in readers:
        for stage in range(3):
            notification_queue(user=reader, kind="submitted_staff", stage=str(stage), application=draft, link="/")
    assert OutboxMessage.objects.filter(status="held").count() == 15

    results = run_together(2, lambda i: digests_send(now=at(timezone.localdate(), 9)))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(results) == 5
    assert OutboxMessage.objects.filter(kind="digest").count() == 5
    assert len(mail.outbox) == 5
    assert OutboxMessage.objects.filter(status="sent", digest__isnull=False).count() == 15
