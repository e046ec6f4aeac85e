import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from common.formatting import excel_cell
from grants.forms.applications import add_service_errors
from grants.selectors import application_get_for_staff, application_parts_read
from common.errors import NotAllowed
from reviewers import selectors, services
from reviewers.forms import AssignForm, DeadlineForm, DeclarationForm, ReviewForm
from reviewers.models import Assignment
from workflows import services as flow_services
from grants.models import Application


@login_required
def home(request):
    if not request.user.has_perm("reviewers.review_application"):
        raise PermissionDenied
    return render(request, "reviewers/home.html", selectors.assignments_for_reviewer(user=request.user, request=request))


@login_required
def assignment(request, pk: int):
    """Declare first (title and organisation only); then the application and the scoring form."""
    assignment = selectors.assignment_get_for_reviewer(user=request.user, pk=pk)
    if assignment.status == Assignment.Status.DECLARING:
        return _declaration(request, assignment)
    review = getattr(assignment, "review", None)
    criteria = assignment.rubric.criteria.filter(is_active=True)
    form = ReviewForm(request.POST or None, criteria=criteria, review=review)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                flow_services.review_save(
                    assignment_id=assignment.pk, user=request.user, version=form.cleaned_data["version"],
                    scores=form.scores(), recommendation=form.cleaned_data["recommendation"],
                    summary=form.cleaned_data["summary"], submit=submit or (review is not None and review.is_submitted),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except services.ReviewConflict as exc:
                form.add_error(None, exc.message)
                status = 409
            except NotAllowed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your review is submitted.") if submit else _("Your review is saved."))
                return redirect("reviewers:assignment", assignment.pk)
        status = status if status != 200 else 400
    application = assignment.application
    application_parts_read(application)  # what the facts and the attachments show, in one query
    may_see_others = selectors.reviewer_may_see_others(user=request.user, application=application,
                                                       assignment=assignment)
    return render(request, "reviewers/assignment.html", {
        "assignment": assignment, "application": application, "form": form, "review": review,
        "summary": services.review_summary(application) if may_see_others else None,
        "may_change": application.status in ("review", "decision"),
    }, status=status)


def _declaration(request, assignment):
    form = DeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flow_services.assignment_declare(assignment_id=assignment.pk, user=request.user,
                                        conflict=form.cleaned_data["conflict"], reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            if form.cleaned_data["conflict"]:
                messages.success(request, _("Thank you. Someone else will review this application."))
                return redirect("reviewers:home")
            return redirect("reviewers:assignment", assignment.pk)
    return render(request, "reviewers/declare.html", {"assignment": assignment, "form": form},
                  status=400 if form.errors else 200)


def _summary_allowed(request, application):
    if request.user.has_perm("grants.view_all_applications"):
        return application_get_for_staff(user=request.user, pk=application.pk)
    if selectors.reviewer_may_see_others(user=request.user, application=application):
        return application
    raise Http404


def csv_cell(value) -> str:
    """A cell as Swedish Excel reads it (common.formatting.excel_cell): decimal comma; one that would start a
    formula gets a leading apostrophe."""
    return excel_cell(value)


@login_required
def summary_csv(request, application_pk: int):
    """The review summary as CSV: one row per criterion, the weighted total, one row per review, then
    every comment per criterion. Means and the total are rounded for display only (computed exactly)."""
    application = Application.objects.filter(pk=application_pk).first()
    if application is None:
        raise Http404
    application = _summary_allowed(request, application)
    summary = services.review_summary(application)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bedomningar-{application.case_number or application.pk}.csv"'
    response.write("\ufeff")  # so Excel reads UTF-8
    writer = csv.writer(response, delimiter=";")

    def row(*cells):
        writer.writerow([csv_cell(cell) for cell in cells])

    row(_("Criterion"), _("Weight"), _("Mean"), _("Spread"), _("Scores"), _("Not applicable"), _("Below minimum"),
        _("Disagreement"))
    for r in summary["rows"]:
        row(r["criterion"].name, r["criterion"].weight, r["mean"], r["spread"], " ".join(map(str, r["scores"])),
            r["na"], int(r["below_minimum"]), int(r["disagreement"]))
    row(_("Weighted total"), "", summary["weighted_total"])
    writer.writerow([])
    row(_("Reviewer"), _("Recommendation"), _("Summary"))
    for review in summary["reviews"]:
        row(review.reviewer.get_full_name(), review.get_recommendation_display(), review.summary)
    writer.writerow([])
    row(_("Criterion"), _("Reviewer"), _("Comment"))
    for r in summary["rows"]:
        for _number, review, comment in r["reviewer_comments"]:
            row(r["criterion"].name, review.reviewer.get_full_name(), comment)
    return response


@login_required
def case_reviews(request, application_pk: int):
    """For the case officer: who is asked, who has answered, add a reviewer, close the review."""
    application = application_get_for_staff(user=request.user, pk=application_pk)
    may_manage = request.user.has_perm("grants.check_application") and application.status == "review"
    reviewers = User.objects.filter(groups__name="reviewer", is_active=True).exclude(
        assignments__application=application).exclude(membership__organisation_id=application.organisation_id)
    form = AssignForm(request.POST or None, reviewers=reviewers)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                flow_services.assignment_add(application_id=application.pk, reviewer=form.cleaned_data["reviewer"],
                                        user=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except NotAllowed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The reviewer is asked."))
                return redirect("reviewers:case_reviews", application.pk)
    return render(request, "reviewers/case_reviews.html", {
        "application": application, "form": form, "may_manage": may_manage,
        "assignments": application.assignments.select_related("reviewer").order_by("assigned_at"),
        "summary": services.review_summary(application),
        "quorum": services.settings_for_fund(application.call.fund).quorum,
        "open_statuses": Assignment.OPEN,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def review_close(request, application_pk: int):
    application = application_get_for_staff(user=request.user, pk=application_pk)
    try:
        flow_services.review_close(application_id=application.pk, user=request.user)
    except NotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The review is closed; the application waits for the decision."))
    return redirect("reviewers:case_reviews", application.pk)


@login_required
def assignment_deadline(request, application_pk: int, pk: int):
    """The case officer moves one reviewer's deadline; the fund's number of days stays the default."""
    application = application_get_for_staff(user=request.user, pk=application_pk)
    if not request.user.has_perm("grants.check_application"):
        raise PermissionDenied
    assignment = Assignment.objects.select_related("reviewer").filter(pk=pk, application=application).first()
    if assignment is None:
        raise Http404
    form = DeadlineForm(request.POST or None, initial={"deadline": assignment.deadline})
    if request.method == "POST" and form.is_valid():
        try:
            flow_services.assignment_deadline_set(assignment_id=assignment.pk, user=request.user,
                                             deadline=form.cleaned_data["deadline"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except NotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The deadline is changed."))
            return redirect("reviewers:case_reviews", application.pk)
    return render(request, "reviewers/assignment_deadline.html", {
        "application": application, "assignment": assignment, "form": form,
        "may_change": application.status == "review" and assignment.status in Assignment.OPEN,
    }, status=400 if form.errors else 200)
