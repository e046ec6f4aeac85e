"""Account mails (allauth: address confirmation, password reset, unknown address) go through the outbox:
a row, the recipient's language, delivery by the outbox task with retries, allauth's rate limits kept."""

import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from notifications.delivery import outbox_stuck_ids
from notifications.models import OutboxMessage
from tests.auth_helpers import link_in, signup

pytestmark = pytest.mark.django_db


def reset(client, email):
    return client.post(reverse("account_reset_password"), {"email": email})


def test_the_verification_mail_is_an_outbox_row_sent_after_commit(client, password,
                                                                  django_capture_on_commit_callbacks):
    # when: a visitor registers, choosing English
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("account_signup"), {"full_name": "Nora Ny", "language": "en",
                                                "email": "nora@example.org", "password1": password,
                                                "password2": password})

    # then: one row, in her language, sent by the delivery task with the row's Message-ID
    row = OutboxMessage.objects.get()
    assert (row.kind, row.recipient, row.user.email, row.language, row.status, row.attempts, row.application) == (
        "account_email_confirmation_signup", "nora@example.org", "nora@example.org", "en", "sent", 1, None)
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["nora@example.org"]]
    message = mail.outbox[0]
    assert message.extra_headers["Message-ID"] == row.message_id
    assert message.subject == row.subject
    # and: once sent, the outbox keeps who, what and when, but not the one-time link
    assert (row.body_text, row.body_html, row.can_resend) == ("", "", False)
    assert row.subject == "[Potten] Please Confirm Your Email Address"
    assert "/konto/confirm-email/" in link_in(message, "/konto/confirm-email/")
    assert message.alternatives[0][1] == "text/html" and '<html lang="en">' in message.alternatives[0][0]


def test_a_password_reset_is_in_the_account_holders_language_not_the_pages(client, applicant,
                                                                           django_capture_on_commit_callbacks):
    applicant.language = "en"
    applicant.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = reset(client, applicant.email)  # the page itself is in Swedish (no language chosen)
    assert response.status_code == 302
    row = OutboxMessage.objects.get()
    assert (row.kind, row.language, row.user, row.status) == ("account_password_reset_key", "en", applicant, "sent")
    assert row.subject == "[Potten] Password Reset Email"
    assert "/konto/password/reset/key/" in mail.outbox[0].body
    assert "/konto/password/reset/key/" not in row.body_text + row.body_html  # the working link is not kept


def test_an_address_without_account_gets_the_visitors_language(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reset(client, "nobody@example.org")
    row = OutboxMessage.objects.get()
    assert (row.kind, row.user, row.language, row.recipient) == ("account_unknown_account", None, "sv",
                                                                 "nobody@example.org")


def test_a_digest_reader_gets_account_mails_at_once(client, applicant, django_capture_on_commit_callbacks):
    applicant.email_frequency = "daily"
    applicant.save()
    with django_capture_on_commit_callbacks(execute=True):
        reset(client, applicant.email)
    assert OutboxMessage.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_allauths_rate_limit_still_decides_how_many_reset_mails_go_out(client, applicant,
                                                                      django_capture_on_commit_callbacks):
    # allauth 65 default: ACCOUNT_RATE_LIMITS["reset_password"] = "20/m/ip,5/m/key"
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [reset(client, applicant.email).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert OutboxMessage.objects.filter(kind="account_password_reset_key").count() == 5
    assert len(mail.outbox) == 5
    assert len(set(OutboxMessage.objects.values_list("dedupe_key", flat=True))) == 5  # each request is one mail


def test_a_verification_mail_the_server_refuses_for_now_is_kept_and_retried(client, password,
                                                                           django_capture_on_commit_callbacks):
    # when: the mail server answers 451 at registration
    fail = mock.patch("django.core.mail.EmailMessage.send", side_effect=smtplib.SMTPDataError(451, b"later"))
    with fail, django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "nora@example.org", password)

    # then: the registration went through, and the mail waits for its next attempt instead of being lost
    assert response.status_code == 302
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, len(mail.outbox)) == ("pending", 1, 0)
    assert "451" in row.last_error and row.next_attempt_at is not None


def test_no_account_mail_is_queued_when_the_transaction_rolls_back(rf, applicant,
                                                                   django_capture_on_commit_callbacks):
    from allauth.account.adapter import get_adapter
    from allauth.core import context

    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    with context.request_context(request), django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            get_adapter(request).send_mail("account/email/password_changed", applicant.email, {"user": applicant})
            assert OutboxMessage.objects.count() == 1
            raise RuntimeError("the change failed")
    assert (OutboxMessage.objects.count(), len(callbacks), len(mail.outbox)) == (0, 0, 0)


def test_staff_can_send_a_failed_account_mail_again(client, applicant, case_officer,
                                                    django_capture_on_commit_callbacks):
    # given: a reset mail the server refused for good
    fail = mock.patch("django.core.mail.EmailMessage.send", side_effect=smtplib.SMTPDataError(554, b"rejected"))
    with fail, django_capture_on_commit_callbacks(execute=True):
        reset(client, applicant.email)
    failed = OutboxMessage.objects.get()
    assert failed.status == "failed"
    assert outbox_stuck_ids() == []

    # when: a case officer finds it on the undelivered page and sends it again
    client.force_login(case_officer)
    page = client.get(reverse("notifications:outbox")).content.decode()
    assert applicant.email in page and "554" in page
    assert failed.body_text not in page  # the reset link itself is never shown to staff
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:resend_unattached", args=[failed.pk]))

    # then: a copy went to the applicant, and the failure left the list
    assert response.status_code == 302
    copy = OutboxMessage.objects.get(resent_from=failed)
    assert (copy.status, copy.queued_by, copy.recipient) == ("sent", case_officer, applicant.email)
    assert [m.to for m in mail.outbox] == [[applicant.email]]
    assert list(client.get(reverse("notifications:outbox")).context["outbox"]) == []
