"""Append-only audit records, refused by the database itself.

The models refuse to edit or delete these rows (save/delete guards and a QuerySet that refuses bulk
update/delete), but raw SQL or a forgotten code path would not ask them. So the database refuses too:

- grants_event, grants_ledgerentry, grants_budgetchange: no UPDATE, no DELETE, ever.
- grants_decision: no DELETE; an UPDATE may only move the status along its lifecycle (pending → effective
  or annulled, effective → superseded), fill in the second approver once, and attach the letter once.
  What was decided (application, outcome, amount, conditions, motivation, by whom, when, what it corrects)
  never changes.

PostgreSQL raises SQLSTATE 23001 (restrict_violation), SQLite RAISE(ABORT): both reach Django as
IntegrityError. TRUNCATE is not refused (only the table owner may run it, and the test runner's flush uses
it). On SQLite only UPDATE is refused by a trigger: its flush empties tables with DELETE, which a trigger
cannot tell from any other delete; deletes there are refused by the models and by PROTECT foreign keys.

LedgerEntry.created_at becomes default=timezone.now (was auto_now_add) so that test data can be dated on
insert instead of by an UPDATE, which the trigger now refuses.
"""

import django.utils.timezone
from django.db import migrations, models

APPEND_ONLY = ("grants_event", "grants_ledgerentry", "grants_budgetchange")

# What was decided: never changes once recorded.
DECISION_CONTENT = ("id", "application_id", "outcome", "amount", "conditions", "motivation", "decided_by_id",
                    "decided_at", "corrects_id")

DECISION_STATUS_MOVES = ("(OLD.status = 'pending' AND NEW.status IN ('effective', 'annulled'))"
                         " OR (OLD.status = 'effective' AND NEW.status = 'superseded')")


def _decision_violation(distinct: str) -> str:
    """A boolean SQL expression: this UPDATE of a decision is not allowed. `distinct` is IS DISTINCT FROM / IS NOT."""
    content = " OR ".join(f"NEW.{column} {distinct} OLD.{column}" for column in DECISION_CONTENT)
    return (
        f"({content})"
        f" OR (NEW.status {distinct} OLD.status AND NOT ({DECISION_STATUS_MOVES}))"
        f" OR (OLD.approved_by_id IS NOT NULL AND NEW.approved_by_id {distinct} OLD.approved_by_id)"
        f" OR (OLD.approved_at IS NOT NULL AND NEW.approved_at {distinct} OLD.approved_at)"
        f" OR (OLD.letter <> '' AND NEW.letter {distinct} OLD.letter)"
        f" OR (OLD.letter_sha256 <> '' AND NEW.letter_sha256 {distinct} OLD.letter_sha256)"
    )


POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION potten_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
    END
    $$;
    """,
    *(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
      f"FOR EACH ROW EXECUTE FUNCTION potten_append_only();" for table in APPEND_ONLY),
    f"""
    CREATE OR REPLACE FUNCTION potten_decision_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'grants_decision: a decision cannot be deleted' USING ERRCODE = 'restrict_violation';
        END IF;
        IF {_decision_violation("IS DISTINCT FROM")} THEN
            RAISE EXCEPTION 'grants_decision: a decision cannot be edited; record a correcting decision'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END
    $$;
    """,
    "CREATE TRIGGER grants_decision_guard BEFORE UPDATE OR DELETE ON grants_decision "
    "FOR EACH ROW EXECUTE FUNCTION potten_decision_guard();",
]

POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS grants_decision_guard ON grants_decision;",
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in APPEND_ONLY),
    "DROP FUNCTION IF EXISTS potten_decision_guard();",
    "DROP FUNCTION IF EXISTS potten_append_only();",
]

SQLITE_FORWARD = [
    *(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
      f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END;" for table in APPEND_ONLY),
    f"CREATE TRIGGER grants_decision_guard BEFORE UPDATE ON grants_decision WHEN {_decision_violation('IS NOT')} "
    "BEGIN SELECT RAISE(ABORT, 'grants_decision: a decision cannot be edited; record a correcting decision'); END;",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS grants_decision_guard;",
    *(f"DROP TRIGGER IF EXISTS {table}_no_update;" for table in APPEND_ONLY),
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)  # None: the % in PL/pgSQL are not placeholders
    return run


class Migration(migrations.Migration):
    dependencies = [("grants", "0009_final_report_detail")]

    operations = [
        # Choices only (no SQL): the kinds of 0008, the review deadline change (reviewers) and the cancelled
        # payment. A later migration that alters Event.kind must list these kinds too.
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(choices=[("created", "Draft created"), ("submitted", "Submitted"), ("checked", "Ex-ante check"), ("completion_requested", "Completion requested"), ("resubmitted", "Completed and resubmitted"), ("ineligible", "Rejected as ineligible"), ("reviewed", "Review submitted"), ("no_conflict", "Reviewer declared no conflict of interest"), ("conflict", "Reviewer declared a conflict of interest"), ("review_closed", "Review closed"), ("decided", "Decision"), ("report_submitted", "Final report submitted"), ("report_completion", "Completion of final report requested"), ("report_approved", "Final report approved"), ("withdrawn", "Withdrawn by the applicant"), ("decision_pending", "Decision waiting for a second approver"), ("decision_approved", "Decision approved by a second approver"), ("decision_returned", "Decision returned by the second approver"), ("decision_corrected", "Decision corrected"), ("override", "Passed despite failed checklist points"), ("payment_planned", "Payment planned"), ("payment_paid", "Payment made"), ("payment_cancelled", "Planned payment cancelled"), ("money_returned", "Unspent money returned to the fund"), ("repayment_claimed", "Repayment claimed from the organisation"), ("repayment_received", "Repayment received"), ("grant_ended", "Grant ended without being carried out"), ("attachment_added", "Attachment added"), ("attachment_removed", "Attachment removed"), ("task_claimed", "Task claimed"), ("task_released", "Task released"), ("review_deadline", "Review deadline changed")], max_length=30, verbose_name="event"),  # noqa: E501
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="recorded"),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
            elidable=False,
        ),
    ]
