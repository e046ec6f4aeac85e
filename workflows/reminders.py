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
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import roles
from accounts.models import User
from common.time import day_start
from grants.models import Application, ExAnteCheck, Fund, Membership
from notifications.models import OutboxMessage, ReminderSettings
from notifications.services import IMMEDIATE_KINDS, delivery_schedule, outbox_context_encode, outbox_status_for
from reviewers.models import Assignment
from workflows.flows import ApplicationFlow

OPEN_TASK = (STATUS.NEW, STATUS.ASSIGNED)

DRAFT = "reminder_draft"
COMPLETION_DUE = "reminder_completion_due"
COMPLETION_OVERDUE = "reminder_completion_overdue"
REVIEW_DUE = "reminder_review_due"
REVIEW_OVERDUE = "reminder_review_overdue"
CHECK_WAITING = "reminder_check_waiting"
DECISION_WAITING = "reminder_decision_waiting"
REPORT_DUE = "reminder_report_due"
REPORT_OVERDUE = "reminder_report_overdue"
KINDS = (DRAFT, COMPLETION_DUE, COMPLETION_OVERDUE, REVIEW_DUE, REVIEW_OVERDUE, CHECK_WAITING, DECISION_WAITING,
         REPORT_DUE, REPORT_OVERDUE)

CHECK_CHUNK = 5000  # occurrences looked up per query
BATCH = 2000  # reminders written per transaction


@dataclass
class Reminder:
    """One occurrence of a reminder, before its recipients are known."""

    kind: str
    object_key: str  # "task:12", "application:7", "assignment:3"
    stage: str  # "due", "overdue-1", "waiting": never a configured number of days
    application_id: int
    link: tuple  # (url name, pk), reversed only for the reminders that are sent
    to: tuple  # recipients: ("user", pk), ("org", organisation pk) = its contacts, ("role", group name)
    context: dict = field(default_factory=dict)

    @property
    def occurrence(self) -> str:
        return f"{self.kind}|{self.object_key}|{self.stage}"


# -- settings and dates ------------------------------------------------------------------------

def reminder_settings_by_fund() -> dict[int, ReminderSettings]:
    """Every fund's reminder settings; a fund without them gets the defaults (created here)."""
    found = {s.fund_id: s for s in ReminderSettings.objects.all()}
    missing = set(Fund.objects.values_list("pk", flat=True)) - found.keys()
    if missing:
        ReminderSettings.objects.bulk_create([ReminderSettings(fund_id=pk) for pk in sorted(missing)],
                                             ignore_conflicts=True)
        found = {s.fund_id: s for s in ReminderSettings.objects.all()}
    return found


def deadline_window(*, today: date, days_before: int | None, every: int, max_times: int):
    """(earliest, latest) deadline that can need a reminder today, or None."""
    latest = today + timedelta(days=days_before) if days_before is not None else today - timedelta(days=1)
    earliest = today - timedelta(days=every * max_times)
    return (earliest, latest) if earliest <= latest else None


def deadline_stage(*, today: date, deadline: date, days_before: int | None, every: int,
                   max_times: int) -> str | None:
    """The occurrence due today for `deadline`: "due", "overdue-k" (k = 1 … max_times), or None.

    "due" does not name `days_before`, so changing the lead time does not remind anyone twice.
    """
    days_left = (deadline - today).days
    if days_left >= 0:
        return "due" if days_before is not None and days_left <= days_before else None
    number = 1 + (-days_left - 1) // every
    return f"overdue-{number}" if number <= max_times else None


def _per_fund(by_fund, make_q) -> Q | None:
    """OR of make_q(fund_id, settings) over the funds where it gives a condition."""
    condition = Q()
    for fund_id, fund_settings in by_fund.items():
        q = make_q(fund_id, fund_settings)
        if q is not None:
            condition |= q
    return condition or None


def _task_rows(node):
    """Open tasks of `node` with their application, organisation and fund."""
    return Task.objects.filter(flow_task=node, status__in=OPEN_TASK).annotate(
        application_id=F("process__applicationprocess__application_id"),
        organisation_id=F("process__applicationprocess__application__organisation_id"),
        fund_id=F("process__applicationprocess__application__call__fund_id"),
    )


# -- review deadlines: the one place that knows where a review's deadline comes from -------------

@dataclass
class ReviewDeadline:
    object_key: str
    application_id: int
    fund_id: int
    deadline: date
    to: tuple
    link: tuple


def review_deadlines(*, since: date, until: date) -> list[ReviewDeadline]:
    """Open reviews whose deadline falls between `since` and `until` (inclusive).

    A review is a reviewer's open assignment (reviewers.Assignment: waiting for the conflict
    declaration, or reviewing); its deadline was set when it was assigned, from the fund's review
    settings. Reminders are keyed per assignment and go to its reviewer only.
    """
    rows = Assignment.objects.filter(status__in=Assignment.OPEN, deadline__range=(since, until),
                                     application__status=Application.Status.REVIEW).values_list(
        "pk", "application_id", "application__call__fund_id", "deadline", "reviewer_id")
    return [ReviewDeadline(object_key=f"assignment:{pk}", application_id=application_id, fund_id=fund_id,
                           deadline=deadline, to=(("user", reviewer_id),), link=("reviewers:assignment", pk))
            for pk, application_id, fund_id, deadline, reviewer_id in rows]


# -- the rules ---------------------------------------------------------------------------------

def draft_reminders(*, now, today, by_fund):
    """A draft not submitted N days before its call closes: to the organisation's contacts."""
    def q(fund_id, s):
        if s.draft_days_before_close is None:
            return None
        return Q(call__fund_id=fund_id,
                 call__closes_at__lt=day_start(today + timedelta(days=s.draft_days_before_close + 1)))

    condition = _per_fund(by_fund, q)
    if condition is None:
        return
    rows = Application.objects.filter(condition, status=Application.Status.DRAFT, call__closes_at__gt=now)
    for pk, organisation_id, closes_at in rows.values_list("pk", "organisation_id", "call__closes_at"):
        yield Reminder(DRAFT, f"application:{pk}", "due", pk, ("grants:application_edit", pk),
                       (("org", organisation_id),), {"deadline": closes_at})


def completion_reminders(*, now, today, by_fund):
    """A completion not answered: before its deadline and when overdue, to the organisation's contacts."""
    windows = {fund_id: deadline_window(today=today, days_before=s.completion_days_before,
                                        every=s.overdue_every_days, max_times=s.overdue_max)
               for fund_id, s in by_fund.items()}
    condition = _per_fund(by_fund, lambda fund_id, s: Q(fund_id=fund_id, deadline__range=windows[fund_id])
                          if windows[fund_id] else None)
    if condition is None:
        return
    latest_deadline = ExAnteCheck.objects.filter(
        application_id=OuterRef("application_id"), outcome=ExAnteCheck.Outcome.COMPLETION,
    ).order_by("-checked_at", "-pk").values("completion_deadline")[:1]
    rows = _task_rows(ApplicationFlow.completion).annotate(deadline=Subquery(latest_deadline)).filter(condition)
    for pk, application_id, organisation_id, fund_id, deadline in rows.values_list(
            "pk", "application_id", "organisation_id", "fund_id", "deadline"):
        s = by_fund[fund_id]
        stage = deadline_stage(today=today, deadline=deadline, days_before=s.completion_days_before,
                               every=s.overdue_every_days, max_times=s.overdue_max)
        if stage:
            kind = COMPLETION_DUE if stage.startswith("due") else COMPLETION_OVERDUE
            yield Reminder(kind, f"task:{pk}", stage, application_id, ("workflows:task", pk),
                           (("org", organisation_id),), {"deadline": deadline})


def review_reminders(*, now, today, by_fund):
    """A review due in N days, and overdue (then every N days, at most M times): to its reviewer."""
    if not by_fund:
        return
    since = today - timedelta(days=max(s.overdue_every_days * s.overdue_max for s in by_fund.values()))
    until = today + timedelta(days=max((s.review_days_before or 0) for s in by_fund.values()))
    for review in review_deadlines(since=since, until=until):
        s = by_fund.get(review.fund_id)
        if s is None:  # a fund created during this sweep: next time
            continue
        stage = deadline_stage(today=today, deadline=review.deadline, days_before=s.review_days_before,
                               every=s.overdue_every_days, max_times=s.overdue_max)
        if stage:
            kind = REVIEW_DUE if stage.startswith("due") else REVIEW_OVERDUE
            yield Reminder(kind, review.object_key, stage, review.application_id, review.link, review.to,
                           {"deadline": review.deadline})


def _waiting_reminders(*, today, by_fund, nodes, kind, role, days_attr):
    """Staff work waiting N days or more (calendar days, like the deadlines): to whoever took the task,
    else to everyone with the role."""
    def q(fund_id, s):
        days = getattr(s, days_attr)
        return Q(fund_id=fund_id, created__lt=day_start(today - timedelta(days=days - 1))) if days else None

    condition = _per_fund(by_fund, q)
    if condition is None:
        return
    for node in nodes:
        rows = _task_rows(node).filter(condition)
        for pk, application_id, fund_id, owner_id, created in rows.values_list(
                "pk", "application_id", "fund_id", "owner_id", "created"):
            days = getattr(by_fund[fund_id], days_attr)
            to = (("user", owner_id),) if owner_id else (("role", role),)
            yield Reminder(kind, f"task:{pk}", "waiting", application_id, ("workflows:task", pk), to,
                           {"since": created, "days": days})


def check_waiting_reminders(*, now, today, by_fund):
    yield from _waiting_reminders(today=today, by_fund=by_fund, nodes=[ApplicationFlow.exante_check],
                                  kind=CHECK_WAITING, role=roles.CASE_OFFICER, days_attr="check_waiting_days")


def decision_waiting_reminders(*, now, today, by_fund):
    yield from _waiting_reminders(today=today, by_fund=by_fund,
                                  nodes=[ApplicationFlow.decision, ApplicationFlow.second_approval],
                                  kind=DECISION_WAITING, role=roles.SECRETARY, days_attr="decision_waiting_days")


def report_reminders(*, now, today, by_fund):
    """A granted project's final report: due in N days, and overdue. To the organisation's contacts."""
    windows = {fund_id: deadline_window(today=today, days_before=s.report_days_before,
                                        every=s.overdue_every_days, max_times=s.overdue_max)
               for fund_id, s in by_fund.items()}
    condition = _per_fund(by_fund, lambda fund_id, s: Q(call__fund_id=fund_id, report_due_on__range=windows[fund_id])
                          if windows[fund_id] else None)
    if condition is None:
        return
    open_report_task = Task.objects.filter(
        process__applicationprocess__application_id=OuterRef("pk"), flow_task=ApplicationFlow.final_report,
        status__in=OPEN_TASK,
    ).values("pk")[:1]
    rows = Application.objects.filter(condition, status=Application.Status.GRANTED).annotate(
        task_pk=Subquery(open_report_task))
    for pk, organisation_id, fund_id, due, task_pk in rows.values_list(
            "pk", "organisation_id", "call__fund_id", "report_due_on", "task_pk"):
        s = by_fund[fund_id]
        stage = deadline_stage(today=today, deadline=due, days_before=s.report_days_before,
                               every=s.overdue_every_days, max_times=s.overdue_max)
        if stage:
            kind = REPORT_DUE if stage.startswith("due") else REPORT_OVERDUE
            link = ("workflows:task", task_pk) if task_pk else ("grants:application_detail", pk)
            yield Reminder(kind, f"application:{pk}", stage, pk, link, (("org", organisation_id),),
                           {"deadline": due})


RULES = (draft_reminders, completion_reminders, review_reminders, check_waiting_reminders,
         decision_waiting_reminders, report_reminders)


def reminders_due(*, now, by_fund=None):
    """Every reminder occurrence that applies at `now` (sent or not)."""
    by_fund = reminder_settings_by_fund() if by_fund is None else by_fund
    today = timezone.localdate(now)
    for rule in RULES:
        yield from rule(now=now, today=today, by_fund=by_fund)


# -- writing -----------------------------------------------------------------------------------

def _chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@lru_cache(maxsize=32)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[987654321]).replace("987654321", "{}")


@lru_cache(maxsize=32)
def _absolute_pattern(site_url: str, name: str) -> str:
    return site_url + _url_pattern(name)


def _absolute_link(link: tuple, site_url: str) -> str:
    name, pk = link
    return _absolute_pattern(site_url, name).format(pk)


@dataclass(frozen=True)
class _Recipient:
    pk: int
    email: str
    language: str
    email_frequency: str


class _Recipients:
    """Resolves recipient specs to users, in bulk, caching role members and users for the whole sweep."""

    def __init__(self):
        self.role_members: dict[str, list[int]] = {}
        self.users: dict[int, _Recipient | None] = {}  # None: inactive or without an address
        self.contacts: dict[int, list[int]] = {}  # organisation → its active contacts

    def resolve(self, reminders) -> tuple[dict, dict[int, User]]:
        org_ids = {pk for r in reminders for kind, pk in r.to if kind == "org"} - self.contacts.keys()
        contacts = self.contacts
        if org_ids:
            for organisation_id in org_ids:
                contacts[organisation_id] = []
            for organisation_id, user_id in Membership.objects.filter(
                    organisation_id__in=org_ids, user__is_active=True).values_list("organisation_id", "user_id"):
                contacts[organisation_id].append(user_id)
        for role in {name for r in reminders for kind, name in r.to if kind == "role"} - self.role_members.keys():
            self.role_members[role] = list(User.objects.filter(groups__name=role, is_active=True)
                                           .values_list("pk", flat=True).distinct())
        per_reminder = {}
        for r in reminders:
            ids = []
            for kind, value in r.to:
                if kind == "user":
                    ids.append(value)
                elif kind == "org":
                    ids += contacts.get(value, [])
                else:
                    ids += self.role_members.get(value, [])
            per_reminder[id(r)] = list(dict.fromkeys(ids))
        missing = {pk for ids in per_reminder.values() for pk in ids} - self.users.keys()
        if missing:
            self.users.update(dict.fromkeys(missing))
            for row in User.objects.filter(pk__in=missing, is_active=True).exclude(email="").values_list(
                    "pk", "email", "language", "email_frequency"):
                self.users[row[0]] = _Recipient(*row)
        return per_reminder, self.users


# The columns a reminder's row is written with: every NOT NULL column of the outbox (the rest stay NULL).
COLUMNS = ("dedupe_key", "occurrence", "recipient", "user_id", "kind", "application_id", "language", "subject",
           "body_text", "body_html", "link", "rendered", "context", "files", "status", "attempts", "last_error",
           "created_at")


def _rows_for(batch, recipients: _Recipients) -> list[dict]:
    """The outbox rows of `batch` (column → value), one per recipient, unrendered: the worker renders each
    one in its recipient's language just before sending it (notifications.services.outbox_render_row)."""
    per_reminder, users = recipients.resolve(batch)
    created_at = timezone.now()
    site_url = settings.SITE_URL
    rows = []
    for r in batch:
        link = _absolute_link(r.link, site_url)[:500]
        context = outbox_context_encode(r.context)
        for user_id in per_reminder[id(r)]:
            user = users.get(user_id)
            if user is None:
                continue
            rows.append({
                "dedupe_key": f"{user.email.lower()}|{r.kind}|{r.object_key}|{r.stage}"[:255],
                "occurrence": r.occurrence[:255], "recipient": user.email, "user_id": user.pk, "kind": r.kind,
                "application_id": r.application_id, "language": user.language or settings.LANGUAGE_CODE,
                "subject": "", "body_text": "", "body_html": "", "link": link, "rendered": False,
                "context": context, "files": [], "status": outbox_status_for(user, r.kind), "attempts": 0,
                "last_error": "", "created_at": created_at,
            })
    # One insertion order for every sweeper, so two of them at once wait for each other, never deadlock.
    rows.sort(key=lambda row: row["dedupe_key"])
    return rows


def _insert(rows) -> list[tuple[int, str]]:
    """Write the reminders in the current transaction; a row whose key exists (a concurrent sweeper's, even
    one not committed yet: PostgreSQL waits for it) is skipped. Returns (pk, status) of the rows written.

    `rows` are the row dicts (`_rows_for`); on PostgreSQL a `_DueQuery` instead, the due occurrences as SQL,
    which one INSERT … SELECT resolves to recipients and writes (`_insert_due`)."""
    if isinstance(rows, _DueQuery):
        return _insert_due(rows)
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = OutboxMessage.objects.bulk_create([OutboxMessage(**row) for row in rows])
    except IntegrityError:
        created = []
        for row in rows:  # rare: someone else wrote some of these keys meanwhile
            try:
                with transaction.atomic():
                    created.append(OutboxMessage.objects.create(**row))
            except IntegrityError:
                continue
    return [(message.pk, message.status) for message in created]


def _queued(occurrences: set[str]) -> set[str]:
    """Which of these occurrences are in the outbox already (one indexed query)."""
    if connection.vendor == "postgresql":  # one array parameter instead of thousands
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT occurrence FROM {OutboxMessage._meta.db_table} WHERE occurrence = ANY(%s)",
                           [list(occurrences)])
            return {row[0] for row in cursor.fetchall()}
    return set(OutboxMessage.objects.filter(occurrence__in=occurrences).values_list("occurrence", flat=True))


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
