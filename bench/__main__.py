"""`make bench`: the page benchmark (bench/pages.py), and numbers for the outbox and the reminders, on
PostgreSQL and Redis. `python -m bench pages|mails|sweep` runs one part; `python -m bench` all of them.

0. Pages: every key page at 1,000, 10,000 and 100,000 generated applications (see bench/pages.py).
1. Mail delivery (bench/mails.py): mails per second from the outbox to a local SMTP server (aiosmtpd) through two
   Celery workers (one process each) on Redis.
2. Reminder sweep (bench/sweep.py): seconds for one sweep over 100,000 open workflow tasks (target < 5 s): the first
   run (nothing reminded yet), a second run at once (must write 0), and the next day's run.

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/potten_bench; the bench creates
and drops that database, so never point it at a database you want to keep) and REDIS_URL (default
redis://127.0.0.1:6379/9; the bench purges the Celery queue there). Options: --mails N, --tasks N,
--keep (keep the database), --only mails|sweep; for the pages --applications, --no-load, --out, --pages.
"""

import argparse
import json
import os
import sys
import tempfile
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
    pages.add_argument("--pages", default="", type=lambda text: [n.strip() for n in text.split(",") if n.strip()],
                       help="measure only the pages whose name contains one of these comma-separated words "
                            "(e.g. indicators,export; default every page)")
    pages.add_argument("--reuse", action="store_true",
                       help="measure the database as it is (generated before, kept with --keep) and keep it; one size")
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

        from bench import mails, sweep

        django.setup()
        call_command("migrate", verbosity=0)
        result = {}
        if what in ("all", "mails"):
            say(f"1. delivery: {args.mails} mails, 2 workers on Redis, local SMTP server")
            result["delivery"] = mails.bench_mails(args.mails, var_dir)
            say(f"  {result['delivery']['mails_per_second']} mails/s "
                f"({args.mails} mails in {result['delivery']['seconds']} s, {result['delivery']['delivered']} arrived)"
                f"  target >= 200: {'met' if result['delivery']['mails_per_second'] >= 200 else 'NOT MET'}")
        if what in ("all", "sweep"):
            say(f"2. reminder sweep over {args.tasks} open tasks")
            result["sweep"] = sweep.bench_sweep(args.tasks)
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
