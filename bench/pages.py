"""`python -m bench pages`: the key pages at 1,000 / 10,000 / 100,000 applications.

For each size: a fresh PostgreSQL database, `generate_load` (funds = applications / 2,000, at least 2;
5 years), then every key page as the person who opens it, through Django's test client: warm (two
requests first), at least 20 requests each, the number of queries, median and p95 time and the size of
the answer. Then (unless --no-load) each page through gunicorn (2 workers) with 16 concurrent clients,
against a floor view that renders the same 50 case-list rows in one query: requests per second, p95
and the ratio to the floor's throughput. The targets are printed with each row (met / not met).

The indicator pages read stored summaries while no record they count has changed (as a page asked again does);
their ", computed" rows measure the same pages computed afresh, their ", after a change in it" rows after a
change in the fund shown (its figures computed again, the other funds' served) and ", after a change in another
fund" after a change in a fund not shown (the overview of every fund made again, the fund shown served), single
client.
"""

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent

TARGET_MEDIAN_MS = 100
TARGET_P95_MS = 150
TARGET_DASHBOARD_MS = 500
TARGET_FUND_YEAR_MS = 50
# A page measured as computed afresh: the indicators' stored summaries (grants/indicators/summaries.py) are
# removed before each of its requests, outside the time measured; after a change: a change of the fund shown
# (the first "last-" fund, as in page_plan) is logged before each request. These are left out of the load part.
COMPUTED = ", computed"
CHANGED = ", after a change in it"
# After a change in the fund shown and beat's refresh of the summaries (grants.tasks.indicators_summaries, every
# minute): the page itself is made again from the summaries.
REFRESHED = ", a minute after a change in it"
# After a change in another fund (the last "last-" fund): the commonest case once many funds are in use.
ELSEWHERE = ", after a change in another fund"
SINGLE_CLIENT_ONLY = (COMPUTED, CHANGED, REFRESHED, ELSEWHERE)
TARGET_BYTES = 200_000
TARGET_FLOOR_RATIO = 0.5
DOWNLOADS = (".csv", ".xlsx", ".pdf")


def say(message: str) -> None:
    print(message, flush=True)


# -- which pages, as whom ---------------------------------------------------------------------------

def page_plan(names=None):
    """[(name, user email, url)] for the generated database; with `names` (substrings), only the pages whose
    name contains one of them."""
    from django.urls import reverse
    from django.utils import timezone
    from viewflow.workflow.models import Task

    from accounts.models import User
    from grants.models import Application, Fund, FundYear
    from reviewers.models import Assignment

    officer = "handlaggare@example.org"
    secretary = "sekreterare@example.org"
    applicant = "sokande@example.org"
    reviewer = "bedomare@example.org"
    steering = "ledningsgrupp@example.org"
    admin = "admin@example.org"
    year = timezone.localdate().year
    mine = Application.objects.filter(organisation__membership__user__email=applicant).exclude(
        status="draft").order_by("-pk").first()
    case = Application.objects.filter(status="decision", case_number__isnull=False).select_related(
        "organisation").order_by("pk").first()
    scoring = Assignment.objects.filter(reviewer__email=reviewer, status="active").order_by("pk").first()
    decision = Task.objects.filter(flow_task__endswith=".decision", status__in=["NEW", "ASSIGNED"]).filter(
        owner__isnull=True).order_by("pk").first() or Task.objects.filter(
        flow_task__endswith=".decision", status="ASSIGNED", owner__email=secretary).order_by("pk").first()
    fund = Fund.objects.filter(slug__startswith="last-").order_by("pk").first()
    fund_year = FundYear.objects.filter(fund=fund, year=year).first()
    officer_id = User.objects.get(email=officer).pk
    # What a case officer types to find a case: part of its organisation's name (the title's words are
    # few in generated data, so one of them matches a tenth of all cases; a name is as selective as a real one).
    word = " ".join(case.organisation.name.split()[-2:])
    case_list = reverse("workflows:case_list")
    plan = [
        ("start page", applicant, reverse("home")),
        ("my applications", applicant, reverse("grants:my_applications")),
        ("application page", applicant, reverse("grants:application_detail", args=[mine.pk])),
        ("case list, default", officer, case_list),
        ("case list, filtered + sorted", officer, f"{case_list}?fund={fund.pk}&stage=review&stage=decision&sort=-amount"),
        ("case list, search", officer, f"{case_list}?q={quote(word)}"),
        ("case list, assignee = me", officer, f"{case_list}?assignee=me"),
        ("case list, page 50", officer, f"{case_list}?page=50"),
        ("case page", officer, reverse("workflows:case_detail", args=[case.pk])),
        ("inbox, case officer", officer, reverse("workflows:inbox")),
        ("inbox, secretary", secretary, reverse("workflows:inbox")),
        ("reviewer's list", reviewer, reverse("reviewers:home")),
        ("scoring page", reviewer, reverse("reviewers:assignment", args=[scoring.pk])),
        ("decision page", secretary, reverse("workflows:task", args=[decision.pk])),
        ("payments", secretary, reverse("grants:payments")),
        ("fund years", secretary, reverse("grants:fund_years")),
        ("fund budget", secretary, reverse("grants:fund_budget", args=[fund_year.pk])),
        ("indicators, all funds", steering, reverse("grants:indicators") + f"?year={year}"),
        ("indicators, one fund", steering, reverse("grants:indicators") + f"?fund={fund.slug}&year={year}"),
        ("indicators, one fund-year", steering, reverse("grants:indicators_export", args=[fund.slug, year, "json"])),
        # The same computed afresh (every stored summary removed before each request), and after a change in the
        # fund shown (its own summaries computed again, the other funds' served); single client only.
        ("indicators, all funds" + COMPUTED, steering, reverse("grants:indicators") + f"?year={year}"),
        ("indicators, one fund" + COMPUTED, steering, reverse("grants:indicators") + f"?fund={fund.slug}&year={year}"),
        ("indicators, one fund" + CHANGED, steering, reverse("grants:indicators") + f"?fund={fund.slug}&year={year}"),
        ("indicators, one fund" + ELSEWHERE, steering,
         reverse("grants:indicators") + f"?fund={fund.slug}&year={year}"),
        ("indicators, one fund" + REFRESHED, steering,
         reverse("grants:indicators") + f"?fund={fund.slug}&year={year}"),
        ("indicators, one fund-year" + CHANGED, steering,
         reverse("grants:indicators_export", args=[fund.slug, year, "json"])),
        ("export CSV", steering, reverse("grants:indicators_export", args=[fund.slug, year, "csv"])),
        ("export XLSX", steering, reverse("grants:indicators_export", args=[fund.slug, year, "xlsx"])),
        ("export PDF", steering, reverse("grants:indicators_export", args=[fund.slug, year, "pdf"])),
        ("admin applications, search", admin, f"/admin/grants/application/?q={quote(word)}"),
    ]
    del officer_id
    return [page for page in plan if page_chosen(page[0], names)]


def page_chosen(name: str, names) -> bool:
    """Whether the page `name` is among those asked for (`--pages`: comma-separated substrings; none: all)."""
    return not names or any(part.strip().lower() in name.lower() for part in names if part.strip())


# -- single client ----------------------------------------------------------------------------------

def record_second_factor(session, user) -> None:
    """Write into a logged-in session what allauth records when its user logs in with password and TOTP, as
    a browser's login would (accounts/mfa.py): staff reach their pages only after a second factor, and the
    bench's sessions are made without a browser."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY

    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def logged_in_client(email: str):
    from django.test import Client

    from accounts.models import User

    user = User.objects.get(email=email)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    record_second_factor(session, user)
    return client


def measure_pages(applications: int, runs: int, names=()) -> list[dict]:
    from django.db import connection, reset_queries

    results = []
    clients = {}
    for name, email, url in page_plan(names):
        client = clients.get(email)
        if client is None:
            client = clients[email] = logged_in_client(email)
        for _warm in range(2):
            before_request(name)
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"bench: {name} ({url}) answered {response.status_code}")
        times, queries = [], 0
        for _run in range(runs):
            before_request(name)
            counted = []

            def count(execute, sql, params, many, context):
                counted.append(1)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                started = time.perf_counter()
                response = client.get(url)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                times.append((time.perf_counter() - started) * 1000)
            queries = len(counted)
        reset_queries()
        times.sort()
        row = {"applications": applications, "page": name, "url": url, "queries": queries,
               "median_ms": round(statistics.median(times), 1),
               "p95_ms": round(times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)], 1),
               "bytes": len(body)}
        results.append(row)
        say(f"  {name:<30} {row['queries']:>4} q {row['median_ms']:>8.1f} ms  p95 {row['p95_ms']:>8.1f} ms "
            f"{row['bytes']:>9} B  {'met' if page_met(row) else 'NOT MET'}")
    return results


def before_request(name: str) -> None:
    """Outside the time measured: what a ", computed", ", after a change …" or ", a minute after a change in it" page
    needs first."""
    from django.db import connection

    with connection.cursor() as cursor:
        if name.endswith(COMPUTED):
            cursor.execute("DELETE FROM grants_indicator_summary")
        elif name.endswith((CHANGED, REFRESHED)):
            cursor.execute("INSERT INTO grants_indicator_change (fund_id) SELECT id FROM grants_fund "
                           "WHERE slug LIKE 'last-%%' ORDER BY id LIMIT 1")
        elif name.endswith(ELSEWHERE):
            cursor.execute("INSERT INTO grants_indicator_change (fund_id) SELECT id FROM grants_fund "
                           "WHERE slug LIKE 'last-%%' ORDER BY id DESC LIMIT 1")
    if name.endswith(REFRESHED):
        from grants.indicators.compute import summaries_refresh

        summaries_refresh()


def page_met(row: dict) -> bool:
    """The issue's targets: the dashboard computed (every fund's overview, and the fund shown when one is) in
    under TARGET_DASHBOARD_MS; one fund-year in under TARGET_FUND_YEAR_MS, also computed after a change; every
    other page, and the dashboard as served, in under TARGET_MEDIAN_MS."""
    dashboard = row["page"].startswith(("indicators, all funds", "indicators, one fund,"))
    if dashboard and row["page"].endswith((COMPUTED, CHANGED)):
        return row["median_ms"] < TARGET_DASHBOARD_MS and row["bytes"] <= TARGET_BYTES
    if row["page"].startswith("indicators, one fund-year"):
        return row["median_ms"] < TARGET_FUND_YEAR_MS and row["p95_ms"] < TARGET_P95_MS
    html = not row["url"].endswith(DOWNLOADS)
    return (row["median_ms"] < TARGET_MEDIAN_MS and row["p95_ms"] < TARGET_P95_MS
            and (not html or row["bytes"] <= TARGET_BYTES))


# -- under load ---------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_start(port: int, log_dir: Path):
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    log = (log_dir / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [gunicorn, "bench.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "--timeout", "120"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("bench: gunicorn stopped; see its log") from None
            time.sleep(0.2)
    raise SystemExit("bench: gunicorn did not start")


def gunicorn_stop(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def session_cookie(email: str) -> str:
    """A logged-in session for the user, as the cookie a browser would send."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from importlib import import_module

    from accounts.models import User

    user = User.objects.get(email=email)
    store = import_module(settings.SESSION_ENGINE).SessionStore() if settings.SESSION_ENGINE else SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    record_second_factor(store, user)
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def hammer(port: int, url: str, cookie: str, *, clients: int, seconds: float) -> dict:
    """`clients` threads request the url again and again for `seconds`; requests/s and p95 (ms)."""
    stop = time.monotonic() + seconds
    times, errors = [], []
    lock = threading.Lock()

    def client():
        local = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("GET", url, headers={"Cookie": cookie, "Host": "127.0.0.1"})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    errors.append(response.status)
            except OSError as exc:
                errors.append(str(exc))
            local.append((time.perf_counter() - started) * 1000)
        with lock:
            times.extend(local)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if errors:
        raise SystemExit(f"bench: {url} failed under load: {errors[:3]}")
    times.sort()
    return {"req_s": round(len(times) / elapsed, 1),
            "p95_ms": round(times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)], 1)}


# The floor is measured again after every FLOOR_EVERY pages: each page is compared with the mean of the floors
# measured just before and just after its group, so that a drift of the machine's own speed during the run (the
# floor has moved between 104 and 159 req/s from one run to the next on the same machine) moves both sides of
# the ratio alike.
FLOOR_EVERY = 3
FLOOR = ("floor", "handlaggare@example.org", "/bench/floor/")


def measure_load(applications: int, log_dir: Path, *, clients: int, seconds: float, names=()) -> list[dict]:
    """Each page (and the floor around every FLOOR_EVERY pages) through gunicorn under `clients` clients: rows
    {"applications", "page", "req_s", "p95_ms", "floor_ratio"}; a page's row also names the floor it is compared
    with ("floor_req_s", the mean of the floors just before and after its group)."""
    port = _free_port()
    process = gunicorn_start(port, log_dir)
    cookies = {}
    results = []

    def hammered(name, email, url):
        cookie = cookies.get(email) or cookies.setdefault(email, session_cookie(email))
        hammer(port, url, cookie, clients=2, seconds=1)  # warm both workers
        return {"applications": applications, "page": name, **hammer(port, url, cookie, clients=clients,
                                                                      seconds=seconds)}

    def floor_row():
        row = hammered(*FLOOR)
        row["floor_ratio"] = 1.0
        results.append(row)
        say(f"  {'floor':<30} {row['req_s']:>7.1f} req/s  p95 {row['p95_ms']:>8.1f} ms")
        return row["req_s"]

    try:
        pages = [page for page in page_plan(names) if not page[0].endswith(SINGLE_CLIENT_ONLY)]
        before = floor_row()
        for start in range(0, len(pages), FLOOR_EVERY):
            group = [hammered(*page) for page in pages[start:start + FLOOR_EVERY]]
            after = floor_row()
            floor = (before + after) / 2
            for row in group:
                row["floor_req_s"] = round(floor, 1)
                row["floor_ratio"] = round(row["req_s"] / floor, 2)
                results.insert(-1, row)
                say(f"  {row['page']:<30} {row['req_s']:>7.1f} req/s  p95 {row['p95_ms']:>8.1f} ms  "
                    f"{row['floor_ratio']:>5.2f} × floor ({row['floor_req_s']})  "
                    f"{'met' if row['floor_ratio'] >= TARGET_FLOOR_RATIO else 'NOT MET'}")
            before = after
    finally:
        gunicorn_stop(process)
    return results


# -- the table -------------------------------------------------------------------------------------------

def table(result: dict) -> str:
    lines = ["| applications | page | queries | median ms | p95 ms | bytes | target |",
             "|---:|---|---:|---:|---:|---:|---|"]
    for row in result["pages"]:
        lines.append(f"| {row['applications']} | {row['page']} | {row['queries']} | {row['median_ms']} | "
                     f"{row['p95_ms']} | {row['bytes']} | {'met' if page_met(row) else 'NOT MET'} |")
    if result.get("load"):
        lines += ["", "| applications | page (16 clients, gunicorn 2 workers) | req/s | p95 ms | × floor (its req/s) "
                  "| target |", "|---:|---|---:|---:|---:|---|"]
        for row in result["load"]:
            target, ratio = "", row["floor_ratio"]
            if row["page"] != "floor":
                target = "met" if row["floor_ratio"] >= TARGET_FLOOR_RATIO else "NOT MET"
                ratio = f"{row['floor_ratio']} ({row['floor_req_s']})"
            lines.append(f"| {row['applications']} | {row['page']} | {row['req_s']} | {row['p95_ms']} | {ratio} | "
                         f"{target} |")
    return "\n".join(lines)


def run(args, database_url: str, var_dir: Path, database_create, database_drop) -> dict:
    import django
    from django.core.management import call_command
    from django.db import connections

    result = {"cores": os.cpu_count(), "pages": [], "load": []}
    django.setup()
    for size in args.applications:
        funds = max(2, size // 2000)
        say(f"pages at {size} applications ({funds} funds, 5 years)")
        if not args.reuse:
            connections.close_all()
            database_create(database_url)
            call_command("migrate", verbosity=0)
            started = time.monotonic()
            call_command("generate_load", applications=size, funds=funds, years=5, verbosity=0)
            say(f"  generated in {time.monotonic() - started:.1f} s")
        result["pages"] += measure_pages(size, args.runs, args.pages)
        if not args.no_load:
            connections.close_all()
            result["load"] += measure_load(size, var_dir, clients=args.clients, seconds=args.seconds,
                                           names=args.pages)
        connections.close_all()
        if not (args.keep or args.reuse):  # a database measured as it was is never dropped
            database_drop(database_url)
    say("")
    say(f"{os.cpu_count()} cores; PostgreSQL {urlparse(database_url).hostname}")
    say(table(result))
    out = Path(args.out)
    out.write_text(json.dumps(result, indent=2) + "\n")
    say(f"written to {out}")
    return result
