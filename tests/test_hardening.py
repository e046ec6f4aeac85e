"""Hardening (issue 10): no-store on signed-in pages, private files (0600/0700), check --deploy with the
production settings of .env.example, a final report's files are the applicant's until sent, display names."""

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from grants.models import Attachment
from tests.attachment_files import multipart, pdf_bytes
from tests.flow_helpers import open_task, report_data, to_stage
from workflows import services as flow_services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def upload(client, application, filename, content=None):
    body, content_type = multipart({"description": ""}, [("file", filename, content or pdf_bytes(), "application/pdf")])
    return client.post(reverse("grants:attachment_add", args=[application.pk]), data=body, content_type=content_type,
                       HTTP_ACCEPT="application/json")


# -- Cache-Control: no-store -----------------------------------------------------------------------------------

def test_every_page_to_a_signed_in_person_is_no_store_and_private(client, applicant, draft, secretary):
    client.force_login(applicant)
    for url in (reverse("home"), reverse("grants:my_applications"),
                reverse("grants:application_detail", args=[draft.pk]), reverse("notifications:settings"),
                reverse("workflows:my_data"), reverse("workflows:my_data_json"), "/no-such-page/"):
        response = client.get(url)
        assert set(response["Cache-Control"].split(", ")) == {"no-store", "private"}, url
    client.force_login(secretary)
    for url in (reverse("workflows:case_list"), reverse("workflows:inbox"), reverse("grants:payments"),
                reverse("workflows:people")):
        response = client.get(url)
        assert response.status_code == 200
        assert set(response["Cache-Control"].split(", ")) == {"no-store", "private"}, url


def test_the_logout_answer_is_no_store_and_anonymous_pages_are_not_marked(client, applicant):
    assert "Cache-Control" not in client.get(reverse("home"))
    client.force_login(applicant)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert set(response["Cache-Control"].split(", ")) == {"no-store", "private"}


# -- Files 0600 ------------------------------------------------------------------------------------------------

def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_uploaded_files_and_decision_letters_are_readable_by_potten_alone(client, draft, applicant, case_officer,
                                                                        reviewer, secretary, media, call):
    from reviewers import services as review_services

    pool = review_services.settings_for_fund(call.fund)
    pool.reviewers.set([reviewer])
    pool.reviewers_per_application = 1
    pool.save()
    client.force_login(applicant)
    assert upload(client, draft, "budget.pdf").status_code == 201
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    attachment = Attachment.objects.get()
    letter = draft.decisions.get().letter
    files = sorted(p for p in media.rglob("*") if p.is_file())
    assert files == sorted([media / attachment.file.name, media / letter.name])
    assert {_mode(p) for p in files} == {0o600}
    folders = sorted(p for p in media.rglob("*") if p.is_dir())
    assert [p.name for p in folders] == ["attachments", "letters"]
    assert {_mode(p) for p in folders} == {0o700}


# -- check --deploy ----------------------------------------------------------------------------------------------

def test_check_deploy_passes_with_exactly_the_production_settings_of_env_example(tmp_path):
    documented = (Path(django_settings.BASE_DIR) / ".env.example").read_text(encoding="utf-8")
    production = {
        "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "potten.example.se",
        "SITE_URL": "https://potten.example.se", "SECURE_SSL_REDIRECT": "true", "SECURE_HSTS_SECONDS": "31536000",
        "SESSION_COOKIE_SECURE": "true", "BEHIND_TLS_PROXY": "true",
    }
    for name, value in production.items():  # the same settings the file documents
        assert f"# {name}=" in documented, name
        if name not in ("SECRET_KEY",):
            assert f"# {name}={value}" in documented, name
    env = {"PATH": os.environ["PATH"], "POTTEN_VAR_DIR": str(tmp_path), **production}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "System check identified no issues (0 silenced)."), \
        result.stderr


# -- A final report's files are the applicant's until the report is sent ------------------------------------------

@pytest.fixture
def granted(draft, applicant, case_officer, reviewer, secretary, call):
    from reviewers import services as review_services

    pool = review_services.settings_for_fund(call.fund)
    pool.reviewers.set([reviewer])
    pool.reviewers_per_application = 1
    pool.save()
    to_stage(draft, "final_report", applicant=applicant, officer=case_officer, reviewer=reviewer,
             secretary=secretary)
    return draft


def test_staff_cannot_download_a_final_report_file_until_the_report_is_sent(client, granted, applicant, secretary,
                                                                          case_officer):
    from django.test import Client

    client.force_login(applicant)
    response = upload(client, granted, "kvitton.pdf")
    assert response.status_code == 201
    first = Attachment.objects.get(stage="report")
    url = reverse("grants:attachment_download", args=[first.pk])
    staff = Client()
    # while the report is a draft: the applicant's only
    assert client.get(url).status_code == 200
    for person in (secretary, case_officer):
        staff.force_login(person)
        assert staff.get(url).status_code == 404
        page = staff.get(reverse("workflows:case_detail", args=[granted.pk])).content.decode()
        assert url not in page
    # when the report is sent, staff see the file
    flow_services.final_report_submit(task_pk=open_task(granted).pk, user=applicant, data=report_data(granted))
    staff.force_login(secretary)
    assert staff.get(url).status_code == 200
    # a completion request reopens the report: a file added now is a draft again, the sent one stays visible
    flow_services.report_approval_record(task_pk=open_task(granted).pk, user=secretary, approve=False,
                                         comment="Bifoga kvittot för lokalen.")
    assert upload(client, granted, "lokal.pdf").status_code == 201
    second = Attachment.objects.get(stage="report", original_name="lokal.pdf")
    second_url = reverse("grants:attachment_download", args=[second.pk])
    assert (staff.get(url).status_code, staff.get(second_url).status_code) == (200, 404)
    assert client.get(second_url).status_code == 200
    page = staff.get(reverse("workflows:case_detail", args=[granted.pk])).content.decode()
    assert url in page and second_url not in page


# -- Upload display names ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sent, shown", [
    ("faktura\u2215..\u2215evil.pdf", "faktura_._evil.pdf"),  # DIVISION SLASH
    ("a\u2044b.pdf", "a_b.pdf"),  # FRACTION SLASH
    ("a\u29f8b.pdf", "a_b.pdf"),  # BIG SOLIDUS
    ("a\u29f9b.pdf", "a_b.pdf"),  # BIG REVERSE SOLIDUS
    ("mapp\uff0fbudget.pdf", "budget.pdf"),  # FULLWIDTH SOLIDUS: NFKC makes it "/", a directory is dropped
    ("\uff22\uff55\uff44\uff47\uff45\uff54.pdf", "Budget.pdf"),  # fullwidth letters
    ("\ufb01nal.pdf", "final.pdf"),  # the ligature ﬁ
    ("inv\u043eice.pdf", "invoice.pdf"),  # a Cyrillic о inside a Latin word
    ("\u0420ayPal.pdf", "PayPal.pdf"),  # a Cyrillic Р
    ("\u039cicrosoft.pdf", "Microsoft.pdf"),  # a Greek Μ
    ("budget.\u0440df", "budget.pdf"),  # a Cyrillic р in the extension
    ("\u041e\u0442\u0447\u0451\u0442.pdf", "\u041e\u0442\u0447\u0451\u0442.pdf"),  # Cyrillic alone stays: Отчёт
    ("\u03a0\u03c1\u03cc\u03c4\u03b1\u03c3\u03b7.pdf", "\u03a0\u03c1\u03cc\u03c4\u03b1\u03c3\u03b7.pdf"),  # Greek
])
def test_upload_display_names_are_normalised(sent, shown, client, applicant, draft):
    client.force_login(applicant)
    response = upload(client, draft, sent)
    assert response.status_code == 201, response.content
    assert response.json()["attachment"]["name"] == shown
    assert Attachment.objects.get().original_name == shown
