"""The second factor over HTTP (accounts/mfa.py): required for every staff role, reviewers and the admin,
optional for applicants; recovery codes work once; the Django admin's login is no way around it."""

import json
import re
from io import StringIO
from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.mfa import DEMO_TOTP_SECRET, IN_PROCESS_LOGIN_KEY, give_totp, totp_code
from accounts.mfa_secrets import secret_decrypt
from tests.auth_helpers import fresh_totp_code, logged_in_user_id, login, login_with_second_factor, totp_secret_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACTIVATE = "/konto/2fa/totp/activate/"
AUTHENTICATE = "/konto/2fa/authenticate/"
REAUTHENTICATE = "/konto/reauthenticate/"

# persona -> (where the login lands, a page only that persona may see)
STAFF = {
    "case_officer": (reverse("workflows:inbox"), reverse("workflows:case_list")),
    "secretary": (reverse("workflows:inbox"), reverse("grants:payments")),
    "steering_group": (reverse("grants:indicators"), reverse("grants:indicators")),  # the steering group lands on its dashboard
    "reviewer": (reverse("reviewers:home"), reverse("reviewers:home")),
    "admin": (reverse("grants:my_applications"), reverse("admin:index")),
}


def make_staff(persona: str):
    if persona == "admin":
        return UserFactory(is_staff=True, is_superuser=True)
    return UserFactory(role=persona)


def wrong_code(secret: str) -> str:
    """A code no period near now has (the window accepts the previous, current and next period's code)."""
    near = {totp_code(secret, step=step) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555") if code not in near)


def reauthenticate(client, password: str, next_url: str = "") -> str:
    """Type the password again on allauth's reauthentication page; where it sends her next."""
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    response = client.post(REAUTHENTICATE + query, {"password": password})
    assert response.status_code == 302, response
    return response["Location"]


def secret_on_page(response) -> str:
    match = re.search(r'id="authenticator_secret"\s+value="([A-Z2-7]+)"', response.content.decode())
    assert match, "the activation page shows the secret to type into an app"
    return match.group(1)


def test_the_urls_the_browser_suite_uses_are_allauths():
    assert (reverse("mfa_activate_totp"), reverse("mfa_authenticate")) == (ACTIVATE, AUTHENTICATE)


@pytest.mark.parametrize("persona", sorted(STAFF))
def test_staff_without_an_authenticator_must_set_one_up_before_anything_else(
        persona, client, password, django_capture_on_commit_callbacks):
    user = make_staff(persona)
    landing, staff_page = STAFF[persona]

    # when: she logs in with her password only (she has no authenticator yet)
    response = login(client, user.email, password)
    assert response.status_code == 302 and response["Location"] == landing
    assert logged_in_user_id(client) == str(user.pk)

    # then: every page but her account pages sends her to set one up, the staff page and the admin too
    for path in {landing, staff_page, reverse("admin:index"), reverse("grants:my_applications")}:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, ACTIVATE), path
    assert client.post(reverse("workflows:case_list")).status_code == 302

    # when: she confirms her password once more (allauth asks before adding an authenticator), scans the
    # code and types the app's code (allauth's activation page)
    response = client.get(ACTIVATE)
    assert (response.status_code, response["Location"]) == (302, f"{REAUTHENTICATE}?{urlencode({'next': ACTIVATE})}")
    assert reauthenticate(client, password, ACTIVATE) == ACTIVATE
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = secret_on_page(page)
    response = client.post(ACTIVATE, {"code": wrong_code(secret)})
    assert response.status_code == 200 and not Authenticator.objects.filter(user=user).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ACTIVATE, {"code": totp_code(secret)})

    # then: she has TOTP and ten recovery codes, and reaches her pages
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_view_recovery_codes"))
    assert sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == [
        "recovery_codes", "totp"]
    assert len(RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()) == 10
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    assert client.get(staff_page).status_code == 200
    assert client.get(landing).status_code == 200


@pytest.mark.parametrize("persona", sorted(STAFF))
def test_staff_with_an_authenticator_log_in_with_password_and_code(persona, client, password):
    user = make_staff(persona)
    landing, staff_page = STAFF[persona]
    secret = totp_secret_of(user)

    # when: the password is right: allauth asks for the code, and she is not logged in yet
    response = login(client, user.email, password)
    assert (response.status_code, response["Location"]) == (302, AUTHENTICATE)
    assert logged_in_user_id(client) is None
    response = client.get(staff_page)
    assert response.status_code == 302
    assert response["Location"].startswith((reverse("account_login"), reverse("admin:login")))

    # when: a wrong code
    response = client.post(AUTHENTICATE, {"code": wrong_code(secret)})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Felaktig kod."]}
    assert logged_in_user_id(client) is None

    # when: the code of her app
    response = client.post(AUTHENTICATE, {"code": fresh_totp_code(user, secret)})
    assert (response.status_code, response["Location"]) == (302, landing)
    assert logged_in_user_id(client) == str(user.pk)
    assert client.get(staff_page).status_code == 200


def test_a_totp_code_works_once(client, secretary, password):
    secret = totp_secret_of(secretary)
    code = fresh_totp_code(secretary, secret)
    client.post(reverse("account_login"), {"login": secretary.email, "password": password})
    assert client.post(AUTHENTICATE, {"code": code}).status_code == 302
    client.post(reverse("account_logout"))

    other = Client()
    other.post(reverse("account_login"), {"login": secretary.email, "password": password})
    response = other.post(AUTHENTICATE, {"code": code})

    assert response.status_code == 200 and logged_in_user_id(other) is None


def test_recovery_codes_work_once(client, case_officer, password):
    give_totp(case_officer, DEMO_TOTP_SECRET)
    codes = RecoveryCodes(Authenticator.objects.get(user=case_officer, type="recovery_codes")).get_unused_codes()
    assert len(codes) == 10

    # when: she has lost her phone and types a recovery code instead
    client.post(reverse("account_login"), {"login": case_officer.email, "password": password})
    response = client.post(AUTHENTICATE, {"code": codes[0]})

    # then: she is in, and that code is spent
    assert (response.status_code, response["Location"]) == (302, reverse("workflows:inbox"))
    assert client.get(reverse("workflows:case_list")).status_code == 200
    assert RecoveryCodes(Authenticator.objects.get(user=case_officer, type="recovery_codes")).get_unused_codes() \
        == codes[1:]
    client.post(reverse("account_logout"))

    # when: the same code again
    client.post(reverse("account_login"), {"login": case_officer.email, "password": password})
    response = client.post(AUTHENTICATE, {"code": codes[0]})
    assert response.status_code == 200 and logged_in_user_id(client) is None
    assert response.context["form"].errors == {"code": ["Felaktig kod."]}

    # and: the next one works
    response = client.post(AUTHENTICATE, {"code": codes[1]})
    assert response.status_code == 302 and logged_in_user_id(client) == str(case_officer.pk)


def test_the_django_admin_login_form_is_no_way_around_the_second_factor(client, password):
    admin = UserFactory(is_staff=True, is_superuser=True)
    totp_secret_of(admin)

    # the admin's login page sends to allauth's
    response = client.get(reverse("admin:login"))
    assert (response.status_code, response["Location"]) == (
        302, f"{reverse('account_login')}?next=%2Fadmin%2Flogin%2F")
    # and posting the admin's own form logs no one in
    response = client.post(reverse("admin:login"), {"username": admin.email, "password": password,
                                                    "next": reverse("admin:index")})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert logged_in_user_id(client) is None
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))

    # with the password and a code she reaches the admin
    response = login_with_second_factor(client, admin, password)
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_second_factor_is_optional_for_applicants_and_they_can_turn_it_on_and_off(
        client, applicant, password, django_capture_on_commit_callbacks):
    # without one: the password is enough
    response = login(client, applicant.email, password)
    assert (response.status_code, response["Location"]) == (302, reverse("grants:my_applications"))
    assert client.get(reverse("grants:my_applications")).status_code == 200
    assert reverse("mfa_index") in client.get(reverse("grants:my_applications")).content.decode()

    # she turns it on from her account pages
    assert reauthenticate(client, password, ACTIVATE) == ACTIVATE
    secret = secret_on_page(client.get(ACTIVATE))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ACTIVATE, {"code": totp_code(secret)})
    assert response.status_code == 302
    client.post(reverse("account_logout"))

    # then: her next login asks for the code
    response = login(client, applicant.email, password)
    assert (response.status_code, response["Location"]) == (302, AUTHENTICATE)
    response = client.post(AUTHENTICATE, {"code": fresh_totp_code(applicant, secret)})
    assert (response.status_code, response["Location"]) == (302, reverse("grants:my_applications"))

    # and: she may turn it off again
    assert reauthenticate(client, password, reverse("mfa_deactivate_totp")) == reverse("mfa_deactivate_totp")
    response = client.post(reverse("mfa_deactivate_totp"))
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_index"))
    assert not Authenticator.objects.filter(user=applicant).exists()


def test_staff_cannot_turn_their_second_factor_off(client, secretary, password):
    login_with_second_factor(client, secretary, password)
    reauthenticate(client, password)

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Du kan inte inaktivera tvåfaktorsautentisering."]
    assert Authenticator.objects.filter(user=secretary, type="totp").count() == 1


def test_a_session_that_gets_a_staff_role_must_pass_the_second_factor(client, password):
    user = UserFactory(role=roles.APPLICANT)
    login(client, user.email, password)
    assert client.get(reverse("grants:my_applications")).status_code == 200

    # when: she is made case officer while logged in (she has no authenticator)
    user.groups.add(Group.objects.get(name=roles.CASE_OFFICER))

    # then: she is sent to set one up
    assert client.get(reverse("workflows:case_list"))["Location"] == ACTIVATE

    # when: she has an authenticator but this session never passed it: logged out, log in again with the code
    give_totp(user, DEMO_TOTP_SECRET)
    response = client.get(reverse("workflows:case_list"))
    assert (response.status_code, response["Location"]) == (
        302, f"{reverse('account_login')}?{urlencode({'next': reverse('workflows:case_list')})}")
    assert logged_in_user_id(client) is None


def test_in_process_logins_pass_only_in_the_test_suite(client, settings, case_officer):
    # force_login (no HTTP request can make one) marks its session; HTTP logins never carry the mark
    client.force_login(case_officer)
    assert client.session[IN_PROCESS_LOGIN_KEY] == str(case_officer.pk)
    assert client.get(reverse("workflows:case_list")).status_code == 200

    # in production (the setting is False outside the test suite) even such a session must pass
    settings.MFA_TRUST_IN_PROCESS_LOGINS = False
    response = client.get(reverse("workflows:case_list"))
    assert (response.status_code, response["Location"]) == (302, ACTIVATE)


def test_an_http_login_never_carries_the_in_process_mark(client, case_officer, password):
    client.force_login(case_officer)
    client.post(reverse("account_logout"))

    login_with_second_factor(client, case_officer, password)

    assert IN_PROCESS_LOGIN_KEY not in client.session


def test_the_demo_staff_log_in_with_the_documented_secret_and_the_totp_code_command(settings, tmp_path, client):
    settings.VAR_DIR = tmp_path  # keep the demo passwords of a real installation untouched
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent: no second authenticator
    logins = json.loads((tmp_path / "demo-logins.json").read_text())

    for email, info in logins.items():
        authenticators = Authenticator.objects.filter(user__email=email)
        if info["role"] == roles.APPLICANT:
            assert not authenticators.exists()
        else:
            assert sorted(authenticators.values_list("type", flat=True)) == ["recovery_codes", "totp"], email
            stored = authenticators.get(type="totp").data["secret"]
            assert stored != DEMO_TOTP_SECRET and secret_decrypt(stored) == DEMO_TOTP_SECRET

    # the README's way: the password, then the code `manage.py totp_code` prints
    out = StringIO()
    call_command("totp_code", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    response = login(client, "sekreterare@example.org", logins["sekreterare@example.org"]["password"])
    assert (response.status_code, response["Location"]) == (302, AUTHENTICATE)
    response = client.post(AUTHENTICATE, {"code": code})
    assert (response.status_code, response["Location"]) == (302, reverse("workflows:inbox"))
