"""Accounts through HTTP: registration with e-mail confirmation, login, password reset (rate limits: test_login_limits.py)."""

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from notifications.models import OutboxMessage
from tests.auth_helpers import confirmation_link, link_in, logged_in_user_id, login, signup

pytestmark = pytest.mark.django_db


def refusal(code: str) -> str:
    """allauth's message for `code`, in Swedish (the interface language by default)."""
    with translation.override("sv"):
        return str(DefaultAccountAdapter.error_messages[code])


def form_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def test_registration_needs_the_confirmation_link_before_login(client, password, django_capture_on_commit_callbacks):
    # when: a visitor registers (account mails go through the outbox, delivered after commit)
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "Ny.Person@Example.org", password, name="Nora Ny")

    # then: she is sent to "check your e-mail", not logged in, and one verification mail arrives
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_user_id(client) is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ny.person@example.org"]
    assert mail.outbox[0].subject.startswith("[Potten] ")
    user = User.objects.get()
    assert (user.email, user.full_name, user.language) == ("ny.person@example.org", "Nora Ny", "sv")
    assert not EmailAddress.objects.get(user=user).verified

    # when: she tries to log in before confirming
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, "ny.person@example.org", password)

    # then: the password is right, but allauth refuses the login and sends her to the verification page
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_user_id(client) is None
    assert client.get(reverse("grants:my_applications")).status_code == 302  # still anonymous
    assert len(mail.outbox) == 1  # no second mail within allauth's confirmation cooldown (3 minutes)
    assert OutboxMessage.objects.count() == 1

    # when: she opens the link (GET only shows a button) and confirms with a POST
    confirm_url = confirmation_link("ny.person@example.org")
    response = client.get(confirm_url)
    assert response.status_code == 200
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(confirm_url)

    # then: the address is verified and she is logged in, landing on her applications
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert logged_in_user_id(client) == str(user.pk)
    assert client.get(reverse("grants:my_applications")).status_code == 200

    # and: later logins work with the password
    client.post(reverse("account_logout"))
    response = login(client, "ny.person@example.org", password)
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:my_applications")
    assert logged_in_user_id(client) == str(user.pk)


def test_login_with_a_wrong_password_fails_and_the_right_one_works(client, applicant, password):
    response = login(client, applicant.email, "not-the-password-1")
    assert response.status_code == 200
    assert form_errors(response) == [refusal("email_password_mismatch")]
    assert 'class="error-summary"' in response.content.decode()
    assert logged_in_user_id(client) is None

    response = login(client, applicant.email.upper(), password)  # the address is case-insensitive
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:my_applications")
    assert logged_in_user_id(client) == str(applicant.pk)


def test_password_reset_by_mail_replaces_the_old_password(client, applicant, password,
                                                          django_capture_on_commit_callbacks):
    # when: the applicant asks for a reset
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": applicant.email})

    # then: one mail with a reset link
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [applicant.email]
    reset_url = link_in(mail.outbox[0], "/konto/password/reset/key/")

    # when: she follows it (allauth moves the key into the session) and sets a new password
    response = client.get(reset_url)
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert "set-password" in set_password_url
    response = client.post(set_password_url, {"password1": "a-brand-new-password-2",
                                              "password2": "a-brand-new-password-2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")

    # then: the new password logs her in and the old one no longer does
    response = login(client, applicant.email, "a-brand-new-password-2")
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(applicant.pk)
    client.post(reverse("account_logout"))
    response = login(client, applicant.email, password)
    assert response.status_code == 200
    assert form_errors(response) == [refusal("email_password_mismatch")]
    assert logged_in_user_id(client) is None

    # and: the link works only once
    response = client.get(reset_url)
    assert response.status_code == 200
    assert response.context["token_fail"]


def test_password_reset_does_not_reveal_whether_an_account_exists(client, applicant,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("account_reset_password"), {"email": applicant.email})
        unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    # the visitor sees the same answer for both addresses
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == reverse("account_reset_password_done")
    # allauth 65 (ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS defaults to True) tells the unknown address, in its
    # own mailbox, that it has no account, and sends it no reset link
    assert [m.to for m in mail.outbox] == [[applicant.email], ["nobody@example.org"]]
    assert "/konto/password/reset/key/" in mail.outbox[0].body
    assert "/konto/password/reset/key/" not in mail.outbox[1].body
    assert "/konto/signup/" in mail.outbox[1].body
