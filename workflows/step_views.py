"""The page of each human step. `workflows.views.task_page` finds the task (404 for
anyone who may not see it) and calls the view of the task's node with it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants.services import reports
from grants.forms.applications import ApplicationEditor, add_service_errors
from grants.models import Attachment, CheckItemResult, ChecklistItem
from grants.forms.reports import FinalReportEditor
from grants.selectors import application_parts_read, fund_year_with_balance
from common.errors import EditConflict, NotAllowed
from reviewers.services import review_summary
from workflows import forms, services
from workflows.selectors import task_get_for_user


def _render_step(request, task, form, *, template="workflows/step.html", **context):
    application = task.process.coerced.application
    # What the facts, the attachments and the ex-ante checks show, in one query.
    application_parts_read(application, also=("checks",))
    return render(request, template, {
        "task": task, "form": form, "application": application,
        "may_do": services.user_may_do_task(request.user, task),
        "checks": application.checks.all(),
        **context,
    }, status=400 if form.is_bound and form.errors else 200)


def _handle(request, task, form, perform, success_message, **context):
    """GET shows the form; POST validates, runs the service and redirects (POST/redirect/GET)."""
    if request.method == "POST":
        if not services.user_may_do_task(request.user, task):
            return HttpResponseForbidden(_("You cannot do this step."))
        if form.is_valid():
            try:
                perform(form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except NotAllowed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, success_message)
                if services.task_is_applicants(task):
                    return redirect("grants:application_detail", task.process.coerced.application_id)
                return redirect("workflows:inbox")
    return _render_step(request, task, form, **context)


def exante_check(request, task):
    application = task.process.coerced.application
    items = ChecklistItem.objects.filter(fund_id=application.call.fund_id, is_active=True)
    previous = application.checks.order_by("-checked_at", "-pk").prefetch_related("results").first()
    if request.method == "POST" and "all_met" in request.POST:
        # "Mark all as met": the page again with every point met, keeping what was typed; nothing is recorded.
        initial = {key: value for key, value in request.POST.items() if key in forms.ExAnteCheckForm.TYPED_FIELDS
                   or key.startswith("item_")}
        initial.update({f"item_{item.pk}": CheckItemResult.Result.PASS for item in items})
        form = forms.ExAnteCheckForm(items=items, initial=initial)
        return _render_step(request, task, form, template="workflows/exante_check.html", previous_check=previous,
                            all_marked=True)
    # A re-check (after a completion) starts from the last check's answers.
    form = forms.ExAnteCheckForm(request.POST or None, items=items, initial=forms.check_initial(previous))

    def perform(data):
        services.exante_check_record(
            task_pk=task.pk, user=request.user, outcome=data["outcome"], results=form.results(),
            override_reason=data["override_reason"], comment=data["comment"],
            completion_fields=data["completion_fields"], completion_deadline=data["completion_deadline"],
        )

    return _handle(request, task, form, perform, _("The ex-ante check is recorded."),
                   template="workflows/exante_check.html", previous_check=previous)


def completion(request, task):
    """The applicant completes what the case officer asked for: only those fields and parts are open."""
    application = task.process.coerced.application
    editor = ApplicationEditor(application, request.POST or None, parts=application.reopened_fields)
    latest_check = application.checks.order_by("-checked_at", "-pk").first()
    may_do = services.user_may_do_task(request.user, task)
    status = 200
    if request.method == "POST" and "save" in request.POST:
        # "Save draft": keep what was typed without sending it.
        if not may_do:
            return HttpResponseForbidden(_("You cannot do this step."))
        editor.is_valid()
        try:
            services.completion_draft_save(task_pk=task.pk, user=request.user, changes=editor.changes())
        except NotAllowed as exc:
            editor.form.add_error(None, exc.message)
            status = 409 if isinstance(exc, EditConflict) else 400
        else:
            messages.success(request, _("Your changes are saved. Send the completed application when it is ready."))
            return redirect("workflows:task", task.pk)
    elif request.method == "POST":
        if not may_do:
            return HttpResponseForbidden(_("You cannot do this step."))
        if editor.is_valid():
            try:
                services.completion_submit(task_pk=task.pk, user=request.user, changes=editor.changes())
            except ValidationError as exc:
                editor.add_errors(exc.message_dict)
            except NotAllowed as exc:
                editor.form.add_error(None, exc.message)
            else:
                messages.success(request, _("Thank you! The completed application has been sent."))
                return redirect("grants:application_detail", application.pk)
        status = 400
    return render(request, "workflows/completion.html", {
        "task": task, "application": application, "editor": editor, "form": editor.form, "may_do": may_do,
        "latest_check": latest_check, "attachments_open": "attachments" in application.reopened_fields,
    }, status=status)


def decision(request, task):
    application = task.process.coerced.application
    form = forms.DecisionForm(request.POST or None, initial={"amount": application.requested_amount})
    fund_year, balance = fund_year_with_balance(fund_id=application.call.fund_id, year=application.call.budget_year)

    def perform(data):
        services.decision_record(
            task_pk=task.pk, user=request.user, outcome=data["outcome"], amount=data["amount"],
            conditions=data["conditions"], motivation=data["motivation"],
        )

    return _handle(request, task, form, perform, _("The decision is recorded."), balance=balance,
                   fund_year=fund_year, summary=review_summary(application))


def second_approval(request, task):
    application = task.process.coerced.application
    form = forms.SecondApprovalForm(request.POST or None)
    pending = application.decisions.filter(status="pending").select_related("decided_by").first()
    fund_year, balance = fund_year_with_balance(fund_id=application.call.fund_id, year=application.call.budget_year)

    def perform(data):
        services.second_approval_record(task_pk=task.pk, user=request.user, approve=data["approve"],
                                        comment=data["comment"])

    return _handle(request, task, form, perform, _("The second approval is recorded."), pending_decision=pending,
                   balance=balance, fund_year=fund_year,
                   own_decision=pending is not None and pending.decided_by_id == request.user.pk)


def _render_report(request, task, editor, *, status=200):
    application = task.process.coerced.application
    return render(request, "workflows/final_report.html", {
        "task": task, "application": application, "editor": editor, "form": editor.form,
        "may_do": services.user_may_do_task(request.user, task),
        "previous_report": reports.submitted_reports(application).first(),
        "granted": reports.granted_amount(application),
        "report_attachments": application.attachments.filter(stage=Attachment.Stage.REPORT),
    }, status=status)


def final_report(request, task):
    """The applicant's final report: kept as a draft (explicit save, or automatically while typing), then sent.
    Sending stores the draft first, so nothing typed is lost when the report is not complete yet, and shows
    every problem at once."""
    application = task.process.coerced.application
    if request.method != "POST":
        initial, version = reports.report_start(application)
        return _render_report(request, task, FinalReportEditor(application, initial=initial, version=version))
    if not services.user_may_do_task(request.user, task):
        return HttpResponseForbidden(_("You cannot do this step."))
    editor = FinalReportEditor(application, request.POST)
    editor.is_valid()
    try:
        draft = services.final_report_draft_save(task_pk=task.pk, user=request.user, data=editor.typed(),
                                                version=editor.version)
    except NotAllowed as exc:  # an older form (another tab), or the report was sent meanwhile
        editor.form.add_error(None, exc.message)
        return _render_report(request, task, editor, status=409 if isinstance(exc, EditConflict) else 400)
    if "submit" not in request.POST:
        messages.success(request, _("The draft of the final report is saved."))
        return redirect("workflows:task", task.pk)
    data = editor.report_data()
    errors = reports.report_errors(application, data)
    if not errors and not editor.has_errors:
        try:
            services.final_report_submit(task_pk=task.pk, user=request.user, data=data)
        except ValidationError as exc:
            errors = exc.message_dict
        except NotAllowed as exc:
            editor.form.add_error(None, exc.message)
        else:
            messages.success(request, _("Thank you! Your final report has been sent."))
            return redirect("grants:application_detail", application.pk)
    editor.add_errors(errors)
    # Shown again with the stored draft's version, so the next save is not taken for a conflict.
    editor.form.data = editor.form.data.copy()
    editor.form.data["version"] = draft.version
    return _render_report(request, task, editor, status=400)


@login_required
@require_POST
def completion_autosave(request, task_pk: int):
    """Saved in the background while the applicant completes the application (static/js/application_form.js),
    and before an upload leaves the page, so nothing typed is lost."""
    task = task_get_for_user(user=request.user, pk=task_pk)
    application = task.process.coerced.application
    editor = ApplicationEditor(application, request.POST, parts=application.reopened_fields)
    editor.is_valid()
    try:
        application = services.completion_draft_save(task_pk=task.pk, user=request.user, changes=editor.changes())
    except NotAllowed as exc:
        return JsonResponse({"ok": False, "message": exc.message},
                            status=409 if isinstance(exc, EditConflict) else 400)
    saved = timezone.localtime(application.updated_at)
    problems = [{"field": anchor, "message": text} for anchor, text in editor.error_links()]
    return JsonResponse({"ok": True, "version": application.version, "saved_at": saved.isoformat(),
                         "message": _("Saved %(time)s") % {"time": date_format(saved, "H:i")}, "problems": problems})


@login_required
@require_POST
def final_report_autosave(request, task_pk: int):
    """Saved in the background while the applicant types (static/js/application_form.js)."""
    task = task_get_for_user(user=request.user, pk=task_pk)
    application = task.process.coerced.application
    editor = FinalReportEditor(application, request.POST)
    editor.is_valid()
    try:
        draft = services.final_report_draft_save(task_pk=task.pk, user=request.user, data=editor.typed(),
                                                version=editor.version)
    except NotAllowed as exc:
        return JsonResponse({"ok": False, "message": exc.message},
                            status=409 if isinstance(exc, EditConflict) else 400)
    saved = timezone.localtime(draft.updated_at)
    return JsonResponse({"ok": True, "version": draft.version, "saved_at": saved.isoformat(),
                         "message": _("Saved %(time)s") % {"time": date_format(saved, "H:i")}, "problems": []})


def report_approval(request, task):
    application = task.process.coerced.application
    form = forms.ReportApprovalForm(request.POST or None)
    report = reports.submitted_reports(application).first()

    def perform(data):
        services.report_approval_record(task_pk=task.pk, user=request.user, approve=data["approve"],
                                        comment=data["comment"])

    return _handle(request, task, form, perform, _("The final report is handled."), report=report,
                   report_detail=reports.report_detail(report))
