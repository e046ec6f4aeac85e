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
