"""Who becomes a contact of an organisation, beyond registering (grants.services.organisations): a contact
invites a colleague by e-mail; the colleague follows the link, logs in or creates an account, and accepts.
Only a person whose verified address is the invited one may accept. Staff move an organisation to its
rightful contacts (organisation_contacts_change). Every change is in the organisation's audit trail.
"""

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from common.errors import NotAllowed
from grants.models import Invitation, Membership, Organisation, OrganisationEvent
from grants.selectors import user_is_contact
from grants.services.organisations import (
    INVITATION_KIND, INVITATION_VALID_FOR, INVITATIONS_PER_DAY, can_manage, organisation_event, organisation_link,
)
from notifications.services import notification_queue, notification_queue_to_address


# --- selectors -------------------------------------------------------------------------------

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


def invitation_address_matches(invitation: Invitation, user) -> bool:
    """Whether `user` has confirmed (verified) the address the invitation was sent to, in any case."""
    return EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()


def invitation_is_expired(invitation: Invitation, at=None) -> bool:
    return invitation.expires_at <= (at or timezone.now())


# --- services --------------------------------------------------------------------------------

@transaction.atomic
def organisation_contacts_change(*, organisation_id: int, user, remove_ids=(), add_emails=(),
                                 reason: str) -> dict:
    """Staff move an organisation to its rightful contacts: remove contacts, add people by address.

    An address with a verified account becomes a contact at once; any other address is invited (the
    invitation can only be accepted with that address). Removing contacts also withdraws the open
    invitations they sent. A reason is required; every change is in the audit trail and each person
    added or removed gets an e-mail. Returns {"added": [...], "invited": [...], "removed": [...]}.
    """

    if not can_manage(user):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise NotAllowed(_("Give the reason for the change."))
    organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404
    emails = []
    for email in add_emails:
        email = _normalise_email(email)
        if email not in emails:
            emails.append(email)
    remove_ids = {int(pk) for pk in remove_ids}
    removed = list(User.objects.filter(pk__in=remove_ids, membership__organisation=organisation)
                   .order_by("full_name", "email"))
    if len(removed) != len(remove_ids):
        raise NotAllowed(_("Only the organisation's present contacts can be removed."))
    if not emails and not removed:
        raise NotAllowed(_("Choose contacts to remove or give addresses to add."))
    now = timezone.now()
    result = {"added": [], "invited": [], "removed": []}
    for person in removed:
        Membership.objects.filter(user=person, organisation=organisation).delete()
        withdrawn = invitations_open(organisation=organisation, at=now).filter(invited_by=person).update(
            expires_at=now)
        message = reason if not withdrawn else "%s\n%s" % (reason, _("Open invitations withdrawn: %(count)s") % {
            "count": withdrawn})
        organisation_event(organisation, OrganisationEvent.Kind.CONTACT_REMOVED, actor=user, person=person, message=message)
        notification_queue(user=person, kind="contact_removed", stage=f"removed:{organisation.pk}:{now.isoformat()}",
                           context={"organisation": organisation})
        result["removed"].append(person)
    for email in emails:
        address = (EmailAddress.objects.select_related("user").filter(email__iexact=email, verified=True)
                   .first())
        person = address.user if address is not None else None
        if person is not None and person.is_active:
            _membership, created = Membership.objects.get_or_create(user=person, organisation=organisation)
            if created:
                organisation_event(organisation, OrganisationEvent.Kind.CONTACT_ADDED, actor=user, person=person,
                                   message=reason)
                notification_queue(user=person, kind="contact_added",
                                   stage=f"added:{organisation.pk}:{now.isoformat()}",
                                   link=organisation_link(organisation, staff=False), context={"organisation": organisation})
                result["added"].append(person)
            continue
        if invitations_open(organisation=organisation, at=now).filter(email__iexact=email).exists():
            continue
        invitation = _invitation_write(organisation=organisation, user=user, email=email, now=now)
        organisation_event(organisation, OrganisationEvent.Kind.CONTACT_INVITED, actor=user, invitation=invitation,
                           message=reason)
        result["invited"].append(email)
    return result

def _normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise NotAllowed(_("Enter a valid e-mail address.")) from exc
    return email


def _recipient_language(*, email: str, inviter) -> str:
    """The invitee's own language if they have an account, otherwise the inviter's."""
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
    organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if organisation is None or not user_is_contact(user, organisation_id=organisation.pk):
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
    return _invitation_write(organisation=organisation, user=user, email=email, now=now)


def _invitation_write(*, organisation, user, email: str, now) -> Invitation:
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

    Only a user whose verified address is the invited one (in any case) may accept. Under a row
    lock on the invitation: accepting twice is harmless (the same membership comes back); an
    invitation to another address, an expired one, or one already used by someone else is refused
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
    if not invitation_address_matches(invitation, user):
        raise NotAllowed(_("This invitation was sent to %(invited)s, but you are logged in as %(email)s. Log in "
                           "with the invited address (and confirm it), or ask a contact of %(organisation)s to "
                           "invite %(email)s.") % {"invited": invitation.email, "email": user.email,
                                                   "organisation": invitation.organisation.name})
    if invitation_is_expired(invitation):
        expired_on = date_format(timezone.localtime(invitation.expires_at), "j F Y")
        raise NotAllowed(_("This invitation expired on %(date)s. Ask a contact of %(organisation)s to send "
                           "you a new one.") % {"date": expired_on, "organisation": invitation.organisation.name})
    membership, _created = Membership.objects.get_or_create(user=user, organisation=invitation.organisation)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    organisation_event(invitation.organisation, OrganisationEvent.Kind.INVITATION_ACCEPTED, actor=user, person=user,
                       invitation=invitation)
    return membership
