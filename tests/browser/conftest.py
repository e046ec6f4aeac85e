"""The browser suite: Playwright for Python driving Debian's Chromium (/usr/bin/chromium, never a
downloaded browser build) against a live server with the demo data, and axe-core from the
axe-playwright-python package (nothing loaded from elsewhere).

Run it with `make test-browser` (`pytest -m browser tests/browser`); `make test` leaves it out.
"""

import base64
import hashlib
import hmac
import os
import shutil
import struct
import tempfile
import time

import pytest


CHROMIUM = os.environ.get("POTTEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# After the MFA work: seeded staff have a TOTP authenticator with this demo secret.
DEMO_TOTP_SECRET = "POTTENDEMOTOTPSECRETPOTTENDEMO22"
DEMO_PASSWORD = "Demo-lösenord-för-webbläsartest-1"

SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter):
    for line in SUMMARY:
        terminalreporter.write_line(line)


def totp(secret: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (HMAC-SHA1, 30 s, 6 digits), as an authenticator app computes it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(code).zfill(digits)


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (never a downloaded browser build)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in the main thread; the test's own ORM calls (seeding, reading
    # the outbox) are synchronous and safe there. Set only while the browser runs, never for `make test`.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profile = tempfile.mkdtemp(prefix="potten-chromium-")
    with sync_playwright() as playwright:
        # launch() keeps each context in a fresh temporary profile; the user-data dir below is new and
        # empty, given for the browser's own state (crash reports, caches).
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS + [f"--disk-cache-dir={profile}/cache",
                                                                   f"--crash-dumps-dir={profile}/crash"])
        yield browser
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def live_server_connections_closed(request):
    """No database connection outlives a browser test, so the test database can be dropped at the end.

    The live server answers each browser connection in a thread of its own, and Chromium keeps connections open
    (keep-alive) as long as their browser context lives. With Potten's persistent connections (CONN_MAX_AGE) each
    such thread kept its PostgreSQL session after the test: "database is being accessed by other users" when the
    test database was dropped. So here every request closes its connection when it ends (CONN_MAX_AGE 0, read by
    each new connection from this shared dict), and every browser context a test opened is closed after it, so the
    server's threads end too."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    kept = settings_dict.get("CONN_MAX_AGE", 0)
    settings_dict["CONN_MAX_AGE"] = 0
    yield
    if "chromium" in request.fixturenames:
        for context in list(request.getfixturevalue("chromium").contexts):
            context.close()
    settings_dict["CONN_MAX_AGE"] = kept


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    """The demo data exactly as `make run` seeds it, with one known password for every demo login."""
    from django.core.management import call_command

    from accounts.models import User
    from grants.management.commands.seed_demo import DEMO_USERS

    settings.VAR_DIR = tmp_path
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", stdout=devnull)
    users = {}
    for email, _name, role in DEMO_USERS:
        user = User.objects.get(email=email)
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        users[role or "admin"] = user
    return users
