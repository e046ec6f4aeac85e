from datetime import date
from html import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from common.formatting import daytimes
from grants import selectors
from grants.services import organisations, reports
from grants.services import applications as services
from common.paging import page_with_count, url_for
from grants.forms.applications import (
    ApplicationEditor, NewApplicationForm, OrganisationForm, WithdrawForm, add_service_errors,
)
from grants.models import Application, Decision
from grants.validators import normalise_org_number
from workflows import services as flow_services, submission
from workflows.selectors import open_task_for_application, step_links, tasks_for_applicant
from django.utils.http import url_has_allowed_host_and_scheme
from config.celery import app as celery_app


def home(request):
    return render(request, "grants/home.html", {"calls": selectors.calls_open()})


def call_detail(request, pk: int):
    call = selectors.call_get_public(pk=pk)
    return render(request, "grants/call_detail.html", {"call": call, "is_open": call.is_open()})


@login_required
def organisation_create(request):
    """Register an organisation. A number that is already registered becomes a request to join; the
    answer is the same either way, so the page does not tell anyone which numbers are registered."""
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = organisations.organisation_register(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except services.NotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            if outcome == organisations.ALREADY_CONTACT:
                messages.info(request, _("You are already a contact for this organisation."))
            else:
                messages.success(request, _(
                    "Thank you. If %(number)s was not registered in Potten, the organisation is now registered "
                    "with you as its contact and can apply; a case officer will verify it. If it was already "
                    "registered, we have asked its contacts to let you in, and you get an e-mail when they "
                    "answer.") % {"number": normalise_org_number(form.cleaned_data["org_number"])})
            return redirect(request.GET["next"] if _safe_next(request) else "grants:my_applications")
    return render(request, "grants/organisation_form.html", {"form": form},
                  status=400 if form.errors else 200)


def _safe_next(request) -> bool:
    nxt = request.GET.get("next")
    return bool(nxt) and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure())


def application_row_html(*, url: str, label: str, organisation: str, call: str, status: str, saved: str) -> str:
    """The <tr> of an application in "My applications" (every value escaped), exactly what the template's loop
    wrote for it (tests/test_my_applications.py compares the two)."""
    return mark_safe(  # noqa: S308 -- every value is escaped
        f'<tr>\n      <td><a href="{escape(url)}">{escape(label)}</a></td>\n      <td>{escape(organisation)}</td>'
        f'\n      <td>{escape(call)}</td>\n      <td><span class="status">{escape(status)}</span></td>'
        f"\n      <td>{escape(saved)}</td>\n    </tr>")


@login_required
def my_applications(request):
    """The applications of the user's organisations and their open steps, each in pages. The organisations are
    read first (the page names them); the applications are then filtered by their ids, not joined through the
    memberships, and read as the columns shown, each row written once in Python (application_row_html). Each
    list is read with its count in one query (common.paging.page_with_count)."""
    organisations = list(selectors.organisations_for_user(user=request.user))
    applications = selectors.applications_for_applicant(user=request.user, organisations=organisations).order_by(
        "-updated_at", "-pk").values_list("pk", "title", "status", "updated_at", "organisation__name", "call__title")
    page = page_with_count(request, applications)
    # What the rows show, written once per page: links reversed once, status labels and the untitled label
    # translated once, each day once.
    edit_url, detail_url = url_for("grants:application_edit"), url_for("grants:application_detail")
    labels = {value: str(label) for value, label in Application.Status.choices}
    untitled, saved = _("Untitled application"), daytimes()  # Application.__str__ of a row without a title
    page.rows_html = [
        application_row_html(url=(edit_url if status == Application.Status.DRAFT else detail_url)(pk),
                             label=title or untitled, organisation=organisation, call=call,
                             status=labels.get(status, status), saved=saved(updated_at))
        for pk, title, status, updated_at, organisation, call in page.object_list]
    steps = tasks_for_applicant(user=request.user, organisations=organisations).values_list(
        "pk", "flow_task", "process__applicationprocess__application__title")
    tasks = page_with_count(request, steps, param="tasks")
    tasks.object_list = step_links(tasks.object_list)
    return render(request, "grants/my_applications.html", {
        "applications": page, "tasks": tasks, "organisations": organisations,
    })


@login_required
def application_new(request, call_pk: int):
    call = selectors.call_get_public(pk=call_pk)
    organisations = selectors.organisations_for_user(user=request.user)
    if not organisations.exists():
        messages.info(request, _("First register the organisation you apply for."))
        return redirect(f"{reverse('grants:organisation_create')}?next={request.path}")
    form = NewApplicationForm(request.POST or None, organisations=organisations)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                user=request.user, organisation=form.cleaned_data["organisation"], call=call
            )
        except services.NotAllowed as exc:
            error = exc.message
        else:
            return redirect("grants:application_edit", application.pk)
    if not call.is_open():
        error = _("The call “%(call)s” is not open for applications.") % {"call": call.title}
    return render(request, "grants/application_new.html", {"form": form, "call": call, "error": error},
                  status=400 if error or form.errors else 200)


def _editor_context(application, editor, **extra):
    return {"application": application, "editor": editor, "form": editor.form, **extra}


@login_required
@never_cache
def application_edit(request, pk: int):
    """The draft: save (explicit or automatic) and submit. Nothing typed is lost: what is valid is
    stored even when the submission is refused, and the page shows every problem at once."""
    application = selectors.application_get_for_applicant(user=request.user, pk=pk)
    if not application.is_draft:
        return redirect("grants:application_detail", application.pk)
    editor = ApplicationEditor(application, request.POST or None)
    if request.method != "POST":
        return render(request, "grants/application_form.html", _editor_context(application, editor))
    editor.is_valid()
    submitting = "submit" in request.POST
    # One transaction for save + submit: a second click waits on the row lock, then finds the
    # application submitted and is sent to it, instead of being taken for an edit conflict.
    with transaction.atomic():
        try:
            application = services.application_save_draft(
                application_id=application.pk, user=request.user, changes=editor.changes()
            )
        except services.NotAllowed as exc:  # an older form, or no longer a draft
            if submitting and not Application.objects.filter(
                pk=application.pk, status=Application.Status.DRAFT
            ).exists():
                messages.info(request, _("Your application has been submitted. Thank you!"))
                return redirect("grants:application_detail", application.pk)
            editor.form.add_error(None, exc.message)
            return render(request, "grants/application_form.html", _editor_context(application, editor),
                          status=409 if isinstance(exc, services.EditConflict) else 400)
        if not submitting and not editor.has_errors:
            messages.success(request, _("The draft is saved."))
            return redirect("grants:application_edit", application.pk)
        if submitting and not editor.has_errors:
            try:
                submission.application_submit(application_id=application.pk, user=request.user)
            except ValidationError as exc:  # the draft stays saved; every problem is shown
                editor = ApplicationEditor(application, request.POST)
                editor.is_valid()
                editor.add_errors(exc.message_dict)
            except services.NotAllowed as exc:
                editor.form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your application has been submitted. Thank you!"))
                return redirect("grants:application_detail", application.pk)
    # Show the page again with the stored version, so the next save is not taken for a conflict.
    editor.form.data = editor.form.data.copy()
    editor.form.data["version"] = application.version
    status = 400
    return render(request, "grants/application_form.html", _editor_context(application, editor), status=status)


@login_required
@require_POST
def application_autosave(request, pk: int):
    """Saved in the background while the applicant types (static/js/autosave.js)."""
    application = selectors.application_get_for_applicant(user=request.user, pk=pk)
    editor = ApplicationEditor(application, request.POST)
    editor.is_valid()
    try:
        application = services.application_save_draft(
            application_id=application.pk, user=request.user, changes=editor.changes()
        )
    except services.NotAllowed as exc:
        status = 409 if isinstance(exc, services.EditConflict) else 400
        return JsonResponse({"ok": False, "message": exc.message}, status=status)
    saved = timezone.localtime(application.updated_at)
    time = date_format(saved, "H:i")
    # What could not be read (a letter in a number, a date that does not exist) is not stored:
    # say so, field by field, instead of "saved".
    problems = [{"field": anchor, "message": text} for anchor, text in editor.error_links()]
    if problems:
        message = ngettext(
            "Saved %(time)s, except %(count)d field that needs fixing: %(problems)s",
            "Saved %(time)s, except %(count)d fields that need fixing: %(problems)s",
            len(problems),
        ) % {"time": time, "count": len(problems), "problems": " ".join(p["message"] for p in problems)}
    else:
        message = _("Saved %(time)s") % {"time": time}
    return JsonResponse({
        "ok": True, "version": application.version, "saved_at": saved.isoformat(),
        "message": message, "problems": problems,
    })


@login_required
def application_withdraw(request, pk: int):
    application = selectors.application_get_for_applicant(user=request.user, pk=pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flow_services.application_withdraw(application_id=application.pk, user=request.user,
                                          reason=form.cleaned_data["reason"])
        except services.NotAllowed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The application is withdrawn."))
        return redirect("grants:application_detail", application.pk)
    return render(request, "grants/application_withdraw.html", {"application": application, "form": form})


@login_required
def application_detail(request, pk: int):
    application = selectors.application_get_for_applicant(user=request.user, pk=pk)
    # What the facts, the attachments and the repayments show, and which final reports there are, in one query.
    selectors.application_parts_read(application, also=("repayments", "final_reports"))
    task = open_task_for_application(application)
    return render(request, "grants/application_detail.html", {
        "application": application,
        "open_task": task if task is not None and not task.owner_permission else None,
        "steps": application_steps(application),
        "events": application.events.filter(visible_to_applicant=True),
        "decision": application.decisions.filter(status=Decision.Status.EFFECTIVE).order_by("-decided_at", "-pk").first(),
        "can_withdraw": application.status in flow_services.WITHDRAWABLE,
        "repayments": application.repayments.all(),
        "report_detail": reports.latest_report_detail(application),
    })


def application_steps(application):
    """The stages in plain words, with the current one marked, for the applicant."""
    S = Application.Status
    stages = [
        ("draft", _("Draft"), {S.DRAFT}),
        ("check", _("Ex-ante check"), {S.SUBMITTED, S.COMPLETION, S.INELIGIBLE}),
        ("review", _("Review"), {S.REVIEW}),
        ("decision", _("Decision"), {S.DECISION, S.REJECTED}),
        ("followup", _("Project and final report"), {S.GRANTED, S.REPORT_SUBMITTED, S.ENDED}),
        ("done", _("Carried out"), {S.CARRIED_OUT}),
    ]
    current = next((i for i, (_k, _l, statuses) in enumerate(stages) if application.status in statuses), None)
    return [
        {"key": key, "label": label, "state": "done" if current is not None and i < current
         else "current" if i == current else "todo"}
        for i, (key, label, _s) in enumerate(stages)
    ]


@require_GET
def healthz(request):
    """200 when the database and the broker answer, 503 otherwise."""
    state = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        state["database"] = "ok"
    except Exception as exc:  # noqa: BLE001
        state["database"] = f"error: {type(exc).__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        state["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        state["broker"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in state.values())
    return JsonResponse({"status": "ok" if healthy else "error", **state}, status=200 if healthy else 503)


# The date the accessibility statement was last reviewed (update it with the statement).
ACCESSIBILITY_REVIEWED_ON = date(2026, 12, 3)


@require_GET
def accessibility(request):
    """The accessibility statement (tillgänglighetsredogörelse) that the Act on accessibility to digital public
    services (2018:1937) asks of a service like this."""
    return render(request, "grants/accessibility.html", {
        "contact": settings.ACCESSIBILITY_CONTACT, "reviewed_on": ACCESSIBILITY_REVIEWED_ON,
    })
