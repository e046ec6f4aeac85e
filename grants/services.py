"""Writes for the applicant side: organisations, drafts, submission."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from grants.models import Application, Call, Event, Membership, Organisation


class NotAllowed(Exception):
    """A request that is understood but refused; `message` is shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def event_record(*, application, kind, actor, from_status="", to_status="", message="", visible=False) -> Event:
    return Event.objects.create(
        application=application, kind=kind, actor=actor, from_status=from_status, to_status=to_status,
        message=message, visible_to_applicant=visible,
    )


@transaction.atomic
def organisation_create(*, user, name: str, org_number: str, municipality, kind: str) -> Organisation:
    organisation = Organisation(name=name, org_number=org_number, municipality=municipality, kind=kind)
    organisation.full_clean()
    organisation.save()
    Membership.objects.create(user=user, organisation=organisation)
    return organisation


def _is_member(user, organisation) -> bool:
    return Membership.objects.filter(user=user, organisation=organisation).exists()


@transaction.atomic
def application_create(*, user, organisation: Organisation, call: Call) -> Application:
    if not _is_member(user, organisation):
        raise PermissionDenied
    if not call.is_open():
        raise NotAllowed(_("The call “%(call)s” is not open for applications.") % {"call": call.title})
    application = Application.objects.create(organisation=organisation, call=call, created_by=user)
    event_record(application=application, kind=Event.Kind.CREATED, actor=user, to_status=application.status)
    return application


@transaction.atomic
def application_save_draft(*, application_id: int, user, data: dict) -> Application:
    """Store what the applicant typed. Only drafts are editable; nothing is validated
    beyond types, so half-written answers are kept."""
    application = Application.objects.select_for_update().get(pk=application_id)
    if not _is_member(user, application.organisation):
        raise PermissionDenied
    if application.status != Application.Status.DRAFT:
        raise NotAllowed(_("The application has been submitted and can no longer be changed."))
    for field in Application.CONTENT_FIELDS:
        if field in data:
            setattr(application, field, data[field])
    application.save()
    return application


def submission_errors(application: Application) -> dict[str, list[str]]:
    """Everything that stops an application from being submitted, by field."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    required_text = {
        "title": _("Give the project a title."),
        "summary": _("Write a short summary of the project."),
        "problem": _("Describe the problem or need the project answers."),
        "goals": _("Describe the goals and how you will measure them."),
        "target_group": _("Describe the target group."),
    }
    for field, message in required_text.items():
        if not (getattr(application, field) or "").strip():
            add(field, message)
    for field in ("planned_women", "planned_men", "planned_other"):
        if getattr(application, field) is None:
            add(field, _("Enter a number (0 if none)."))
    if application.planned_total == 0 and not any(
        f in errors for f in ("planned_women", "planned_men", "planned_other")
    ):
        add("planned_women", _("Plan for at least one participant."))
    amount = application.requested_amount
    max_amount = application.call.fund.max_amount
    if amount is None:
        add("requested_amount", _("Enter the amount you apply for."))
    elif amount > max_amount:
        add("requested_amount", _("The fund grants at most %(max)s SEK per application.") % {"max": max_amount})
    if application.start_date is None:
        add("start_date", _("Enter the date the project starts."))
    if application.end_date is None:
        add("end_date", _("Enter the date the project ends."))
    if application.start_date and application.end_date and application.end_date < application.start_date:
        add("end_date", _("The project cannot end before it starts."))
    return errors


def _staff_with_role(role: str):
    from accounts.models import User

    return User.objects.filter(groups__name=role, is_active=True).distinct()


@transaction.atomic
def application_submit(*, application_id: int, user) -> Application:
    """Submit a draft and start its process. Safe to call twice at once: the row lock
    makes the second call see the submitted application and return it unchanged."""
    from notifications.services import notification_queue
    from workflows.flows import ApplicationFlow

    application = Application.objects.select_for_update().select_related("call__fund", "organisation").get(
        pk=application_id
    )
    if not _is_member(user, application.organisation):
        raise PermissionDenied
    if application.status != Application.Status.DRAFT:
        if application.submitted_at is not None and application.status != Application.Status.WITHDRAWN:
            return application  # already submitted (a double click or a second tab)
        raise NotAllowed(_("The application can no longer be submitted."))
    if not application.call.is_open():
        raise NotAllowed(_("The call has closed, so the application cannot be submitted."))
    errors = submission_errors(application)
    if errors:
        raise ValidationError(errors)
    application.status = Application.Status.SUBMITTED
    application.submitted_at = timezone.now()
    application.submitted_by = user
    application.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    event_record(application=application, kind=Event.Kind.SUBMITTED, actor=user,
                 from_status=Application.Status.DRAFT, to_status=application.status, visible=True)
    ApplicationFlow.start.run(application=application, user=user)
    link = reverse("grants:application_detail", args=[application.pk])
    notification_queue(user=user, kind="submitted", application=application, link=link)
    for officer in _staff_with_role(roles.CASE_OFFICER):
        notification_queue(user=officer, kind="submitted_staff", application=application,
                           link=reverse("workflows:case_detail", args=[application.pk]))
    return application
