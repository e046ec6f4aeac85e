"""Organisation contacts and invitations: selectors (reads) and services (writes).

An organisation's contacts are its Memberships. A contact invites a colleague by e-mail;
the colleague follows the link, logs in or creates an account, and accepts. Accepting makes
whoever is logged in a contact (the invited address is shown before they confirm).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from grants.models import Invitation, Membership, Organisation
from grants.services import NotAllowed

INVITATION_VALID_FOR = timedelta(days=14)
INVITATIONS_PER_DAY = 20  # per organisation, in any 24 hours
INVITATION_KIND = "invitation"  # templates/notifications/email/invitation*.txt


# --- selectors -------------------------------------------------------------------------------

def organisation_get_for_user(*, user, pk: int) -> Organisation:
    """The organisation, if the user is one of its contacts; 404 for everyone else."""
    if not user.is_authenticated:
        raise Http404
    organisation = (Organisation.objects.select_related("municipality")
                    .filter(pk=pk, membership__user=user).first())
    if organisation is None:
        raise Http404
    return organisation


def organisation_contacts(*, organisation: Organisation):
    from accounts.models import User

    return User.objects.filter(membership__organisation=organisation).order_by("full_name", "email")


def invitations_open(*, organisation: Organisation, at=None):
    """Invitations not yet accepted and not yet expired, newest first."""
    at = at or timezone.now()
    return (Invitation.objects.filter(organisation=organisation, accepted_at__isnull=True, expires_at__gt=at)
            .select_related("invited_by").order_by("-created_at", "-pk"))


def invitation_get_by_token(*, token: str) -> Invitation:
    """Anyone holding the link may see the invitation; an unknown token is a 404."""
    invitation = (Invitation.objects.select_related("organisation", "organisation__municipality", "invited_by")
                  .filter(token=token).first())
    if invitation is None:
        raise Http404
    return invitation


def invitation_is_expired(invitation: Invitation, at=None) -> bool:
    return invitation.expires_at <= (at or timezone.now())


# --- services --------------------------------------------------------------------------------

def _normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise NotAllowed(_("Enter a valid e-mail address.")) from exc
    return email


def _recipient_language(*, email: str, inviter) -> str:
    """The invitee's own language if they have an account, otherwise the inviter's."""
    from accounts.models import User

    existing = User.objects.filter(email__iexact=email).only("language").first()
    return (existing.language if existing else inviter.language) or settings.LANGUAGE_CODE


@transaction.atomic
def invitation_create(*, organisation_id: int, user, email: str) -> Invitation:
    """Invite `email` to become a contact of the organisation and queue the e-mail.

    Only a contact may invite. Refused (NotAllowed, nothing written) when the address is
    already a contact, when an open invitation to it exists, or when the organisation has
    sent INVITATIONS_PER_DAY invitations in the last 24 hours. The checks run under a row
    lock on the organisation, so two concurrent invitations cannot both pass them.
    """
    from notifications.services import notification_queue_to_address

    organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if organisation is None or not Membership.objects.filter(user=user, organisation=organisation).exists():
        raise PermissionDenied
    email = _normalise_email(email)
    now = timezone.now()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise NotAllowed(_("%(email)s is already a contact for %(organisation)s.")
                         % {"email": email, "organisation": organisation.name})
    if invitations_open(organisation=organisation, at=now).filter(email__iexact=email).exists():
        raise NotAllowed(_("%(email)s has already been invited and the invitation is still valid. "
                           "Ask them to look for the e-mail, also in the spam folder.") % {"email": email})
    sent_today = Invitation.objects.filter(organisation=organisation, created_at__gt=now - timedelta(hours=24))
    if sent_today.count() >= INVITATIONS_PER_DAY:
        raise NotAllowed(_("Your organisation has sent %(count)s invitations in the last 24 hours. "
                           "Try again tomorrow.") % {"count": INVITATIONS_PER_DAY})
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, token=secrets.token_urlsafe(32), invited_by=user,
        expires_at=now + INVITATION_VALID_FOR,
    )
    notification_queue_to_address(
        email=email, language=_recipient_language(email=email, inviter=user), kind=INVITATION_KIND,
        stage=f"invitation:{invitation.pk}", link=reverse("grants:invitation_accept", args=[invitation.token]),
        context={"invitation": invitation, "organisation": organisation, "inviter": user,
                 "expires_at": invitation.expires_at},
    )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Make `user` a contact of the invitation's organisation.

    Under a row lock on the invitation: accepting twice is harmless (the same membership
    comes back); an expired invitation, or one already used by someone else, is refused
    and nothing changes. Unknown token: 404.
    """
    invitation = Invitation.objects.select_for_update().select_related("organisation").filter(token=token).first()
    if invitation is None:
        raise Http404
    if invitation.accepted_at is not None:
        if invitation.accepted_by_id != user.pk:
            raise NotAllowed(_("This invitation has already been used. Ask a contact of %(organisation)s "
                               "to send you a new one.") % {"organisation": invitation.organisation.name})
        membership, _created = Membership.objects.get_or_create(user=user, organisation=invitation.organisation)
        return membership
    if invitation_is_expired(invitation):
        expired_on = date_format(timezone.localtime(invitation.expires_at), "j F Y")
        raise NotAllowed(_("This invitation expired on %(date)s. Ask a contact of %(organisation)s to send "
                           "you a new one.") % {"date": expired_on, "organisation": invitation.organisation.name})
    membership, _created = Membership.objects.get_or_create(user=user, organisation=invitation.organisation)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
