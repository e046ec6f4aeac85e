"""Attachments on S3 (django-storages) against a real S3 API: moto's server, started here on a free
loopback port. The objects are private, reachable only through the permission-checked view, and
never overwrite each other. If moto's server cannot start, these tests fail; they never skip."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from django.urls import reverse

from grants.services import attachments
from grants.models import Attachment
from tests.attachment_files import HOSTILE, multipart, pdf_bytes
from tests.real_services import free_port

pytestmark = pytest.mark.django_db

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
PUBLIC_GRANTEES = {"http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}
# Nothing here may go through a proxy: the server is on loopback.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _start_moto(executable: Path, log_path: Path):
    """(process, endpoint) once the server answers; None if it exited (a port taken meanwhile)."""
    port = free_port()
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    with open(log_path, "ab") as log:
        process = subprocess.Popen([str(executable), "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while process.poll() is None:
        try:
            with DIRECT.open(f"{endpoint}/moto-api/", timeout=2):
                return process, endpoint
        except urllib.error.HTTPError:
            return process, endpoint  # it answers
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"moto_server did not answer on {endpoint} within 60 s:\n"
                            f"{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
    return None


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    executable = Path(sys.executable).with_name("moto_server")
    if not executable.exists():
        pytest.fail(f"moto_server is not installed next to {sys.executable}: pip install -e '.[dev]'")
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    started = None
    for _attempt in range(3):
        started = _start_moto(executable, log_path)
        if started is not None:
            break
    if started is None:
        pytest.fail(f"moto_server exited three times:\n{log_path.read_text(errors='replace')}")
    process, endpoint = started
    try:
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3(moto_endpoint, settings, monkeypatch):
    """A fresh private bucket, and the default storage pointed at it with production's options."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    bucket = f"potten-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION, **CREDENTIALS)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {  # as config/settings.py sets them when AWS_STORAGE_BUCKET_NAME is set
                "bucket_name": bucket,
                "endpoint_url": moto_endpoint,
                "region_name": REGION,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "default_acl": "private",
                "file_overwrite": False,
                "querystring_auth": True,
                "querystring_expire": 60,
            },
        },
    }
    client.bucket = bucket
    client.endpoint = moto_endpoint
    return client


def keys(s3) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=s3.bucket).get("Contents", []))


def post_file(client, application, filename, content):
    body, content_type = multipart({}, [("file", filename, content, "application/pdf")])
    return client.post(reverse("grants:attachment_add", args=[application.pk]), data=body,
                       content_type=content_type, HTTP_ACCEPT="application/json")


def anonymous_get(url: str) -> int:
    try:
        with DIRECT.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_upload_and_download_through_the_checked_view(s3, client, applicant, draft):
    content = pdf_bytes("on s3")
    client.force_login(applicant)

    response = post_file(client, draft, "budget.pdf", content)

    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert keys(s3) == [attachment.file.name]
    assert s3.get_object(Bucket=s3.bucket, Key=attachment.file.name)["Body"].read() == content

    download = client.get(json.loads(response.content)["attachment"]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"] == 'attachment; filename="budget.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Type"] == "application/pdf"
    assert "Location" not in download  # streamed, never a redirect to the bucket


def test_the_object_is_private_and_an_anonymous_get_is_refused(s3, client, applicant, draft):
    client.force_login(applicant)
    assert post_file(client, draft, "budget.pdf", pdf_bytes()).status_code == 201
    key = Attachment.objects.get().file.name

    grants = s3.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
    assert grants, "the object should have an owner grant"
    assert not [g for g in grants if g["Grantee"].get("URI") in PUBLIC_GRANTEES]
    assert anonymous_get(f"{s3.endpoint}/{s3.bucket}/{key}") == 403

    # The check can see a leak: a public-read object in the same bucket is readable anonymously.
    s3.put_object(Bucket=s3.bucket, Key="public-control", Body=b"x", ACL="public-read")
    assert anonymous_get(f"{s3.endpoint}/{s3.bucket}/public-control") == 200


def test_two_budget_pdfs_do_not_overwrite_each_other(s3, client, applicant, other_applicant, draft):
    from tests.factories import ApplicationFactory

    other_draft = ApplicationFactory(organisation=other_applicant.organisations.get(), call=draft.call,
                                     created_by=other_applicant)
    first, second, third = pdf_bytes("first"), pdf_bytes("second"), pdf_bytes("third")
    client.force_login(applicant)
    assert post_file(client, draft, "budget.pdf", first).status_code == 201
    assert post_file(client, draft, "budget.pdf", second).status_code == 201
    client.force_login(other_applicant)
    assert post_file(client, other_draft, "budget.pdf", third).status_code == 201

    rows = list(Attachment.objects.order_by("pk"))
    assert [row.original_name for row in rows] == ["budget.pdf"] * 3
    assert keys(s3) == sorted(row.file.name for row in rows)
    assert len(set(keys(s3))) == 3
    for row, content in zip(rows, (first, second, third), strict=True):
        assert s3.get_object(Bucket=s3.bucket, Key=row.file.name)["Body"].read() == content


def test_the_other_organisation_cannot_download_from_s3(s3, client, applicant, other_applicant, draft):
    client.force_login(applicant)
    url = json.loads(post_file(client, draft, "budget.pdf", pdf_bytes()).content)["attachment"]["url"]
    client.force_login(other_applicant)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("case_id", ["exe-renamed-pdf", "docm-renamed-docx", "zip-bomb-disguised-as-docx",
                                     "html-declared-pdf"])
def test_a_hostile_upload_leaves_no_object_in_the_bucket(case_id, s3, client, applicant, draft):
    case = next(case for case in HOSTILE if case.id == case_id)
    client.force_login(applicant)
    body, content_type = multipart({}, [("file", case.filename, case.build(), case.content_type)])
    response = client.post(reverse("grants:attachment_add", args=[draft.pk]), data=body, content_type=content_type,
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == case.code
    assert Attachment.objects.count() == 0
    assert keys(s3) == []


def test_a_failure_after_the_put_deletes_the_object(s3, applicant, draft, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def broken(**kwargs):
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr("grants.services.attachments.event_record", broken)
    with pytest.raises(RuntimeError):
        attachments.attachment_add(application_id=draft.pk, user=applicant,
                                   upload=SimpleUploadedFile("budget.pdf", pdf_bytes()))
    assert Attachment.objects.count() == 0
    assert keys(s3) == []


def test_remove_deletes_the_object_after_commit(s3, client, applicant, draft, django_capture_on_commit_callbacks):
    client.force_login(applicant)
    assert post_file(client, draft, "budget.pdf", pdf_bytes()).status_code == 201
    attachment = Attachment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grants:attachment_remove", args=[attachment.pk]))
    assert response.status_code == 302
    assert Attachment.objects.count() == 0
    assert keys(s3) == []
