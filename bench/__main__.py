"""`make bench`: the page benchmark (bench/pages.py), and numbers for the outbox and the reminders, on
PostgreSQL and Redis. `python -m bench pages|mails|sweep` runs one part; `python -m bench` all of them.

0. Pages: every key page at 1,000, 10,000 and 100,000 generated applications (see bench/pages.py).
1. Mail delivery: mails per second from the outbox to a local SMTP server (aiosmtpd) through two
   Celery workers (one process each) on Redis.
2. Reminder sweep: seconds for one sweep over 100,000 open workflow tasks (target < 5 s): the first
   run (nothing reminded yet), a second run at once (must write 0), and the next day's run.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/potten_bench; the bench creates
and drops that database, so never point it at a database you want to keep) and REDIS_URL (default
redis://127.0.0.1:6379/9; the bench purges the Celery queue there). Options: --mails N, --tasks N,
--keep (keep the database), --only mails|sweep; for the pages --applications, --no-load, --out, --pages.
"""

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/potten_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"


def say(message: str) -> None:
    print(message, flush=True)


# -- the database -------------------------------------------------------------------------------

def _admin_connection(url):
    import psycopg

    parsed = urlparse(url)
    return psycopg.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432,
                           user=parsed.username or "postgres", password=parsed.password or None,
                           dbname="postgres", autocommit=True)


def database_create(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


# -- 2. the reminder sweep -----------------------------------------------------------------------

def _seed_open_tasks(tasks: int, now) -> dict:
    """`tasks` applications, each with an open workflow task, spread over the stages and over time; a tenth
    as many drafts in a call that closes in two days; organisations with one contact each."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import STATUS

    from accounts import roles
    from accounts.models import User
    from grants.models import Application, Call, ExAnteCheck, Fund, Membership, Municipality, Organisation
    from reviewers.models import Assignment
    from reviewers.services import rubric_for_fund
    from workflows.flows import ApplicationFlow

    rng = random.Random(6)
    today = timezone.localdate(now)
    fund = Fund.objects.create(name="Benchpotten", slug="bench", kind=Fund.Kind.DIALOGPOTT, max_amount=30000,
                               case_prefix="B")
    call = Call.objects.create(fund=fund, title="Bench", budget_year=today.year, opens_at=now - timedelta(days=120),
                               closes_at=now + timedelta(days=2))
    municipality = Municipality.objects.order_by("pk").first()
    organisations_count = max(tasks // 5, 1)

    def staff(role, count):
        group = Group.objects.get(name=role)
        people = User.objects.bulk_create([User(email=f"{role}{n}@bench.example.org", full_name=f"{role} {n}",
                                                password="!") for n in range(count)])
        group.user_set.add(*people)
        return people

    officers, secretaries = staff(roles.CASE_OFFICER, 2), staff(roles.SECRETARY, 2)
    reviewers = staff(roles.REVIEWER, 40)
    contacts = User.objects.bulk_create(
        [User(email=f"kontakt{n}@bench.example.org", full_name=f"Kontakt {n}", password="!",
              language="en" if n % 4 == 0 else "sv") for n in range(organisations_count)], batch_size=5000)
    Group.objects.get(name=roles.APPLICANT).user_set.add(*contacts)
    organisations = Organisation.objects.bulk_create(
        [Organisation(name=f"Förening {n}", org_number=f"{800000 + n:06d}-{n % 10000:04d}",
                      municipality=municipality, kind=Organisation.Kind.ASSOCIATION)
         for n in range(organisations_count)], batch_size=5000)
    Membership.objects.bulk_create([Membership(user=u, organisation=o) for u, o in zip(contacts, organisations)],
                                   batch_size=5000)

    stages = (["exante_check"] * 10 + ["completion"] * 25 + ["review"] * 30 + ["decision"] * 10
              + ["final_report"] * 25)
    plan = [stages[n % len(stages)] for n in range(tasks)]
    status_of = {"exante_check": "submitted", "completion": "completion", "review": "review",
                 "decision": "decision", "final_report": "granted"}
    applications = []
    for n, stage in enumerate(plan):
        organisation = n % organisations_count
        applications.append(Application(
            organisation=organisations[organisation], call=call, created_by=contacts[organisation],
            title=f"Projekt {n}", status=status_of[stage], submitted_at=now - timedelta(days=60),
            submitted_by=contacts[organisation], requested_amount=20000,
            report_due_on=today + timedelta(days=rng.randint(-30, 30)) if stage == "final_report" else None,
        ))
    for n in range(tasks // 10):
        organisation = n % organisations_count
        applications.append(Application(organisation=organisations[organisation], call=call,
                                        created_by=contacts[organisation], title=f"Utkast {n}"))
    applications = Application.objects.bulk_create(applications, batch_size=5000)

    processes = Process.objects.bulk_create(
        [Process(flow_class=ApplicationFlow, status="NEW", created=now - timedelta(days=60)) for _ in plan],
        batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workflows_applicationprocess (process_ptr_id, application_id) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[])",
            [[p.pk for p in processes], [a.pk for a in applications[:len(plan)]]])

    node = {name: getattr(ApplicationFlow, name) for name in set(plan)}
    owner_of = {"exante_check": officers, "decision": secretaries}
    task_rows, checks, assignments = [], [], []
    rubric = rubric_for_fund(fund)
    for n, (stage, process, application) in enumerate(zip(plan, processes, applications)):
        created = now - timedelta(days=rng.randint(0, 45), seconds=rng.randint(0, 86000))
        owner = None
        if stage in owner_of and n % 2:  # half of the staff tasks are taken
            owner = owner_of[stage][n % 2]
        elif stage in ("completion", "final_report"):
            owner = contacts[n % organisations_count]
        task_rows.append(Task(process=process, flow_task=node[stage],
                              flow_task_type="FUNCTION" if stage == "review" else "HUMAN",
                              status=STATUS.ASSIGNED if owner else STATUS.NEW, owner=owner, created=created))
        if stage == "completion":
            checks.append(ExAnteCheck(application=application, outcome="completion", comment="Komplettera.",
                                      completion_deadline=today + timedelta(days=rng.randint(-30, 30)),
                                      checked_by=officers[0], checked_at=created))
        if stage == "review":
            assignments.append(Assignment(application=application, reviewer=reviewers[n % len(reviewers)],
                                          rubric=rubric, status=Assignment.Status.ACTIVE,
                                          deadline=today + timedelta(days=rng.randint(-30, 30))))
    Task.objects.bulk_create(task_rows, batch_size=5000)
    ExAnteCheck.objects.bulk_create(checks, batch_size=5000)
    Assignment.objects.bulk_create(assignments, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"open_tasks": Task.objects.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).count(),
            "drafts": tasks // 10, "review_assignments": len(assignments), "organisations": organisations_count}


def bench_sweep(tasks: int) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.urls import get_resolver
    from django.utils import timezone

    from config.celery import app
    from notifications.models import OutboxMessage
    from workflows.reminders import reminders_sweep

    now = timezone.now()
    started = time.monotonic()
    seeded = _seed_open_tasks(tasks, now)
    say(f"  seeded {seeded} in {time.monotonic() - started:.1f} s")
    # The sweep runs in a worker that has long loaded the URL configuration (its links are reversed): load it
    # here too, so that the first run measures the sweep and not the import of every view module.
    get_resolver().reverse_dict  # noqa: B018 -- populates the resolver
    runs = []
    for label, at in (("first run", now), ("second run, same time", now),
                      ("next day", now + timedelta(days=1)), ("next day, again", now + timedelta(days=1))):
        queries = []

        def count(execute, sql, params, many, context):  # counts without recording (cheaper than
            queries.append(1)                            # CaptureQueriesContext, which formats every query)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            written = reminders_sweep(now=at)
            seconds = time.perf_counter() - started
        runs.append({"run": label, "seconds": round(seconds, 2), "rows_written": written,
                     "queries": len(queries)})
        say(f"  {label}: {seconds:.2f} s, {written} outbox rows ({written / seconds:.0f} rows/s), "
            f"{len(queries)} queries")
    by_kind = dict(OutboxMessage.objects.filter(kind__startswith="reminder_").values_list("kind")
                   .annotate(n=Count("pk")).order_by("kind"))
    app.control.purge()  # the delivery tasks the sweep queued: no worker runs during this part
    return {**seeded, "runs": runs, "rows_by_kind": by_kind}


# -- main ---------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", choices=["all", "pages", "mails", "sweep"], default="all",
                        help="pages: the page benchmark (bench/pages.py); mails, sweep: the parts below; "
                             "all (default): every part")
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--only", choices=["mails", "sweep"], help="the same as naming the part")
    pages = parser.add_argument_group("pages")
    pages.add_argument("--applications", default="1000,10000,100000",
                       type=lambda text: [int(n) for n in text.split(",") if n.strip()],
                       help="comma-separated sizes (default 1000,10000,100000)")
    pages.add_argument("--no-load", action="store_true", help="skip the part under load (gunicorn)")
    pages.add_argument("--runs", type=int, default=20, help="requests per page, single client (at least 20)")
    pages.add_argument("--clients", type=int, default=16, help="concurrent clients under load")
    pages.add_argument("--seconds", type=float, default=15, help="seconds per page under load (at most 60)")
    pages.add_argument("--out", default=str(BASE_DIR / "bench" / "pages.json"), help="the JSON result")
    pages.add_argument("--pages", type=lambda text: [part for part in text.split(",") if part.strip()],
                       help="only the pages whose name contains one of these comma-separated substrings "
                            "(e.g. \"case list,inbox\"), single client and under load (the floor always)")
    pages.add_argument("--reuse", action="store_true",
                       help="measure the database as it is (generated before, kept with --keep); one size")
    args = parser.parse_args(argv)
    what = args.only or args.what
    if args.runs < 20 or not 0 < args.seconds <= 60:
        parser.error("--runs must be at least 20 and --seconds at most 60")

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench: DATABASE_URL must be a PostgreSQL URL")
    var_dir = Path(tempfile.mkdtemp(prefix="potten-bench-"))
    os.environ.update({
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "POTTEN_VAR_DIR": str(var_dir),
        "POTTEN_TESTING": "false", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false",
        "LOG_LEVEL": "WARNING", "CACHE_KEY_PREFIX": "potten-bench",
    })
    say(f"bench: PostgreSQL {urlparse(database_url).hostname}/{urlparse(database_url).path.lstrip('/')}, "
        f"Redis {redis_url}, files in {var_dir}")
    if what in ("all", "pages"):
        from bench import pages

        pages.run(args, database_url, var_dir, database_create, database_drop)
        if what == "pages":
            return 0
    database_create(database_url)
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        result = {}
        if what in ("all", "mails"):
            say(f"1. delivery: {args.mails} mails, 2 workers on Redis, local SMTP server")
            result["delivery"] = bench_mails(args.mails, var_dir)
            say(f"  {result['delivery']['mails_per_second']} mails/s "
                f"({args.mails} mails in {result['delivery']['seconds']} s, {result['delivery']['delivered']} arrived)"
                f"  target >= 200: {'met' if result['delivery']['mails_per_second'] >= 200 else 'NOT MET'}")
        if what in ("all", "sweep"):
            say(f"2. reminder sweep over {args.tasks} open tasks")
            result["sweep"] = bench_sweep(args.tasks)
        say("bench result: " + json.dumps(result))
        (var_dir / "bench.json").write_text(json.dumps(result, indent=2))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database_drop(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
