"""The second factor's secrets at rest: encrypted with Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`).

allauth keeps each authenticator's secret in ``Authenticator.data``: the TOTP secret (``data["secret"]``) and
the seed the ten recovery codes are computed from (``data["seed"]``; codes migrated from another library under
``data["migrated_codes"]``). allauth passes each through its MFA adapter's ``encrypt`` / ``decrypt`` hooks, which
``accounts.mfa.MFAAdapter`` points here, so the database holds only Fernet tokens.

The keys (config/settings.py): ``MFA_ENCRYPTION_KEYS``, the current key first (``MFA_ENCRYPTION_KEY``, or one
derived from ``SECRET_KEY`` when unset) and then the old ones (``MFA_ENCRYPTION_OLD_KEYS``). A secret is always
encrypted with the current key and decrypted with whichever key fits (MultiFernet), so a new key can be put in
front of the old one at once; ``manage.py mfa_rotate`` re-encrypts every stored secret with the current key, after
which the old key can go.

A secret that no configured key opens (the key was changed without keeping the old one) is logged as an error
naming the settings to fix, never with the secret or the token, and ``SecretUnreadable`` is raised;
``SecondFactorMiddleware`` answers it with a translated page (503) instead of a server error.
"""

from __future__ import annotations

import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

logger = logging.getLogger(__name__)

# Every Fernet token is URL-safe base64 of a version byte 0x80 and a timestamp: it starts with these characters,
# which neither a base32 TOTP secret nor a hexadecimal recovery seed does.
TOKEN_START = "gAAAAA"
# The secret-bearing keys of Authenticator.data, by allauth's authenticator type.
SECRET_FIELDS = {"totp": ("secret",), "recovery_codes": ("seed", "migrated_codes")}


class SecretUnreadable(Exception):
    """A stored second-factor secret cannot be decrypted with any configured key."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.MFA_ENCRYPTION_KEYS])


def is_encrypted(value: str) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_START)


def secret_encrypt(text: str) -> str:
    """A Fernet token of `text` under the current key."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def secret_decrypt(token: str) -> str:
    """The text of a token made by `secret_encrypt` with the current key or an old one."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        stored_in_clear = not is_encrypted(token)
        logger.error(
            "A second-factor secret cannot be decrypted: %s. Nobody whose secret this is can pass the second "
            "factor until this is fixed.",
            "it is stored in clear; run `manage.py migrate` (accounts 0006 encrypts the stored secrets)"
            if stored_in_clear else
            "none of the configured keys opens it; set MFA_ENCRYPTION_KEY back to the key it was encrypted with, "
            "or add that key to MFA_ENCRYPTION_OLD_KEYS (when MFA_ENCRYPTION_KEY is unset the key is derived from "
            "SECRET_KEY, so a changed SECRET_KEY changes it too)")
        raise SecretUnreadable from None


def secret_rotate(token: str) -> str:
    """The same secret encrypted with the current key (a token under an old key is re-encrypted)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        secret_decrypt(token)  # logs why, raises SecretUnreadable
        raise


def data_map(kind: str, data: dict, change) -> dict:
    """`data` of an authenticator of type `kind` with `change` applied to each of its secrets."""
    data = dict(data)
    for field in SECRET_FIELDS.get(kind, ()):
        value = data.get(field)
        if isinstance(value, str):
            data[field] = change(value)
        elif isinstance(value, list):
            data[field] = [change(item) for item in value]
    return data


def data_encrypt(kind: str, data: dict) -> dict:
    """`data` with every secret in clear encrypted (tokens stay as they are)."""
    return data_map(kind, data, lambda value: value if is_encrypted(value) else secret_encrypt(value))


def data_decrypt(kind: str, data: dict) -> dict:
    """`data` with every secret in clear (the reverse of `data_encrypt`)."""
    return data_map(kind, data, lambda value: secret_decrypt(value) if is_encrypted(value) else value)


def authenticators_rotate(authenticators) -> int:
    """Re-encrypt the secrets of these Authenticator rows with the current key (in a transaction: the rows are
    locked). Returns how many rows were rewritten."""
    changed = 0
    for authenticator in authenticators.select_for_update().only("pk", "type", "data"):
        data = data_map(authenticator.type, authenticator.data, secret_rotate)
        changed += authenticators.model.objects.filter(pk=authenticator.pk).update(data=data)
    return changed
