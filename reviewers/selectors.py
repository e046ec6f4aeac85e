from datetime import timedelta

from django.http import Http404
from django.utils import timezone

from reviewers.models import Assignment


def assignments_for_reviewer(*, user):
    """The reviewer's own page: to do (due soon and overdue flagged) and done. Nothing else."""
    mine = Assignment.objects.filter(reviewer=user).select_related(
        "application", "application__organisation", "application__call__fund").order_by("deadline", "pk")
    today = timezone.localdate()
    todo = [a for a in mine if a.status in Assignment.OPEN]
    for assignment in todo:
        assignment.overdue = assignment.deadline < today
        assignment.due_soon = not assignment.overdue and assignment.deadline <= today + timedelta(days=3)
    return {"todo": todo, "due_soon": [a for a in todo if a.due_soon], "overdue": [a for a in todo if a.overdue],
            "done": [a for a in mine if a.status == Assignment.Status.SUBMITTED]}


def assignment_get_for_reviewer(*, user, pk: int) -> Assignment:
    assignment = Assignment.objects.select_related("application__organisation", "application__call__fund",
                                                   "rubric").filter(pk=pk, reviewer=user).first()
    if assignment is None or assignment.status in (Assignment.Status.CONFLICT, Assignment.Status.REMOVED):
        raise Http404
    return assignment


def reviewer_may_see_others(*, user, application) -> bool:
    """Blind until submitted: only a reviewer who has submitted, and only if the fund allows it."""
    from reviewers.services import settings_for_fund

    mine = Assignment.objects.filter(application=application, reviewer=user, status=Assignment.Status.SUBMITTED)
    return mine.exists() and settings_for_fund(application.call.fund).show_others_after_submit


def summaries_for_applicant(*, application) -> list[dict]:
    """The reviewers' summaries for the applicant, once the decision is in effect: numbered in the order
    the reviews were submitted ("Reviewer 1", "Reviewer 2"), never with a name, e-mail or score."""
    from grants.models import Decision
    from reviewers.models import Review

    if not application.decisions.filter(status=Decision.Status.EFFECTIVE).exists():
        return []
    summaries = (Review.objects.filter(application=application, submitted_at__isnull=False)
                 .exclude(summary="").order_by("submitted_at", "pk").values_list("summary", flat=True))
    return [{"number": number, "summary": summary} for number, summary in enumerate(summaries, start=1)]
