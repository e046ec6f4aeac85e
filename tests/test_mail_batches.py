"""Mail delivery in batches over one SMTP connection per worker: every row sent once, in one connection,
claimed together; a server that drops the kept connection while idle costs nothing; a failing server
hands the rest of a batch back untried; two workers on the same batch never send a row twice."""

import socket
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from notifications import delivery
from notifications.models import OutboxMessage
from notifications.services import DELIVERY_BATCH, delivery_publish, notification_queue
from tests import real_services
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db


class Server:
    """Counts the connections (EHLO greetings) and the messages by Message-ID."""

    def __init__(self):
        self.lock = threading.Lock()
        self.hellos = 0
        self.message_ids = []
        self.refuse = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.hellos += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 try later"
        for line in envelope.content.decode().splitlines():
            if line.startswith("Message-ID:"):
                with self.lock:
                    self.message_ids.append(line.split(":", 1)[1].strip())
        return "250 OK"


@pytest.fixture
def smtp():
    server = Server()
    with real_services.smtp_server(server) as port:
        settings = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                    "EMAIL_PORT": port, "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False, "EMAIL_TIMEOUT": 5,
                    "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": ""}
        with override_settings(**settings):
            yield server
    delivery.mail_connection_close()


def rows(count):
    """Pending rows as notification_queue writes them, without its delivery task (the test delivers)."""
    application = ApplicationFactory()
    people = [UserFactory() for _n in range(count)]
    with mock.patch("notifications.services.delivery_schedule"):
        return [notification_queue(user=person, kind="submitted_staff", application=application,
                                   link="/uppgifter/").pk for person in people]


def test_a_batch_is_sent_once_each_over_one_connection(smtp):
    ids = rows(30)

    outcomes = delivery.outbox_send_batch(ids)

    assert outcomes == {"sent": 30, "skipped": 0, "failed": 0, "retry": 0, "retries": []}
    assert smtp.hellos == 1
    expected = sorted(row.message_id for row in OutboxMessage.objects.filter(pk__in=ids))
    assert sorted(smtp.message_ids) == expected
    assert set(OutboxMessage.objects.filter(pk__in=ids).values_list("status", "attempts")) == {("sent", 1)}

    # and: the next batch goes over the same connection; the sent rows are skipped if they come again
    more = rows(3)
    assert delivery.outbox_send_batch(more + ids[:2])["sent"] == 3
    assert smtp.hellos == 1
    assert len(smtp.message_ids) == 33


def test_a_batch_costs_a_fixed_number_of_queries_and_one_statement_per_mail(smtp):
    # given: a batch of 5 and a batch of 50
    small, large = rows(5), rows(50)

    # when
    with CaptureQueriesContext(connection) as five:
        assert delivery.outbox_send_batch(small)["sent"] == 5
    with CaptureQueriesContext(connection) as fifty:
        assert delivery.outbox_send_batch(large)["sent"] == 50

    # then: the claim and the loading are one query each for the whole batch (on PostgreSQL; elsewhere the claim
    # is a compare-and-swap per row); each mail adds only the statement that marks it sent, which it needs for
    # itself: marked sent as soon as the server has taken it, a crash re-sends at most the mail in flight
    per_mail = 1 if connection.vendor == "postgresql" else 2
    assert len(fifty) - len(five) == 45 * per_mail
    assert len(five) == 5 * per_mail + (2 if connection.vendor == "postgresql" else 1)
    assert len(smtp.message_ids) == 55 and smtp.hellos == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_without_a_lost_or_double_mail(smtp):
    first, second = rows(2)
    assert delivery.outbox_send(first) == "sent"
    kept, _fresh = delivery.mail_connection()
    kept.connection.sock.shutdown(socket.SHUT_RDWR)  # the server (or a NAT) dropped the idle connection

    assert delivery.outbox_send(second) == "sent"

    assert delivery.mail_connection()[0] is not kept
    assert smtp.hellos == 2, (smtp.hellos, smtp.message_ids)
    assert len(smtp.message_ids) == 2 and len(set(smtp.message_ids)) == 2
    assert OutboxMessage.objects.get(pk=second).attempts == 1


def test_a_failing_server_hands_the_rest_of_the_batch_back_untried(smtp):
    ids = rows(5)
    smtp.refuse = True

    outcomes = delivery.outbox_send_batch(ids)

    assert (outcomes["sent"], outcomes["retry"]) == (0, 5)
    assert [pk for pk, _delay in outcomes["retries"]] == ids
    states = dict(OutboxMessage.objects.filter(pk__in=ids).values_list("pk", "attempts"))
    assert states == {ids[0]: 1, **{pk: 0 for pk in ids[1:]}}  # only the tried one counts an attempt
    assert set(OutboxMessage.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"pending"}
    assert not OutboxMessage.objects.filter(pk__in=ids, next_attempt_at__isnull=True).exists()
    assert smtp.message_ids == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_the_same_rows_send_each_once(smtp):
    ids = rows(40)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(delivery.outbox_send_batch(ids))
        finally:
            delivery.mail_connection_close()
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result["sent"] for result in results) == 40
    assert sum(result["skipped"] for result in results) == 40
    assert len(smtp.message_ids) == 40 and len(set(smtp.message_ids)) == 40


def test_a_burst_is_published_in_batches(monkeypatch):
    published = []
    from notifications import tasks

    monkeypatch.setattr(tasks.outbox_deliver_batch, "apply_async",
                        lambda args, **options: published.append(("batch", list(args[0]))))
    monkeypatch.setattr(tasks.outbox_deliver, "apply_async",
                        lambda args, **options: published.append(("one", list(args))))
    ids = list(range(1, 2 * DELIVERY_BATCH + 2))

    delivery_publish(ids)
    delivery_publish([7])

    assert published == [("batch", ids[:DELIVERY_BATCH]), ("batch", ids[DELIVERY_BATCH:2 * DELIVERY_BATCH]),
                         ("batch", ids[2 * DELIVERY_BATCH:]), ("one", [7])]
    assert mail.outbox == []
