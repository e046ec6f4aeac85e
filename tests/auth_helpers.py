"""Drive allauth over HTTP: sign up, pick links out of mails, log in."""

import re

from django.core import mail
from django.urls import reverse


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in `message` that starts with `path_prefix`."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", message.body)
    assert match, f"no link to {path_prefix} in: {message.body}"
    return match.group(1)


def signup(client, email: str, password: str, *, name: str = "Kim Kollega", next_url: str = ""):
    url = reverse("account_signup") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"full_name": name, "language": "sv", "email": email,
                             "password1": password, "password2": password})


def confirmation_link(email: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    return link_in(message, "/konto/confirm-email/")


def login(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# -- the second factor (accounts/mfa.py) ------------------------------------------------------------
_last_counter: dict[tuple[int, str], int] = {}


def totp_secret_of(user) -> str:
    """The user's TOTP secret; a new authenticator (with recovery codes) when they have none."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import generate_totp_secret

    from accounts.mfa import give_totp

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        secret = generate_totp_secret()
        give_totp(user, secret)
        return secret
    return get_adapter().decrypt(authenticator.data["secret"])


def fresh_totp_code(user, secret: str) -> str:
    """A code this user has not used yet. allauth accepts each code once per user; with MFA_TOTP_TOLERANCE = 1
    the next period's code is valid now too, so a second login within 30 s takes that one. Deterministic:
    a period boundary passing between here and the POST still leaves the code inside the window."""
    import time

    from accounts.mfa import totp_code

    now = int(time.time()) // 30
    counter = max(now, _last_counter.get((user.pk, secret), now - 1) + 1)
    assert counter <= now + 1, "a third login of one user within 30 seconds has no unused code"
    _last_counter[(user.pk, secret)] = counter
    return totp_code(secret, at=counter * 30)


def login_with_second_factor(client, user, password: str, **extra):
    """Log in over HTTP as allauth asks a user with TOTP: the password, then a code on /konto/2fa/authenticate/."""
    secret = totp_secret_of(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": password}, **extra)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate"), response
    return client.post(reverse("mfa_authenticate"), {"code": fresh_totp_code(user, secret)}, **extra)
