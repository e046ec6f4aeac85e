"""Login rate limits over HTTP (accounts/login_limits.py): 429 with a translated page, limits per address and
per (address, account), and no way to lock the owner out from another address."""

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.login_limits import DEVICE_COOKIE
from tests.auth_helpers import logged_in_user_id, login_with_second_factor

pytestmark = pytest.mark.django_db

OWNER_IP = "192.0.2.10"
ATTACKER_IP = "198.51.100.66"


def attempt(client, email: str, password: str, ip: str):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def mismatch() -> list[str]:
    with translation.override("sv"):
        return [str(DefaultAccountAdapter.error_messages["email_password_mismatch"])]


def assert_refused_with_429(response):
    assert response.status_code == 429
    with translation.override("sv"):
        title = gettext("Too many attempts")
    assert title != "Too many attempts"  # the page is in Swedish, the interface's language
    assert f"<h1>{title}</h1>" in response.content.decode()


def test_five_failures_from_one_address_against_one_account_answer_429_even_for_the_right_password(
        client, applicant, password):
    for _attempt in range(5):
        response = attempt(client, applicant.email, "wrong-password-123", OWNER_IP)
        assert response.status_code == 200
        assert list(response.context["form"].non_field_errors()) == mismatch()

    response = attempt(client, applicant.email, password, OWNER_IP)

    assert_refused_with_429(response)
    assert logged_in_user_id(client) is None
    # another account from the same address is still answered normally
    other = attempt(client, "someone@example.org", "x-wrong-1", OWNER_IP)
    assert other.status_code == 200 and list(other.context["form"].non_field_errors()) == mismatch()


def test_an_unknown_address_is_limited_exactly_as_a_known_one(client, applicant):
    # the answers do not tell which addresses have accounts
    statuses = {}
    for email in (applicant.email, "nobody@example.org"):
        statuses[email] = [attempt(client, email, "wrong-password-123", OWNER_IP).status_code for _n in range(6)]
    assert statuses == {applicant.email: [200] * 5 + [429], "nobody@example.org": [200] * 5 + [429]}


def test_one_address_guessing_across_many_accounts_gets_429(client):
    statuses = [attempt(client, f"guess{n}@example.org", "wrong-password-123", ATTACKER_IP).status_code
                for n in range(11)]

    assert statuses == [200] * 10 + [429]
    # another address is not slowed by it
    assert attempt(client, "guess99@example.org", "wrong-password-123", OWNER_IP).status_code == 200


def test_every_login_post_counts_against_the_address(client, applicant, password):
    # allauth's "login" limit: 30 login POSTs a minute from one address, right or wrong
    statuses = []
    for n in range(31):
        response = attempt(Client(), applicant.email, password, OWNER_IP) if n % 2 else \
            attempt(client, "", "", OWNER_IP)
        statuses.append(response.status_code)
    assert statuses[:30] == [200 if n % 2 == 0 else 302 for n in range(30)]
    assert statuses[30] == 429


def test_failures_from_another_address_do_not_lock_the_owner_out(client, applicant, password):
    # given: someone at another address types wrong passwords for her account until refused
    attacker = Client()
    statuses = [attempt(attacker, applicant.email, "wrong-password-123", ATTACKER_IP).status_code for _n in range(6)]
    assert statuses == [200] * 5 + [429]
    assert_refused_with_429(attempt(attacker, applicant.email, password, ATTACKER_IP))

    # when: she logs in from her own address, for the first time from this browser
    response = attempt(client, applicant.email, password, OWNER_IP)

    # then: she is in
    assert (response.status_code, response["Location"]) == (302, reverse("grants:my_applications"))
    assert logged_in_user_id(client) == str(applicant.pk)


def test_many_addresses_guessing_one_account_are_stopped_but_the_owners_browser_and_address_still_log_in(
        client, secretary, password):
    # given: she has logged in before from her office (address and browser are known for her account)
    response = login_with_second_factor(client, secretary, password, REMOTE_ADDR=OWNER_IP)
    assert response.status_code == 302 and DEVICE_COOKIE in response.cookies
    client.post(reverse("account_logout"), REMOTE_ADDR=OWNER_IP)

    # when: 20 other addresses each try one wrong password (each far under its own limits)
    for n in range(20):
        response = attempt(Client(), secretary.email, "wrong-password-123", f"203.0.113.{n + 1}")
        assert response.status_code == 200
    # then: the account's budget for unknown sources is spent: a 21st address is refused, even with the password
    assert_refused_with_429(attempt(Client(), secretary.email, password, "203.0.113.200"))

    # but: her known address gets past the password step, in another browser (then allauth asks her code)
    office = Client()
    response = attempt(office, secretary.email, password, OWNER_IP)
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_authenticate"))
    # and: her own browser logs in from an address never seen before (at home)
    response = login_with_second_factor(client, secretary, password, REMOTE_ADDR="192.0.2.99")
    assert (response.status_code, response["Location"]) == (302, reverse("workflows:inbox"))
    assert logged_in_user_id(client) == str(secretary.pk)


def test_a_forged_or_foreign_device_cookie_is_not_a_known_browser(client, applicant, other_applicant, password):
    # a browser known for another account is not known for hers, and a made-up cookie counts for nothing
    response = attempt(client, other_applicant.email, password, OWNER_IP)
    assert response.status_code == 302
    client.post(reverse("account_logout"))
    for n in range(20):
        attempt(Client(), applicant.email, "wrong-password-123", f"203.0.113.{n + 1}")

    assert_refused_with_429(attempt(client, applicant.email, password, "192.0.2.98"))
    forged = Client()
    forged.cookies[DEVICE_COOKIE] = "WyJhYmMiXQ:1tFake:signature"
    assert_refused_with_429(attempt(forged, applicant.email, password, "192.0.2.97"))


def test_the_limits_answer_429_in_english_for_an_english_visitor(client, applicant):
    client.cookies["django_language"] = "en"
    for _attempt in range(5):
        attempt(client, applicant.email, "wrong-password-123", OWNER_IP)

    response = attempt(client, applicant.email, "wrong-password-123", OWNER_IP)

    assert response.status_code == 429
    assert "<h1>Too many attempts</h1>" in response.content.decode()
