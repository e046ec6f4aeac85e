"""`python -m bench mails`: mails per second from the outbox to a local SMTP server (aiosmtpd) through two
Celery workers (one process each) on Redis (target: at least 200)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def say(message: str) -> None:
    print(message, flush=True)


# -- the SMTP server ----------------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


def smtp_start():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return inbox, controller, port


# -- workers ------------------------------------------------------------------------------------

def workers_start(count: int, smtp_port: int, log_dir: Path):
    env = {**os.environ, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "EMAIL_USE_TLS": "false",
           "EMAIL_USE_SSL": "false"}
    celery = str(Path(sys.executable).with_name("celery"))
    processes = []
    for number in range(1, count + 1):
        log = (log_dir / f"worker{number}.log").open("w")
        processes.append(subprocess.Popen(
            [celery, "-A", "config", "worker", "--pool=prefork", "--concurrency=1", f"--hostname=bench{number}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        ))
    return processes


def workers_stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# -- 1. delivery --------------------------------------------------------------------------------

def _outbox_rows(count: int, prefix: str):
    from django.conf import settings

    from accounts.models import User
    from notifications.models import OutboxMessage
    from notifications.services import outbox_render

    user, _created = User.objects.get_or_create(email="bench@example.org", defaults={"full_name": "Bench Mottagare"})
    subject, text, html = outbox_render(kind="digest", language="sv", context={
        "user": user, "items": [], "link": settings.SITE_URL, "site_url": settings.SITE_URL})
    rows = OutboxMessage.objects.bulk_create(
        [OutboxMessage(dedupe_key=f"{prefix}-{n}", recipient=user.email, user=user, kind="bench", language="sv",
                       subject=subject, body_text=text, body_html=html) for n in range(count)],
        batch_size=1000)
    return [row.pk for row in rows]


def _publish(ids) -> None:
    """As the application publishes a burst (a reminder sweep's fan-out, the sweeper): in batches."""
    from notifications.services import delivery_publish

    delivery_publish(ids)


def _wait_sent(ids, timeout: float, workers) -> float:
    from notifications.models import OutboxMessage

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not OutboxMessage.objects.filter(pk__in=ids).exclude(status="sent").exists():
            return time.monotonic()
        if any(process.poll() is not None for process in workers):
            raise SystemExit("bench: a worker stopped; see its log")
        time.sleep(0.05)
    raise SystemExit(f"bench: the mails were not all sent within {timeout:.0f} s")


def bench_mails(count: int, log_dir: Path) -> dict:
    from config.celery import app
    from notifications.services import DELIVERY_BATCH

    inbox, controller, port = smtp_start()
    app.control.purge()
    workers = workers_start(2, port, log_dir)
    try:
        # Both workers up, connected to the database and the SMTP server, their code loaded: a few batches each
        # (one task per batch; each worker takes one at a time), so neither starts cold during the measurement.
        warm = _outbox_rows(4 * len(workers) * DELIVERY_BATCH, "warm")
        _publish(warm)
        _wait_sent(warm, 90, workers)
        ids = _outbox_rows(count, "mail")
        before = inbox.count
        started = time.monotonic()
        _publish(ids)
        finished = _wait_sent(ids, 600, workers)
        seconds = finished - started
        delivered = inbox.count - before
    finally:
        workers_stop(workers)
        controller.stop()
    return {"mails": count, "delivered": delivered, "seconds": round(seconds, 2),
            "mails_per_second": round(count / seconds, 1), "workers": 2}
