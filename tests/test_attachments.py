"""Attachments: hostile uploads are refused and leave nothing behind; valid files of every allowed
type are stored under random keys and downloaded only through the permission-checked view."""

import hashlib
import json
import os
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from grants.services import attachments
from grants.uploads.detect import inspect_upload
from grants.uploads.names import clean_filename
from grants.models import Application, Attachment, Event
from common.errors import NotAllowed
from tests.attachment_files import HOSTILE, VALID, multipart, pdf_bytes, png_bytes
from tests.factories import ApplicationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

KEY = re.compile(r"^attachments/[0-9a-f]{32}$")



@pytest.fixture(autouse=True)
def english(client, settings):
    """These tests read the messages in English (the Swedish ones are checked by test_i18n)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def upload(client, application, filename, content, content_type="application/octet-stream", *, json_reply=False,
           description="", next_url=None):
    fields = {"description": description}
    if next_url:
        fields["next"] = next_url
    body, content_type_header = multipart(fields, [("file", filename, content, content_type)])
    headers = {"HTTP_ACCEPT": "application/json"} if json_reply else {}
    return client.post(reverse("grants:attachment_add", args=[application.pk]), data=body,
                       content_type=content_type_header, **headers)


def error_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == message_levels.ERROR]


def add(application, user, name="budget.pdf", content=None):
    return attachments.attachment_add(application_id=application.pk, user=user,
                                      upload=SimpleUploadedFile(name, content or pdf_bytes()))


# ---------------------------------------------------------------------------------------------
# The hostile corpus, over HTTP, with and without JavaScript


def test_the_hostile_corpus_is_large_and_every_refusal_code_is_covered():
    assert len(HOSTILE) >= 40
    assert len({case.id for case in HOSTILE}) == len(HOSTILE)
    file_codes = {"extension_missing", "extension_not_allowed", "empty", "too_large", "executable", "active_content",
                  "legacy_office", "type_not_allowed", "extension_mismatch", "zip_corrupt", "zip_size_mismatch",
                  "zip_encrypted", "zip_too_many_entries", "zip_too_large", "zip_ratio", "zip_unsafe_path",
                  "zip_duplicate_entry", "zip_unsupported_compression", "macro"}
    assert {case.code for case in HOSTILE} == file_codes


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_a_hostile_file_is_refused_as_json_and_leaves_no_row_and_no_object(case, client, applicant, draft, media,
                                                                          settings):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    client.force_login(applicant)
    events_before = Event.objects.count()

    response = upload(client, draft, case.filename, case.build(), case.content_type, json_reply=True)

    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["ok"] is False
    assert body["code"] == case.code
    assert body["error"] and "%(" not in body["error"]
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []
    assert Event.objects.count() == events_before


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_a_hostile_file_is_refused_without_javascript_with_a_message(case, client, applicant, draft, media, settings):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    client.force_login(applicant)

    response = upload(client, draft, case.filename, case.build(), case.content_type)

    assert response.status_code == 302
    assert response["Location"] == reverse("grants:application_edit", args=[draft.pk])
    [message] = error_messages(response)
    assert message and "%(" not in message
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize("case", [c for c in HOSTILE if not c.settings], ids=[c.id for c in HOSTILE if not c.settings])
def test_the_check_itself_refuses_every_hostile_file_with_its_code(case):
    with pytest.raises(ValidationError) as refused:
        inspect_upload(SimpleUploadedFile("x", case.build()), name=case.filename)
    assert refused.value.error_list[0].code == case.code


def test_messages_name_the_file_and_the_allowed_types(client, applicant, draft):
    client.force_login(applicant)
    body = json.loads(upload(client, draft, "setup.exe", b"MZ" + b"\x00" * 100, json_reply=True).content)
    assert body["error"] == ("Files of type .exe cannot be attached. Allowed types: PDF, Word (DOCX), Excel (XLSX), "
                             "OpenDocument text (ODT), OpenDocument spreadsheet (ODS), PNG, JPEG.")
    body = json.loads(upload(client, draft, "plan.pdf", png_bytes(), json_reply=True).content)
    assert body["error"] == ("The file “plan.pdf” is named .pdf, but its content is PNG. Give it the right name, "
                             "or save it in the right format.")


def test_a_file_over_the_limit_is_refused_by_the_service_too(settings, applicant, draft, media):
    """The upload handler stops the HTTP body; the service counts again and never trusts sizes."""
    settings.UPLOAD_MAX_BYTES = 2048
    with pytest.raises(ValidationError) as refused:
        add(draft, applicant, content=pdf_bytes().ljust(2049, b"\n"))
    assert refused.value.error_list[0].code == "too_large"
    attachment = add(draft, applicant, content=pdf_bytes().ljust(2048, b"\n"))
    assert attachment.size == 2048
    assert len(stored_files(media)) == 1


def test_a_request_without_a_file_or_with_two_files_is_refused(client, applicant, draft, media):
    client.force_login(applicant)
    url = reverse("grants:attachment_add", args=[draft.pk])
    response = client.post(url, {"description": "x"}, HTTP_ACCEPT="application/json")
    assert (response.status_code, json.loads(response.content)["code"]) == (400, "no_file")
    body, content_type = multipart({}, [("file", "a.pdf", pdf_bytes(), "application/pdf"),
                                        ("file", "b.pdf", pdf_bytes(), "application/pdf")])
    response = client.post(url, data=body, content_type=content_type, HTTP_ACCEPT="application/json")
    assert (response.status_code, json.loads(response.content)["code"]) == (400, "too_many_uploads")
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_a_description_longer_than_200_characters_is_refused(client, applicant, draft, media):
    client.force_login(applicant)
    response = upload(client, draft, "budget.pdf", pdf_bytes(), description="x" * 201, json_reply=True)
    assert json.loads(response.content)["code"] == "description_too_long"
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_a_failure_after_the_file_was_stored_removes_the_object(applicant, draft, media, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr("grants.services.attachments.event_record", broken)
    with pytest.raises(RuntimeError):
        add(draft, applicant)
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


# ---------------------------------------------------------------------------------------------
# Valid files


@pytest.mark.parametrize("kind", VALID, ids=list(VALID))
def test_a_valid_file_of_each_allowed_type_is_accepted(kind, client, applicant, draft, media):
    filename, build, content_type = VALID[kind]
    content = build()
    client.force_login(applicant)

    response = upload(client, draft, filename, content, "application/octet-stream", json_reply=True,
                      description="Version 2")

    assert response.status_code == 201, response.content
    body = json.loads(response.content)
    assert body["ok"] is True and body["error"] is None
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (filename, content_type,
                                                                                   len(content))
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.description == "Version 2"
    assert attachment.uploaded_by == applicant
    assert KEY.match(attachment.file.name)
    [stored] = stored_files(media)
    assert stored == media / attachment.file.name
    assert stored.read_bytes() == content
    event = Event.objects.get(kind=Event.Kind.ATTACHMENT_ADDED)
    assert (event.application, event.actor, event.visible_to_applicant) == (draft, applicant, True)
    assert filename in event.message


def test_the_html_flow_redirects_back_with_a_success_message(client, applicant, draft):
    client.force_login(applicant)
    response = upload(client, draft, "budget.pdf", pdf_bytes(), next_url="/evil.example.org")
    assert response.status_code == 302
    assert response["Location"] == "/evil.example.org"  # a local path is fine
    for outside in ("https://evil.example.org/", "//evil.example.org/x", "javascript:alert(1)"):
        response = upload(client, draft, "budget2.pdf", pdf_bytes(), next_url=outside)
        assert response["Location"] == reverse("grants:application_edit", args=[draft.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "The file budget2.pdf is attached."


def test_two_files_named_budget_pdf_get_different_keys_and_both_survive(client, applicant, draft, media):
    client.force_login(applicant)
    first, second = pdf_bytes("first"), pdf_bytes("second")
    assert upload(client, draft, "budget.pdf", first, json_reply=True).status_code == 201
    assert upload(client, draft, "budget.pdf", second, json_reply=True).status_code == 201

    one, two = Attachment.objects.order_by("pk")
    assert one.original_name == two.original_name == "budget.pdf"
    assert one.file.name != two.file.name
    assert (media / one.file.name).read_bytes() == first
    assert (media / two.file.name).read_bytes() == second
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize("sent, shown", [
    ("../../../budget.pdf", "budget.pdf"),
    ("C:\\Users\\anna\\budget.pdf", "budget.pdf"),
    ("bud\u202eget.pdf", "budget.pdf"),
    ("bud\x00get.pdf", "budget.pdf"),
    ("CON.pdf", "_CON.pdf"),
    ("budget  2024...pdf", "budget 2024.pdf"),
    ("Budget åäö.pdf", "Budget åäö.pdf"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
])
def test_a_valid_file_with_a_strange_name_is_kept_under_a_clean_display_name(sent, shown, client, applicant, draft,
                                                                             media):
    client.force_login(applicant)
    response = upload(client, draft, sent, pdf_bytes(), json_reply=True)
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.original_name == shown
    assert KEY.match(attachment.file.name)
    assert stored_files(media) == [media / attachment.file.name]


@pytest.mark.parametrize("name, clean", [
    ("../../etc/passwd", "passwd"),
    ("a/b\\c.pdf", "c.pdf"),
    ("evil\u202efdp.exe", "evilfdp.exe"),
    ("\u2066x\u2069.pdf", "x.pdf"),
    ("zero\u200bwidth.pdf", "zerowidth.pdf"),
    ("a\x00b.pdf", "ab.pdf"),
    ("nul.pdf", "_nul.pdf"),
    ("tab\tand\nnewline.pdf", "tabandnewline.pdf"),
    ("aux.docx", "_aux.docx"),
    ("LPT1.tar.pdf", "_LPT1.tar.pdf"),
    ("what?.pdf", "what_.pdf"),
    ("..", ""),
    (". .", ""),
    ("y" * 300, "y" * 255),
])
def test_clean_filename(name, clean):
    assert clean_filename(name) == clean
    assert len(clean_filename(name)) <= 255


def test_an_application_holds_at_most_the_configured_number_of_files(client, applicant, draft, media, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_FILES_PER_APPLICATION", 3)
    for _ in range(3):
        add(draft, applicant)
    client.force_login(applicant)
    response = upload(client, draft, "budget.pdf", pdf_bytes(), json_reply=True)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["code"] == "too_many_files"
    assert body["error"] == "An application can have at most 3 attachments. Remove one before you add another."
    assert Attachment.objects.count() == 3
    assert len(stored_files(media)) == 3


def test_the_total_size_of_an_application_is_capped(applicant, draft, media, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_TOTAL_BYTES_PER_APPLICATION", 2 * len(pdf_bytes()))
    add(draft, applicant)
    add(draft, applicant)
    with pytest.raises(ValidationError) as refused:
        add(draft, applicant)
    assert refused.value.error_list[0].code == "quota_exceeded"
    assert len(stored_files(media)) == 2


# ---------------------------------------------------------------------------------------------
# Who may upload, and when


def submit(application, status=Application.Status.SUBMITTED, reopened=()):
    Application.objects.filter(pk=application.pk).update(status=status, submitted_at=timezone.now(),
                                                         reopened_fields=list(reopened))
    application.refresh_from_db()
    return application


def test_upload_after_submit_is_refused(client, applicant, draft, media):
    submit(draft)
    client.force_login(applicant)
    response = upload(client, draft, "budget.pdf", pdf_bytes(), json_reply=True)
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "not_editable"
    response = upload(client, draft, "budget.pdf", pdf_bytes())
    assert response.status_code == 302
    assert error_messages(response) == [
        "Attachments can only be added or removed while the application is a draft, "
        "or when the case officer has asked you to complete them."]
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_upload_during_completion_needs_the_attachments_reopened(client, applicant, draft, media):
    client.force_login(applicant)
    submit(draft, Application.Status.COMPLETION, reopened=["title"])
    assert upload(client, draft, "budget.pdf", pdf_bytes(), json_reply=True).status_code == 400
    assert stored_files(media) == []

    submit(draft, Application.Status.COMPLETION, reopened=["title", "attachments"])
    assert upload(client, draft, "budget.pdf", pdf_bytes(), json_reply=True).status_code == 201
    assert Attachment.objects.count() == 1


def test_other_organisations_staff_and_anonymous_cannot_upload(client, other_applicant, case_officer, draft, media):
    url = reverse("grants:attachment_add", args=[draft.pk])
    body, content_type = multipart({}, [("file", "budget.pdf", pdf_bytes(), "application/pdf")])

    response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    for user in (other_applicant, case_officer):
        client.force_login(user)
        assert client.post(url, data=body, content_type=content_type).status_code == 404
    assert client.post(reverse("grants:attachment_add", args=[999999]), data=body,
                       content_type=content_type).status_code == 404
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_upload_needs_a_csrf_token(applicant, draft, media):
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    body, content_type = multipart({}, [("file", "budget.pdf", pdf_bytes(), "application/pdf")])
    response = client.post(reverse("grants:attachment_add", args=[draft.pk]), data=body, content_type=content_type)
    assert response.status_code == 403
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_upload_answers_get_with_405(client, applicant, draft):
    client.force_login(applicant)
    assert client.get(reverse("grants:attachment_add", args=[draft.pk])).status_code == 405


# ---------------------------------------------------------------------------------------------
# Download


def test_the_owner_downloads_the_file_as_an_attachment(client, applicant, draft):
    content = pdf_bytes("secret budget")
    attachment = add(draft, applicant, name="Budget åäö.pdf", content=content)
    client.force_login(applicant)

    response = client.get(reverse("grants:attachment_download", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Budget%20%C3%A5%C3%A4%C3%B6.pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(content))
    assert "sandbox" in response["Content-Security-Policy"]


def test_an_ascii_name_is_sent_quoted(client, applicant, draft):
    attachment = add(draft, applicant, name="budget.pdf")
    client.force_login(applicant)
    response = client.get(reverse("grants:attachment_download", args=[attachment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="budget.pdf"'


def test_staff_download_only_once_the_application_is_submitted(client, applicant, draft, case_officer, secretary):
    content = pdf_bytes()
    attachment = add(draft, applicant, content=content)
    url = reverse("grants:attachment_download", args=[attachment.pk])
    client.force_login(case_officer)
    assert client.get(url).status_code == 404  # drafts are never visible to staff

    submit(draft)
    for user in (case_officer, secretary):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content


def test_download_is_404_for_another_organisation_reviewers_and_the_steering_group(
        client, applicant, other_applicant, reviewer, steering, draft):
    attachment = add(draft, applicant)
    submit(draft)
    url = reverse("grants:attachment_download", args=[attachment.pk])
    for user in (other_applicant, reviewer, steering):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert client.get(reverse("grants:attachment_download", args=[999999])).status_code == 404


def test_download_sends_anonymous_users_to_the_login(client, applicant, draft):
    attachment = add(draft, applicant)
    response = client.get(reverse("grants:attachment_download", args=[attachment.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_missing_stored_object_is_404_not_500(client, applicant, draft, media):
    attachment = add(draft, applicant)
    (media / attachment.file.name).unlink()
    client.force_login(applicant)
    assert client.get(reverse("grants:attachment_download", args=[attachment.pk])).status_code == 404


# ---------------------------------------------------------------------------------------------
# Remove


def test_remove_on_a_draft_deletes_the_row_and_the_stored_object(client, applicant, draft, media,
                                                                  django_capture_on_commit_callbacks):
    keep = add(draft, applicant, name="keep.pdf")
    attachment = add(draft, applicant)
    stored = media / attachment.file.name
    client.force_login(applicant)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("grants:attachment_remove", args=[attachment.pk]))

    assert len(callbacks) == 1
    assert response.status_code == 302
    assert response["Location"] == reverse("grants:application_edit", args=[draft.pk])
    assert list(Attachment.objects.all()) == [keep]
    assert not stored.exists()
    assert stored_files(media) == [media / keep.file.name]
    event = Event.objects.get(kind=Event.Kind.ATTACHMENT_REMOVED)
    assert (event.actor, event.message, event.visible_to_applicant) == (applicant, "budget.pdf", True)


def test_the_stored_object_stays_until_the_removal_commits(applicant, draft, media,
                                                          django_capture_on_commit_callbacks):
    attachment = add(draft, applicant)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attachments.attachment_remove(attachment_id=attachment.pk, user=applicant)
    assert Attachment.objects.count() == 0
    assert len(stored_files(media)) == 1  # not committed yet
    callbacks[0]()
    assert stored_files(media) == []


def test_remove_as_json(client, applicant, draft, media, django_capture_on_commit_callbacks):
    attachment = add(draft, applicant)
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grants:attachment_remove", args=[attachment.pk]),
                               HTTP_ACCEPT="application/json")
    assert json.loads(response.content) == {"ok": True, "error": None}
    assert stored_files(media) == []


def test_remove_after_submit_or_by_others_changes_nothing(client, applicant, other_applicant, case_officer, draft,
                                                         media, django_capture_on_commit_callbacks):
    attachment = add(draft, applicant)
    url = reverse("grants:attachment_remove", args=[attachment.pk])
    submit(draft)
    with django_capture_on_commit_callbacks(execute=True):
        for user, status in ((other_applicant, 404), (case_officer, 404)):
            client.force_login(user)
            assert client.post(url).status_code == status
        client.force_login(applicant)
        response = client.post(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 400
        assert json.loads(response.content)["code"] == "not_editable"
        assert client.get(url).status_code == 405
    assert Attachment.objects.count() == 1
    assert len(stored_files(media)) == 1
    assert not Event.objects.filter(kind=Event.Kind.ATTACHMENT_REMOVED).exists()


def test_remove_is_refused_by_the_service_for_a_non_contact(applicant, other_applicant, draft):
    from django.core.exceptions import PermissionDenied

    attachment = add(draft, applicant)
    with pytest.raises(PermissionDenied):
        attachments.attachment_remove(attachment_id=attachment.pk, user=other_applicant)
    submit(draft)
    with pytest.raises(NotAllowed):
        attachments.attachment_remove(attachment_id=attachment.pk, user=applicant)
    assert Attachment.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Left-over objects


def test_the_sweep_deletes_only_old_objects_without_a_row(applicant, draft, media):
    attachment = add(draft, applicant)
    orphan = media / "attachments" / ("0" * 32)
    orphan.write_bytes(b"left over")
    fresh = media / "attachments" / ("1" * 32)
    fresh.write_bytes(b"upload in flight")
    old = timezone.now().timestamp() - 3 * 3600
    os.utime(orphan, (old, old))
    os.utime(media / attachment.file.name, (old, old))

    call_command("attachments_sweep", "--dry-run")
    assert orphan.exists()
    call_command("attachments_sweep")

    assert not orphan.exists()
    assert fresh.exists()
    assert (media / attachment.file.name).exists()


# ---------------------------------------------------------------------------------------------
# The template partial


class FormNesting(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = self.max_depth = self.forms = 0
        self.ids = set()
        self.described = []
        self.file_input = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "aria-describedby" in attrs:
            self.described.extend(attrs["aria-describedby"].split())
        if tag == "form":
            self.forms += 1
            self.depth += 1
            self.max_depth = max(self.max_depth, self.depth)
        if tag == "input" and attrs.get("type") == "file":
            self.file_input = attrs

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


def render_section(application, user, can_edit):
    request = RequestFactory().get(f"/ansokningar/{application.pk}/redigera/")
    request.user = user
    return render_to_string("grants/attachments_section.html", {
        "application": application, "attachments": application.attachments.all(), "can_edit": can_edit,
    }, request=request)


def test_the_partial_has_its_own_forms_a_labelled_upload_and_a_remove_button_per_file(applicant, draft, settings):
    settings.UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    attachment = add(draft, applicant, content=pdf_bytes().ljust(3000, b"\n"))
    html = render_section(draft, applicant, can_edit=True)

    parser = FormNesting()
    parser.feed(html)
    assert parser.max_depth == 1 and parser.depth == 0  # never nested, every form closed
    assert parser.forms == 2  # one remove form, one upload form
    assert 'enctype="multipart/form-data"' in html
    assert parser.file_input["accept"] == (
        ".pdf,.docx,.xlsx,.odt,.ods,.png,.jpg,.jpeg,application/pdf,"
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
        "application/vnd.oasis.opendocument.text,application/vnd.oasis.opendocument.spreadsheet,image/png,image/jpeg")
    assert set(parser.described) <= parser.ids and len(parser.described) == 2
    assert '<label for="attachment-%d-file">' % draft.pk in html
    assert "5,0\xa0MB" in html or "5.0\xa0MB" in html
    assert "PDF, Word (DOCX)" in html
    assert reverse("grants:attachment_download", args=[attachment.pk]) in html
    assert reverse("grants:attachment_remove", args=[attachment.pk]) in html
    assert "3\xa0kB" in html
    assert 'name="next" value="/ansokningar/%d/redigera/"' % draft.pk in html


def test_the_read_only_partial_has_no_forms(applicant, case_officer, draft):
    attachment = add(draft, applicant)
    html = render_section(draft, case_officer, can_edit=False)
    assert "<form" not in html
    assert reverse("grants:attachment_download", args=[attachment.pk]) in html
    assert attachment.original_name in html

    empty = ApplicationFactory(organisation=draft.organisation, call=draft.call, created_by=applicant)
    assert "<form" not in render_section(empty, case_officer, can_edit=False)


def test_attachments_context_lets_only_contacts_edit_open_applications(applicant, case_officer, draft):
    assert attachments.attachments_context(application=draft, user=applicant)["can_edit"] is True
    assert attachments.attachments_context(application=draft, user=case_officer)["can_edit"] is False
    submit(draft)
    assert attachments.attachments_context(application=draft, user=applicant)["can_edit"] is False


# ---------------------------------------------------------------------------------------------
# Races (PostgreSQL: SQLite has no row locks)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)")
def test_concurrent_uploads_never_pass_the_per_application_limit(applicant, draft, media, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_FILES_PER_APPLICATION", 3)
    add(draft, applicant)
    add(draft, applicant)
    barrier = threading.Barrier(6)
    results = [None] * 6

    def work(i):
        try:
            barrier.wait()
            results[i] = add(draft, applicant, name=f"budget-{i}.pdf")
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len([r for r in results if isinstance(r, Attachment)]) == 1
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert [r.error_list[0].code for r in refused] == ["too_many_files"] * 5
    assert Attachment.objects.filter(application=draft).count() == 3
    assert len(stored_files(media)) == 3
