"""Login while Redis is down (config/cache.py): the rate-limit counters and used TOTP codes fall back to the
database, over HTTP, with a real connection refusal; and the same with the real Redis, and with Redis going
away in the middle (a TCP proxy to the real Redis that is shut down)."""

import os
import socket
import threading
import uuid

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse

from config import cache as cache_module
from config.cache import CACHE_TABLE, FailoverCache, caches_setting
from tests.auth_helpers import fresh_totp_code, logged_in_user_id, totp_secret_of
from tests.real_services import free_port

pytestmark = pytest.mark.django_db

REAL_REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REAL_REDIS_URL, reason="needs REDIS_URL (the run on PostgreSQL and Redis)")


def closed_port_url() -> str:
    port = free_port()
    with pytest.raises(ConnectionRefusedError):  # nothing listens there: a real refusal
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    return f"redis://127.0.0.1:{port}/0"


def db_cache_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {connection.ops.quote_name(CACHE_TABLE)}")
        return [row[0] for row in cursor.fetchall()]


def use_cache(settings, url: str, prefix: str = "potten-test"):
    settings.CACHES = caches_setting(url, key_prefix=prefix)
    cache_module._down_until.pop(url, None)
    assert isinstance(caches["default"], FailoverCache)


@pytest.fixture
def redis_down(settings):
    url = closed_port_url()
    use_cache(settings, url)
    yield url
    cache_module._down_until.pop(url, None)


def test_login_works_while_redis_is_down(client, applicant, password, redis_down):
    response = client.post(reverse("account_login"), {"login": applicant.email, "password": password})

    assert (response.status_code, response["Location"]) == (302, reverse("grants:my_applications"))
    assert logged_in_user_id(client) == str(applicant.pk)
    assert client.get(reverse("grants:my_applications")).status_code == 200
    assert isinstance(caches["default"], FailoverCache) and caches["default"].redis_is_down()
    # what the login wrote (its rolled-back attempt counters, the known address) is in the database
    keys = db_cache_keys()
    assert any(":login_failed_ip_account:" in key for key in keys)
    assert any("potten:login-known:" in key for key in keys)


def test_staff_log_in_with_their_second_factor_while_redis_is_down(client, secretary, password, redis_down):
    secret = totp_secret_of(secretary)
    code = fresh_totp_code(secretary, secret)
    client.post(reverse("account_login"), {"login": secretary.email, "password": password})

    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert (response.status_code, response["Location"]) == (302, reverse("workflows:inbox"))
    assert client.get(reverse("workflows:inbox")).status_code == 200
    # the used code is remembered in the database: it cannot log in a second time
    other = Client()
    other.post(reverse("account_login"), {"login": secretary.email, "password": password})
    assert other.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    assert logged_in_user_id(other) is None
    assert any("allauth.mfa.totp.used" in key for key in db_cache_keys())


def test_the_limits_hold_while_redis_is_down(client, applicant, password, redis_down):
    statuses = [client.post(reverse("account_login"), {"login": applicant.email, "password": "wrong-password-1"})
                .status_code for _n in range(5)]
    response = client.post(reverse("account_login"), {"login": applicant.email, "password": password})

    assert statuses == [200] * 5
    assert response.status_code == 429
    assert logged_in_user_id(client) is None


@pytest.fixture
def real_redis(settings):
    prefix = f"potten-test-{uuid.uuid4().hex}"
    use_cache(settings, REAL_REDIS_URL, prefix)
    client = redis.Redis.from_url(REAL_REDIS_URL)
    yield client, prefix
    keys = client.keys(f"{prefix}:*")
    if keys:
        client.delete(*keys)
    client.close()


@needs_redis
def test_with_redis_up_the_counters_live_in_redis(client, applicant, password, real_redis):
    redis_client, prefix = real_redis
    statuses = [client.post(reverse("account_login"), {"login": applicant.email, "password": "wrong-password-1"})
                .status_code for _n in range(5)]
    refused = client.post(reverse("account_login"), {"login": applicant.email, "password": password})
    other = Client().post(reverse("account_login"), {"login": applicant.email, "password": password},
                          REMOTE_ADDR="192.0.2.44")

    assert statuses == [200] * 5 and refused.status_code == 429
    assert other.status_code == 302  # the owner, from another address
    keys = [key.decode() for key in redis_client.keys(f"{prefix}:*")]
    assert any(":login_failed_ip_account:" in key for key in keys)
    assert db_cache_keys() == []  # nothing fell back


class TcpProxy:
    """A loopback TCP proxy to Redis; stop() closes it and every connection, as a Redis that goes away."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                downstream, _address = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self.sockets += [downstream, upstream]
            for source, target in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@needs_redis
def test_redis_going_away_in_the_middle_fails_over_to_the_database(client, applicant, password, settings):
    real = redis.Redis.from_url(REAL_REDIS_URL)
    options = real.connection_pool.connection_kwargs
    proxy = TcpProxy((options.get("host", "127.0.0.1"), options.get("port", 6379)))
    prefix = f"potten-test-{uuid.uuid4().hex}"
    url = f"redis://127.0.0.1:{proxy.port}/{options.get('db', 0)}"
    use_cache(settings, url, prefix)
    try:
        # two failures counted in Redis
        for _n in range(2):
            assert client.post(reverse("account_login"), {"login": applicant.email, "password": "wrong-1"}) \
                .status_code == 200
        assert real.keys(f"{prefix}:*") and db_cache_keys() == []

        # when: Redis goes away
        proxy.stop()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()

        # then: logging in still works, on the database
        response = Client().post(reverse("account_login"), {"login": applicant.email, "password": password})
        assert (response.status_code, response["Location"]) == (302, reverse("grants:my_applications"))
        assert any(":login_failed_ip_account:" in key for key in db_cache_keys())
        # and: the limits still hold there (they count again from zero in the database)
        statuses = [client.post(reverse("account_login"), {"login": applicant.email, "password": "wrong-1"})
                    .status_code for _n in range(6)]
        assert statuses == [200] * 5 + [429]
    finally:
        proxy.stop()
        cache_module._down_until.pop(url, None)
        keys = real.keys(f"{prefix}:*")
        if keys:
            real.delete(*keys)
        real.close()
