"""The reminder rules on PostgreSQL, set-based: the due occurrences as one SELECT and one INSERT … SELECT that
drops what is queued, joins the recipients and writes every row. tests/test_reminders_sql.py holds them equal to
the Python rules (rules.py)."""


from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts import roles
from accounts.models import User
from grants.models import Application, ExAnteCheck, Membership
from notifications.models import OutboxMessage, ReminderSettings
from notifications.services import IMMEDIATE_KINDS
from reviewers.models import Assignment
from workflows.flows import ApplicationFlow
from workflows.reminders.outbox import COLUMNS, _absolute_pattern
from workflows.reminders.rules import CHECK_WAITING, COMPLETION_DUE, COMPLETION_OVERDUE, DECISION_WAITING, DRAFT, OPEN_TASK, REPORT_DUE, REPORT_OVERDUE, REVIEW_DUE, REVIEW_OVERDUE

# -- PostgreSQL: the same rules, set-based ----------------------------------------------------------
#
# The rules above, written once more as one SELECT (a UNION ALL, one branch per rule, each fund's settings
# joined from its ReminderSettings row), and one INSERT … SELECT that drops the occurrences already queued,
# resolves the recipients and writes the rows: no row travels through Python. A sweep over 100,000 open
# tasks writes its ~70,000 rows in one statement. tests/test_reminders_sql.py holds the two versions equal
# over generated open work on many days.

@dataclass(frozen=True)
class _DueQuery:
    """The due occurrences as SQL: kind, object_key, stage, application_id, link, context (jsonb) and one
    recipient spec of to_user (a user), to_org (the organisation's contacts) or to_role (a group's members)."""

    sql: str
    params: dict


def _iso_sql(column: str) -> str:
    """A timestamptz as ISO 8601 in UTC, as `outbox_context_encode` writes a datetime."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00'"""


def _stage_sql(deadline: str, before: str) -> str:
    """`deadline_stage` in SQL, for the fund's settings `s`: 'due', 'overdue-k' or NULL."""
    late = f"(1 + (%(today)s::date - {deadline} - 1) / s.overdue_every_days)"
    return (f"CASE WHEN {deadline} >= %(today)s::date THEN "
            f"(CASE WHEN {before} IS NOT NULL AND {deadline} - %(today)s::date <= {before} THEN 'due' END) "
            f"WHEN {late} <= s.overdue_max THEN 'overdue-' || {late} END")


def _due_query(*, now) -> _DueQuery:
    """Every reminder occurrence that applies at `now` (sent or not), as `reminders_due` yields them."""
    flow_task = Task._meta.get_field("flow_task")
    site_url = settings.SITE_URL
    params = {
        "now": now, "today": timezone.localdate(now), "tz": settings.TIME_ZONE, "open": list(OPEN_TASK),
        "assignment_open": list(Assignment.OPEN),
        "link_edit": _absolute_pattern(site_url, "grants:application_edit"),
        "link_detail": _absolute_pattern(site_url, "grants:application_detail"),
        "link_task": _absolute_pattern(site_url, "workflows:task"),
        "link_assignment": _absolute_pattern(site_url, "reviewers:assignment"),
        "check_nodes": [flow_task.get_prep_value(ApplicationFlow.exante_check)],
        "decision_nodes": [flow_task.get_prep_value(node)
                           for node in (ApplicationFlow.decision, ApplicationFlow.second_approval)],
        "completion_node": flow_task.get_prep_value(ApplicationFlow.completion),
        "report_node": flow_task.get_prep_value(ApplicationFlow.final_report),
        "case_officer": roles.CASE_OFFICER, "secretary": roles.SECRETARY,
    }
    tables = {
        "<task>": Task._meta.db_table, "<process>": "workflows_applicationprocess",
        "<application>": Application._meta.db_table,
        "<call>": Application._meta.get_field("call").related_model._meta.db_table,
        "<settings>": ReminderSettings._meta.db_table, "<check>": ExAnteCheck._meta.db_table,
        "<assignment>": Assignment._meta.db_table,
    }
    funds = ("JOIN <call> c ON c.id = a.call_id JOIN <settings> s ON s.fund_id = c.fund_id")
    tasks = ("FROM <task> t JOIN <process> p ON p.process_ptr_id = t.process_id "
             "JOIN <application> a ON a.id = p.application_id " + funds)

    def deadline(column):
        return f"jsonb_build_object('deadline', jsonb_build_object('date', to_char({column}, 'YYYY-MM-DD')))"

    def link(pattern, column):
        return f"replace(%({pattern})s, '{{}}', {column}::text)"

    def staged(due, overdue):
        return f"CASE WHEN st.stage = 'due' THEN '{due}' ELSE '{overdue}' END"

    def waiting(kind, nodes, role, days):
        return (f"SELECT '{kind}', 'task:' || t.id, 'waiting', p.application_id, {link('link_task', 't.id')}, "
                f"jsonb_build_object('since', jsonb_build_object('datetime', {_iso_sql('t.created')}), "
                f"'days', s.{days}), t.owner_id, NULL::bigint, CASE WHEN t.owner_id IS NULL THEN %({role})s END "
                f"{tasks} WHERE t.status = ANY(%(open)s) AND t.flow_task = ANY(%({nodes})s) "
                f"AND COALESCE(s.{days}, 0) <> 0 "
                f"AND t.created < ((%(today)s::date - s.{days} + 1)::timestamp AT TIME ZONE %(tz)s)")

    branches = [
        # draft_reminders
        f"SELECT '{DRAFT}', 'application:' || a.id, 'due', a.id, {link('link_edit', 'a.id')}, "
        f"jsonb_build_object('deadline', jsonb_build_object('datetime', {_iso_sql('c.closes_at')})), "
        f"NULL::bigint, a.organisation_id, NULL::text FROM <application> a {funds} "
        f"WHERE a.status = '{Application.Status.DRAFT}' AND c.closes_at > %(now)s "
        "AND s.draft_days_before_close IS NOT NULL "
        "AND c.closes_at < ((%(today)s::date + s.draft_days_before_close + 1)::timestamp AT TIME ZONE %(tz)s)",
        # completion_reminders: the deadline of the application's latest check that asked for completion
        f"SELECT {staged(COMPLETION_DUE, COMPLETION_OVERDUE)}, 'task:' || t.id, st.stage, p.application_id, "
        f"{link('link_task', 't.id')}, {deadline('ck.deadline')}, NULL::bigint, a.organisation_id, NULL::text "
        f"{tasks} CROSS JOIN LATERAL (SELECT e.completion_deadline AS deadline FROM <check> e "
        f"WHERE e.application_id = a.id AND e.outcome = '{ExAnteCheck.Outcome.COMPLETION}' "
        "ORDER BY e.checked_at DESC, e.id DESC LIMIT 1) ck "
        f"CROSS JOIN LATERAL (SELECT {_stage_sql('ck.deadline', 's.completion_days_before')} AS stage) st "
        "WHERE t.status = ANY(%(open)s) AND t.flow_task = %(completion_node)s AND st.stage IS NOT NULL",
        # review_reminders
        f"SELECT {staged(REVIEW_DUE, REVIEW_OVERDUE)}, 'assignment:' || r.id, st.stage, r.application_id, "
        f"{link('link_assignment', 'r.id')}, {deadline('r.deadline')}, r.reviewer_id, NULL::bigint, NULL::text "
        f"FROM <assignment> r JOIN <application> a ON a.id = r.application_id {funds} "
        f"CROSS JOIN LATERAL (SELECT {_stage_sql('r.deadline', 's.review_days_before')} AS stage) st "
        f"WHERE r.status = ANY(%(assignment_open)s) AND a.status = '{Application.Status.REVIEW}' "
        "AND r.deadline >= %(today)s::date - s.overdue_every_days * s.overdue_max "
        "AND r.deadline <= %(today)s::date + COALESCE(s.review_days_before, 0) AND st.stage IS NOT NULL",
        waiting(CHECK_WAITING, "check_nodes", "case_officer", "check_waiting_days"),
        waiting(DECISION_WAITING, "decision_nodes", "secretary", "decision_waiting_days"),
        # report_reminders: linked to the open final report task, if there is one
        f"SELECT {staged(REPORT_DUE, REPORT_OVERDUE)}, 'application:' || a.id, st.stage, a.id, "
        f"CASE WHEN rt.id IS NULL THEN {link('link_detail', 'a.id')} ELSE {link('link_task', 'rt.id')} END, "
        f"{deadline('a.report_due_on')}, NULL::bigint, a.organisation_id, NULL::text FROM <application> a {funds} "
        f"CROSS JOIN LATERAL (SELECT {_stage_sql('a.report_due_on', 's.report_days_before')} AS stage) st "
        "LEFT JOIN LATERAL (SELECT t.id FROM <task> t JOIN <process> p ON p.process_ptr_id = t.process_id "
        "WHERE p.application_id = a.id AND t.flow_task = %(report_node)s AND t.status = ANY(%(open)s) "
        "ORDER BY t.created DESC LIMIT 1) rt ON true "
        f"WHERE a.status = '{Application.Status.GRANTED}' AND st.stage IS NOT NULL",
    ]
    sql = "\nUNION ALL\n".join(branches)
    for placeholder, table in tables.items():
        sql = sql.replace(placeholder, table)
    return _DueQuery(sql=sql, params=params)


def _insert_due(due: _DueQuery) -> list[tuple[int, str]]:
    """One INSERT … SELECT: the due occurrences not in the outbox yet, one row per active recipient with an
    address, unrendered, in key order (so concurrent sweepers wait for each other, never deadlock), skipping
    a key that exists. Returns (pk, status) of the rows written."""
    table = OutboxMessage._meta.db_table
    groups = User.groups.through
    group_table = groups._meta.get_field("group").related_model._meta.db_table
    values = {
        "dedupe_key": "left(lower(u.email) || '|' || d.kind || '|' || d.object_key || '|' || d.stage, 255)",
        "occurrence": "d.occurrence", "recipient": "u.email", "user_id": "u.id", "kind": "d.kind",
        "application_id": "d.application_id", "language": "COALESCE(NULLIF(u.language, ''), %(language)s)",
        "subject": "''", "body_text": "''", "body_html": "''", "link": "left(d.link, 500)", "rendered": "false",
        "context": "d.context", "files": "'[]'::jsonb",
        "status": (f"CASE WHEN d.kind = ANY(%(immediate)s) OR u.email_frequency <> 'daily' "
                   f"THEN '{OutboxMessage.Status.PENDING}' ELSE '{OutboxMessage.Status.HELD}' END"),
        "attempts": "0", "last_error": "''", "created_at": "%(created_at)s",
    }
    sql = f"""
        WITH due (kind, object_key, stage, application_id, link, context, to_user, to_org, to_role) AS (
            {due.sql}
        ), fresh AS (
            SELECT due.*, left(kind || '|' || object_key || '|' || stage, 255) AS occurrence FROM due
            WHERE NOT EXISTS (SELECT 1 FROM {table} o
                              WHERE o.occurrence = left(due.kind || '|' || due.object_key || '|' || due.stage, 255))
        ), addressed AS (
            SELECT fresh.*, fresh.to_user AS user_id FROM fresh WHERE fresh.to_user IS NOT NULL
            UNION ALL
            SELECT fresh.*, m.user_id FROM fresh JOIN {Membership._meta.db_table} m ON m.organisation_id = fresh.to_org
            UNION ALL
            SELECT fresh.*, ug.user_id FROM fresh JOIN {group_table} g ON g.name = fresh.to_role
            JOIN {groups._meta.db_table} ug ON ug.group_id = g.id
        )
        INSERT INTO {table} ({", ".join(COLUMNS)})
        SELECT DISTINCT ON (1) {", ".join(values[column] for column in COLUMNS)}
        FROM addressed d JOIN {User._meta.db_table} u ON u.id = d.user_id AND u.is_active AND u.email <> ''
        ORDER BY 1
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id, status"""
    params = {**due.params, "language": settings.LANGUAGE_CODE, "immediate": sorted(IMMEDIATE_KINDS),
              "created_at": timezone.now()}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
