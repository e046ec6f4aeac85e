"""PostgreSQL: the stored indicator summaries and the change log that says when one no longer holds.

`grants.indicators.summaries` stores each computation of the indicators (a fund's year as of a day) together with
the database snapshot it started from. Every statement that writes a record the indicators read (the tables in
WATCHED) adds, through a statement-level trigger, one row per fund it touched to the change log, stamped with its
transaction id. A stored summary is served only while no change of its funds has committed outside its snapshot,
so it always equals a computation made now. The triggers take no lock but their own insert: concurrent writers
never wait for each other here. SQLite has none of this (the indicators are always computed there).
"""

from django.db import migrations

SUMMARY = "grants_indicator_summary"
CHANGE = "grants_indicator_change"
PRUNED = "grants_indicator_pruned"

VIA_APPLICATION = ("(SELECT c.fund_id FROM grants_application a JOIN grants_call c ON c.id = a.call_id "
                   "WHERE a.id = r.application_id)")
VIA_FUND_YEAR = "(SELECT y.fund_id FROM grants_fundyear y WHERE y.id = r.fund_year_id)"

# Every table the indicators read (tests/test_indicator_summaries.py checks it against the SQL they run) -> the
# fund of a row `r` of it (NULL when it cannot be found any more: then every summary is stale).
WATCHED = {
    "grants_fund": "r.id",
    "grants_fundyear": "r.fund_id",
    "grants_call": "r.fund_id",
    "grants_application": "(SELECT c.fund_id FROM grants_call c WHERE c.id = r.call_id)",
    "grants_partner": VIA_APPLICATION,
    "grants_event": VIA_APPLICATION,
    "grants_decision": VIA_APPLICATION,
    "grants_finalreport": VIA_APPLICATION,
    "grants_payment": VIA_APPLICATION,
    "grants_repayment": VIA_APPLICATION,
    "grants_ledgerentry": VIA_FUND_YEAR,
    "grants_budgetchange": VIA_FUND_YEAR,
}
# An update changes the figures only if it changes one of these (a draft's autosaved texts change none); the
# other tables: any change of the row.
COMPARED = {
    "grants_application": ("{r}.call_id", "{r}.status", "{r}.created_at", "{r}.submitted_at", "{r}.requested_amount",
                           "{r}.report_due_on"),
    "grants_partner": ("{r}.application_id", "({r}.name = '')"),
}


def _row(alias: str, table: str) -> str:
    columns = COMPARED.get(table)
    if columns is None:
        return alias
    return "ROW(" + ", ".join(column.format(r=alias) for column in columns) + ")"


def function_sql(table: str) -> str:
    fund = WATCHED[table]
    changed = f"new_rows n JOIN old_rows o ON o.id = n.id WHERE {_row('o', table)} IS DISTINCT FROM {_row('n', table)}"
    return f"""
CREATE OR REPLACE FUNCTION {table}_indicator_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {CHANGE} (fund_id) SELECT DISTINCT {fund} FROM new_rows r;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO {CHANGE} (fund_id) SELECT DISTINCT {fund} FROM old_rows r;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO {CHANGE} (fund_id)
      SELECT {fund} FROM (SELECT o.* FROM {changed}) r
      UNION SELECT {fund} FROM (SELECT n.* FROM {changed}) r;
  ELSE  -- TRUNCATE
    INSERT INTO {CHANGE} (fund_id) VALUES (NULL);
  END IF;
  RETURN NULL;
END
$$;
"""


def triggers_sql(table: str) -> str:
    function = f"{table}_indicator_change()"
    return f"""
CREATE TRIGGER {table}_indicators_insert AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function};
CREATE TRIGGER {table}_indicators_update AFTER UPDATE ON {table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function};
CREATE TRIGGER {table}_indicators_delete AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function};
CREATE TRIGGER {table}_indicators_truncate AFTER TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION {function};
"""


def trigger_names() -> list[str]:
    return sorted(f"{table}_indicators_{event}" for table in WATCHED
                  for event in ("insert", "update", "delete", "truncate"))


TABLES = f"""
CREATE TABLE {CHANGE} (
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  fund_id integer,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX {CHANGE}_xid ON {CHANGE} (xid);
CREATE INDEX {CHANGE}_fund_xid ON {CHANGE} (fund_id, xid);
CREATE TABLE {SUMMARY} (
  key text PRIMARY KEY,
  fund_id integer,
  snapshot pg_snapshot NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  data bytea NOT NULL
);
CREATE TABLE {PRUNED} (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  below xid8 NOT NULL
);
INSERT INTO {PRUNED} (id, below) VALUES (true, '0');
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TABLES)
    for table in WATCHED:
        schema_editor.execute(function_sql(table))
        schema_editor.execute(triggers_sql(table))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WATCHED:
        for name in ("insert", "update", "delete", "truncate"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_indicators_{name} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_indicator_change()")
    schema_editor.execute(f"DROP TABLE IF EXISTS {SUMMARY}, {CHANGE}, {PRUNED}")


class Migration(migrations.Migration):

    dependencies = [("grants", "0022_organisationevent_invitation")]

    operations = [migrations.RunPython(create, drop)]
