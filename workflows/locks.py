"""The one lock of a case: its process row, the lock every workflow step takes.

Every write that touches a case under way takes it here, first, and then the rows it changes in one order:
the process, then the fund year (money), then the application (and its decisions, payments, assignments).
Concurrent writers to one case queue on the process row; writers to different cases of one fund queue on
the fund year, so available can never go below zero; nothing takes them the other way round, so nothing
deadlocks. The lock is viewflow's (`ApplicationFlow.lock_impl`: SELECT … FOR UPDATE NOWAIT with retries) and
opens the transaction the step runs in. When it cannot be had past the retries, the caller gets the one
translated "try again" NotAllowed, never a 500.

The flow class comes from the process row (`process.flow_class`), so this module does not import
workflows.flows: the flow's nodes name the step views, whose services lock through here.
"""

from contextlib import contextmanager

from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed

from common.errors import NotAllowed
from workflows.models import ApplicationProcess


def busy_message() -> str:
    """What a person sees when someone else holds the case's lock."""
    return _("Someone else is working on this case right now. Try again in a moment.")


@contextmanager
def process_lock(process):
    """Hold the process row's lock (and its transaction) for the body; FlowLockFailed becomes NotAllowed.
    `process`: the process (any viewflow Process row; read-only here, re-read it under the lock)."""
    try:
        with process.flow_class.lock(process.pk):
            yield
    except FlowLockFailed:
        raise NotAllowed(busy_message()) from None


@contextmanager
def case_lock(application_id: int, *, not_started: str | None = None):
    """Hold the lock of the application's process and yield the process (as read before the lock: re-read
    it under the lock if its state matters). An application without a process (never submitted) raises
    NotAllowed(`not_started`), or ApplicationProcess.DoesNotExist when no message is given."""
    process = ApplicationProcess.objects.filter(application_id=application_id).first()
    if process is None:
        if not_started is None:
            raise ApplicationProcess.DoesNotExist
        raise NotAllowed(not_started)
    with process_lock(process):
        yield process
