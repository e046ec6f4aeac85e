"""Fault test on Redis: 200 mails, the worker's processes SIGKILLed three times during delivery, and the
SMTP server refusing with 451 for a while. Nothing may be lost; a mail may be sent twice only when a
process died between the server's "250 OK" and the commit that marks the row sent. The numbers are
printed (run with -s) and written to VAR_DIR/fault-test.json.

Needs REDIS_URL; takes about half a minute (at most ~2 minutes before it gives up).
"""

import asyncio
import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from config.celery import app as celery_app
from notifications.models import OutboxMessage
from notifications.services import notification_queue
from notifications.tasks import outbox_sweep
from tests import real_services
from tests.factories import ApplicationFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="the fault test runs on real Redis (set REDIS_URL)"),
]

MAILS = 200
KILL_AT = (30, 80, 130)  # accepted mails at which every pool process is killed
REFUSE_FIRST = 40  # the first 40 DATA commands get "451 try again later"
CLAIM_TIMEOUT = 12  # seconds; above the worker's hard time limit below
WORKER_ENV = {"CELERY_TASK_SOFT_TIME_LIMIT": "6", "CELERY_TASK_TIME_LIMIT": "8",
              "OUTBOX_CLAIM_TIMEOUT": str(CLAIM_TIMEOUT), "OUTBOX_RETRY_BACKOFF": "1",
              "OUTBOX_RETRY_BACKOFF_MAX": "4", "EMAIL_TIMEOUT": "5"}


class FlakyServer:
    """Refuses the first REFUSE_FIRST messages, then accepts each after a short pause."""

    def __init__(self):
        self.lock = threading.Lock()
        self.data_commands = 0
        self.refused = 0
        self.accepted: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_commands += 1
            refuse = self.data_commands <= REFUSE_FIRST
            if refuse:
                self.refused += 1
        if refuse:
            return "451 4.3.0 Try again later"
        await asyncio.sleep(0.03)
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.accepted.append(message_id)  # from here on the mail is delivered
        return "250 OK"


@pytest.fixture
def smtp():
    server = FlakyServer()
    with real_services.smtp_server(server) as port:
        yield server, port


def pool_processes(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


@pytest.fixture
def worker(smtp):
    _server, port = smtp
    env = {**os.environ, **WORKER_ENV, "POTTEN_TESTING": "false", "DATABASE_URL": real_services.database_url(),
           "POTTEN_VAR_DIR": str(settings.VAR_DIR), "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port),
           "EMAIL_USE_TLS": "false", "EMAIL_USE_SSL": "false"}
    log = (Path(settings.VAR_DIR) / "fault-test-worker.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "--pool=prefork",
         "--concurrency=2", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_killed_workers_and_a_flaky_server_lose_no_mail(smtp, worker, monkeypatch, settings):
    server, _port = smtp
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    settings.OUTBOX_CLAIM_TIMEOUT = CLAIM_TIMEOUT  # this process runs the sweeper, as beat would
    deadline = time.monotonic() + 30
    while len(pool_processes(worker.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(pool_processes(worker.pid)) == 2, "the worker did not start its two processes"
    user = UserFactory(email="mottagare@example.org")
    application = ApplicationFactory()

    # when: 200 mails are queued, committed in batches of 20
    for first in range(0, MAILS, 20):
        with transaction.atomic():
            for number in range(first, first + 20):
                notification_queue(user=user, kind="submitted_staff", stage=f"fault-{number}",
                                   application=application, link="/uppgifter/")

    # and: every pool process is SIGKILLed three times while mails are being delivered
    kills, killed = 0, 0
    last_sweep = time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if kills < len(KILL_AT) and len(server.accepted) >= KILL_AT[kills]:
            for pid in pool_processes(worker.pid):
                os.kill(pid, signal.SIGKILL)
                killed += 1
            kills += 1
        if time.monotonic() - last_sweep > 2:
            outbox_sweep()  # beat's job: hand out rows claimed by a dead process
            last_sweep = time.monotonic()
        if kills == len(KILL_AT) and not OutboxMessage.objects.exclude(status="sent").exists():
            break
        time.sleep(0.01)
    assert worker.poll() is None, "the worker itself died"

    # then: every row is sent and every mail arrived; duplicates are counted
    rows = list(OutboxMessage.objects.filter(kind="submitted_staff"))
    expected = {row.message_id for row in rows}
    arrived = Counter(server.accepted)
    lost = expected - set(arrived)
    duplicates = sum(count - 1 for count in arrived.values())
    result = {"mails": len(rows), "kills": kills, "processes_killed": killed, "refused_451": server.refused,
              "accepted": len(server.accepted), "lost": len(lost), "duplicates": duplicates,
              "not_sent": sum(1 for row in rows if row.status != "sent"),
              "max_attempts": max(row.attempts for row in rows)}
    print(f"\nfault test: {json.dumps(result)}")
    (Path(settings.VAR_DIR) / "fault-test.json").write_text(json.dumps(result, indent=2))
    assert len(rows) == MAILS
    assert kills == len(KILL_AT), f"the mails went out before all kills happened: {result}"
    assert server.refused == REFUSE_FIRST
    assert (result["lost"], result["not_sent"]) == (0, 0), result
    assert set(arrived) == expected
    # A duplicate needs a process killed between "250 OK" and its commit: at most one per killed process.
    assert duplicates <= killed, result
