"""The review's writes that need the case's process lock: asking a reviewer, moving a deadline, declaring a
conflict, saving a review, closing the review. Each takes the lock here (workflows.locks), lets
reviewers.services do the work, and when reviewers report that every asked reviewer has answered (or the
case officer closed the review), moves the process on to the decision (review_finished). Reviewers never
advance the flow themselves.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from reviewers import services as reviews
from reviewers.models import Assignment, Review
from workflows.locks import case_lock
from workflows.services.steps import review_finished


def _locked(application_id: int):
    return case_lock(application_id, not_started=_("The application has not been submitted."))


def assignment_add(*, application_id: int, reviewer, user) -> Assignment:
    """The case officer asks a particular reviewer (reviewers.services.assignment_add, under the lock)."""
    if not user.has_perm("grants.check_application"):
        raise PermissionDenied
    with _locked(application_id):
        return reviews.assignment_add(application_id=application_id, reviewer=reviewer, user=user)


def assignment_deadline_set(*, assignment_id: int, user, deadline) -> Assignment:
    """The case officer moves one open assignment's deadline (reviewers.services.assignment_deadline_set)."""
    if not user.has_perm("grants.check_application"):
        raise PermissionDenied
    application_id = Assignment.objects.values_list("application_id", flat=True).get(pk=assignment_id)
    with _locked(application_id):
        return reviews.assignment_deadline_set(assignment_id=assignment_id, user=user, deadline=deadline)


def assignment_declare(*, assignment_id: int, user, conflict: bool, reason: str = "") -> Assignment:
    """The reviewer declares no conflict, or a conflict with a reason (reviewers.services.assignment_declare);
    a conflict that leaves every other asked reviewer answered moves the case on to the decision."""
    if conflict and not reason.strip():
        raise ValidationError({"reason": _("Describe the conflict of interest.")})
    with _locked(Assignment.objects.get(pk=assignment_id).application_id) as process:
        assignment, answered = reviews.assignment_declare(assignment_id=assignment_id, user=user,
                                                          conflict=conflict, reason=reason)
        if answered is not None:
            review_finished(application=answered, process=process, user=user)
        return assignment


def review_save(*, assignment_id: int, user, version: int, scores: dict, recommendation: str = "",
                summary: str = "", submit: bool = False) -> Review:
    """Save or submit a review (reviewers.services.review_save); the last review in moves the case on."""
    application_id = Assignment.objects.get(pk=assignment_id).application_id
    with _locked(application_id) as process:
        review, answered = reviews.review_save(assignment_id=assignment_id, user=user, version=version,
                                               scores=scores, recommendation=recommendation, summary=summary,
                                               submit=submit)
        if answered is not None:
            review_finished(application=answered, process=process, user=user)
        return review


def review_close(*, application_id: int, user):
    """The case officer ends the review at the fund's quorum (reviewers.services.review_close); the case
    moves on to the decision."""
    if not user.has_perm("grants.check_application"):
        raise PermissionDenied
    with _locked(application_id) as process:
        application = reviews.review_close(application_id=application_id, user=user)
        review_finished(application=application, process=process, user=user)
        return application
