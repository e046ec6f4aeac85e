import json
import os
import subprocess
import sys

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from config.celery import app as celery_app

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.django_db
def test_healthz_answers_200_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down(client, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = json.loads(response.content)
    assert (body["status"], body["database"]) == ("error", "ok")
    assert body["broker"].startswith("error")


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    from django.db.backends.base.base import BaseDatabaseWrapper

    def broken_cursor(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", broken_cursor)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "error: OperationalError"


@pytest.mark.parametrize("name, value, message", [
    ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
    ("DATABASE_URL", "mysql://root@localhost/db", "DATABASE_URL must start with one of"),
    ("REDIS_URL", "http://localhost:6379", "REDIS_URL must start with one of"),
    ("SECRET_KEY", "too-short", "SECRET_KEY must be at least 50 characters"),
    ("SESSION_COOKIE_AGE", "eight hours", "SESSION_COOKIE_AGE='eight hours' is not a whole number"),
    ("UPLOAD_MAX_BYTES", "10", "UPLOAD_MAX_BYTES=10 must be at least 1024"),
])
def test_a_bad_setting_stops_the_start_with_a_clear_message(name, value, message, tmp_path):
    env = {**os.environ, name: value, "POTTEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_embedded_defaults_start_with_no_services(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "EMAIL_HOST")}
    env.update({"POTTEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"})
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND, "
            "s.STORAGES['default']['BACKEND'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3", "filesystem://", "django.core.mail.backends.console.EmailBackend",
        "django.core.files.storage.FileSystemStorage",
    ]
    assert (tmp_path / "celery" / "queue").is_dir()


def test_a_sqlite_file_named_by_database_url_gets_the_embedded_rules(tmp_path):
    """A worker started by a test must see the test database: a file beside the named one, never memory
    (an in-memory name handed to the worker was "'mode' is an invalid keyword argument")."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"POTTEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": f"sqlite:///{tmp_path}/potten-data.sqlite3"})
    code = ("import django; django.setup(); from django.conf import settings as s; d = s.DATABASES['default']; "
            "print(d['ENGINE'], d['NAME'], d['TEST']['NAME'], d['OPTIONS']['transaction_mode'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3", f"{tmp_path}/potten-data.sqlite3", f"{tmp_path}/test-potten-data.sqlite3",
        "IMMEDIATE"]


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    env = {**os.environ, "POTTEN_VAR_DIR": str(tmp_path), "DEBUG": "false", "SECRET_KEY": "k" * 20 + "x9Y!z" * 10,
           "ALLOWED_HOSTS": "potten.example.se", "SITE_URL": "https://potten.example.se",
           "SECURE_SSL_REDIRECT": "true", "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_PRELOAD": "true",
           "BEHIND_TLS_PROXY": "true", "POTTEN_TESTING": "false"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL connection setting")
def test_every_postgresql_connection_plans_for_pages_read_from_memory():
    """random_page_cost 1.1 on every connection (config/settings.py): the trigram and foreign-key indexes are
    chosen over whole-table scans on small tables."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
