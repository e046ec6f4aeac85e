"""Who holds each application's open human step (grants.Application.step_holder), kept by PostgreSQL.

The case list's filter "assignee = X" (workflows.overview._held) wants the applications one of whose open
(NEW/ASSIGNED) HUMAN tasks is held by X (a person, or nobody). Found from the tasks, that is a walk from the open
tasks' owner index through viewflow's process table to each application, two lookups for every one of a holder's
hundreds of applications; kept on the application, it is a range of one index (`application_step_holder`, grants
0027) with the status and every sort key in it.

The value is a function of the tasks (`workflows_step_holder`): NULL when the application has no open human task,
0 when its open human tasks have no owner, the owner's id when they all have the same one, and -1 when they are
held by different people (the flow is linear, but viewflow's undo / revive / cancel actions can leave two open
human tasks in one process; the filter then asks those applications' tasks, `workflows_step_held_by`, so it
answers exactly as the tasks would).

It is recomputed in the transaction that changes it, whatever writes:
- statement triggers on viewflow_task (insert, update, delete: only rows whose open-human-ness, owner or process
  changed) and on workflows_applicationprocess (a process linked or unlinked) recompute the applications they
  touch; TRUNCATE of either recomputes all;
- a row trigger on grants_application computes the value of a new row and replaces any other value written into
  the column (a model saved whole writes back what it read): only the computed value can be stored.
The keeper locks the applications (in id order) before it reads the tasks in a new statement, so two
transactions changing tasks of one application cannot both compute from a snapshot missing the other's change
(under READ COMMITTED, the second waits for the first's commit and then sees it). Task changes run under the
process lock (workflows.locks), and the application comes after the process in the project's lock order (a step,
workflows.services.step_execute, locks it before its work anyway), so the lock taken here adds no new order; it
costs a task change the write of its application's row (about 0.8 ms at 100,000 applications). Writes with session_replication_role = replica (the load
generator) fire no trigger: `workflows.services.step_holders.step_holders_rebuild` recomputes every application
afterwards. SQLite keeps nothing (the column stays NULL) and the filter asks the tasks there.
"""

from django.db import migrations

OPEN_HUMAN = "{t}.status IN ('NEW', 'ASSIGNED') AND {t}.flow_task_type = 'HUMAN'"

# The holder of one task as it counts here: NULL unless it is an open human task, then its owner or 0.
TASK_KEY = "CASE WHEN " + OPEN_HUMAN + " THEN COALESCE({t}.owner_id, 0) END"

FORWARD = [
    # PL/pgSQL, not SQL: its statement's plan is kept for the session (an SQL function with an aggregate is
    # planned again at every call: 2.4 ms instead of 1.2 for a task change at 100k, measured).
    f"""
    CREATE FUNCTION workflows_step_holder(application bigint) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
    DECLARE
        low bigint;
        high bigint;
    BEGIN
        SELECT MIN(COALESCE(t.owner_id, 0)), MAX(COALESCE(t.owner_id, 0)) INTO low, high
        FROM workflows_applicationprocess p JOIN viewflow_task t ON t.process_id = p.process_ptr_id
        WHERE p.application_id = application AND {OPEN_HUMAN.format(t="t")};
        RETURN CASE WHEN low = high THEN low WHEN low IS NOT NULL THEN -1 END;
    END
    $$;
    """,
    # Each application locked (in id order) before its tasks are read, in a statement of its own: a fresh
    # snapshot, taken once the lock is had.
    """
    CREATE FUNCTION workflows_step_holders_keep(applications bigint[]) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        application bigint;
        kept bigint;
        holder bigint;
    BEGIN
        FOR application, kept IN
            SELECT id, step_holder FROM grants_application WHERE id = ANY(applications) ORDER BY id
            FOR NO KEY UPDATE
        LOOP
            holder := workflows_step_holder(application);
            IF holder IS DISTINCT FROM kept THEN
                UPDATE grants_application SET step_holder = holder WHERE id = application;
            END IF;
        END LOOP;
    END
    $$;
    """,
    # Whether `holder` (0: nobody) holds one of the application's open human tasks: the case list asks it of the
    # applications held by several people only. A function, so that the planner probes per such row instead of
    # hashing every open task of the holder for every query.
    f"""
    CREATE FUNCTION workflows_step_held_by(application bigint, holder bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
        RETURN EXISTS (
            SELECT 1 FROM workflows_applicationprocess p JOIN viewflow_task t ON t.process_id = p.process_ptr_id
            WHERE p.application_id = application AND {OPEN_HUMAN.format(t="t")} AND COALESCE(t.owner_id, 0) = holder);
    END
    $$;
    """,
    # Everything again (TRUNCATE, the rebuild): the applications whose value changes, set to the computed one
    # (which the row trigger computes again for each).
    """
    CREATE FUNCTION workflows_step_holders_all() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE grants_application a SET step_holder = changed.key
        FROM (SELECT a.id, held.key
              FROM grants_application a LEFT JOIN (
                  SELECT p.application_id,
                         CASE WHEN MIN(COALESCE(t.owner_id, 0)) = MAX(COALESCE(t.owner_id, 0))
                              THEN MIN(COALESCE(t.owner_id, 0)) ELSE -1 END AS key
                  FROM viewflow_task t JOIN workflows_applicationprocess p ON p.process_ptr_id = t.process_id
                  WHERE t.status IN ('NEW', 'ASSIGNED') AND t.flow_task_type = 'HUMAN'
                  GROUP BY p.application_id) AS held ON held.application_id = a.id
              WHERE a.step_holder IS DISTINCT FROM held.key) AS changed
        WHERE a.id = changed.id;
    END
    $$;
    """,
    f"""
    CREATE FUNCTION workflows_task_step_holders() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        processes bigint[];
    BEGIN
        IF TG_OP = 'INSERT' THEN
            SELECT array_agg(DISTINCT n.process_id) INTO processes FROM new_rows n WHERE {OPEN_HUMAN.format(t="n")};
        ELSIF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT o.process_id) INTO processes FROM old_rows o WHERE {OPEN_HUMAN.format(t="o")};
        ELSIF TG_OP = 'UPDATE' THEN
            SELECT array_agg(DISTINCT changed.process_id) INTO processes
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            CROSS JOIN LATERAL (VALUES (o.process_id), (n.process_id)) AS changed (process_id)
            WHERE ({TASK_KEY.format(t="o")}) IS DISTINCT FROM ({TASK_KEY.format(t="n")})
               OR (o.process_id <> n.process_id AND {OPEN_HUMAN.format(t="o")});
        ELSE  -- TRUNCATE
            PERFORM workflows_step_holders_all();
            RETURN NULL;
        END IF;
        IF processes IS NOT NULL THEN
            PERFORM workflows_step_holders_keep(ARRAY(
                SELECT p.application_id FROM workflows_applicationprocess p WHERE p.process_ptr_id = ANY(processes)));
        END IF;
        RETURN NULL;
    END
    $$;
    """,
    """
    CREATE FUNCTION workflows_process_step_holders() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM workflows_step_holders_keep(ARRAY(SELECT application_id FROM new_rows));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM workflows_step_holders_keep(ARRAY(SELECT application_id FROM old_rows));
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM workflows_step_holders_keep(ARRAY(
                SELECT o.application_id FROM old_rows o JOIN new_rows n ON n.process_ptr_id = o.process_ptr_id
                WHERE o.application_id <> n.application_id
                UNION SELECT n.application_id FROM old_rows o JOIN new_rows n ON n.process_ptr_id = o.process_ptr_id
                WHERE o.application_id <> n.application_id));
        ELSE  -- TRUNCATE
            PERFORM workflows_step_holders_all();
        END IF;
        RETURN NULL;
    END
    $$;
    """,
    """
    CREATE FUNCTION workflows_step_holder_computed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.step_holder := workflows_step_holder(NEW.id);
        RETURN NEW;
    END
    $$;
    """,
    "CREATE TRIGGER workflows_step_holder_insert BEFORE INSERT ON grants_application "
    "FOR EACH ROW EXECUTE FUNCTION workflows_step_holder_computed();",
    "CREATE TRIGGER workflows_step_holder_update BEFORE UPDATE OF step_holder ON grants_application "
    "FOR EACH ROW WHEN (NEW.step_holder IS DISTINCT FROM OLD.step_holder) "
    "EXECUTE FUNCTION workflows_step_holder_computed();",
    *(f"CREATE TRIGGER workflows_step_holders_{operation} AFTER {operation.upper()} ON {table} "
      f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
      for table, function in (("viewflow_task", "workflows_task_step_holders"),
                              ("workflows_applicationprocess", "workflows_process_step_holders"))
      for operation, tables in (("insert", "NEW TABLE AS new_rows"),
                                ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                                ("delete", "OLD TABLE AS old_rows"))),
    *(f"CREATE TRIGGER workflows_step_holders_truncate AFTER TRUNCATE ON {table} "
      f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
      for table, function in (("viewflow_task", "workflows_task_step_holders"),
                              ("workflows_applicationprocess", "workflows_process_step_holders"))),
    "SELECT workflows_step_holders_all();",
]

BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS workflows_step_holders_{operation} ON {table};"
      for table in ("viewflow_task", "workflows_applicationprocess")
      for operation in ("insert", "update", "delete", "truncate")),
    "DROP TRIGGER IF EXISTS workflows_step_holder_insert ON grants_application;",
    "DROP TRIGGER IF EXISTS workflows_step_holder_update ON grants_application;",
    *(f"DROP FUNCTION IF EXISTS {function};"
      for function in ("workflows_step_holder_computed()", "workflows_process_step_holders()",
                       "workflows_task_step_holders()", "workflows_step_holders_all()",
                       "workflows_step_holders_keep(bigint[])", "workflows_step_holder(bigint)",
                       "workflows_step_held_by(bigint, bigint)")),
    "UPDATE grants_application SET step_holder = NULL WHERE step_holder IS NOT NULL;",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("workflows", "0004_task_holders"), ("grants", "0027_step_holder")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
