"""A real Celery worker on the configured broker (Redis when REDIS_URL is set, the file
broker otherwise) delivers an outbox row to a real SMTP server."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from config.celery import app as celery_app
from notifications.models import OutboxMessage
from notifications.services import notification_queue
from tests import real_services
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    with real_services.smtp_server(inbox) as port:
        yield inbox, port


@pytest.fixture
def worker(smtp_server):
    _inbox, port = smtp_server
    env = {
        **os.environ, "POTTEN_TESTING": "false", "DATABASE_URL": real_services.database_url(),
        "POTTEN_VAR_DIR": str(settings.VAR_DIR), "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false", "EMAIL_USE_SSL": "false",
    }
    celery = Path(sys.executable).with_name("celery")
    process = subprocess.Popen(
        [str(celery), "-A", "config", "worker", "--pool=solo", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--loglevel=INFO"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_real_worker_delivers_the_outbox_row_over_smtp(smtp_server, worker, monkeypatch):
    inbox, _port = smtp_server
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    user = UserFactory(email="mottagare@example.org", language="sv")

    # when: a notification is queued in a committed transaction
    with transaction.atomic():
        row = notification_queue(user=user, kind="submitted_staff", application=ApplicationFactory(),
                                 link="/uppgifter/")

    # then: the worker sends it to the SMTP server within a minute, with its stable Message-ID
    deadline = time.monotonic() + 60
    while not inbox.messages and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.25)
    if not inbox.messages:
        worker.terminate()
        pytest.fail("no mail arrived; worker output:\n" + (worker.communicate(timeout=20)[0] or "")[-4000:])
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["mottagare@example.org"]
    assert f"Message-ID: {row.message_id}" in envelope.content.decode()
    deadline = time.monotonic() + 10
    while OutboxMessage.objects.get(pk=row.pk).status != "sent" and time.monotonic() < deadline:
        time.sleep(0.1)
    sent = OutboxMessage.objects.get(pk=row.pk)
    assert (sent.status, sent.attempts) == ("sent", 1)
