"""Reads for tasks and cases."""

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from viewflow.workflow.fields import import_task_by_ref
from django.http import Http404
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from common.formatting import daytimes
from common.paging import url_for
from grants.models import Membership
from workflows.models import ApplicationProcess
from workflows.services import OPEN_STATUSES, user_may_see_task


def _human_tasks():
    return Task.objects.filter(flow_task_type="HUMAN").select_related(
        "process", "owner", "process__applicationprocess__application",
        "process__applicationprocess__application__organisation",
    )


def task_get_for_user(*, user, pk: int) -> Task:
    # A step's page shows the application's call, fund and municipality: joined here, not read one by one.
    application = "process__applicationprocess__application__"
    task = _human_tasks().select_related(f"{application}call__fund", f"{application}organisation__municipality").filter(
        pk=pk).first()
    if task is None or not hasattr(task.process, "applicationprocess"):
        raise Http404
    if not user_may_see_task(user, task):
        raise Http404
    return task


# What a row of a task list shows (the inboxes, "your turn"): nothing else of the task or its application.
TASK_ROW_FIELDS = (
    "flow_task", "flow_task_type", "status", "created", "owner_permission", "process_id",
    "owner__full_name", "owner__email",
    "process__applicationprocess__application__title",
    "process__applicationprocess__application__organisation__name",
)


def _task_rows():
    return Task.objects.filter(flow_task_type="HUMAN").select_related(
        "owner", "process__applicationprocess__application__organisation").only(*TASK_ROW_FIELDS)


@lru_cache(maxsize=128)
def flow_node(ref):
    """The flow node a task reference such as 'workflows/flows.ApplicationFlow.review' names (or the node
    itself, as the task's field reads it)."""
    if not isinstance(ref, str):
        return ref
    try:
        return import_task_by_ref(ref)
    except (ImportError, AttributeError, ValueError):
        return None


@dataclass(slots=True)
class TaskRow:
    """What a row of a task list shows, and nothing else: plain values (str), no model instances."""

    pk: int
    step: str
    application: str
    organisation: str
    created: object
    owner_name: str
    # Written once here rather than by a template tag per row: the links and the time.
    url: str = ""
    claim_url: str = ""
    release_url: str = ""
    created_iso: str = ""
    created_text: str = ""


def task_rows(ids) -> dict:
    """{task id: TaskRow} for tasks already chosen (a page of a list), in one query of the shown columns
    looked up by primary key alone, so the plan never depends on the list's filters. What rows share is
    written once per page: a step's title (translated), a day ("3 dec. 2026", common.formatting.daytimes)."""
    ids = list(ids)
    if not ids:
        return {}
    application = "process__applicationprocess__application__"
    rows = Task.objects.filter(pk__in=ids).order_by().values_list(
        "pk", "flow_task", "created", "owner__full_name", "owner__email", f"{application}title",
        f"{application}organisation__name")
    untitled = gettext("Untitled application")
    task_url, claim_url, release_url = url_for("workflows:task"), url_for("workflows:claim"), url_for(
        "workflows:release")
    zone, steps, written = timezone.get_current_timezone(), {}, daytimes()
    found = {}
    for pk, ref, created, owner_name, owner_email, title, organisation in rows:
        if ref not in steps:
            steps[ref] = str(getattr(flow_node(ref), "task_title", "") or "")
        found[pk] = TaskRow(pk, steps[ref], title or untitled, organisation or "", created,
                            owner_name or owner_email or "", task_url(pk), claim_url(pk), release_url(pk),
                            created.astimezone(zone).isoformat(), written(created))  # localtime, daytime
    return found


def tasks_for_staff(*, user):
    """Open staff tasks: mine (claimed by me), the queue of my roles (unclaimed) and those my colleagues
    took; each a queryset of the shown columns, oldest first (pages of them: workflows.views.inbox). Counted
    and paged from partial indexes: mine from workflows 0006 (holder, created, id), the others from workflows 0003
    (status, permission, created, id, owner). A staff step is one with a permission: `> ''` is neither NULL nor
    empty, in one condition."""
    perms = list(user.get_all_permissions())
    base = _task_rows().filter(status__in=OPEN_STATUSES, owner_permission__gt="")
    mine = base.filter(owner=user, status=STATUS.ASSIGNED)
    queue = base.filter(owner__isnull=True, status=STATUS.NEW, owner_permission__in=perms)
    others = base.filter(status=STATUS.ASSIGNED, owner_permission__in=perms).exclude(owner=user)
    return mine.order_by("created", "pk"), queue.order_by("created", "pk"), others.order_by("created", "pk")


def tasks_for_applicant(*, user, organisations=None):
    """Open applicant steps (completion, final report) of the user's organisations. The organisations are named
    by a subquery of the processes (the task, the application process, the application and the memberships: four
    tables for PostgreSQL to plan, not six through viewflow's process and the organisation; at 100,000
    applications the plan of the six took some 3 ms, ten times as long as the query ran). `organisations`: the
    user's organisations as grants.selectors.organisations_for_user read them, when the caller has them: then
    filtered by their ids (the application's join serves the rows' titles too)."""
    if organisations is not None:
        ids = [organisation.pk for organisation in organisations]
        mine = _task_rows().filter(process__applicationprocess__application__organisation_id__in=ids)
    else:
        processes = ApplicationProcess.objects.filter(
            application__organisation_id__in=Membership.objects.filter(user=user).values("organisation_id"),
        ).values("pk")
        mine = _task_rows().filter(process_id__in=processes)
    return mine.filter(status__in=OPEN_STATUSES).filter(
        Q(owner_permission__isnull=True) | Q(owner_permission="")).order_by("created", "pk")


def step_links(rows) -> list[dict]:
    """[{url, step, application}] of (pk, flow task, application title) rows: a list of steps to take, each
    step's title and the untitled label translated once."""
    task_url, untitled, steps = url_for("workflows:task"), gettext("Untitled application"), {}
    links = []
    for pk, ref, title in rows:
        if ref not in steps:
            steps[ref] = str(getattr(flow_node(ref), "task_title", "") or "")
        links.append({"pk": pk, "url": task_url(pk), "step": steps[ref], "application": title or untitled})
    return links


def open_task_for_application(application):
    """The open human task of an application's process, if any."""
    return _human_tasks().filter(
        process__applicationprocess__application=application, status__in=OPEN_STATUSES
    ).first()


# What the case page shows of each task of its process (and of the open one, found among them).
CASE_TASK_FIELDS = ("flow_task", "flow_task_type", "status", "created", "finished", "owner_id", "owner_permission",
                    "process_id", "owner__full_name", "owner__email")


def tasks_of_application(application):
    return Task.objects.filter(process__applicationprocess__application=application).select_related(
        "owner"
    ).only(*CASE_TASK_FIELDS).order_by("created", "pk")


def open_task_among(tasks):
    """The open human task among an application's tasks (`tasks_of_application`, already read), as
    `open_task_for_application` finds it: the newest."""
    open_tasks = [task for task in tasks if task.flow_task_type == "HUMAN" and task.status in OPEN_STATUSES]
    return max(open_tasks, key=lambda task: (task.created, task.pk)) if open_tasks else None
