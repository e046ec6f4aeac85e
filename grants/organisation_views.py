"""Pages for an organisation's contacts: the organisation page and accepting an invitation."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from grants import organisations
from grants.organisation_forms import InvitationForm
from grants.services import NotAllowed


@login_required
def organisation_detail(request, pk: int):
    organisation = organisations.organisation_get_for_user(user=request.user, pk=pk)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = organisations.invitation_create(
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
        "invitations": organisations.invitations_open(organisation=organisation),
        "form": form,
    }, status=400 if form.errors else 200)


@never_cache
def invitation_accept(request, token: str):
    """Anyone with the link sees the invitation; a logged-in user confirms it with a POST."""
    invitation = organisations.invitation_get_by_token(token=token)
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect(_with_next(reverse("account_login"), request.path))
        return render(request, "grants/invitation_welcome.html", {
            "invitation": invitation,
            "expired": organisations.invitation_is_expired(invitation),
            "login_url": _with_next(reverse("account_login"), request.path),
            "signup_url": _with_next(reverse("account_signup"), request.path),
        })
    error = None
    if request.method == "POST":
        try:
            membership = organisations.invitation_accept(token=token, user=request.user)
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
        "expired": organisations.invitation_is_expired(invitation),
        "used_by_me": used_by_me,
        "used_by_other": invitation.accepted_at is not None and not used_by_me,
        "other_address": invitation.email.lower() != request.user.email.lower(),
    }, status=400 if error else 200)


def _with_next(url: str, next_path: str) -> str:
    return f"{url}?{urlencode({'next': next_path})}"
