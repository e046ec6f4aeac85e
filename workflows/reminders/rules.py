"""The reminder rules: which open work needs a nudge today, as recipient-free `Reminder`s (kind, object,
stage). Read by the sweep (workflows/reminders/__init__.py); the PostgreSQL path (sql.py) writes the same rules as SQL."""


from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import roles
from common.time import day_start
from grants.models import Application, ExAnteCheck, Fund
from notifications.models import ReminderSettings
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
