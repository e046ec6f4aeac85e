"""Reads of the outbox for staff."""

from django.db.models import Exists, OuterRef
from django.http import Http404

from notifications.models import OutboxMessage

# Not delivered (yet, or for good). Held rows are waiting for their digest by the user's choice.
UNDELIVERED = (OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING)


def outbox_staff_may_see(user) -> bool:
    """Case officers and project secretaries (whoever sees every case sees every mail)."""
    return user.is_authenticated and user.has_perm("grants.view_all_applications")


def outbox_undelivered_for_staff(*, user):
    """Mails that belong to no case (account mails, invitations, daily summaries, indicator reports) that
    failed or are not sent yet, newest first (the view shows them in pages). A failed mail that has been
    sent again successfully is done. Nothing for anyone but staff."""
    if not outbox_staff_may_see(user):
        return OutboxMessage.objects.none()
    resent_ok = OutboxMessage.objects.filter(resent_from=OuterRef("pk"), status=OutboxMessage.Status.SENT)
    return (OutboxMessage.objects.filter(application__isnull=True, status__in=UNDELIVERED)
            .exclude(Exists(resent_ok)).select_related("queued_by").prefetch_related("resends")
            .order_by("-created_at", "-pk"))


def outbox_message_get_for_staff(*, user, pk: int) -> OutboxMessage:
    """One mail that belongs to no case, for staff; 404 for everyone else (a case's mails are on its page)."""
    message = None
    if outbox_staff_may_see(user):
        message = OutboxMessage.objects.filter(pk=pk, application__isnull=True).first()
    if message is None:
        raise Http404
    return message
