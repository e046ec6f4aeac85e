from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from reviewers.models import Assignment
from common.formatting import day
from common.paging import page_of, url_for
from reviewers import rows
from reviewers.services import settings_for_fund
from grants.models import Decision
from reviewers.models import Review


# What the reviewer's list shows of an assignment; the application's texts are never loaded there.
TODO_FIELDS = ("pk", "status", "deadline", "application__title", "application__organisation__name",
               "application__call__fund__name")
DONE_FIELDS = ("pk", "application__title", "application__organisation__name")


@dataclass(slots=True)
class AssignmentRow:
    """What a row of the reviewer's list shows, as plain values (no model instances)."""

    pk: int
    title: str
    organisation: str
    url: str
    status: str = ""
    deadline: date | None = None
    fund: str = ""
    status_text: str = ""
    deadline_text: str = ""
    overdue: bool = False
    due_soon: bool = False


def assignments_for_reviewer(*, user, request):
    """The reviewer's own page: to do (due soon and overdue flagged and counted) and done, each in pages
    of 50 (parameters `todo` and `done`), earliest deadline first. Nothing else. Four queries, however
    many assignments there are: the counts, and the rows of each page, read as the columns shown; each row's
    HTML written once, in Python (reviewers.rows)."""
    today = timezone.localdate()
    soon = today + timedelta(days=3)
    mine = Assignment.objects.filter(reviewer=user).order_by("deadline", "pk")
    is_open = Q(status__in=Assignment.OPEN)
    counts = Assignment.objects.filter(reviewer=user).aggregate(
        todo=Count("pk", filter=is_open), done=Count("pk", filter=Q(status=Assignment.Status.SUBMITTED)),
        overdue=Count("pk", filter=is_open & Q(deadline__lt=today)),
        due_soon=Count("pk", filter=is_open & Q(deadline__gte=today, deadline__lte=soon)))
    todo = page_of(request, mine.filter(is_open).values_list(*TODO_FIELDS), param="todo", count=counts["todo"])
    done = page_of(request, mine.filter(status=Assignment.Status.SUBMITTED).values_list(*DONE_FIELDS), param="done",
                   count=counts["done"])
    # What the rows show, written once per page: the link (reversed once), the status's label (translated once),
    # each deadline's day once.
    assignment_url = url_for("reviewers:assignment")
    labels = {value: str(label) for value, label in Assignment.Status.choices}
    days = {}
    todo.object_list = [
        AssignmentRow(pk, title, organisation, assignment_url(pk), status, deadline, fund,
                      labels.get(status, status), days.get(deadline) or days.setdefault(deadline, day(deadline)),
                      deadline < today, today <= deadline <= soon)
        for pk, status, deadline, title, organisation, fund in todo.object_list]
    done.object_list = [AssignmentRow(pk, title, organisation, assignment_url(pk))
                        for pk, title, organisation in done.object_list]
    texts = rows.row_texts()
    todo.rows_html = [rows.todo_row_html(row, texts) for row in todo.object_list]
    done.rows_html = [rows.done_row_html(row) for row in done.object_list]
    return {"todo": todo, "due_soon": [a for a in todo if a.due_soon], "overdue": [a for a in todo if a.overdue],
            "done": done, "overdue_count": counts["overdue"], "due_soon_count": counts["due_soon"]}


def assignment_get_for_reviewer(*, user, pk: int) -> Assignment:
    # The scoring page shows the organisation's municipality: joined, not read on its own.
    assignment = Assignment.objects.select_related("application__organisation__municipality",
                                                   "application__call__fund", "rubric").filter(
        pk=pk, reviewer=user).first()
    if assignment is None or assignment.status in (Assignment.Status.CONFLICT, Assignment.Status.REMOVED):
        raise Http404
    return assignment


def reviewer_may_see_others(*, user, application, assignment=None) -> bool:
    """Blind until submitted: only a reviewer who has submitted, and only if the fund allows it. `assignment`: the
    user's assignment to the application (one at most), where the caller has read it already."""
    if assignment is not None and assignment.reviewer_id == user.pk and assignment.application_id == application.pk:
        submitted = assignment.status == Assignment.Status.SUBMITTED
    else:
        submitted = Assignment.objects.filter(application=application, reviewer=user,
                                              status=Assignment.Status.SUBMITTED).exists()
    return submitted and settings_for_fund(application.call.fund).show_others_after_submit


def summaries_for_applicant(*, application) -> list[dict]:
    """The reviewers' summaries for the applicant, once the decision is in effect: numbered in the order
    the reviews were submitted ("Reviewer 1", "Reviewer 2"), never with a name, e-mail or score."""
    if not application.decisions.filter(status=Decision.Status.EFFECTIVE).exists():
        return []
    summaries = (Review.objects.filter(application=application, submitted_at__isnull=False)
                 .exclude(summary="").order_by("submitted_at", "pk").values_list("summary", flat=True))
    return [{"number": number, "summary": summary} for number, summary in enumerate(summaries, start=1)]
