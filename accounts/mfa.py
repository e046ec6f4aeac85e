"""The second factor: TOTP with recovery codes (allauth.mfa), required for staff and the admin.

Who must use it: everyone who sees other people's applications or the admin. That is case officers,
project secretaries, the steering group and reviewers, and every user with ``is_staff`` or
``is_superuser``. Reviewers are included on purpose. They read whole applications, with names and
personal data, and DOMAIN.md does not describe them as outside volunteers without accounts. Applicants
may turn it on under *Two-factor authentication* (``/konto/2fa/``). Once it is on, allauth asks for a
code at every login, as it does for staff.

How it is enforced. For each session allauth records every way the person authenticated (``password``,
``mfa``, …; ``allauth.account.authentication.get_authentication_records``). ``SecondFactorMiddleware``
lets a user who must use a second factor reach Potten only when that record holds an ``mfa`` step for
this user. Otherwise:

- A user who has no authenticator yet can open only the account pages (``/konto/…``: set one up, see the
  recovery codes, log out) and switch the language. Every other page sends them to set one up.
  Setting up TOTP (``ActivateTOTPView``) counts as passing the step, because the form checks a code from the new
  authenticator. The security trade-off is the usual one for first enrolment: until a staff user
  has enrolled, their password alone lets someone enrol. Staff accounts should therefore enrol at
  their first login. The demo accounts come already enrolled.
- A user who has an authenticator but whose session skipped the step is logged out and sent to log in
  again, and that login asks for the code. Such a session could be one that logged in before MFA
  was required, or one that got a staff role during the session.

Django's own admin login form is replaced by allauth's (``config/urls.py``, ``secure_admin_login``), and
every admin page goes through this middleware, so the admin offers no way around it. A staff user
cannot switch off their TOTP (``MFAAdapter``).

Tests and ``force_login``: Django's test client makes logged-in sessions in-process. ``force_login`` and
``login`` call ``django.contrib.auth.login`` with a bare ``HttpRequest``, which no HTTP request can
produce (every request served is a ``WSGIRequest`` or ``ASGIRequest``). A receiver of ``user_logged_in``
marks such a session. Only while ``MFA_TRUST_IN_PROCESS_LOGINS`` is on (``settings.TESTING``: the test
suite only) does the middleware count the mark as a passed second factor. So the many tests that log
staff in with ``force_login`` keep working. The tests of the enforcement itself log in over HTTP. In
production the setting is off, and even an in-process login must pass the second factor.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.totp.views import ActivateTOTPView as AllauthActivateTOTPView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import roles
from accounts.mfa_secrets import SecretUnreadable, secret_decrypt, secret_encrypt

# The demo staff users' TOTP secret (seed_demo; README): public, for demo installations only.
DEMO_TOTP_SECRET = "POTTENDEMOTOTPSECRETPOTTENDEMO22"

STAFF_ROLES = frozenset({roles.CASE_OFFICER, roles.SECRETARY, roles.STEERING_GROUP, roles.REVIEWER})
IN_PROCESS_LOGIN_KEY = "potten_in_process_login"


def requires_second_factor(user) -> bool:
    """Staff roles, reviewers and admin users must use a second factor; applicants may."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or roles.user_roles(user) & STAFF_ROLES)


def passed_second_factor(request, user) -> bool:
    """Whether this session passed a second factor for this user (see the module's docstring)."""
    if any(record.get("method") == "mfa" for record in get_authentication_records(request, user)):
        return True
    return bool(getattr(settings, "MFA_TRUST_IN_PROCESS_LOGINS", False)
                and request.session.get(IN_PROCESS_LOGIN_KEY) == str(user.pk))


def totp_code(secret: str, *, at: float | None = None, step: int = 0) -> str:
    """The TOTP code an authenticator app shows for ``secret`` at ``at`` (now), ``step`` periods later."""
    counter = int(time.time() if at is None else at) // mfa_settings.TOTP_PERIOD + step
    return format_hotp_value(hotp_value(secret, counter))


def give_totp(user, secret: str) -> Authenticator:
    """Give ``user`` a TOTP authenticator with this secret and recovery codes (for the demo data)."""
    authenticator = TOTP.activate(user, secret).instance
    RecoveryCodes.activate(user)
    return authenticator


def _open_paths() -> tuple[str, ...]:
    """What a staff user without an authenticator may reach: the account pages, the language switch."""
    account_root = reverse("account_login").rsplit("/", 2)[0] + "/"  # "/konto/"
    return account_root, reverse("set_language"), settings.STATIC_URL, reverse("healthz")


class SecondFactorMiddleware:
    """A user who must use a second factor reaches no page but their account pages until they pass it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        # The session's record first: it is read from the session alone, so a session that passed the second
        # factor costs no query here (the roles are read only for one that has not).
        if user.is_authenticated and not passed_second_factor(request, user) and requires_second_factor(user):
            refusal = self.refuse(request, user)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def process_exception(self, request, exception):
        """A second-factor secret that no configured key opens (logged by accounts.mfa_secrets): a page that
        says the second factor cannot be checked now, never a server error that could show the secret."""
        if isinstance(exception, SecretUnreadable):
            return render(request, "account/second_factor_unavailable.html", status=503)
        return None

    def refuse(self, request, user):
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            # The session skipped the step that its user has: log in again, which asks for the code.
            next_url = request.get_full_path() if request.method == "GET" else ""
            logout(request)
            messages.warning(request, _("Log in again with your password and a code from your authenticator app."))
            login_url = reverse("account_login")
            return HttpResponseRedirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)
        if request.path.startswith(_open_paths()):
            return None
        messages.warning(request, _("Your role requires two-factor authentication. Set up an authenticator app "
                                    "to continue."))
        return HttpResponseRedirect(reverse("mfa_activate_totp"))


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        """The TOTP secret and the recovery codes' seed are stored encrypted (accounts/mfa_secrets.py)."""
        return secret_encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return secret_decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff cannot switch their second factor off; applicants can."""
        return not (authenticator.type == Authenticator.Type.TOTP and requires_second_factor(authenticator.user))


class ActivateTOTPView(AllauthActivateTOTPView):
    """allauth's page to set up TOTP (same URL and name, config/urls.py). Its form checks a code from the
    new authenticator, so the session has passed the second factor once it is set up."""

    def form_valid(self, form):
        response = super().form_valid(form)
        user = self.request.user
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        record_authentication(self.request, user, "mfa", id=totp.pk, type=totp.type, enrolled=True)
        return response


# -- signal receivers (connected in accounts.apps) -------------------------------------------------
def mark_in_process_login(sender, request, user, **kwargs):
    """Mark a session that the test client made in-process (``force_login``); unmark one made over HTTP."""
    if request is None or not hasattr(request, "session"):
        return
    if isinstance(request, (WSGIRequest, ASGIRequest)):
        request.session.pop(IN_PROCESS_LOGIN_KEY, None)
    else:
        request.session[IN_PROCESS_LOGIN_KEY] = str(user.pk)
