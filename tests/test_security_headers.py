"""Every page says where its scripts, styles and images may come from: only from Potten itself."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["home", "account_login", "healthz"])
def test_every_response_carries_a_strict_content_security_policy(client, name):
    response = client.get(reverse(name))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_the_admin_may_use_its_own_inline_styles_but_no_inline_script(admin_client):
    policy = admin_client.get(reverse("admin:index"))["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy


def test_no_template_has_an_inline_script_or_style():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        if "email" in path.parts:  # mails are not pages
            continue
        text = path.read_text()
        if 'style="' in text or "<style" in text or " onclick=" in text or " onchange=" in text \
                or any("src=" not in tag.split(">")[0] for tag in text.split("<script")[1:]):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
