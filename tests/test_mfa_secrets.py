"""The second factor's secrets at rest (accounts/mfa_secrets.py): the database holds Fernet tokens, never the TOTP
secret or the recovery codes' seed; logins work; keys rotate; a wrong key is a logged error and a clear page."""

import importlib
import logging
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.mfa import DEMO_TOTP_SECRET, give_totp, totp_code
from accounts.mfa_secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from tests.auth_helpers import fresh_totp_code, logged_in_user_id, login, login_with_second_factor, totp_secret_of
from tests.factories import UserFactory
from tests.test_mfa import reauthenticate, secret_on_page

pytestmark = pytest.mark.django_db

KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
ACTIVATE = "/konto/2fa/totp/activate/"
AUTHENTICATE = "/konto/2fa/authenticate/"


def stored_rows(user) -> str:
    """The authenticators' data exactly as the database holds them (no model, no adapter)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE user_id = %s ORDER BY id", [user.pk])
        return " ".join(str(row[0]) for row in cursor.fetchall())


def seed_of(user) -> str:
    return secret_decrypt(Authenticator.objects.get(user=user, type="recovery_codes").data["seed"])


def test_the_database_holds_no_clear_totp_secret_or_recovery_seed(client, password, secretary):
    # given: a secretary sets up her authenticator on allauth's page, as a person does
    login(client, secretary.email, password)
    assert reauthenticate(client, password, ACTIVATE) == ACTIVATE
    secret = secret_on_page(client.get(ACTIVATE))
    response = client.post(ACTIVATE, {"code": fresh_totp_code(secretary, secret)})
    assert response.status_code == 302
    # then: neither the secret nor the seed is in her rows, in any case or spacing; both are Fernet tokens
    raw = stored_rows(secretary)
    seed = seed_of(secretary)
    assert secret not in raw and secret.lower() not in raw and seed not in raw
    totp = Authenticator.objects.get(user=secretary, type="totp")
    assert totp.data["secret"].startswith("gAAAAA") and secret_decrypt(totp.data["secret"]) == secret
    # and: she logs in with the password and a code from her app
    client.post(reverse("account_logout"))
    response = login_with_second_factor(client, secretary, password)
    assert (response.status_code, response["Location"]) == (302, reverse("workflows:inbox"))
    assert logged_in_user_id(client) == str(secretary.pk)


def test_keys_rotate_and_the_old_key_can_then_go(client, settings, password, case_officer):
    # given: her secrets were stored under key A
    settings.MFA_ENCRYPTION_KEYS = [KEY_A]
    give_totp(case_officer, DEMO_TOTP_SECRET)
    codes = RecoveryCodes(Authenticator.objects.get(user=case_officer, type="recovery_codes")).get_unused_codes()
    before = stored_rows(case_officer)
    # when: key B becomes the current key, A is kept as an old key: she logs in as before
    settings.MFA_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    response = login_with_second_factor(client, case_officer, password)
    assert (response.status_code, logged_in_user_id(client)) == (302, str(case_officer.pk))
    client.post(reverse("account_logout"))
    # when: the stored secrets are re-encrypted, and A is removed
    out = StringIO()
    call_command("mfa_rotate", stdout=out)
    assert out.getvalue().strip() == "2 authenticators re-encrypted with the current key."
    assert stored_rows(case_officer) != before
    settings.MFA_ENCRYPTION_KEYS = [KEY_B]
    # then: the code of her app and her recovery codes still work
    assert RecoveryCodes(Authenticator.objects.get(user=case_officer, type="recovery_codes")).get_unused_codes() \
        == codes
    response = login_with_second_factor(client, case_officer, password)
    assert (response.status_code, logged_in_user_id(client)) == (302, str(case_officer.pk))
    # and: key A alone no longer opens them
    settings.MFA_ENCRYPTION_KEYS = [KEY_A]
    with pytest.raises(SecretUnreadable):
        totp_secret_of(case_officer)


def test_a_wrong_key_is_a_clear_error_in_the_log_and_a_page_without_the_secret(client, settings, password, caplog,
                                                                                  secretary):
    # given: her secret was stored under key A, and the server now has only key C
    settings.MFA_ENCRYPTION_KEYS = [KEY_A]
    give_totp(secretary, DEMO_TOTP_SECRET)
    token = Authenticator.objects.get(user=secretary, type="totp").data["secret"]
    settings.MFA_ENCRYPTION_KEYS = [KEY_C]
    settings.DEBUG = True  # not even the debug page may show up
    # when: she types her password and a right code
    assert login(client, secretary.email, password)["Location"] == AUTHENTICATE
    with caplog.at_level(logging.ERROR, logger="accounts.mfa_secrets"):
        response = client.post(AUTHENTICATE, {"code": totp_code(DEMO_TOTP_SECRET)})
    # then: a page that says the second factor cannot be checked now, and she is not logged in
    page = response.content.decode()
    assert response.status_code == 503
    assert "<h1>Tvåfaktorsautentisering är inte tillgänglig</h1>" in page
    assert DEMO_TOTP_SECRET not in page and token not in page and "Traceback" not in page
    assert logged_in_user_id(client) is None
    # and: the log says what to fix, without the secret or its token
    [record] = [r for r in caplog.records if r.name == "accounts.mfa_secrets"]
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert "MFA_ENCRYPTION_KEY" in message and "MFA_ENCRYPTION_OLD_KEYS" in message
    assert DEMO_TOTP_SECRET not in message and token not in message
    # and: the rotation command refuses and changes nothing
    before = stored_rows(secretary)
    with pytest.raises(CommandError):
        call_command("mfa_rotate", stdout=StringIO())
    assert stored_rows(secretary) == before


def test_the_migration_encrypts_the_secrets_stored_in_clear_and_reverses(settings):
    migration = importlib.import_module("accounts.migrations.0006_mfa_secrets_encrypted")
    user, applicant = UserFactory(), UserFactory()
    # given: what allauth stored before the adapter encrypted (secrets in clear), and one row already encrypted
    clear_totp = Authenticator.objects.create(user=user, type="totp", data={"secret": DEMO_TOTP_SECRET})
    clear_codes = Authenticator.objects.create(user=user, type="recovery_codes", data={
        "seed": "ab" * 40, "used_mask": 5, "migrated_codes": ["123456", "654321"]})
    encrypted = Authenticator.objects.create(user=applicant, type="totp",
                                             data={"secret": secret_encrypt("JBSWY3DPEHPK3PXP")})
    # when
    migration.secrets_encrypt(apps, None)
    # then: nothing in clear; the values are the same secrets; the row already encrypted is as it was
    raw = stored_rows(user)
    assert DEMO_TOTP_SECRET not in raw and "ab" * 40 not in raw and "123456" not in raw
    clear_totp.refresh_from_db()
    clear_codes.refresh_from_db()
    assert secret_decrypt(clear_totp.data["secret"]) == DEMO_TOTP_SECRET
    assert (secret_decrypt(clear_codes.data["seed"]), clear_codes.data["used_mask"]) == ("ab" * 40, 5)
    assert [secret_decrypt(code) for code in clear_codes.data["migrated_codes"]] == ["123456", "654321"]
    token = encrypted.data["secret"]
    encrypted.refresh_from_db()
    assert encrypted.data["secret"] == token
    # when: migrated back
    migration.secrets_decrypt(apps, None)
    clear_totp.refresh_from_db()
    clear_codes.refresh_from_db()
    encrypted.refresh_from_db()
    assert clear_totp.data == {"secret": DEMO_TOTP_SECRET}
    assert clear_codes.data == {"seed": "ab" * 40, "used_mask": 5, "migrated_codes": ["123456", "654321"]}
    assert encrypted.data == {"secret": "JBSWY3DPEHPK3PXP"}


def test_the_key_comes_from_its_variable_or_from_secret_key(monkeypatch):
    import config.settings as potten_settings

    monkeypatch.delenv("MFA_ENCRYPTION_KEY", raising=False)
    monkeypatch.delenv("MFA_ENCRYPTION_OLD_KEYS", raising=False)
    [derived] = potten_settings._mfa_encryption_keys()
    Fernet(derived)  # a usable key, derived from SECRET_KEY
    original = potten_settings.SECRET_KEY
    monkeypatch.setattr(potten_settings, "SECRET_KEY", "another-" * 8)
    assert potten_settings._mfa_encryption_keys() != [derived]
    monkeypatch.setattr(potten_settings, "SECRET_KEY", original)
    # the variable's key comes first, then the old keys, then the derived key (secrets stored before it was set)
    monkeypatch.setenv("MFA_ENCRYPTION_KEY", KEY_A)
    monkeypatch.setenv("MFA_ENCRYPTION_OLD_KEYS", f"{KEY_B}, {KEY_C}")
    assert potten_settings._mfa_encryption_keys() == [KEY_A, KEY_B, KEY_C, derived]
    # a value that is no Fernet key stops the start with a message that says how to make one
    monkeypatch.setenv("MFA_ENCRYPTION_OLD_KEYS", "not-a-key")
    with pytest.raises(ImproperlyConfigured, match="MFA_ENCRYPTION_OLD_KEYS .*Fernet.generate_key"):
        potten_settings._mfa_encryption_keys()
    monkeypatch.setenv("MFA_ENCRYPTION_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="MFA_ENCRYPTION_KEY holds"):
        potten_settings._mfa_encryption_keys()

