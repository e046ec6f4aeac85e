"""The staff overview of every submitted application ("Ärenden").

Case officers and the project secretary start their day here: every submitted application with its
stage, how long it has been in that stage, who holds its open workflow step, filters, sorting, counts
per stage and pages of 50. The number of queries does not grow with the number of applications: the
counts per stage come from the counts PostgreSQL keeps per call and stage (grants 0024; with a search or an
indicator, and on SQLite, from one GROUP BY; with an assignee, from the same read as the page's ids, which on
PostgreSQL is a range of the index of the step holder kept on each application, workflows 0005; their sum is the
page count), the page's rows from one query of the shown columns (every sort has its index, migration grants
0015, with the status, 0025) with their open tasks (step, permission, owner: one index probe per row) and
whether the user is the organisation's contact, the filter form's lists (task holders, funds, the chosen fund's
calls) from one query on PostgreSQL (one each elsewhere), and the rest is done in Python: the rows, the stage
links, the headers and the page links are written as HTML (workflows/case_rows.py, common/paging.py), not through
template loops.
"""

import json
from datetime import date
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    BooleanField, Case, Count, Exists, F, Func, JSONField, OuterRef, Q, Subquery, Value, When,
)
from django.db.models.functions import Coalesce, JSONObject, Lower, NullIf
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import roles
from common.formatting import day, money_writer
from common.paging import QueryLinks, page_range_html, url_for
from accounts.models import User
from grants.indicators import DRILL_DOWN, cases_behind
from grants.models import Application, Call, Fund, Membership
from grants.selectors import applications_for_staff, applications_matching, stage_counts_kept
from workflows.case_rows import case_row_html, header_html, row_texts, stages_html, step_title

PAGE_SIZE = 50
STOCKHOLM = ZoneInfo("Europe/Stockholm")
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)
# Roles whose members take (claim) staff steps; anyone else holding one is listed too.
TASK_HOLDER_ROLES = (roles.CASE_OFFICER, roles.SECRETARY)

STAGES = [(status.value, status.label) for status in Application.Status if status != Application.Status.DRAFT]

# sort key -> (expression, descending?) — "-key" is the reverse. Every order ends with the pk so that
# pages never overlap or skip rows. "age" is the time in the stage: the larger, the older the stage.
SORTS = {
    "submitted": (F("submitted_at"), False),
    "age": (F("status_changed_at"), True),
    "amount": (F("requested_amount"), False),
    "case": (F("case_number"), False),
    "title": (Lower("title"), False),
}
DEFAULT_SORT = "-submitted"
# The direction a column header sorts in when it is not the current sort.
HEADER_SORTS = {"submitted": "-submitted", "age": "-age", "amount": "-amount", "case": "case", "title": "title"}
SORT_CHOICES = [
    ("-submitted", _("Submitted, newest first")),
    ("submitted", _("Submitted, oldest first")),
    ("-age", _("Days in stage, longest first")),
    ("age", _("Days in stage, shortest first")),
    ("-amount", _("Requested amount, largest first")),
    ("amount", _("Requested amount, smallest first")),
    ("case", _("Case number, ascending")),
    ("-case", _("Case number, descending")),
    ("title", _("Title, A to Z")),
    ("-title", _("Title, Z to A")),
]

# The most calls the filter lists (those of one fund, newest first).
CALL_CHOICES = 100

ASSIGNEE_NONE = "none"
ASSIGNEE_ME = "me"


# -- selectors ------------------------------------------------------------------------------------

def applications_overview(*, user):
    """Every submitted application the user may see: what the filters, counts and pages narrow. A page's rows are
    read by id with only the columns a row shows (`case_rows`), with their open tasks (the step and who holds it,
    `open_task`: an index probe per row of the page, never for all applications); filtering by who holds the
    step reads the holder PostgreSQL keeps on each application (`_held`)."""
    return applications_for_staff(user=user)


def _open_human_tasks():
    return Task.objects.filter(status__in=OPEN_TASK_STATUSES, flow_task_type="HUMAN")


def overview_filter(queryset, *, data: dict, user):
    """Narrow the overview by the cleaned filter values but the stage (`overview_stage`): the counts per stage are
    taken over all the other filters, the page over all of them."""
    if data.get("fund"):
        queryset = queryset.filter(call__fund=data["fund"])
    if data.get("call"):
        queryset = queryset.filter(call=data["call"])
    if data.get("indicator"):  # the cases behind a count on the indicator dashboard
        queryset = queryset.filter(pk__in=indicator_cases(data["indicator"]))
    assignee = data.get("assignee")
    if assignee:
        queryset = queryset.filter(_held(assignee, user))
    text = (data.get("q") or "").strip()
    if text:
        queryset = applications_matching(queryset, text)
    return queryset


def overview_stage(queryset, data: dict):
    return queryset.filter(status__in=data["stage"]) if data.get("stage") else queryset


def _held(assignee: str, user):
    """The condition "one of the application's open human steps is held by `assignee`" (nobody, me, or a person's
    id). PostgreSQL: the holder PostgreSQL keeps on the application (Application.step_holder, migration workflows
    0005), a range of its index `application_step_holder`, which carries the status and every sort key: the
    counts and the sorted ids of a holder's applications are read from the index alone. An application whose
    open steps are held by different people (STEP_HOLDER_SEVERAL, left by viewflow's undo / revive actions) is
    in that range too, and its tasks are asked (`workflows_step_held_by`, a few index probes per such row).
    Elsewhere (SQLite): the semi-join on the open tasks."""
    if assignee == ASSIGNEE_NONE:
        key, owner = Application.STEP_HOLDER_NOBODY, Q(owner__isnull=True)
    else:
        key = user.pk if assignee == ASSIGNEE_ME else int(assignee)
        owner = Q(owner_id=key)
    if connection.vendor == "postgresql":
        asked = Func(F("pk"), Value(key), function="workflows_step_held_by", output_field=BooleanField())
        return Q(step_holder__in=[key, Application.STEP_HOLDER_SEVERAL]) & (Q(step_holder=key) | Q(asked))
    return Exists(_open_human_tasks().filter(owner, process__applicationprocess__application=OuterRef("pk")))


def open_task():
    """The open task of a row's application (an expression of the rows' query, one index probe per row by its
    workflow process, workflows 0002): the newest open human task, or else the step it waits in otherwise (the
    review waiting for its reviewers), with the holder's name, as a JSON object (None: no open step)."""
    tasks = Task.objects.filter(process_id=OuterRef("process__pk"), status__in=OPEN_TASK_STATUSES,
                                flow_task_type__in=("HUMAN", "FUNCTION"))
    tasks = tasks.order_by(Case(When(flow_task_type="HUMAN", then=Value(0)), default=Value(1)), "-created", "-pk")
    return Subquery(tasks.values(task=JSONObject(
        pk="pk", flow_task="flow_task", flow_task_type="flow_task_type", owner_permission="owner_permission",
        owner_id="owner_id", owner_name=Coalesce(NullIf("owner__full_name", Value("")), "owner__email")))[:1],
        output_field=JSONField())


def overview_sort(queryset, sort: str):
    key = sort.lstrip("-")
    if key not in SORTS:
        key, sort = DEFAULT_SORT.lstrip("-"), DEFAULT_SORT
    expression, inverted = SORTS[key]
    descending = sort.startswith("-") != inverted
    # Empty values (old cases without a case number) come last in both directions, on every database.
    if descending:
        return queryset.order_by(expression.desc(nulls_last=True), "-pk")
    return queryset.order_by(expression.asc(nulls_last=True), "pk")


def stage_counts(queryset) -> dict:
    """{status: count} for every stage but draft, in one GROUP BY query. COUNT(*), not COUNT(id): the rows are
    the same (the key is never NULL), and the count needs no column but the status, so PostgreSQL counts from
    the narrow status index alone, or from the (call, status, …) index when a call or fund is chosen (grants 0019)."""
    counts = dict(queryset.order_by().values_list("status").annotate(n=Count("*")))
    return {value: counts.get(value, 0) for value, _label in STAGES}


# Filters the kept counts per call cannot answer: these count the matching applications (`stage_counts`).
UNKEPT_FILTERS = ("q", "assignee", "indicator")


def stage_counts_shown(queryset, data: dict) -> dict:
    """The counts per stage of `queryset` (the overview filtered by `data` but for the stage): with no filter or
    only a fund or call, from the counts PostgreSQL keeps per call and status (a few rows per call, exact at the
    query's snapshot, grants.selectors.stage_counts_kept); with any other filter, or on SQLite, one GROUP BY."""
    kept = None
    if not any(data.get(name) for name in UNKEPT_FILTERS):
        kept = stage_counts_kept(fund=data.get("fund"), call=data.get("call"))
    if kept is None:
        return stage_counts(queryset)
    return {value: kept.get(value, 0) for value, _label in STAGES}


def held_counts_and_ids(queryset, data: dict, sort: str) -> tuple[dict, list]:
    """With an assignee: the counts per stage of `queryset` (the overview filtered by `data` but for the stage)
    and the sorted ids of the applications in the chosen stages, from one query. The applications whose open
    step one person (or nobody) holds are few, bounded by the open steps and not by all applications: their ids
    and stages are read once, in the sort's order, rather than found twice (a GROUP BY for the counts, the
    sorted page); on PostgreSQL from the entries of one index (`_held`), sorted in memory."""
    held = overview_sort(queryset, sort).values_list("pk", "status")
    counts = {value: 0 for value, _label in STAGES}
    chosen = set(data.get("stage") or counts)
    ids = []
    for pk, status in held:
        if status in counts:
            counts[status] += 1
        if status in chosen:
            ids.append(pk)
    return counts, ids


# -- the filter form --------------------------------------------------------------------------------

class LoadedChoiceField(forms.ModelChoiceField):
    """A model choice whose options are read once per form (`load`: (key, label) pairs, no model instances): the
    same pairs render the options and validate the value, with no second query; the value is then an instance
    with its key only (what the filters use). A value outside them is looked up (one query)."""

    def load(self, choices):
        self.loaded = {str(pk) for pk, _label in choices}
        self.widget.choices = [("", self.empty_label), *choices]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if str(value) in getattr(self, "loaded", ()):
            return self.queryset.model(pk=int(value))
        return super().to_python(value)


class OverviewFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Title, organisation or case number."))
    fund = LoadedChoiceField(label=_("Fund"), required=False, queryset=Fund.objects.order_by("name"),
                             empty_label=_("All funds"))
    # Any call is a valid value (a link may name one); the choices shown are bounded (`_bound_call_choices`).
    call = LoadedChoiceField(label=_("Call"), required=False, empty_label=_("All calls"),
                             queryset=Call.objects.select_related("fund").order_by("-opens_at", "pk"))
    stage = forms.MultipleChoiceField(label=_("Stage"), required=False, choices=STAGES,
                                      widget=forms.CheckboxSelectMultiple)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)
    # "granted:2025" or "granted:2025:2025-12-31": the cases counted in an indicator (grants.indicators.DRILL_DOWN)
    indicator = forms.RegexField(required=False, widget=forms.HiddenInput,
                                 regex=r"^[a-z_]{1,30}:20[0-9]{2}(:[0-9]{4}-[0-9]{2}-[0-9]{2})?$")

    def clean_indicator(self):
        value = self.cleaned_data.get("indicator") or ""
        if value:
            key, year, *as_of = value.split(":")
            try:
                as_of = date.fromisoformat(as_of[0]) if as_of else None
            except ValueError:
                raise forms.ValidationError(_("Not a date.")) from None
            if key not in DRILL_DOWN:
                raise forms.ValidationError(_("Not an indicator."))
            return (key, int(year), as_of)
        return None

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        fund, call = self._raw_id("fund"), self._raw_id("call")
        holders, funds, calls = filter_choices(fund=fund, call=call)
        self.fields["assignee"].choices = [
            ("", _("Anyone")), (ASSIGNEE_NONE, _("Not taken")), (ASSIGNEE_ME, _("Me")),
        ] + [(str(pk), label) for pk, label in holders]
        self.fields["fund"].load(funds)
        self._bound_call_choices(fund, call, calls)

    def _raw_id(self, name):
        value = self.data.get(name) if self.is_bound else None
        return int(value) if value and str(value).isdigit() and len(str(value)) < 18 else None

    def _bound_call_choices(self, fund, call, shown):
        """The call list shows the calls of the chosen fund only (or of the chosen call's fund), newest first
        and at most CALL_CHOICES of them, never every call of every fund and year (`filter_choices`). With no
        fund chosen it offers "All calls" and says to choose a fund first. The chosen call is always shown."""
        field = self.fields["call"]
        if call is not None and all(row[0] != call for row in shown):
            shown = [*shown, *Call.objects.filter(pk=call).values_list(*CALL_COLUMNS)]
        field.load([(pk, f"{title} ({fund_name})") for pk, title, fund_name in shown])
        if fund is None and call is None:
            field.help_text = _("Choose a fund and press Show to list its calls.")

    def filters(self) -> dict:
        """The values of the valid fields; a field with an error filters nothing."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data


def indicator_cases(indicator):
    key, year, as_of = indicator
    return cases_behind(key, year, as_of=as_of)


CALL_COLUMNS = ("pk", "title", "fund__name")

# The filter form's three lists in one query (PostgreSQL): each a JSON array of arrays in its order. The task
# holders' ids are the distinct owners of the taken staff tasks (read from their own index alone, workflows 0004),
# the role members' ids by group (the planner, asked for a join, expects a role to hold a fair share of all users
# and reads every membership); then the people by key.
FILTER_CHOICES_SQL = """
SELECT
    (SELECT json_agg(json_build_array(p.id, p.full_name, p.email) ORDER BY p.full_name, p.email)
     FROM accounts_user p
     WHERE (p.is_active AND p.id = ANY(ARRAY(
                SELECT m.user_id FROM accounts_user_groups m WHERE m.group_id = ANY(ARRAY(
                    SELECT g.id FROM auth_group g WHERE g.name IN ({roles}))))))
        OR p.id = ANY(ARRAY(SELECT DISTINCT t.owner_id FROM viewflow_task t
                            WHERE t.flow_task_type = 'HUMAN' AND t.status = 'ASSIGNED' AND t.owner_permission <> ''))),
    (SELECT json_agg(json_build_array(f.id, f.name) ORDER BY f.name) FROM grants_fund f),
    (SELECT json_agg(json_build_array(c.id, c.title, c.fund_name) ORDER BY c.opens_at DESC, c.id DESC)
     FROM (SELECT c.id, c.title, f.name AS fund_name, c.opens_at FROM grants_call c
           JOIN grants_fund f ON f.id = c.fund_id
           WHERE c.fund_id = {fund} ORDER BY c.opens_at DESC, c.id DESC LIMIT {limit}) c)
"""


def _json_rows(value) -> list:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def filter_choices(*, fund: int | None, call: int | None) -> tuple[list, list, list]:
    """The filter form's lists: the task holders [(id, name)] by name, the funds [(id, name)] by name, and the
    calls of the chosen fund (or of the chosen call's fund; none without either) [(id, title, fund name)], newest
    first, at most CALL_CHOICES. PostgreSQL: one query (FILTER_CHOICES_SQL); elsewhere one query each."""
    if connection.vendor == "postgresql":
        if fund is not None:
            fund_sql, params = "%s", [fund]
        elif call is not None:
            fund_sql, params = "(SELECT fund_id FROM grants_call WHERE id = %s)", [call]
        else:
            fund_sql, params = "NULL", []
        sql = FILTER_CHOICES_SQL.format(roles=", ".join(["%s"] * len(TASK_HOLDER_ROLES)), fund=fund_sql,
                                        limit=CALL_CHOICES)
        with connection.cursor() as cursor:
            cursor.execute(sql, [*TASK_HOLDER_ROLES, *params])
            people, funds, calls = (_json_rows(value) for value in cursor.fetchone())
        return ([(pk, full_name or email) for pk, full_name, email in people], [tuple(row) for row in funds],
                [tuple(row) for row in calls])
    return filter_choices_each(fund=fund, call=call)


def filter_choices_each(*, fund: int | None, call: int | None) -> tuple[list, list, list]:
    """`filter_choices` in one query for each list (any database)."""
    holders = [(person.pk, str(person)) for person in task_holders()]
    funds = list(Fund.objects.order_by("name").values_list("pk", "name"))
    calls = Call.objects.none()
    if fund is not None:
        calls = Call.objects.filter(fund_id=fund)
    elif call is not None:
        calls = Call.objects.filter(fund_id=Subquery(Call.objects.filter(pk=call).values("fund_id")[:1]))
    return holders, funds, list(calls.order_by("-opens_at", "-pk").values_list(*CALL_COLUMNS)[:CALL_CHOICES])


def task_holders():
    """Staff who take steps, and anyone who holds a staff step now (even if no longer in the role), in one query
    (on PostgreSQL `filter_choices` reads them with the other lists)."""
    holding = Task.objects.filter(status=STATUS.ASSIGNED, flow_task_type="HUMAN").exclude(
        owner_permission__isnull=True).exclude(owner_permission="").order_by().values("owner_id")
    people = User.objects.only("full_name", "email").order_by("full_name", "email")
    in_role = User.groups.through.objects.filter(group__name__in=TASK_HOLDER_ROLES).values("user_id")
    return people.filter(Q(is_active=True, pk__in=in_role) | Q(pk__in=holding))


# -- the page ----------------------------------------------------------------------------------------

def days_in_stage(changed_at, *, today=None) -> int:
    today = today or timezone.now().astimezone(STOCKHOLM).date()
    return (today - changed_at.astimezone(STOCKHOLM).date()).days


class CaseRow:
    """One row of the list: the shown columns of an application, and what `_decorate` adds. No model instance: 50
    applications with their organisation, call and fund built as models cost more than writing their rows."""

    def __init__(self, values):
        self.__dict__.update(zip(ROW_COLUMNS, values))


# The columns of a row (CaseRow's attributes) and the fields they are read from, in one query by id: with the
# application's open task (`open_task`, a JSON object or None) and whether the user is a contact of its
# organisation ("member": who may do an applicant's step).
ROW_COLUMNS = ("pk", "title", "status", "status_changed_at", "case_number", "submitted_at", "requested_amount",
               "organisation_id", "organisation_name", "call_title", "fund_name", "member", "open_task")
ROW_VALUES = ("pk", "title", "status", "status_changed_at", "case_number", "submitted_at", "requested_amount",
              "organisation_id", "organisation__name", "call__title", "call__fund__name", "member", "open_task")


def case_rows(queryset, page_ids, sort: str, *, user) -> list[CaseRow]:
    """The rows of a page: `page_ids` is the page's slice of the sorted ids (a query, not run on its own, or a
    list), chosen over the sort's index alone however deep the page; its rows are then read with their joins by
    id, in the same query, and sorted again (50 rows)."""
    rows = overview_sort(queryset.filter(pk__in=page_ids), sort).annotate(member=Exists(
        Membership.objects.filter(user=user, organisation_id=OuterRef("organisation_id"))), open_task=open_task())
    return [CaseRow(values) for values in rows.values_list(*ROW_VALUES)]


def _once(function):
    """`function` of one argument, computed once per value (a page's rows share dates, day counts, amounts)."""
    known = {}

    def cached(value):
        if value not in known:
            known[value] = function(value)
        return known[value]
    return cached


def _decorate(rows, user):
    """Add what the template shows to the page's rows (read with their open tasks), in Python, each text that rows
    share (a date, a number of days, an amount) written once per page."""
    today = timezone.now().astimezone(STOCKHOLM).date()
    zone = timezone.get_current_timezone()
    case_url, task_url = url_for("workflows:case_detail"), url_for("workflows:task")
    # Translated once per page, not once per row (get_status_display hashes every lazy label for each row).
    status_labels = {value: str(label) for value, label in Application.Status.choices}
    untitled = gettext("Untitled application")  # Application.__str__ of a row without a title
    may = {}  # permission -> user.has_perm, asked once per page
    texts = row_texts()
    step_of = {}  # task reference -> the step's title
    since_title = gettext("In this stage since %(date)s")
    day_text, amount_text = _once(day), _once(money_writer())
    days_text = _once(lambda days: ngettext(" day, since %(date)s", " days, since %(date)s", days))
    for row in rows:
        task = row.open_task
        human = task is not None and task["flow_task_type"] == "HUMAN"
        row.open_task_pk = task["pk"] if human else None
        row.open_task_ref = task["flow_task"] if task is not None else None
        row.open_task_permission = task["owner_permission"] if human else None
        row.assignee_id = task["owner_id"] if human else None
        row.assignee_name = task["owner_name"] if human and task["owner_id"] else None
        row.stage_since = row.status_changed_at.astimezone(STOCKHOLM).date()
        row.days_in_stage = (today - row.stage_since).days  # days_in_stage()
        # The row's texts written here once, not through template tags and filters cell by cell.
        since = day_text(row.stage_since)
        row.stage_since_title = since_title % {"date": since}
        row.stage_since_text = days_text(row.days_in_stage) % {"date": since}
        row.amount_text = amount_text(row.requested_amount)
        if row.submitted_at:
            submitted = row.submitted_at.astimezone(zone)  # timezone.localtime()
            row.submitted_text, row.submitted_iso = day_text(submitted.date()), submitted.isoformat()
        else:
            row.submitted_text = row.submitted_iso = ""
        row.label = row.title or untitled
        row.url = case_url(row.pk)
        row.status_label = status_labels.get(row.status, row.status)
        row.open_step = step_title(row.open_task_ref, step_of)
        row.is_applicant_step = row.open_task_pk is not None and not row.open_task_permission
        if row.open_task_pk is None:
            row.may_act = False
        elif row.is_applicant_step:  # the same rule as workflows.services.user_may_do_task
            row.may_act = row.member
        else:
            permission = row.open_task_permission
            if permission not in may:
                may[permission] = user.has_perm(permission)
            row.may_act = may[permission] and row.assignee_id in (None, user.pk)
        row.task_url = task_url(row.open_task_pk) if row.may_act else ""
        row.row_html = case_row_html(row, texts)
    return rows


COLUMNS = [
    # (sort key or None, label, numeric?)
    ("case", _("Case number"), False),
    ("title", _("Application"), False),
    (None, _("Organisation"), False),
    (None, _("Fund"), False),
    (None, _("Call"), False),
    (None, _("Stage"), False),
    ("age", _("Days in stage"), True),
    (None, _("Open step"), False),
    (None, _("Assignee"), False),
    ("amount", _("Requested"), True),
    ("submitted", _("Submitted"), False),
]


def _columns(sort: str) -> list[dict]:
    """The table's headers; a sortable one links to its sort (the reverse when it is the current one)
    and carries aria-sort when the table is sorted by it."""
    columns = []
    for key, label, numeric in COLUMNS:
        column = {"key": key, "label": label, "numeric": numeric, "sort": "", "aria_sort": ""}
        if key is not None:
            if sort.lstrip("-") == key:
                column["sort"] = key if sort.startswith("-") else f"-{key}"
                column["aria_sort"] = "descending" if sort.startswith("-") else "ascending"
            else:
                column["sort"] = HEADER_SORTS[key]
            column["sort_label"] = dict(SORT_CHOICES)[column["sort"]]
        columns.append(column)
    return columns


@login_required
def case_list(request):
    if not request.user.has_perm("grants.view_all_applications"):
        raise PermissionDenied
    form = OverviewFilterForm(request.GET or None, user=request.user)
    data = form.filters()
    sort = data.get("sort") or DEFAULT_SORT

    base = applications_overview(user=request.user)
    without_stage = overview_filter(base, data=data, user=request.user)
    if data.get("assignee"):
        counts, page_ids = held_counts_and_ids(without_stage, data, sort)
        paginator = Paginator(page_ids, PAGE_SIZE)
    else:
        counts = stage_counts_shown(without_stage, data)
        cases = overview_sort(overview_stage(without_stage, data), sort)
        # The stage is the only filter the counts leave out: the matching total is their sum, not another count.
        selected_stages = data.get("stage") or [value for value, _label in STAGES]
        # The page is chosen over the ids alone (the sort's index, no joins, however deep the page), and its 50
        # rows are loaded with their joins by id, in one query (`case_rows`).
        paginator = Paginator(cases.values_list("pk", flat=True), PAGE_SIZE)
        paginator.count = sum(counts[value] for value in selected_stages)
    page = paginator.get_page(request.GET.get("page"))
    rows = _decorate(case_rows(base, page.object_list, sort, user=request.user), request.user)
    page.object_list = rows
    selected = set(data.get("stage") or ())
    stages = [{"value": value, "label": label, "count": counts[value], "current": selected == {value}}
              for value, label in STAGES]
    stage_total = sum(counts.values())
    columns = _columns(sort)
    page_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    # The page's links, rows and headers written in Python (workflows/case_rows.py, common/paging.py): the
    # same text as the template's loops and {% querystring %} tags wrote, compared in tests/test_overview.py.
    links = QueryLinks(request.GET)
    return render(request, "workflows/case_list.html", {
        "form": form,
        "cases": rows,
        "page_obj": page,
        "page_range": page_range,
        "stage_counts": stages,
        "stage_total": stage_total,
        "stages_html": stages_html(links, stages, stage_total, all_current=not form["stage"].value()),
        "sort": sort,
        "sort_label": dict(SORT_CHOICES)[sort],
        "columns": columns,
        "header_html": header_html(links, columns),
        "rows_html": mark_safe("".join(f"\n    {row.row_html}" for row in rows)),  # noqa: S308 -- rows escaped
        "pagination_html": page_range_html(links, page, page_range, gettext("Pages of cases")),
        "filtered": any(data.get(name) for name in ("q", "fund", "call", "stage", "assignee", "indicator")),
    })
