"""The reminder sweep on PostgreSQL is one INSERT … SELECT (workflows.reminders.sql._due_query): the rules
written once more in SQL. Here it must write exactly the rows the Python rules (the SQLite path, and the
reference) decide, over generated open work in every stage, on many days, with digest readers, inactive
contacts, staff tasks taken or not and two funds with different settings; and in the same number of
queries whatever it writes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from bench.sweep import _seed_open_tasks
from grants.models import Application, Call, Fund
from workflows import reminders
from notifications.models import OutboxMessage, ReminderSettings
from notifications.services import _context_decode

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based sweep is PostgreSQL's"),
]

FIELDS = ("dedupe_key", "occurrence", "recipient", "user_id", "kind", "application_id", "language", "link",
          "status", "rendered", "subject", "body_text", "files")


def _normal(row: dict) -> tuple:
    return (*(repr(row[name]) if name == "files" else row[name] for name in FIELDS),
            tuple(sorted(_context_decode(row["context"]).items())))


def python_rows(now) -> set[tuple]:
    """What the Python rules would write at `now` (nothing is written)."""
    due = list(reminders.reminders_due(now=now))
    queued = reminders._queued({r.occurrence for r in due})
    fresh = [r for r in due if r.occurrence not in queued]
    return {_normal(row) for row in reminders._rows_for(fresh, reminders._Recipients())}


def swept_rows(now) -> set[tuple]:
    """What the SQL sweep writes at `now` (kept, so the next day sees it as queued)."""
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    reminders.reminders_sweep(now=now)
    rows = OutboxMessage.objects.exclude(pk__in=before).values(*FIELDS, "context")
    return {_normal(row) for row in rows}


@pytest.fixture
def open_work(db):
    """400 open tasks in every stage and 40 drafts (bench/sweep.py's generator), then varied: a second fund
    with other settings, digest readers, contacts without a language, inactive contacts and staff."""
    now = timezone.now()
    _seed_open_tasks(400, now)
    bench = Fund.objects.get(slug="bench")
    other = Fund.objects.create(name="Andra potten", slug="andra", kind=bench.kind, max_amount=10000, case_prefix="A")
    call = Call.objects.create(fund=other, title="Andra", budget_year=bench.calls.get().budget_year,
                               opens_at=now - timedelta(days=90), closes_at=now + timedelta(days=6))
    moved = Application.objects.filter(call__fund=bench).order_by("pk").values_list("pk", flat=True)[::3]
    Application.objects.filter(pk__in=list(moved)).update(call=call)
    ReminderSettings.objects.update_or_create(fund=other, defaults=dict(
        draft_days_before_close=7, completion_days_before=None, review_days_before=1, report_days_before=3,
        overdue_every_days=3, overdue_max=5, check_waiting_days=None, decision_waiting_days=2))
    ReminderSettings.objects.update_or_create(fund=bench, defaults={})
    people = User.objects.filter(email__endswith="@bench.example.org").order_by("pk")
    User.objects.filter(pk__in=list(people.values_list("pk", flat=True)[::7])).update(email_frequency="daily")
    User.objects.filter(pk__in=list(people.values_list("pk", flat=True)[3::11])).update(language="")
    User.objects.filter(pk__in=list(people.values_list("pk", flat=True)[5::13])).update(is_active=False)
    return now


def test_the_sql_sweep_writes_what_the_python_rules_decide_day_after_day(open_work):
    now = open_work
    kinds = set()
    for days in (0, 0, 1, 2, 3, 5, 8, 13, 21, 34):
        at = now + timedelta(days=days, hours=days % 3)
        expected = python_rows(at)
        written = swept_rows(at)
        assert written == expected, f"day +{days}: {len(written ^ expected)} rows differ"
        kinds |= {row[FIELDS.index("kind")] for row in written}
    assert kinds == set(reminders.KINDS)
    statuses = set(OutboxMessage.objects.filter(kind__startswith="reminder_").values_list("status", flat=True))
    assert {"pending", "held"} <= statuses


def test_the_sweep_takes_the_same_queries_whatever_it_writes(open_work):
    now = open_work
    counts = []
    for at in (now, now, now + timedelta(days=1)):
        with CaptureQueriesContext(connection) as queries:
            written = reminders.reminders_sweep(now=at)
        counts.append((written > 0, len(queries)))
    assert counts[0][0] and not counts[1][0] and counts[2][0]
    assert len({count for _wrote, count in counts}) == 1
