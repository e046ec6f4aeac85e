"""What every step of the workflow shares: who may see and do a task, the skeleton that runs a human step
(`step_execute`), a step's status change, mail to a role, and claiming and releasing a task.

Each step takes the process lock (workflows.locks), re-reads the task under it, checks that this user may do
this step now, writes the step's records, the application's new status and the audit event, queues the mails
and completes the viewflow task, all in one transaction. A refused call changes nothing.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts import roles
from common.errors import NotAllowed
from grants.models import Application, Event
from grants.selectors import user_is_contact
from grants.services.applications import application_status_change, event_record
from notifications.services import notification_queue
from workflows.locks import process_lock

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


# -- who may do what ---------------------------------------------------------------------------

def task_is_applicants(task) -> bool:
    """Applicant steps have no permission: they are assigned to a contact of the organisation."""
    return not task.owner_permission


def user_may_see_task(user, task, *, organisation_id: int | None = None) -> bool:
    """`organisation_id`: the task's application's organisation, where the caller has read it already."""
    if not user.is_authenticated:
        return False
    if task_is_applicants(task):
        if organisation_id is None:
            organisation_id = task.process.coerced.application.organisation_id
        return user_is_contact(user, organisation_id=organisation_id)
    return user.has_perm(task.owner_permission)


def user_may_do_task(user, task) -> bool:
    if task.status not in OPEN_STATUSES or not user_may_see_task(user, task):
        return False
    if task_is_applicants(task):
        return True
    return task.owner_id in (None, user.pk)


# -- the shared mechanics ---------------------------------------------------------------------

def task_get(task_pk: int):
    task = Task.objects.select_related("process").filter(pk=task_pk).first()
    if task is None:
        raise NotAllowed(_("The task does not exist."))
    return task


def step_execute(task_pk: int, user, node_name: str, apply):
    """Run `apply(task, application)` as the work of one open human task, then complete it: under the
    process lock (workflows.locks), then the application's row lock."""
    task = task_get(task_pk)
    with process_lock(task.process):
        task = Task.objects.select_related("process").get(pk=task_pk)
        if task.flow_task.name != node_name:
            raise NotAllowed(_("This task is not that step."))
        if task.status not in OPEN_STATUSES:
            raise NotAllowed(_("This step has already been done."))
        if not user_may_do_task(user, task):
            raise NotAllowed(_("You cannot do this step."))
        activation = task.flow_task.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(user)
        elif task.owner_id != user.pk:  # another contact of the same organisation
            activation.reassign(user=user)
        activation.start(None)
        application = Application.objects.select_for_update().get(pk=task.process.coerced.application_id)
        result = apply(task, application)
        activation.execute()
        return result


def status_set(application, new_status, user, kind, message="", visible=False):
    """A step's new status, with the reopened fields and the report's due date it set
    (grants.services.applications.application_status_change writes it and its event)."""
    application_status_change(application=application, to_status=new_status, user=user, kind=kind,
                              message=message, visible=visible, fields=("reopened_fields", "report_due_on"))


def role_notify(application, role, kind, stage):
    link = reverse("workflows:case_detail", args=[application.pk])
    for person in roles.users_with_role(role):
        notification_queue(user=person, kind=kind, stage=stage, application=application, link=link)


# -- claim and release ---------------------------------------------------------------------------

def task_claim(*, task_pk: int, user):
    task = task_get(task_pk)
    with process_lock(task.process):
        task = Task.objects.select_related("process").get(pk=task_pk)
        if task_is_applicants(task) or not user_may_see_task(user, task):
            raise NotAllowed(_("You cannot take this task."))
        if task.status != STATUS.NEW:
            raise NotAllowed(_("Someone has already taken this task."))
        task.flow_task.activation_class(task).assign(user)
        application = Application.objects.get(pk=task.process.coerced.application_id)
        event_record(application=application, kind=Event.Kind.TASK_CLAIMED, actor=user,
                     message=str(task.flow_task.task_title or task.flow_task.name))
    return task


def task_release(*, task_pk: int, user):
    task = task_get(task_pk)
    with process_lock(task.process):
        task = Task.objects.select_related("process").get(pk=task_pk)
        if task_is_applicants(task) or task.status != STATUS.ASSIGNED or task.owner_id != user.pk:
            raise NotAllowed(_("You can only release a task you have taken."))
        task.flow_task.activation_class(task).unassign()
        application = Application.objects.get(pk=task.process.coerced.application_id)
        event_record(application=application, kind=Event.Kind.TASK_RELEASED, actor=user,
                     message=str(task.flow_task.task_title or task.flow_task.name))
    return task
