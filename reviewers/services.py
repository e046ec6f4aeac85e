"""Writes for review: rubrics, assignment (manual and automatic), conflict declarations, reviews, closing."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import User
from grants.models import Application, Event
from grants.selectors import user_is_contact
from grants.services.applications import NotAllowed, event_record
from notifications.services import notification_queue
from reviewers.models import Assignment, Review, ReviewRevision, ReviewSettings, Rubric, Score


class ReviewConflict(NotAllowed):
    """The review changed since it was opened (another tab)."""


# -- rubrics and settings -------------------------------------------------------------------------

def rubric_copy(*, rubric: Rubric, fund, version: int, name: str | None = None) -> Rubric:
    new = Rubric.objects.create(fund=fund, version=version, name=name or rubric.name)
    for criterion in rubric.criteria.all():
        criterion.pk = None
        criterion.rubric = new
        criterion.save()
    return new


@transaction.atomic
def rubric_for_fund(fund) -> Rubric:
    """The fund's newest rubric; a fund without one starts from a copy of the default rubric."""
    rubric = Rubric.objects.filter(fund=fund).order_by("-version").first()
    if rubric is None:
        default = Rubric.objects.filter(fund__isnull=True).order_by("-version").first()
        rubric = rubric_copy(rubric=default, fund=fund, version=1)
    return rubric


@transaction.atomic
def rubric_new_version(*, rubric: Rubric) -> Rubric:
    """A new, editable version of a rubric (the used one stays as it was)."""
    latest = Rubric.objects.select_for_update().filter(fund=rubric.fund).order_by("-version").first()
    return rubric_copy(rubric=rubric, fund=rubric.fund, version=latest.version + 1)


def settings_for_fund(fund) -> ReviewSettings:
    review_settings, _created = ReviewSettings.objects.get_or_create(fund=fund)
    return review_settings


# -- assignment ----------------------------------------------------------------------------------

def _pool(review_settings: ReviewSettings):
    pool = review_settings.reviewers.filter(is_active=True)
    if not pool.exists():  # no pool chosen: everyone with the reviewer role
        pool = User.objects.filter(groups__name=roles.REVIEWER, is_active=True)
    return pool


def _notify_assigned(assignment):
    notification_queue(user=assignment.reviewer, kind="review_assigned", stage=f"assignment-{assignment.pk}",
                       application=assignment.application,
                       link=reverse("reviewers:assignment", args=[assignment.pk]),
                       context={"assignment": assignment})


def rubric_for_application(application) -> Rubric:
    """The rubric an application is reviewed with: the one its first assignment got, so every reviewer
    (a replacement too) scores against the same version even if a new one is published mid-review."""
    first = application.assignments.select_related("rubric").order_by("pk").first()
    return first.rubric if first is not None else rubric_for_fund(application.call.fund)


def _new_assignment(*, application, reviewer, rubric, review_settings, user=None) -> Assignment:
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, rubric=rubric, assigned_by=user,
        deadline=timezone.localdate() + timedelta(days=review_settings.deadline_days),
    )
    # Staff-only (never shown to the applicant): who was asked, by whom (no one: automatically).
    event_record(application=application, kind=Event.Kind.REVIEWER_ASSIGNED, actor=user, subject=reviewer)
    _notify_assigned(assignment)
    return assignment


def assignments_fill(*, application: Application, user=None) -> list[Assignment]:
    """Assign reviewers until the fund's number is reached, taking those with the least open work first.

    Never a reviewer who declared a conflict or was already asked, never a contact of the applying
    organisation. Serialised per fund (row lock on its review settings) so loads stay balanced.
    """
    fund = application.call.fund
    settings_for_fund(fund)
    review_settings = ReviewSettings.objects.select_for_update().get(fund=fund)
    rubric = rubric_for_application(application)
    counting = application.assignments.filter(status__in=[*Assignment.OPEN, Assignment.Status.SUBMITTED]).count()
    missing = review_settings.reviewers_per_application - counting
    if missing <= 0:
        return []
    candidates = (
        _pool(review_settings)
        .exclude(assignments__application=application)
        .exclude(membership__organisation_id=application.organisation_id)
        .annotate(open_load=Count("assignments", filter=Q(assignments__status__in=Assignment.OPEN), distinct=True))
        .order_by("open_load", "pk")[:missing]
    )
    return [_new_assignment(application=application, reviewer=reviewer, rubric=rubric,
                            review_settings=review_settings) for reviewer in candidates]


def assignment_add(*, application_id: int, reviewer, user) -> Assignment:
    """The case officer asks a particular reviewer. The caller holds the process lock
    (workflows.services.reviews.assignment_add).

    Takes the same locks, in the same order, as automatic assignment (the process, then the fund's
    review settings), so asking someone by hand never races a replacement into a duplicate.
    """
    application = Application.objects.select_for_update().select_related("call__fund").get(pk=application_id)
    if application.status != Application.Status.REVIEW:
        raise NotAllowed(_("Reviewers can only be added while the application is under review."))
    if not reviewer.has_perm("reviewers.review_application"):
        raise ValidationError({"reviewer": _("This person is not a reviewer.")})
    if user_is_contact(reviewer, organisation_id=application.organisation_id):
        raise ValidationError({"reviewer": _("A contact of the applying organisation cannot review it.")})
    settings_for_fund(application.call.fund)
    review_settings = ReviewSettings.objects.select_for_update().get(fund=application.call.fund)
    if application.assignments.filter(reviewer=reviewer).exists():
        raise ValidationError({"reviewer": _("This reviewer has already been asked.")})
    return _new_assignment(application=application, reviewer=reviewer,
                           rubric=rubric_for_application(application), review_settings=review_settings,
                           user=user)


def assignment_deadline_set(*, assignment_id: int, user, deadline) -> Assignment:
    """The case officer moves one open assignment's deadline (the fund's number of days stays the default).
    Kept in the audit trail. The caller holds the process lock (workflows.services.reviews)."""
    assignment = Assignment.objects.select_for_update().select_related("application", "reviewer").get(
        pk=assignment_id)
    if assignment.application.status != Application.Status.REVIEW or assignment.status not in Assignment.OPEN:
        raise NotAllowed(_("Only an open review's deadline can change."))
    if deadline is None or deadline < timezone.localdate():
        raise ValidationError({"deadline": _("Choose today or a later day.")})
    if deadline == assignment.deadline:
        return assignment
    old = assignment.deadline
    assignment.deadline = deadline
    assignment.save(update_fields=["deadline"])
    event_record(application=assignment.application, kind=Event.Kind.REVIEW_DEADLINE_CHANGED, actor=user,
                 subject=assignment.reviewer, message=f"{old.isoformat()} → {deadline.isoformat()}")
    return assignment


def assignment_declare(*, assignment_id: int, user, conflict: bool,
                       reason: str = "") -> tuple[Assignment, Application | None]:
    """The reviewer declares no conflict (and may then see the application) or a conflict with a reason
    (and is replaced by the next reviewer). Kept in the audit trail either way. Returns the assignment and,
    when every asked reviewer has now answered (`all_answered`), the application (else None). The caller
    holds the process lock (workflows.services.reviews.assignment_declare) and moves the process on."""
    assignment = Assignment.objects.select_for_update().select_related("application__call__fund").get(
        pk=assignment_id)
    if assignment.reviewer_id != user.pk:
        raise PermissionDenied
    if assignment.status != Assignment.Status.DECLARING:
        return assignment, None  # already declared
    assignment.declared_at = timezone.now()
    application = assignment.application
    if conflict:
        assignment.status = Assignment.Status.CONFLICT
        assignment.conflict_reason = reason
        assignment.save(update_fields=["status", "declared_at", "conflict_reason"])
        event_record(application=application, kind=Event.Kind.CONFLICT_DECLARED, actor=user, message=reason)
        assignments_fill(application=application)
        return assignment, application if all_answered(application) else None
    assignment.status = Assignment.Status.ACTIVE
    assignment.save(update_fields=["status", "declared_at"])
    event_record(application=application, kind=Event.Kind.NO_CONFLICT_DECLARED, actor=user)
    return assignment, None


# -- reviews -------------------------------------------------------------------------------------

def _content(review: Review) -> dict:
    return {
        "recommendation": review.recommendation, "summary": review.summary,
        "scores": {s.criterion.code: {"score": s.score, "na": s.not_applicable, "comment": s.comment}
                   for s in review.scores.select_related("criterion")},
    }


def review_save(*, assignment_id: int, user, version: int, scores: dict, recommendation: str = "",
                summary: str = "", submit: bool = False) -> tuple[Review, Application | None]:
    """Save a review (a draft, or submitted). `scores` maps criterion id to (score or None, n/a, comment).

    `version` is the review's version when the form was opened, 0 when there was no review yet. It is
    always checked: a save from a form opened on an older version (another tab, another window, or
    no version at all) is refused with ReviewConflict, so two saves never overwrite each other.
    A submitted review can change until the decision; each change keeps a revision.
    Returns the review and, when every asked reviewer has now answered (`all_answered`), the application
    (else None). The caller holds the process lock (workflows.services.reviews.review_save) and moves the
    process on.
    """
    assignment = Assignment.objects.select_for_update().select_related("application").get(pk=assignment_id)
    if assignment.reviewer_id != user.pk:
        raise PermissionDenied
    application = assignment.application
    if assignment.status not in (Assignment.Status.ACTIVE, Assignment.Status.SUBMITTED):
        raise NotAllowed(_("Declare first that you have no conflict of interest."))
    if application.status not in (Application.Status.REVIEW, Application.Status.DECISION):
        raise NotAllowed(_("The decision has been made; the review can no longer change."))
    review, _created = Review.objects.select_for_update().get_or_create(
        assignment=assignment,
        defaults={"application": application, "reviewer": user, "no_conflict_declared": True, "version": 0})
    if version != review.version:  # a review created just now is version 0 (rolled back if refused)
        raise ReviewConflict(_("Your review was saved from another window after you opened this one, so "
                               "this save was refused. What you typed is still below: copy it, then reload "
                               "the page to see the saved version."))
    criteria = list(assignment.rubric.criteria.filter(is_active=True))
    if submit or review.is_submitted:
        errors = {f"score_{c.pk}": _("Give a score from 0 to 5, or mark it not applicable.")
                  for c in criteria if scores.get(c.pk, (None, False, ""))[0] is None
                  and not scores.get(c.pk, (None, False, ""))[1]}
        if not recommendation:
            errors["recommendation"] = _("Choose a recommendation.")
        if errors:
            raise ValidationError(errors)
    if review.is_submitted:
        ReviewRevision.objects.create(review=review, version=review.version, content=_content(review),
                                      changed_by=user)
        event_record(application=application, kind=Event.Kind.REVIEW_CHANGED, actor=user)
    review.recommendation, review.summary = recommendation, summary
    review.version += 1
    first_submission = submit and not review.is_submitted
    if first_submission:
        review.submitted_at = timezone.now()
    review.save()
    Score.objects.filter(review=review).delete()
    Score.objects.bulk_create(
        Score(review=review, criterion=c, score=None if scores.get(c.pk, (None,))[0] is None
              else scores[c.pk][0], not_applicable=bool(scores.get(c.pk, (None, False))[1])
              and scores[c.pk][0] is None, comment=scores.get(c.pk, (None, False, ""))[2] or "")
        for c in criteria
    )
    if first_submission:
        assignment.status = Assignment.Status.SUBMITTED
        assignment.save(update_fields=["status"])
        event_record(application=application, kind=Event.Kind.REVIEWED, actor=user)
        return review, application if all_answered(application) else None
    return review, None


def review_close(*, application_id: int, user) -> Application:
    """The case officer ends the review with at least the fund's quorum of reviews; open assignments end.
    The caller holds the process lock and then moves the process on (workflows.services.reviews.review_close)."""
    application = Application.objects.select_for_update().select_related("call__fund").get(pk=application_id)
    if application.status != Application.Status.REVIEW:
        raise NotAllowed(_("The application is not under review."))
    quorum = settings_for_fund(application.call.fund).quorum
    done = application.assignments.filter(status=Assignment.Status.SUBMITTED).count()
    if done < quorum:
        raise NotAllowed(_("At least %(quorum)s review(s) are needed; %(done)s are in.")
                         % {"quorum": quorum, "done": done})
    unanswered = application.assignments.filter(status__in=Assignment.OPEN).select_related("reviewer")
    reviewers = [a.reviewer for a in unanswered]
    unanswered.update(status=Assignment.Status.REMOVED)
    for reviewer in reviewers:  # staff-only: whose requests ended unanswered (one event each, by reference)
        event_record(application=application, kind=Event.Kind.REVIEWS_ENDED, actor=user, subject=reviewer)
    return application


# -- has every asked reviewer answered ------------------------------------------------------------------

def all_answered(application) -> bool:
    """Whether the review round is complete: under review, no assignment still open, at least one review in.
    Reviewers report it; the workflow moves the process on (workflows.services.reviews)."""
    if application.status != Application.Status.REVIEW:
        return False
    assignments = application.assignments
    if assignments.filter(status__in=Assignment.OPEN).exists():
        return False
    return assignments.filter(status=Assignment.Status.SUBMITTED).exists()


# -- the summary for the decision -------------------------------------------------------------------

TWO_PLACES = Decimal("0.01")


def rounded(value: Fraction | None) -> Decimal | None:
    """An exact mean or total for display: two decimals, halves up."""
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def review_summary(application) -> dict:
    """Per criterion mean and spread, the weighted total, failed minimums, disagreement, recommendations.

    Means leave out "not applicable"; the weighted total is the weight-averaged mean over the criteria
    that have a mean (0–5 scale); a spread of 2 points or more is flagged as disagreement. Means and
    the total are computed exactly (`mean_exact`, `weighted_total_exact`, fractions) and rounded to two
    decimals only for display (`mean`, `weighted_total`); a minimum is compared with the exact mean.
    """
    # The criteria read apart from the scores (by key, each once), not joined to every score: a join makes
    # PostgreSQL hash the whole, wide criterion table.
    reviews = list(application.reviews.filter(submitted_at__isnull=False).select_related("reviewer")
                   .prefetch_related("scores__criterion"))
    criteria = {}
    for number, review in enumerate(reviews, start=1):
        for score in review.scores.all():
            row = criteria.setdefault(score.criterion_id, {"criterion": score.criterion, "scores": [], "na": 0,
                                                            "comments": [], "reviewer_comments": []})
            if score.not_applicable or score.score is None:
                row["na"] += 1
            else:
                row["scores"].append(score.score)
            if score.comment:
                row["comments"].append(score.comment)
                row["reviewer_comments"].append((number, review, score.comment))
    rows = []
    for row in sorted(criteria.values(), key=lambda r: (r["criterion"].position, r["criterion"].pk)):
        values = row["scores"]
        mean_exact = Fraction(sum(values), len(values)) if values else None
        spread = (max(values) - min(values)) if values else None
        minimum = row["criterion"].minimum
        rows.append({
            **row, "mean_exact": mean_exact, "mean": rounded(mean_exact), "spread": spread, "n": len(values),
            "disagreement": spread is not None and spread >= 2,
            "below_minimum": minimum is not None and mean_exact is not None and mean_exact < minimum,
        })
    weighted = [(r["mean_exact"], r["criterion"].weight) for r in rows if r["mean_exact"] is not None]
    total_weight = sum(w for _m, w in weighted)
    total_exact = sum((m * w for m, w in weighted), Fraction(0)) / total_weight if total_weight else None
    recommendations = {}
    for review in reviews:
        recommendations[review.recommendation] = recommendations.get(review.recommendation, 0) + 1
    return {
        "reviews": reviews, "rows": rows, "weighted_total": rounded(total_exact),
        "weighted_total_exact": total_exact,
        "minimums_failed": [r["criterion"] for r in rows if r["below_minimum"]],
        "disagreement": [r["criterion"] for r in rows if r["disagreement"]],
        "recommendations": recommendations,
    }
