from django.contrib import messages
from django.http import HttpResponse
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from viewflow.workflow import chart

from common.paging import id_pages_of
from grants.selectors import FOLLOW_UP_PARTS, application_get_for_staff, application_parts_read
from grants.services import reports
from common.errors import NotAllowed
from workflows import selectors, services
from workflows.case_rows import (
    case_event_rows_html, case_mail_rows_html, case_task_rows_html, task_row_html, task_table_html,
)
from workflows.models import ApplicationProcess
from workflows.flows import ApplicationFlow


# Rows per page of each inbox list. The inbox shows three lists (four for a member of an organisation) one
# after the other, each in pages of its own: 25 rows each keep the page near 45 KB and the last list within
# reach (at 50 each the page was 150 rows, some 90 KB); a list's other pages stay one link away.
INBOX_PER_PAGE = 25


def _task_pages(request, lists) -> dict:
    """Pages of task lists: each counted and paged over the task table alone (its index), every list's count in
    one query and every page's ids in one (common.paging.id_pages_of), then the rows of every page with what
    they show loaded by id in one query, however long the lists. Each row's HTML is written once, in Python
    (workflows.case_rows.task_row_html). `lists`: {kind: (queryset, page parameter)}."""
    pages = id_pages_of(request, lists, per_page=INBOX_PER_PAGE)
    ids = {kind: page.object_list for kind, page in pages.items()}
    rows = selectors.task_rows([pk for kind_ids in ids.values() for pk in kind_ids])
    take, release = conditional_escape(_("Take")), conditional_escape(_("Release"))
    csrf = csrf_input(request)  # what {% csrf_token %} writes, written once for the rows' forms
    for kind, page in pages.items():
        page.object_list = [rows[pk] for pk in ids[kind] if pk in rows]
        page.rows_html = [task_row_html(row, kind=kind, take=take, release=release, csrf_input=csrf)
                          for row in page.object_list]
    return pages


@login_required
def inbox(request):
    """Each list in pages of INBOX_PER_PAGE rows with its own page parameter, so paging one leaves the others
    where they are."""
    mine, queue, others = selectors.tasks_for_staff(user=request.user)
    pages = _task_pages(request, {"mine": (mine, "mine"), "queue": (queue, "queue"), "others": (others, "others"),
                                  "applicant": (selectors.tasks_for_applicant(user=request.user), "org")})
    # Each list written whole in Python (workflows.case_rows.task_table_html), as workflows/task_table.html did.
    tables = [task_table_html(pages["mine"], kind="mine", caption=_("My tasks"),
                              empty=_("You have no tasks of your own.")),
              task_table_html(pages["queue"], kind="queue", caption=_("Waiting to be taken"),
                              empty=_("No tasks are waiting.")),
              task_table_html(pages["others"], kind="others", caption=_("Taken by colleagues"), empty=_("None."))]
    if pages["applicant"].paginator.count:
        tables.append(task_table_html(pages["applicant"], kind="applicant", caption=_("For your organisation"),
                                      empty=""))
    return render(request, "workflows/inbox.html", {
        "mine": pages["mine"], "queue": pages["queue"], "others": pages["others"],
        "applicant_tasks": pages["applicant"], "tables": tables,
    })


@login_required
def task_page(request, task_pk: int):
    task = selectors.task_get_for_user(user=request.user, pk=task_pk)
    return task.flow_task.view(request, task=task)


@login_required
@require_POST
def task_claim(request, task_pk: int):
    task = selectors.task_get_for_user(user=request.user, pk=task_pk)
    try:
        services.task_claim(task_pk=task.pk, user=request.user)
    except NotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("workflows:inbox")
    return redirect("workflows:task", task.pk)


@login_required
@require_POST
def task_release(request, task_pk: int):
    task = selectors.task_get_for_user(user=request.user, pk=task_pk)
    try:
        services.task_release(task_pk=task.pk, user=request.user)
    except NotAllowed as exc:
        messages.error(request, exc.message)
    return redirect("workflows:inbox")


# What the case page shows of its events, decisions and mails (their people by name only).
CASE_EVENT_FIELDS = ("application", "created_at", "kind", "message", "actor__full_name", "actor__email",
                     "subject__full_name", "subject__email")
CASE_DECISION_FIELDS = ("application", "outcome", "amount", "status", "decided_at", "letter", "corrects",
                        "decided_by__full_name", "decided_by__email", "approved_by__full_name", "approved_by__email")
CASE_MAIL_FIELDS = ("application", "created_at", "recipient", "rendered", "subject", "resent_from", "kind", "status",
                    "digest", "last_error", "attempts", "sent_at", "body_purged_at", "queued_by__full_name",
                    "queued_by__email")


@login_required
def case_detail(request, pk: int):
    application = application_get_for_staff(user=request.user, pk=pk)
    # What the facts, the attachments and the money tables show, and which final reports there are, in one query.
    application_parts_read(application, also=FOLLOW_UP_PARTS)
    # The process's tasks read once: the table, and the open one among them.
    tasks = list(selectors.tasks_of_application(application))
    open_task = selectors.open_task_among(tasks)
    events = list(application.events.select_related("actor", "subject").only(*CASE_EVENT_FIELDS))
    mails = list(application.outbox.select_related("queued_by").only(*CASE_MAIL_FIELDS))
    return render(request, "workflows/case_detail.html", {
        "application": application,
        "tasks": tasks,
        "events": events,
        "outbox": mails,
        # The rows of the history tables, written in Python (workflows.case_rows).
        "task_rows": case_task_rows_html(tasks),
        "event_rows": case_event_rows_html(events),
        "mail_rows": case_mail_rows_html(mails, application_pk=application.pk, csrf_input=csrf_input(request)),
        "decisions": application.decisions.select_related("decided_by", "approved_by").only(*CASE_DECISION_FIELDS),
        "payments": application.payments.all(),
        "repayments": application.repayments.all(),
        "ledger": application.ledger.all(),
        # The button to the open step only for someone who may open it (not the case officer on a final
        # report, not the secretary on an ex-ante check).
        "open_task": open_task if open_task and services.user_may_see_task(
            request.user, open_task, organisation_id=application.organisation_id) else None,
        "current_step": open_task.flow_task.task_title if open_task else "",
        "report_detail": reports.latest_report_detail(application),
    })


@login_required
@require_GET
def case_diagram(request, pk: int):
    """The workflow as viewflow draws it (SVG), with this case's steps coloured by state: the open step is the
    current one. Shown as an image on the case page; its own styles stay inside the image."""
    application = application_get_for_staff(user=request.user, pk=pk)
    grid = chart.calc_layout_data(ApplicationFlow)
    process = ApplicationProcess.objects.filter(application=application).only("pk").first()
    if process is not None:
        chart.calc_cell_status(ApplicationFlow, grid, process.pk)
    response = HttpResponse(chart.grid_to_svg(grid), content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
