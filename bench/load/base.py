"""What the load generator's stages share: the mixes of stages, the words, and the Writer (COPY on PostgreSQL,
multi-row INSERTs elsewhere)."""

import json
from types import SimpleNamespace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.management.base import CommandError
from django.db import connection, models
from django.utils import timezone

from grants.models import (
    Application, Event, Organisation,
)


STHLM = ZoneInfo("Europe/Stockholm")
# Plain strings, not the Choices members: psycopg would COPY an Enum by its name.
S = SimpleNamespace(**{member.name: member.value for member in Application.Status})
K = SimpleNamespace(**{member.name: member.value for member in Event.Kind})

WORDS = ("språkcafé", "samtal", "matlagning", "föreningsliv", "dialog", "läxhjälp", "idrott", "musik", "teater",
         "trädgård", "cykelskola", "simskola", "hantverk", "berättarkväll", "filmklubb", "schack", "dans",
         "naturvandring", "bibliotek", "mentorskap", "föräldraträff", "sömnad", "fotboll", "kör")
PLACES = ("Kalmar", "Nybro", "Borgholm", "Mörbylånga", "Torsås", "Emmaboda", "Oskarshamn", "Västervik", "Vimmerby",
          "Hultsfred", "Högsby", "Mönsterås", "Växjö", "Ljungby", "Älmhult", "Karlskrona", "Ronneby", "Öland")
ORG_KINDS = [k.value for k in Organisation.Kind]

# The final stage of an application, by whether its call is of the current year or an earlier one.
CURRENT_MIX = [(S.DRAFT, 8), (S.SUBMITTED, 7), (S.COMPLETION, 5), (S.REVIEW, 20), (S.DECISION, 7), (S.GRANTED, 26),
               (S.REPORT_SUBMITTED, 3), (S.REJECTED, 12), (S.INELIGIBLE, 4), (S.WITHDRAWN, 3), (S.CARRIED_OUT, 5)]
PAST_MIX = [(S.CARRIED_OUT, 52), (S.REJECTED, 24), (S.INELIGIBLE, 5), (S.WITHDRAWN, 4), (S.ENDED, 3),
            (S.GRANTED, 6), (S.REPORT_SUBMITTED, 4), (S.DRAFT, 2)]
REVIEWED = {S.DECISION, S.GRANTED, S.REPORT_SUBMITTED, S.REJECTED, S.CARRIED_OUT, S.ENDED}
GRANTED = {S.GRANTED, S.REPORT_SUBMITTED, S.CARRIED_OUT, S.ENDED}


def _mix(pairs):
    values, weights = zip(*pairs)
    return list(values), list(weights)


def _sqlite_value(value):
    """What Django would store in SQLite: naive UTC datetimes, decimals as text."""
    if isinstance(value, datetime):
        return timezone.make_naive(value, ZoneInfo("UTC")).isoformat(" ") if timezone.is_aware(value) else value
    if isinstance(value, (Decimal, date)):
        return str(value)
    return value


def triggers_off() -> bool:
    """On PostgreSQL as a superuser, no trigger fires for the rest of the transaction (foreign-key checks and
    Potten's own triggers alike: session_replication_role = replica, SET LOCAL); whether it could be done."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


class Writer:
    """Writes rows of a model: COPY on PostgreSQL, executemany on anything else. Ids are given by the
    caller (taken from `next_id`), so related rows are written without reading anything back; the
    sequences are moved past them at the end. Columns the caller does not name get their field's default,
    so a field added later (with a default) does not break the generator."""

    def __init__(self, now):
        self.now = now
        self.postgres = connection.vendor == "postgresql"
        self.counts = {}
        self.tables = []
        self.models = []

    def next_id(self, model) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{model._meta.db_table}"')
            return cursor.fetchone()[0] + 1

    def _default(self, field):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return self.now
        if field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            value = ""
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        return value

    def write(self, model, columns, rows, table=None) -> int:
        table = table or model._meta.db_table
        if model is not None:
            fields = {f.attname: f for f in model._meta.local_concrete_fields}
            unknown = set(columns) - set(fields)
            if unknown:
                raise CommandError(f"generate_load: {table} has no columns {sorted(unknown)}")
            rest = [f for name, f in fields.items() if name not in columns and not (name == "id" and f.primary_key)]
            all_columns = list(columns) + [f.column for f in rest]
            suffix = tuple(self._default(f) for f in rest)
            columns = [fields[name].column for name in columns] + all_columns[len(columns):]
        else:
            suffix = ()
        names = ", ".join(f'"{c}"' for c in columns)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row + suffix)
                        count += 1
            else:
                rows = (tuple(_sqlite_value(v) for v in row) for row in rows)
                sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(["%s"] * len(columns))})'
                batch = []
                for row in rows:
                    batch.append(row + suffix)
                    if len(batch) == 2000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.counts[table] = self.counts.get(table, 0) + count
        if table not in self.tables and model is not None and isinstance(model._meta.pk, models.AutoField):
            self.tables.append(table)
        if model is not None and model not in self.models:
            self.models.append(model)
        return count

    def start(self):
        """On PostgreSQL as a superuser, the rows are written without firing the foreign-key triggers (Django's
        keys are deferred: checked one by one at COMMIT, millions of them); `verify` checks every key of the
        written tables afterwards in one anti-join each, so nothing dangling is ever committed."""
        if self.postgres:
            self.replica = triggers_off()

    def verify(self):
        if not self.postgres or not getattr(self, "replica", False):
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
            for model in self.models:
                for field in model._meta.local_concrete_fields:
                    if not field.is_relation or field.remote_field is None:
                        continue
                    target = field.target_field
                    cursor.execute(
                        f'SELECT COUNT(*) FROM "{model._meta.db_table}" c WHERE c."{field.column}" IS NOT NULL '
                        f'AND NOT EXISTS (SELECT 1 FROM "{target.model._meta.db_table}" p '
                        f'WHERE p."{target.column}" = c."{field.column}")')
                    dangling = cursor.fetchone()[0]
                    if dangling:
                        raise CommandError(f"generate_load: {dangling} rows of {model._meta.db_table}.{field.column} "
                                           "point nowhere")

    def finish(self):
        """Move every sequence past the ids written, and refresh the planner's statistics."""
        if not self.postgres:
            return
        self.verify()
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute(f'SELECT setval(%s, (SELECT COALESCE(MAX(id), 1) FROM "{table}"))', [sequence])

    def vacuum(self):
        """After the commit: the visibility map and statistics a running database would have (not possible
        inside an outer transaction, such as a test's: ANALYZE then)."""
        if not self.postgres:
            return
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            return
        with connection.cursor() as cursor:
            for table in self.counts:
                cursor.execute(f'VACUUM (ANALYZE) "{table}"')
