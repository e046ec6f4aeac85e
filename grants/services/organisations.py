"""Organisations: selectors (reads) and services (writes) for registering, requests to join and verifying.
Invitations, accepting them and staff changes to an organisation's contacts: grants.services.memberships.

An organisation's contacts are its Memberships. Registering an organisation number that is already registered
never makes anyone a contact: it sends a request to join, which a contact or a case officer answers. A first
registration is unverified until a case officer confirms it, and staff can move an organisation to its
rightful contacts. The registration answers the same way whether the number was registered or not, so no one
learns from it which numbers exist. Every change is in the organisation's audit trail.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import User
from common.errors import NotAllowed
from grants.models import JoinRequest, Membership, Organisation, OrganisationEvent
from grants.selectors import user_is_contact
from grants.validators import normalise_org_number
from notifications.services import notification_queue

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
    return organisation.events.select_related("actor", "person", "invitation").order_by("-created_at", "-pk")


def organisation_contacts(*, organisation: Organisation):
    return User.objects.filter(membership__organisation=organisation).order_by("full_name", "email")


# --- services --------------------------------------------------------------------------------

def organisation_event(organisation, kind, *, actor, person=None, invitation=None, message="") -> OrganisationEvent:
    """An event of the organisation's audit trail. People and invitations by reference, never a copied name or
    address (an erasure pseudonymises the user and invitation rows; this table is append-only)."""
    return OrganisationEvent.objects.create(organisation=organisation, kind=kind, actor=actor, person=person,
                                            invitation=invitation, message=message)


def organisation_link(organisation, *, staff: bool) -> str:
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
    org_number = normalise_org_number(org_number)
    candidate = Organisation(name=name, org_number=org_number, municipality=municipality, kind=kind)
    candidate.full_clean(validate_unique=False)
    User.objects.select_for_update().filter(pk=user.pk).first()  # one registration at a time per person
    existing = Organisation.objects.select_for_update().filter(org_number=org_number).first()
    if existing is not None and user_is_contact(user, organisation_id=existing.pk):
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
            organisation_event(candidate, OrganisationEvent.Kind.REGISTERED, actor=user, person=user)
            return REGISTERED
    _join_request_create(organisation=existing, user=user, name_given=candidate.name)
    return REQUESTED


def _join_request_create(*, organisation, user, name_given: str) -> JoinRequest:
    """A pending request to join (the same one again if one is pending) and the mails about it."""
    pending = JoinRequest.objects.filter(organisation=organisation, user=user,
                                         status=JoinRequest.Status.PENDING).first()
    if pending is not None:
        organisation_event(organisation, OrganisationEvent.Kind.JOIN_REQUESTED, actor=user, person=user,
               message=_("Asked again; the request was already waiting."))
        return pending
    join_request = JoinRequest.objects.create(organisation=organisation, user=user, name_given=name_given[:200])
    organisation_event(organisation, OrganisationEvent.Kind.JOIN_REQUESTED, actor=user, person=user)
    contacts = list(organisation_contacts(organisation=organisation).filter(is_active=True))
    context = {"organisation": organisation, "requester": user, "name_given": join_request.name_given,
               "verified": organisation.is_verified}
    for contact in contacts:
        notification_queue(user=contact, kind="join_request", stage=f"join:{join_request.pk}",
                           link=organisation_link(organisation, staff=False), context={**context, "for_staff": False})
    if not contacts or not organisation.is_verified:
        for officer in roles.users_with_role(roles.CASE_OFFICER):
            notification_queue(user=officer, kind="join_request", stage=f"join:{join_request.pk}",
                               link=organisation_link(organisation, staff=True), context={**context, "for_staff": True})
    return join_request


@transaction.atomic
def join_request_decide(*, join_request_id: int, user, approve: bool) -> JoinRequest:
    """A contact of the organisation or a case officer lets the person in, or declines.

    Under a row lock: a request is answered once; a second answer is refused and changes nothing.
    """
    join_request = (JoinRequest.objects.select_for_update().select_related("organisation", "user")
                    .filter(pk=join_request_id).first())
    if join_request is None:
        raise Http404
    organisation = join_request.organisation
    staff = can_manage(user)
    if not staff and not user_is_contact(user, organisation_id=organisation.pk):
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
    kind = OrganisationEvent.Kind.JOIN_APPROVED if approve else OrganisationEvent.Kind.JOIN_DECLINED
    organisation_event(organisation, kind, actor=user, person=requester)
    notification_queue(
        user=requester, kind="join_approved" if approve else "join_declined", stage=f"join:{join_request.pk}",
        link=organisation_link(organisation, staff=False) if approve else reverse("grants:organisation_create"),
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
    organisation_event(organisation, OrganisationEvent.Kind.VERIFIED, actor=user, message=note.strip())
    return organisation
