"""Redis down: a mail queued in a request is published after the commit with one short try; the request is
never held up more than 100 ms, the row waits in the outbox, and the sweeper sends it once Redis is back."""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from notifications import services
from notifications.models import OutboxMessage
from notifications.tasks import outbox_sweep
from tests import real_services
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The Celery app as production configures it for Redis, pointed at a port where nothing listens."""
    conf = celery_app.conf
    monkeypatch.setitem(conf, "task_always_eager", False)
    monkeypatch.setitem(conf, "broker_url", f"redis://127.0.0.1:{real_services.free_port()}/0")
    monkeypatch.setitem(conf, "broker_transport_options", settings.REDIS_BROKER_TRANSPORT_OPTIONS)
    monkeypatch.setitem(conf, "broker_connection_timeout", settings.REDIS_CONNECT_TIMEOUT)
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    durations = []
    publish = services.delivery_publish

    def timed(ids):
        started = time.perf_counter()
        try:
            publish(ids)
        finally:
            durations.append(time.perf_counter() - started)

    monkeypatch.setattr(services, "delivery_publish", timed)
    with pytest.raises(Exception):  # noqa: B017 -- the first try loads the Redis client; it fails too
        timed([0])
    durations.clear()
    yield durations
    celery_app._pool = celery_app.amqp._producer_pool = None


def test_a_mail_queued_with_redis_down_does_not_hold_up_the_request_and_is_sent_later(redis_down, monkeypatch):
    application = ApplicationFactory()
    people = [UserFactory() for _n in range(5)]

    # when: five requests each queue a mail and commit, with Redis down
    rows, elapsed = [], []
    for person in people:
        started = time.perf_counter()
        with transaction.atomic():
            rows.append(services.notification_queue(user=person, kind="submitted_staff", application=application,
                                                    link="/uppgifter/"))
        elapsed.append(time.perf_counter() - started)

    # then: each publish after its commit gave up within 100 ms, and nothing escaped into the request
    assert len(redis_down) == 5
    assert max(redis_down) < 0.1, redis_down
    assert max(elapsed) < 0.5, elapsed  # the whole commit with its publish: no retries, no back-off
    ids = [row.pk for row in rows]
    assert list(OutboxMessage.objects.filter(pk__in=ids).values_list("status", flat=True)) == ["pending"] * 5
    assert mail.outbox == []

    # when: Redis is back (tasks run again) and the sweeper comes by
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=3)):
        assert outbox_sweep() == 5

    # then: every mail is sent, once
    assert set(OutboxMessage.objects.filter(pk__in=ids).values_list("status", "attempts")) == {("sent", 1)}
    assert sorted(message.to[0] for message in mail.outbox) == sorted(person.email for person in people)
