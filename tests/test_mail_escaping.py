"""Text a user typed is data in every mail: escaped in the HTML part, one clean line in the subject.

Every mail kind (one per subject template) is rendered with markup, a phishing link, a bare foreign
address and a header injection in every free-text value its templates can show. The payload must
reach the text part as typed (so the test is not vacuous), the HTML part only escaped, and the
subject as one line that Python's mail library accepts without a new header.
"""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from accounts.models import User
from common.text import has_control_characters, single_line
from grants.models import Application, Call, Decision, ExAnteCheck, FinalReport, Organisation, Payment, Repayment
from notifications.models import OutboxMessage
from notifications.services import account_mail_queue, outbox_render

MARKUP = '"><img src=x onerror=alert(1)>'
PHISH = '<a href="https://evil.example/login">Logga in</a>'
BARE = "https://evil.example/steal"
INJECT = "Språkcafé\rBcc: victim@example.com\nX-Evil: 1\u2028"
PAYLOAD = f"{INJECT} {MARKUP} {PHISH} {BARE}"
NAME = 'Kim"><img/src=x/onerror=alert(2)>'  # a first name: get_short_name keeps the first word

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "notifications" / "email"
KINDS = sorted(path.name.removesuffix("_subject.txt") for path in TEMPLATES.glob("*_subject.txt"))


def _hostile_context():
    organisation = Organisation(name=PAYLOAD, org_number="802000-0001")
    application = Application(title=PAYLOAD, organisation=organisation, call=Call(title=PAYLOAD),
                              case_number="DP-2026-0001",
                              requested_amount=Decimal("24000"))
    user = User(email="kim@example.org", full_name=NAME)
    decision = Decision(outcome="granted", amount=Decimal("24000"), conditions=PAYLOAD, motivation=PAYLOAD)
    check = ExAnteCheck(comment=PAYLOAD, completion_deadline=date(2026, 12, 20))
    report = FinalReport(reviewer_comment=PAYLOAD)
    payment = Payment(amount=Decimal("12000"), paid_on=date(2026, 12, 3), kind="advance")
    repayment = Repayment(amount=Decimal("1000"), due_on=date(2027, 1, 31), received_on=date(2027, 1, 15))
    target = {"label": PAYLOAD, "actual": 3, "target": 10, "expected": 5.0, "forecast": 4.0}
    fund = {"fund": PAYLOAD, "targets": [{**target, "status_label": PAYLOAD}],
            "applications": {"granted": 1}, "amounts": {"granted": Decimal("24000"), "paid": Decimal("12000")}}
    return {
        "user": user, "application": application, "organisation": organisation, "decision": decision,
        "check": check, "report": report, "payment": payment, "repayment": repayment, "inviter": user,
        "assignment": {"deadline": date(2026, 12, 24)}, "target": target, "fund": PAYLOAD, "funds": [fund],
        "items": [{"subject": PAYLOAD, "link": BARE}], "comment": PAYLOAD, "reason": PAYLOAD,
        "deadline": timezone.now() + timedelta(days=3), "expires_at": timezone.now() + timedelta(days=7), "year": 2026,
        "as_of": date(2026, 12, 3), "days": 3, "accepted_costs": Decimal("500"),
        "link": f"{settings.SITE_URL}/ansokan/1/", "site_url": settings.SITE_URL,
    }


def _assert_no_live_markup(html: str):
    assert "<img" not in html
    assert "onerror=alert(1)>" not in html and "onerror=alert(2)>" not in html
    assert 'href="https://evil' not in html and "href='https://evil" not in html
    assert "<a href" not in html.replace(f'<a href="{settings.SITE_URL}', "")


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_mail_kind_escapes_what_users_typed(kind, language):
    # Given every free-text value a template can show holds markup, a link and a header injection
    context = _hostile_context()

    # When the mail is rendered
    subject, text, html = outbox_render(kind=kind, language=language, context=context)

    # Then the text part has the payload as typed (this kind shows user text at all) …
    assert "<img" in text, f"{kind}: no user text reached the mail, the test proves nothing"
    # … the HTML part only escaped …
    _assert_no_live_markup(html)
    assert "&lt;img" in html
    # … and the subject is one line the mail library sends as one header
    assert not has_control_characters(subject)
    message = EmailMultiAlternatives(subject=subject, body=text, to=["staff@example.org"]).message()
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in str(message["Subject"]).replace("\n ", "")


def test_potten_links_stay_clickable_and_foreign_ones_do_not():
    link = f"{settings.SITE_URL}/ansokan/7/?steg=2"
    subject, text, html = outbox_render(kind="decision", language="sv", context={
        **_hostile_context(), "link": link})
    assert f'<a href="{link}">' in html
    assert BARE in text and f'href="{BARE}' not in html


def test_an_account_mail_is_escaped_and_its_subject_is_one_line(db):
    # Given an account mail whose text (allauth renders it) carries markup
    message = account_mail_queue(email="kim@example.org", user=None, language="sv",
                                 template="account/email/email_confirmation", subject=INJECT,
                                 body_text=f"Hej {NAME}, {PAYLOAD}")
    _assert_no_live_markup(message.body_html)
    assert "&lt;img" in message.body_html
    assert message.subject == single_line(INJECT) == "Språkcafé Bcc: victim@example.com X-Evil: 1"


def test_a_stored_subject_with_a_line_break_is_sent_as_one_line(db, settings):
    """Rows written before titles were checked: the worker cleans the subject instead of failing forever."""
    from notifications.delivery import outbox_send
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    row = OutboxMessage.objects.create(
        dedupe_key="old|row", occurrence="old|row", recipient="staff@example.org", kind="submitted_staff",
        language="sv", subject=INJECT, body_text="Text", body_html="<p>Text</p>", rendered=True,
        status=OutboxMessage.Status.PENDING)

    assert outbox_send(row.pk) == "sent"

    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT
    assert mail.outbox[-1].subject == "Språkcafé Bcc: victim@example.com X-Evil: 1"
    sent = mail.outbox[-1].message()
    assert sent["Bcc"] is None and sent["X-Evil"] is None


@pytest.mark.parametrize("title", ["Språkcafé\rBcc: x@example.com", "Rad ett\nRad två", "Tab\there",
                                   "Bidi \u202egnp.exe", "Null\x00"])
def test_a_title_with_control_characters_is_a_field_error_and_the_rest_is_kept(client, draft, applicant, title):
    from django.urls import reverse
    from tests.factories import application_post_data

    client.force_login(applicant)
    before = draft.title
    saved = client.post(reverse("grants:application_edit", args=[draft.pk]),
                        application_post_data(draft, title=title, summary="Kvar", save="1"))
    assert saved.status_code == 400
    assert saved.context["form"].errors["title"]
    draft.refresh_from_db()
    assert (draft.title, draft.summary) == (before, "Kvar")

    autosave = client.post(reverse("grants:application_autosave", args=[draft.pk]),
                           application_post_data(draft, title=title, summary="Kvar igen"))
    assert autosave.status_code == 200
    assert {p["field"] for p in autosave.json()["problems"]} == {"id_title"}
    draft.refresh_from_db()
    assert (draft.title, draft.summary) == (before, "Kvar igen")
    assert not OutboxMessage.objects.exists()


def test_an_organisation_name_with_a_line_break_is_refused(client, applicant):
    from django.urls import reverse

    client.force_login(applicant)
    before = Organisation.objects.count()
    response = client.post(reverse("grants:organisation_create"), {
        "name": "Föreningen\r\nBcc: x@example.com", "org_number": "802456-1238", "municipality": "",
        "kind": "association"})
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["name"]
    assert Organisation.objects.count() == before


def test_the_migration_escapes_the_html_of_mails_not_sent_yet(db):
    """Rows queued before the fix: unsent ones get an escaped HTML part, sent ones keep their record."""
    from importlib import import_module

    from django.apps import apps

    raw = f"<p>{MARKUP}</p>"
    rows = {status: OutboxMessage.objects.create(
        dedupe_key=f"old|{status}", occurrence=f"old|{status}", recipient="staff@example.org",
        kind="submitted_staff", language="sv", subject="Ämne", body_text=f"Text {MARKUP}", body_html=raw,
        rendered=True, status=status) for status in ("pending", "held", "failed", "sent")}

    import_module("notifications.migrations.0008_rerender_unsent_html").rerender(apps, None)

    for status, row in rows.items():
        row.refresh_from_db()
        if status == "sent":
            assert row.body_html == raw
        else:
            _assert_no_live_markup(row.body_html)
            assert "Text &quot;&gt;&lt;img" in row.body_html
