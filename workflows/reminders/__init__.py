"""Reminders: which open work needs a nudge today, queued to the outbox in bulk.

Each rule reads what is open with one bulk query and yields `Reminder`s, recipient-free:
(kind, object, stage), where the stage names the occurrence ("due", "overdue-2", "waiting").
A stage never contains a configured number of days: a fund that changes its lead times does
not get a reminder it has already had a second time. `reminders_sweep` drops the occurrences
already in the outbox (one indexed query per 5,000), resolves the recipients of the rest and
bulk-creates the rows, keyed (recipient, kind, object, stage), unrendered: the worker that sends a
row renders it in its recipient's language, so the sweep's time does not grow with rendering. The unique key makes the sweep idempotent: run twice, or on two workers
at once, each reminder is written once, and delivery claims each row once.

Deadlines are calendar days in the local time zone. "due" goes from N days before the
deadline until the deadline day (once per object, whatever N is now); "overdue-k" goes on day
1, 1 + every, 1 + 2·every … after it, at most `overdue_max` times. A sweep that missed a day
catches up with the current stage only.

On PostgreSQL the sweep is set-based: the same rules as one SELECT, and one INSERT … SELECT that drops
what is queued, joins the recipients and writes every row (`_due_query`, `_insert_due`); the Python rules
stay the reference (and SQLite's path), and tests/test_reminders_sql.py holds the two equal.

rules.py: the rules, in Python · outbox.py: recipients, rows and the insert · sql.py: the rules on PostgreSQL ·
here: `reminders_sweep`, the one entry point (beat runs it hourly through notifications.tasks).
"""

from django.db import connection, transaction
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import delivery_schedule
from workflows.reminders.outbox import _chunks, _insert_rows, _queued, _Recipients, _rows_for
from workflows.reminders.rules import (  # noqa: F401 -- the rules' public names, read from workflows.reminders
    BATCH, CHECK_CHUNK, KINDS, Reminder, deadline_stage, reminder_settings_by_fund, reminders_due, review_deadlines,
)
from workflows.reminders.sql import _due_query, _DueQuery, _insert_due


def _insert(rows) -> list[tuple[int, str]]:
    """Write the reminders in the current transaction, skipping a key that exists; (pk, status) of the rows
    written. `rows` are the row dicts (`_rows_for`); on PostgreSQL a `_DueQuery` instead, the due occurrences
    as SQL, which one INSERT … SELECT resolves to recipients and writes (`_insert_due`)."""
    if isinstance(rows, _DueQuery):
        return _insert_due(rows)
    return _insert_rows(rows)


def _sweep_postgresql(now) -> int:
    """`reminders_sweep` on PostgreSQL: one transaction, one statement that reads and writes."""
    reminder_settings_by_fund()  # every fund has its settings row, which the SQL joins
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The planner cannot estimate the recipients per occurrence; JIT-compiling a plan it believes
            # large costs seconds where running it costs less. The key-ordered sort stays in memory.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        created = _insert(_due_query(now=now))
        pending = [pk for pk, status in created if status == OutboxMessage.Status.PENDING]
        for start in range(0, len(pending), BATCH):
            delivery_schedule(pending[start:start + BATCH])
    return len(created)


def reminders_sweep(*, now=None) -> int:
    """Queue every reminder due at `now` that is not in the outbox yet. Returns the number of rows written.

    Safe to run at any time, any number of times, on several workers at once.
    """
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _sweep_postgresql(now)
    recipients = _Recipients()
    written = 0
    for chunk in _chunks(reminders_due(now=now), CHECK_CHUNK):
        queued = _queued({r.occurrence for r in chunk})
        fresh = [r for r in chunk if r.occurrence not in queued]
        for batch in _chunks(fresh, BATCH):
            rows = _rows_for(batch, recipients)
            with transaction.atomic():
                created = _insert(rows)
                delivery_schedule(pk for pk, status in created if status == OutboxMessage.Status.PENDING)
            written += len(created)
    return written
