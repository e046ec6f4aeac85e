"""Login rate limits that slow an attacker but never lock the owner out from another address.

allauth's default counts failed logins per account alone ("5 in 5 minutes"), and it refuses with a form
error (200). So anyone who knows the secretary's address could keep her out by typing wrong passwords.
Potten counts failed password logins in three ways (``ACCOUNT_RATE_LIMITS`` in the settings):

- ``login_failed_ip``: per client address, for any account (10 a minute, 60 an hour). This catches one
  source guessing across many accounts.
- ``login_failed_ip_account``: per (address, account) pair (5 in 5 minutes). This catches one source
  guessing one account. A stranger's failures never count against the owner's own address.
- ``login_failed_account``: per account (20 an hour), counting only attempts from sources that are not
  known for the account. This catches many sources guessing one account. A known source is a browser
  that completed a login to this account (a signed cookie, ``potten_device``, set at every successful
  login and kept for a year) or an address the account logged in from in the last 90 days. Attempts
  from a known source are neither counted nor refused by this limit. So when strangers have used up
  the account's budget, the owner still logs in from her own browser or office, and only unknown
  sources wait.

Every refused attempt answers 429 with a translated page, before the password is checked, so the right
password gives no signal either. A successful login takes its own attempt back (allauth's adapter
rolls the usage back), so only failures count. The account key is the address as typed, whether an
account has it or not, so the answers reveal nothing about which addresses have accounts. A password
reset proves control of the mailbox, so it clears the account's counters. Every login POST also
counts against allauth's ``login`` limit (30 a minute per address). The counters live in the cache
(config/cache.py), which is Redis, or the database while Redis is down.
"""

from __future__ import annotations

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal import ratelimit
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

APP = "allauth.account"  # allauth reads the rates of these actions from ACCOUNT_RATE_LIMITS
PER_IP = "login_failed_ip"
PER_IP_ACCOUNT = "login_failed_ip_account"
PER_ACCOUNT = "login_failed_account"

DEVICE_COOKIE = "potten_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600
DEVICE_SALT = "potten.login.device"
DEVICE_MAX_ACCOUNTS = 10
KNOWN_ADDRESS_AGE = 90 * 24 * 3600


def _normalise(email: str) -> str:
    return (email or "").strip().lower()


def account_tag(email: str) -> str:
    """A keyed hash of the address: what the device cookie and the known-address keys hold (no address)."""
    return salted_hmac("potten.login.account", _normalise(email)).hexdigest()[:32]


def _device_tags(request) -> list[str]:
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        tags = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return []
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def _known_address_key(tag: str, ip: str) -> str:
    return f"potten:login-known:{tag}:{salted_hmac('potten.login.address', ip).hexdigest()[:32]}"


def is_known_source(request, email: str) -> bool:
    """Whether this browser or address has completed a login to this account before."""
    tag = account_tag(email)
    if tag in _device_tags(request):
        return True
    return bool(cache.get(_known_address_key(tag, ratelimit.get_ip(request))))


def consume_attempt(request, email: str) -> ratelimit.RateLimitUsage:
    """Count one password attempt. When a limit is reached, raise ``ImmediateHttpResponse`` with a 429
    response. On success the caller rolls back the returned usage."""
    email = _normalise(email)
    ip = ratelimit.get_ip(request)
    checks = [(PER_IP, None), (PER_IP_ACCOUNT, f"{ip}|{email}")]
    if not is_known_source(request, email):
        checks.append((PER_ACCOUNT, email))
    taken: list[ratelimit.SingleRateLimitUsage] = []
    for action, key in checks:
        usage = ratelimit.consume(request, app=APP, action=action, key=key)
        if usage is None:
            ratelimit.RateLimitUsage(usage=taken).rollback()
            logger.warning("Login refused by the rate limit %s (address %s)", action, ip)
            raise ImmediateHttpResponse(ratelimit.respond_429(request))
        taken.extend(usage.usage)
    return ratelimit.RateLimitUsage(usage=taken)


def remember_source(request, response, user) -> None:
    """After a completed login, this browser (cookie) and address (cache) are known for the account."""
    tag = account_tag(user.email)
    cache.set(_known_address_key(tag, ratelimit.get_ip(request)), True, KNOWN_ADDRESS_AGE)
    tags = [tag, *[other for other in _device_tags(request) if other != tag]][:DEVICE_MAX_ACCOUNTS]
    response.set_cookie(DEVICE_COOKIE, signing.dumps(tags, salt=DEVICE_SALT), max_age=DEVICE_COOKIE_AGE,
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")


def clear_account(request, email: str) -> None:
    """After a password reset: the account's counters start again."""
    email = _normalise(email)
    ratelimit.clear(request, app=APP, action=PER_ACCOUNT, key=email)
    ratelimit.clear(request, app=APP, action=PER_IP_ACCOUNT, key=f"{ratelimit.get_ip(request)}|{email}")
