"""Pages for an organisation's contacts (the organisation page, requests to join, accepting an
invitation) and for case officers (the organisations, verification, moving an organisation to its
rightful contacts)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grants.services import memberships, organisations
from grants.forms.organisations import (
    ContactsChangeForm, InvitationForm, JoinDecisionForm, OrganisationFilterForm, VerifyForm,
)
from common.errors import NotAllowed

PAGE_SIZE = 50


@login_required
def organisation_detail(request, pk: int):
    organisation = organisations.organisation_get_for_user(user=request.user, pk=pk)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = memberships.invitation_create(
                organisation_id=organisation.pk, user=request.user, email=form.cleaned_data["email"]
            )
        except NotAllowed as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, _("We have sent an invitation to %(email)s.") % {"email": invitation.email})
            return redirect("grants:organisation_detail", organisation.pk)
    return render(request, "grants/organisation_detail.html", {
        "organisation": organisation,
        "contacts": organisations.organisation_contacts(organisation=organisation),
        "invitations": memberships.invitations_open(organisation=organisation),
        "join_requests": organisations.join_requests_pending(organisation=organisation),
        "form": form,
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def join_request_decide(request, pk: int):
    """A contact (from the organisation page) or a case officer (from the staff page) answers a request."""
    join_request = organisations.join_request_get_for_user(user=request.user, pk=pk)
    organisation = join_request.organisation
    staff = organisations.can_manage(request.user)
    back = ("grants:organisation_staff" if staff else "grants:organisation_detail", organisation.pk)
    form = JoinDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to let them in or decline."))
        return redirect(*back)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        organisations.join_request_decide(join_request_id=join_request.pk, user=request.user, approve=approve)
    except NotAllowed as exc:
        messages.error(request, exc.message)
    else:
        name = join_request.user.get_full_name()
        messages.success(request, (_("%(name)s is now a contact.") if approve
                                   else _("You declined the request from %(name)s.")) % {"name": name})
    return redirect(*back)


@login_required
def organisation_staff_list(request):
    """The organisations, for case officers: search, the unverified ones, those with requests to join."""
    if not organisations.can_manage(request.user):
        raise Http404
    form = OrganisationFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = organisations.organisations_for_staff(user=request.user, query=data.get("q", ""),
                                                 show=data.get("show", ""))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grants/organisation_staff_list.html", {
        "form": form, "page_obj": page, "organisations": page.object_list,
        "page_range": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "ellipsis": Paginator.ELLIPSIS,
    })


def _staff_page(request, organisation, *, verify_form=None, contacts_form=None, status=200):
    contacts = list(organisations.organisation_contacts(organisation=organisation))
    return render(request, "grants/organisation_staff.html", {
        "organisation": organisation,
        "contacts": contacts,
        "invitations": memberships.invitations_open(organisation=organisation),
        "join_requests": organisations.join_requests_pending(organisation=organisation),
        "events": organisations.organisation_events(organisation=organisation)[:200],
        "applications": organisation.applications.exclude(status="draft").select_related("call")
                                                 .order_by("-submitted_at", "-pk")[:50],
        "verify_form": verify_form or VerifyForm(),
        "contacts_form": contacts_form or ContactsChangeForm(contacts=contacts),
    }, status=status)


@login_required
@never_cache
def organisation_staff(request, pk: int):
    organisation = organisations.organisation_get_for_staff(user=request.user, pk=pk)
    return _staff_page(request, organisation)


@login_required
@require_POST
def organisation_verify(request, pk: int):
    """A case officer confirms the organisation (from its staff page, a case or the ex-ante check)."""
    organisation = organisations.organisation_get_for_staff(user=request.user, pk=pk)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, organisation, verify_form=form, status=400)
    try:
        organisations.organisation_verify(organisation_id=organisation.pk, user=request.user,
                                          note=form.cleaned_data["note"])
    except NotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(organisation)s is verified.") % {"organisation": organisation.name})
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return redirect(nxt)
    return redirect("grants:organisation_staff", organisation.pk)


@login_required
@require_POST
def organisation_contacts_change(request, pk: int):
    """Staff move an organisation to its rightful contacts: remove some, add or invite others, with a reason."""
    organisation = organisations.organisation_get_for_staff(user=request.user, pk=pk)
    contacts = list(organisations.organisation_contacts(organisation=organisation))
    form = ContactsChangeForm(request.POST, contacts=contacts)
    if form.is_valid():
        try:
            result = memberships.organisation_contacts_change(
                organisation_id=organisation.pk, user=request.user, remove_ids=form.cleaned_data["remove"],
                add_emails=form.cleaned_data["add"], reason=form.cleaned_data["reason"],
            )
        except NotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The contacts are changed: %(added)s added, %(invited)s invited, "
                                        "%(removed)s removed.") % {key: len(value) for key, value in result.items()})
            return redirect("grants:organisation_staff", organisation.pk)
    return _staff_page(request, organisation, contacts_form=form, status=400)


@never_cache
def invitation_accept(request, token: str):
    """Anyone with the link sees the invitation; a logged-in user confirms it with a POST."""
    invitation = memberships.invitation_get_by_token(token=token)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect(_with_next(reverse("account_login"), request.path))
        return render(request, "grants/invitation_welcome.html", {
            "invitation": invitation,
            "expired": memberships.invitation_is_expired(invitation),
            "login_url": _with_next(reverse("account_login"), request.path),
            "signup_url": _with_next(reverse("account_signup"), request.path),
        })
    error = None
    if request.method == "POST":
        try:
            membership = memberships.invitation_accept(token=token, user=request.user)
        except NotAllowed as exc:
            error = exc.message
        else:
            messages.success(request, _("You are now a contact for %(organisation)s.")
                             % {"organisation": membership.organisation.name})
            return redirect("grants:organisation_detail", membership.organisation_id)
    used_by_me = invitation.accepted_at is not None and invitation.accepted_by_id == request.user.pk
    return render(request, "grants/invitation_accept.html", {
        "invitation": invitation,
        "error": error,
        "expired": memberships.invitation_is_expired(invitation),
        "used_by_me": used_by_me,
        "used_by_other": invitation.accepted_at is not None and not used_by_me,
        "other_address": not memberships.invitation_address_matches(invitation, request.user),
    }, status=400 if error else 200)


def _with_next(url: str, next_path: str) -> str:
    return f"{url}?{urlencode({'next': next_path})}"
