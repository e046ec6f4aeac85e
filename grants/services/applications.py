"""Writes for the applicant side: drafts, what a submission needs, case numbers, and the case's events and
status (application_status_change). Submitting and withdrawing start or cancel the process: workflows.services."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import EditConflict, NotAllowed  # noqa: F401 -- raised here, and imported from here elsewhere
from common.formatting import money
from grants.models import (
    ActivityLine, Application, BudgetLine, Call, CaseNumberCounter, Event, Fund, Organisation, Partner,
)
from grants.selectors import user_is_contact


def event_record(*, application, kind, actor, from_status="", to_status="", message="", visible=False,
                 subject=None) -> Event:
    """`subject`: the person the event is about, referenced (never name them in `message`: the audit trail is
    append-only, and an erased person's name must not stay in it)."""
    return Event.objects.create(
        application=application, kind=kind, actor=actor, from_status=from_status, to_status=to_status,
        message=message, visible_to_applicant=visible, subject=subject,
    )


def application_status_change(*, application, to_status, user, kind, message="", visible=False, fields=(),
                              at=None) -> Event:
    """The one place an application's status changes: the new status, when it changed (`at`, now by default)
    and the `fields` the caller set with it are saved, and the event (from, to) is written, in the caller's
    transaction. The caller holds the application's row lock (and, for a step of the workflow, the process
    lock first: workflows.locks)."""
    old = application.status
    application.status = to_status
    application.status_changed_at = at or timezone.now()
    application.save(update_fields=["status", "status_changed_at", *fields, "updated_at"])
    return event_record(application=application, kind=kind, actor=user, from_status=old, to_status=to_status,
                        message=message, visible=visible)


@transaction.atomic
def application_create(*, user, organisation: Organisation, call: Call) -> Application:
    if not user_is_contact(user, organisation_id=organisation.pk):
        raise PermissionDenied
    if not call.is_open():
        raise NotAllowed(_("The call “%(call)s” is not open for applications.") % {"call": call.title})
    application = Application.objects.create(organisation=organisation, call=call, created_by=user)
    event_record(application=application, kind=Event.Kind.CREATED, actor=user, to_status=application.status)
    return application


LINE_MODELS = {"activities": ActivityLine, "budget": BudgetLine, "partners": Partner}


def application_write_changes(application: Application, changes: dict, *, allowed=None) -> None:
    """Write what the applicant typed: fields, themes and the list parts (replaced row by row).

    `allowed` limits which fields and parts may change (a completion request); None allows all.
    """
    def ok(name):
        return allowed is None or name in allowed

    for field, value in changes.get("fields", {}).items():
        if field in Application.CONTENT_FIELDS and ok(field):
            setattr(application, field, value)
    application.version += 1
    application.save()
    if "themes" in changes and ok("themes"):
        application.themes.set(changes["themes"])
    for prefix, model in LINE_MODELS.items():
        if prefix in changes and ok(prefix):
            model.objects.filter(application=application).delete()
            model.objects.bulk_create(
                model(application=application, position=position, **{k: v for k, v in row.items() if v is not None})
                for position, row in enumerate(changes[prefix])
            )


def _check_version(application: Application, changes: dict) -> None:
    version = changes.get("version")
    if version is not None and version != application.version:
        raise EditConflict(_(
            "The application was changed in another window or by a colleague after you opened it. "
            "Copy what you have written, reload the page and add it again."
        ))


@transaction.atomic
def application_save_draft(*, application_id: int, user, changes: dict) -> Application:
    """Store what the applicant typed. Only drafts are editable; nothing is required yet,
    so half-written answers are kept. Refused when the form is older than the stored draft."""
    application = Application.objects.select_for_update().get(pk=application_id)
    if not user_is_contact(user, organisation_id=application.organisation_id):
        raise PermissionDenied
    if application.status != Application.Status.DRAFT:
        raise NotAllowed(_("The application has been submitted and can no longer be changed."))
    _check_version(application, changes)
    application_write_changes(application, changes)
    return application


def _filled(value) -> bool:
    return value not in (None, "") and (not isinstance(value, str) or value.strip() != "")


def submission_errors(application: Application) -> dict[str, list[str]]:
    """Everything that stops an application from being submitted, by field or part."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(str(message))

    required_text = {
        "title": _("Give the project a title."),
        "summary": _("Write a short summary of the project."),
        "problem": _("Describe the problem or need the project answers."),
        "motivation": _("Explain why a project is the right answer to the need."),
        "similar_projects": _("Tell us about similar projects, or write that you know of none."),
        "anchoring": _("Describe how the project is anchored in your organisation."),
        "goals": _("Describe the goals of the project."),
        "indicators": _("Describe how you will measure the goals."),
        "target_group": _("Describe the target group."),
        "accessibility_plan": _("Describe how everyone will be able to take part."),
        "equal_treatment_plan": _("Describe how you will make sure everyone is treated equally."),
        "signatory_name": _("Enter the name of the authorised signatory."),
        "signatory_role": _("Enter the signatory's role in the organisation."),
        "signatory_email": _("Enter the signatory's e-mail address."),
    }
    for field, message in required_text.items():
        if not _filled(getattr(application, field)):
            add(field, message)
    for field in ("planned_women", "planned_men", "planned_other", "planned_newcomers", "planned_established"):
        if getattr(application, field) is None:
            add(field, _("Enter a number (0 if none)."))
    if application.planned_total == 0 and "planned_women" not in errors:
        add("planned_women", _("Plan for at least one participant."))
    amount = application.requested_amount
    max_amount = application.call.fund.max_amount
    if amount is None:
        add("requested_amount", _("Enter the amount you apply for."))
    elif amount > max_amount:
        add("requested_amount", _("The fund grants at most %(max)s per application.") % {"max": money(max_amount)})
    start, end = application.start_date, application.end_date
    if start is None:
        add("start_date", _("Enter the date the project starts."))
    if end is None:
        add("end_date", _("Enter the date the project ends."))
    if start and end and end < start:
        add("end_date", _("The project cannot end before it starts."))
    if not application.themes.exists():
        add("themes", _("Choose at least one theme."))

    activities = list(application.activities.all())
    if not any(_filled(a.description) for a in activities):
        add("activities", _("Add at least one activity with its date."))
    for index, activity in enumerate(activities):
        if not _filled(activity.description):
            add(f"activities-{index}-description", _("Describe the activity, or empty the row."))
        if activity.starts_on is None:
            add(f"activities-{index}-starts_on", _("Enter the date of the activity."))
        elif start and end and not (start <= activity.starts_on <= end and (activity.ends_on or activity.starts_on) <= end):
            add(f"activities-{index}-starts_on", _("The activity must take place within the project period."))

    lines = list(application.budget_lines.all())
    if not lines:
        add("budget", _("Add the costs of the project to the budget."))
    for index, line in enumerate(lines):
        if not _filled(line.description):
            add(f"budget-{index}-description", _("Describe the cost, or empty the row."))
        if line.amount is None:
            add(f"budget-{index}-amount", _("Enter the amount."))
    total = sum((line.amount for line in lines if line.amount is not None), Decimal("0"))
    if lines and amount is not None and total != amount:
        add("budget", _("The budget lines add up to %(total)s, but you apply for %(amount)s. "
                        "They must be the same.") % {"total": money(total), "amount": money(amount)})

    partners = list(application.partners.all())
    for index, partner in enumerate(partners):
        if not _filled(partner.name):
            add(f"partners-{index}-name", _("Enter the partner's name, or empty the row."))
        if not partner.kind:
            add(f"partners-{index}-kind", _("Choose what kind of organisation the partner is."))
    if application.call.fund.kind == Fund.Kind.MIKROPROJEKT:
        own = (Partner.Kind.AUTHORITY if application.organisation.kind == Organisation.Kind.AUTHORITY
               else Partner.Kind.IDEA_BASED)
        kinds = {own} | {p.kind for p in partners}
        if not {Partner.Kind.AUTHORITY, Partner.Kind.IDEA_BASED} <= kinds:
            add("partners", _("A microproject is a collaboration: at least one authority and one idea-based "
                              "organisation must take part (you and your partners together)."))
    return errors


def case_number_next(*, fund: Fund, year: int) -> str:
    """The next diarienummer of a fund and year, e.g. DP-2026-0007. Taken under a row lock inside the
    caller's transaction: concurrent submissions queue, and a rolled-back one gives its number back."""
    try:
        with transaction.atomic():  # savepoint: a concurrent first submission of the year may create it too
            CaseNumberCounter.objects.get_or_create(fund=fund, year=year)
    except IntegrityError:
        pass
    counter = CaseNumberCounter.objects.select_for_update().get(fund=fund, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{fund.case_prefix or 'P'}-{year}-{counter.last_number:04d}"
