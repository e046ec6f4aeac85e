"""Submitting an application starts its process (one per application).

Here, not in workflows.services: it names the flow's start node, so it imports workflows.flows, and the flow's
nodes name the step views, which call workflows.services. The services reach the flow through the rows they
hold (`process.flow_class`, `task.flow_task`) and never import workflows.flows.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from common.errors import NotAllowed
from grants.models import Application, Event
from grants.selectors import user_is_contact
from grants.services.applications import application_status_change, case_number_next, submission_errors
from notifications.services import notification_queue
from workflows.flows import ApplicationFlow


@transaction.atomic
def application_submit(*, application_id: int, user) -> Application:
    """Submit a draft and start its process. Safe to call twice at once: the row lock
    makes the second call see the submitted application and return it unchanged."""
    application = Application.objects.select_for_update().select_related("call__fund", "organisation").get(
        pk=application_id
    )
    if not user_is_contact(user, organisation_id=application.organisation_id):
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
    now = timezone.now()
    application.submitted_at = now
    application.submitted_by = user
    if not application.case_number:
        application.case_number = case_number_next(fund=application.call.fund, year=timezone.localdate(now).year)
    application_status_change(application=application, to_status=Application.Status.SUBMITTED, user=user,
                              kind=Event.Kind.SUBMITTED, visible=True, at=now,
                              fields=("submitted_at", "submitted_by", "case_number"))
    ApplicationFlow.start.run(application=application, user=user)
    link = reverse("grants:application_detail", args=[application.pk])
    notification_queue(user=user, kind="submitted", application=application, link=link)
    for officer in roles.users_with_role(roles.CASE_OFFICER):
        notification_queue(user=officer, kind="submitted_staff", application=application,
                           link=reverse("workflows:case_detail", args=[application.pk]))
    return application
