"""Organisation contacts and invitations: selectors (reads) and services (writes).

An organisation's contacts are its Memberships. A contact invites a colleague by e-mail;
the colleague follows the link, logs in or creates an account, and accepts. Only a person whose
verified address is the invited one may accept.

Registering an organisation number that is already registered never makes anyone a contact: it
sends a request to join, which a contact or a case officer answers. A first registration is
unverified until a case officer confirms it, and staff can move an organisation to its rightful
contacts. The registration answers the same way whether the number was registered or not, so no
one learns from it which numbers exist. Every change is in the organisation's audit trail.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import roles
from grants.models import Invitation, JoinRequest, Membership, Organisation, OrganisationEvent
from common.errors import NotAllowed
from grants.validators import normalise_org_number

INVITATION_VALID_FOR = timedelta(days=14)
INVITATIONS_PER_DAY = 20  # per organisation, in any 24 hours
INVITATION_KIND = "invitation"  # templates/notifications/email/invitation*.txt
REGISTRATIONS_PER_DAY = 5  # per person: registrations and requests to join, in any 24 hours
MANAGE_PERMISSION = "grants.manage_organisations"


class Registered(str):
    """What organisation_register did; the registrant is told the same for REGISTERED and REQUESTED."""


REGISTERED, REQUESTED, ALREADY_CONTACT = Registered("registered"), Registered("requested"), Registered("contact")


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


def can_manage(user) -> bool:
    return user.is_authenticated and user.has_perm(MANAGE_PERMISSION)


def organisation_get_for_staff(*, user, pk: int) -> Organisation:
    """The organisation, for a case officer; 404 for everyone else."""
    if not can_manage(user):
        raise Http404
    organisation = Organisation.objects.select_related("municipality", "verified_by").filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation


def organisations_for_staff(*, user, query: str = "", show: str = ""):
    """Organisations for the staff list: search by name or number; `show` = "unverified" or "requests"."""
    from django.db.models import Count, Q

    if not can_manage(user):
        return Organisation.objects.none()
    organisations = Organisation.objects.select_related("municipality").annotate(
        contact_count=Count("membership", distinct=True),
        pending_count=Count("join_requests", filter=Q(join_requests__status=JoinRequest.Status.PENDING),
                            distinct=True),
    )
    query = (query or "").strip()
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        match = Q(name__icontains=query)
        if len(digits) >= 4:
            match |= Q(org_number__contains=digits if len(digits) <= 6 else f"{digits[:6]}-{digits[6:]}")
        organisations = organisations.filter(match)
    if show == "unverified":
        organisations = organisations.filter(verified_at__isnull=True)
    elif show == "requests":
        organisations = organisations.filter(pending_count__gt=0)
    return organisations.order_by("name", "pk")


def join_requests_pending(*, organisation: Organisation):
    return (JoinRequest.objects.filter(organisation=organisation, status=JoinRequest.Status.PENDING)
            .select_related("user").order_by("created_at", "pk"))


def join_request_get_for_user(*, user, pk: int) -> JoinRequest:
    """A request to join, for a contact of its organisation or a case officer; 404 for everyone else."""
    if not user.is_authenticated:
        raise Http404
    join_request = JoinRequest.objects.select_related("organisation", "user").filter(pk=pk).first()
    if join_request is None or not (can_manage(user) or Membership.objects.filter(
            user=user, organisation_id=join_request.organisation_id).exists()):
        raise Http404
    return join_request


def organisation_events(*, organisation: Organisation):
    return organisation.events.select_related("actor", "person").order_by("-created_at", "-pk")


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


def invitation_address_matches(invitation: Invitation, user) -> bool:
    """Whether `user` has confirmed (verified) the address the invitation was sent to, in any case."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()


def invitation_is_expired(invitation: Invitation, at=None) -> bool:
    return invitation.expires_at <= (at or timezone.now())


# --- services --------------------------------------------------------------------------------

def _event(organisation, kind, *, actor, person=None, email="", message="") -> OrganisationEvent:
    return OrganisationEvent.objects.create(organisation=organisation, kind=kind, actor=actor, person=person,
                                            email=email, message=message)


def _org_link(organisation, *, staff: bool) -> str:
    name = "grants:organisation_staff" if staff else "grants:organisation_detail"
    return reverse(name, args=[organisation.pk])


@transaction.atomic
def organisation_register(*, user, name: str, org_number: str, municipality, kind: str) -> Registered:
    """Register an organisation, or ask to join it when its number is already registered.

    A new number: the organisation is created, unverified (a case officer confirms it, shown on its
    cases and in the ex-ante check), with `user` as its contact. A registered number: a request to join goes to its contacts (and to the case
    officers when the organisation is unverified or has no contacts); nothing else changes. A person
    makes at most REGISTRATIONS_PER_DAY of either in 24 hours (the same limit whatever the number), so
    registering cannot be used to list which numbers exist. Returns REGISTERED, REQUESTED or
    ALREADY_CONTACT (the user is a contact already: nothing is written).
    """
    from accounts.models import User

    org_number = normalise_org_number(org_number)
    candidate = Organisation(name=name, org_number=org_number, municipality=municipality, kind=kind)
    candidate.full_clean(validate_unique=False)
    User.objects.select_for_update().filter(pk=user.pk).first()  # one registration at a time per person
    existing = Organisation.objects.select_for_update().filter(org_number=org_number).first()
    if existing is not None and Membership.objects.filter(user=user, organisation=existing).exists():
        return ALREADY_CONTACT
    since = timezone.now() - timedelta(hours=24)
    attempts = OrganisationEvent.objects.filter(
        actor=user, created_at__gt=since,
        kind__in=[OrganisationEvent.Kind.REGISTERED, OrganisationEvent.Kind.JOIN_REQUESTED]).count()
    if attempts >= REGISTRATIONS_PER_DAY:
        raise NotAllowed(_("You have registered %(count)s organisations in the last 24 hours. Try again tomorrow, "
                           "or ask the fund's case officers for help.") % {"count": REGISTRATIONS_PER_DAY})
    if existing is None:
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError:  # registered a moment ago by someone else: ask to join it
            existing = Organisation.objects.select_for_update().get(org_number=org_number)
        else:
            Membership.objects.create(user=user, organisation=candidate)
            _event(candidate, OrganisationEvent.Kind.REGISTERED, actor=user, person=user)
            return REGISTERED
    _join_request_create(organisation=existing, user=user, name_given=candidate.name)
    return REQUESTED


def _join_request_create(*, organisation, user, name_given: str) -> JoinRequest:
    """A pending request to join (the same one again if one is pending) and the mails about it."""
    from notifications.services import notification_queue

    pending = JoinRequest.objects.filter(organisation=organisation, user=user,
                                         status=JoinRequest.Status.PENDING).first()
    if pending is not None:
        _event(organisation, OrganisationEvent.Kind.JOIN_REQUESTED, actor=user, person=user,
               message=_("Asked again; the request was already waiting."))
        return pending
    join_request = JoinRequest.objects.create(organisation=organisation, user=user, name_given=name_given[:200])
    _event(organisation, OrganisationEvent.Kind.JOIN_REQUESTED, actor=user, person=user)
    contacts = list(organisation_contacts(organisation=organisation).filter(is_active=True))
    context = {"organisation": organisation, "requester": user, "name_given": join_request.name_given,
               "verified": organisation.is_verified}
    for contact in contacts:
        notification_queue(user=contact, kind="join_request", stage=f"join:{join_request.pk}",
                           link=_org_link(organisation, staff=False), context={**context, "for_staff": False})
    if not contacts or not organisation.is_verified:
        for officer in roles.users_with_role(roles.CASE_OFFICER):
            notification_queue(user=officer, kind="join_request", stage=f"join:{join_request.pk}",
                               link=_org_link(organisation, staff=True), context={**context, "for_staff": True})
    return join_request


@transaction.atomic
def join_request_decide(*, join_request_id: int, user, approve: bool) -> JoinRequest:
    """A contact of the organisation or a case officer lets the person in, or declines.

    Under a row lock: a request is answered once; a second answer is refused and changes nothing.
    """
    from notifications.services import notification_queue

    join_request = (JoinRequest.objects.select_for_update().select_related("organisation", "user")
                    .filter(pk=join_request_id).first())
    if join_request is None:
        raise Http404
    organisation = join_request.organisation
    staff = can_manage(user)
    if not staff and not Membership.objects.filter(user=user, organisation=organisation).exists():
        raise PermissionDenied
    if join_request.status != JoinRequest.Status.PENDING:
        raise NotAllowed(_("This request has already been answered."))
    join_request.status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.DECLINED
    join_request.decided_at = timezone.now()
    join_request.decided_by = user
    join_request.save(update_fields=["status", "decided_at", "decided_by"])
    requester = join_request.user
    if approve:
        Membership.objects.get_or_create(user=requester, organisation=organisation)
    _event(organisation, OrganisationEvent.Kind.JOIN_APPROVED if approve else OrganisationEvent.Kind.JOIN_DECLINED,
           actor=user, person=requester)
    notification_queue(
        user=requester, kind="join_approved" if approve else "join_declined", stage=f"join:{join_request.pk}",
        link=_org_link(organisation, staff=False) if approve else reverse("grants:organisation_create"),
        context={"organisation": organisation, "by_staff": staff},
    )
    return join_request


@transaction.atomic
def organisation_verify(*, organisation_id: int, user, note: str = "") -> Organisation:
    """A case officer confirms that the organisation is registered by the people who represent it."""
    if not can_manage(user):
        raise PermissionDenied
    organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404
    if organisation.is_verified:
        raise NotAllowed(_("%(organisation)s was already verified.") % {"organisation": organisation.name})
    organisation.verified_at = timezone.now()
    organisation.verified_by = user
    organisation.save(update_fields=["verified_at", "verified_by"])
    _event(organisation, OrganisationEvent.Kind.VERIFIED, actor=user, message=note.strip())
    return organisation


@transaction.atomic
def organisation_contacts_change(*, organisation_id: int, user, remove_ids=(), add_emails=(),
                                 reason: str) -> dict:
    """Staff move an organisation to its rightful contacts: remove contacts, add people by address.

    An address with a verified account becomes a contact at once; any other address is invited (the
    invitation can only be accepted with that address). Removing contacts also withdraws the open
    invitations they sent. A reason is required; every change is in the audit trail and each person
    added or removed gets an e-mail. Returns {"added": [...], "invited": [...], "removed": [...]}.
    """
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from notifications.services import notification_queue

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
        _event(organisation, OrganisationEvent.Kind.CONTACT_REMOVED, actor=user, person=person, message=message)
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
                _event(organisation, OrganisationEvent.Kind.CONTACT_ADDED, actor=user, person=person,
                       email=email, message=reason)
                notification_queue(user=person, kind="contact_added",
                                   stage=f"added:{organisation.pk}:{now.isoformat()}",
                                   link=_org_link(organisation, staff=False), context={"organisation": organisation})
                result["added"].append(person)
            continue
        if invitations_open(organisation=organisation, at=now).filter(email__iexact=email).exists():
            continue
        _invitation_write(organisation=organisation, user=user, email=email, now=now)
        _event(organisation, OrganisationEvent.Kind.CONTACT_INVITED, actor=user, email=email, message=reason)
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
    return _invitation_write(organisation=organisation, user=user, email=email, now=now)


def _invitation_write(*, organisation, user, email: str, now) -> Invitation:
    from notifications.services import notification_queue_to_address

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
    _event(invitation.organisation, OrganisationEvent.Kind.INVITATION_ACCEPTED, actor=user, person=user,
           email=invitation.email)
    return membership
