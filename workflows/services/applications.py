"""Withdrawing an application cancels its process, in the order of workflows.locks (the process, then the
application). Submitting it starts the process: workflows.submission."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotAllowed
from grants.models import Application, Event
from grants.selectors import user_is_contact
from grants.services.applications import application_status_change
from reviewers.models import Assignment
from workflows.locks import process_lock
from workflows.models import ApplicationProcess

WITHDRAWABLE = (Application.Status.SUBMITTED, Application.Status.COMPLETION, Application.Status.REVIEW,
                Application.Status.DECISION)


def application_withdraw(*, application_id: int, user, reason: str = "") -> Application:
    """The applicant takes back (återtar) an application before the decision; its process is cancelled.

    Locks in the same order as the workflow steps (process, then application), so a withdrawal
    racing a staff step waits for it instead of deadlocking.
    """
    process = ApplicationProcess.objects.filter(application_id=application_id).first()
    if process is None:
        application = Application.objects.get(pk=application_id)
        if not user_is_contact(user, organisation_id=application.organisation_id):
            raise PermissionDenied
        raise NotAllowed(_("Only a submitted application can be withdrawn."))
    with process_lock(process):
        application = Application.objects.select_for_update().get(pk=application_id)
        if not user_is_contact(user, organisation_id=application.organisation_id):
            raise PermissionDenied
        if application.status == Application.Status.WITHDRAWN:
            return application  # a second click changes nothing
        if application.status not in WITHDRAWABLE:
            raise NotAllowed(_("The application can only be withdrawn before the decision."))
        process.flow_class.instance.cancel(process)
        application.assignments.filter(status__in=Assignment.OPEN).update(status=Assignment.Status.REMOVED)
        now = timezone.now()
        application.withdrawn_at = now
        application.reopened_fields = []
        application_status_change(application=application, to_status=Application.Status.WITHDRAWN, user=user,
                                  kind=Event.Kind.WITHDRAWN, message=reason, visible=True, at=now,
                                  fields=("withdrawn_at", "reopened_fields"))
        return application
