"""Two nodes: two web processes (gunicorn) and two Celery workers on loopback, each with a var folder of
its own, against one PostgreSQL, one Redis and one S3 (moto's server). One application goes from
submission to decision with its steps done alternately through the two web processes; its attachment is
uploaded through one and downloaded through the other; every mail is delivered once. Nothing may live in
one process or on one disk."""

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY as AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from grants.models import Application, Attachment, Decision
from notifications.models import OutboxMessage
from reviewers.models import Assignment
from tests import real_services
from tests.attachment_files import multipart, pdf_bytes
from tests.test_journey import application_form_data
from tests.test_s3_storage import CREDENTIALS, REGION, moto_endpoint  # noqa: F401 -- the server fixture

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"),
                       reason="two nodes share one PostgreSQL and one Redis (DATABASE_URL, REDIS_URL)"),
]
SECRET = "two-nodes-" + "x" * 60  # every node must share the key (sessions, signed links)
BIN = Path(sys.executable).parent


class Inbox:
    def __init__(self):
        self.message_ids = []

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.decode(errors="replace").splitlines():
            if line.lower().startswith("message-id:"):
                self.message_ids.append(line.split(":", 1)[1].strip())
        return "250 OK"


@pytest.fixture
def cluster(moto_endpoint, tmp_path):  # noqa: F811
    """{"a": url, "b": url, "inbox": Inbox}: two web processes and two workers, all running."""
    bucket = f"potten-nodes-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION, **CREDENTIALS).create_bucket(Bucket=bucket)
    inbox = Inbox()
    processes = []
    with real_services.smtp_server(inbox) as smtp_port:
        def env(name):
            var = tmp_path / name
            var.mkdir()
            return {**os.environ, "POTTEN_TESTING": "false", "DEBUG": "false", "SECRET_KEY": SECRET,
                    "DATABASE_URL": real_services.database_url(), "REDIS_URL": os.environ["REDIS_URL"],
                    "POTTEN_VAR_DIR": str(var), "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
                    "EMAIL_USE_TLS": "false", "EMAIL_USE_SSL": "false", "AWS_STORAGE_BUCKET_NAME": bucket,
                    "AWS_S3_ENDPOINT_URL": moto_endpoint, "AWS_S3_REGION_NAME": REGION,
                    "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
                    "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING"}

        def start(name, command):
            log = (tmp_path / f"{name}.log").open("w")
            processes.append((name, subprocess.Popen(command, cwd=settings.BASE_DIR, env=env(name), stdout=log,
                                                     stderr=subprocess.STDOUT)))

        urls = {}
        for name in ("a", "b"):
            port = real_services.free_port()
            start(f"web-{name}", [str(BIN / "gunicorn"), "config.wsgi:application", "--workers", "1",
                                  "--bind", f"127.0.0.1:{port}", "--timeout", "60"])
            urls[name] = f"http://127.0.0.1:{port}"
        for name in ("1", "2"):
            start(f"worker-{name}", [str(BIN / "celery"), "-A", "config", "worker", "--pool=solo",
                                     f"--hostname=node{name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip",
                                     "--without-mingle", "--loglevel=WARNING"])
        try:
            for url in urls.values():
                _wait_up(url, processes, tmp_path)
            yield {**urls, "inbox": inbox, "logs": tmp_path}
        finally:
            for _name, process in processes:
                process.terminate()
            for _name, process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _logs(path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in sorted(path.glob("*.log")))


def _wait_up(url, processes, path):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        if any(process.poll() is not None for _name, process in processes):
            break
        time.sleep(0.3)
    pytest.fail(f"{url} did not start:\n{_logs(path)}")


def browser(node_url, user):
    """A logged-in session of `user` (the session lives in the database: any node knows it), with the
    CSRF cookie of a first page."""
    with override_settings(SECRET_KEY=SECRET):  # the session's data is signed with the nodes' key
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        # as allauth records a login that passed the password and the second factor (staff must have both)
        store[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "password", "at": time.time()},
                                                     {"method": "mfa", "at": time.time(), "type": "totp"}]
        store[AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
        store.save()
    session = requests.Session()
    session.trust_env = False  # loopback: never through a proxy
    session.cookies.set(settings.SESSION_COOKIE_NAME, store.session_key)
    session.base = node_url
    return session


def get(session, path, **kwargs):
    response = session.get(session.base + path, timeout=60, **kwargs)
    assert response.status_code == 200, (path, response.status_code, response.text[-2000:])
    return response


def post(session, path, data=None, expect=302, **kwargs):
    token = session.cookies.get(settings.CSRF_COOKIE_NAME)
    if token is None:
        get(session, "/")
        token = session.cookies.get(settings.CSRF_COOKIE_NAME)
    headers = {"X-CSRFToken": token, "Referer": session.base + path, **kwargs.pop("headers", {})}
    response = session.post(session.base + path, data=data, headers=headers, allow_redirects=False, timeout=60,
                            **kwargs)
    assert response.status_code == expect, (path, response.status_code, response.text[-3000:])
    return response


def open_task(application) -> Task:
    return Task.objects.get(process__applicationprocess__application=application,
                            status__in=[STATUS.NEW, STATUS.ASSIGNED], flow_task_type="HUMAN")


def test_one_application_from_submission_to_decision_across_two_nodes(cluster, draft, applicant, case_officer,
                                                                       reviewer, secretary):
    a_applicant, b_officer = browser(cluster["a"], applicant), browser(cluster["b"], case_officer)
    a_reviewer, b_secretary = browser(cluster["a"], reviewer), browser(cluster["b"], secretary)

    # when: the applicant attaches a budget and submits, through node A
    content = pdf_bytes("Budget på två noder")
    body, content_type = multipart({}, [("file", "budget.pdf", content, "application/pdf")])
    post(a_applicant, reverse("grants:attachment_add", args=[draft.pk]), data=body, expect=201,
         headers={"Content-Type": content_type, "Accept": "application/json"})
    attachment = Attachment.objects.get(application=draft)
    post(a_applicant, reverse("grants:application_edit", args=[draft.pk]),
         data=application_form_data(draft, submit="1"))
    draft.refresh_from_db()
    assert draft.status == Application.Status.SUBMITTED

    # and: the case officer, through node B, downloads the attachment (from S3, not from A's disk),
    # claims the check and passes it
    download = get(b_officer, reverse("grants:attachment_download", args=[attachment.pk]))
    assert download.content == content
    task = open_task(draft)
    post(b_officer, reverse("workflows:claim", args=[task.pk]))
    page = get(b_officer, reverse("workflows:task", args=[task.pk])).text
    points = sorted(set(re.findall(r'name="(item_\d+)"', page)))
    assert points
    post(b_officer, reverse("workflows:task", args=[task.pk]),
         data={**{name: "pass" for name in points}, "outcome": "pass", "comment": "Bra."})

    # and: the reviewer, through node A, declares no conflict and submits a review
    assignment = Assignment.objects.get(application=draft, reviewer=reviewer)
    url = reverse("reviewers:assignment", args=[assignment.pk])
    post(a_reviewer, url, data={"conflict": "no"})
    page = get(a_reviewer, url).text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    post(a_reviewer, url, data={"recommendation": "grant", "summary": "Tydliga mål.", "submit": "1",
                                "version": version,
                                **{f"score_{c.pk}": "4" for c in assignment.rubric.criteria.all()}})

    # and: the secretary, through node B, grants it
    task = open_task(draft)
    assert task.flow_task.name == "decision"
    post(b_secretary, reverse("workflows:claim", args=[task.pk]))
    post(b_secretary, reverse("workflows:task", args=[task.pk]),
         data={"outcome": "granted", "amount": "15000", "conditions": "Slutrapport i tid.", "motivation": "Bra."})

    # then: the decision is in effect, its letter on S3 (readable through node A as well)
    decision = Decision.objects.get(application=draft)
    assert (decision.outcome, decision.status, decision.letter.name != "") == ("granted", "effective", True)
    letter = get(a_applicant, reverse("grants:decision_letter", args=[decision.pk]))
    assert letter.content[:5] == b"%PDF-"

    # and: the two workers deliver every mail of the case, each exactly once
    deadline = time.monotonic() + 120
    while OutboxMessage.objects.exclude(status__in=["sent", "held"]).exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    rows = list(OutboxMessage.objects.exclude(status="held"))
    assert rows and {row.status for row in rows} == {"sent"}, _logs(cluster["logs"])
    time.sleep(1)  # a duplicate would arrive now
    assert sorted(cluster["inbox"].message_ids) == sorted(row.message_id for row in rows)
