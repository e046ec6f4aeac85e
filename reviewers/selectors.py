from datetime import timedelta

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from reviewers.models import Assignment
from common.paging import page_of, url_for
from reviewers.services import settings_for_fund
from grants.models import Decision
from reviewers.models import Review


# What the reviewer's list shows of an assignment; the application's texts are never loaded there.
ASSIGNMENT_ROW_FIELDS = ("status", "deadline", "application__title", "application__organisation__name",
                         "application__call__fund__name")


def assignments_for_reviewer(*, user, request):
    """The reviewer's own page: to do (due soon and overdue flagged and counted) and done, each in pages
    of 50 (parameters `todo` and `done`), earliest deadline first. Nothing else. Four queries, however
    many assignments there are: the counts, and the rows of each page."""
    today = timezone.localdate()
    soon = today + timedelta(days=3)
    mine = (Assignment.objects.filter(reviewer=user)
            .select_related("application__organisation", "application__call__fund")
            .only(*ASSIGNMENT_ROW_FIELDS).order_by("deadline", "pk"))
    is_open = Q(status__in=Assignment.OPEN)
    counts = Assignment.objects.filter(reviewer=user).aggregate(
        todo=Count("pk", filter=is_open), done=Count("pk", filter=Q(status=Assignment.Status.SUBMITTED)),
        overdue=Count("pk", filter=is_open & Q(deadline__lt=today)),
        due_soon=Count("pk", filter=is_open & Q(deadline__gte=today, deadline__lte=soon)))
    todo = page_of(request, mine.filter(is_open), param="todo", count=counts["todo"])
    done = page_of(request, mine.filter(status=Assignment.Status.SUBMITTED), param="done", count=counts["done"])
    # What the rows show, written once per page: the link (reversed once), the status's label (translated once).
    assignment_url = url_for("reviewers:assignment")
    labels = {value: str(label) for value, label in Assignment.Status.choices}
    for assignment in [*todo, *done]:
        assignment.url = assignment_url(assignment.pk)
        assignment.status_text = labels.get(assignment.status, assignment.status)
    for assignment in todo:
        assignment.overdue = assignment.deadline < today
        assignment.due_soon = not assignment.overdue and assignment.deadline <= soon
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
