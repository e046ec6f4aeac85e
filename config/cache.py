"""The cache: Redis while it answers, the database while it does not.

Potten's cache holds little, but what it holds guards the login: allauth's rate-limit counters (failed
logins per address and per account, MFA code attempts) and the marker that a TOTP code was used. A
plain Redis cache turns a Redis outage into a 500 on every login. ``FailoverCache`` instead sends each
operation to Redis and, when Redis cannot be reached (connection refused or reset, a timeout, any
``redis`` error), to a database cache table, for ``RETRY_AFTER`` seconds before it tries Redis again.

While Redis is down the counters start again from zero in the database (what Redis counted is not
visible there); they never stop counting, so the limits still hold during an outage. The socket
timeouts are short, so an unreachable Redis host costs one request about a second, not a minute.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CACHE_TABLE = "potten_cache"  # created by accounts/migrations/0005_mfa.py
DB_CACHE_OPTIONS = {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 4}

# Shared by every thread's instance of the backend (django.core.cache.caches is thread-local).
_down_until: dict[str, float] = {}
_state_lock = threading.Lock()


def caches_setting(redis_url: str | None, *, key_prefix: str = "potten", retry_after: int = 30) -> dict:
    """The CACHES setting: Redis failing over to the database, or the database alone without Redis."""
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE,
                            "KEY_PREFIX": key_prefix, "OPTIONS": dict(DB_CACHE_OPTIONS)}}
    return {"default": {
        "BACKEND": "config.cache.FailoverCache",
        "LOCATION": redis_url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {"FALLBACK_TABLE": CACHE_TABLE, "RETRY_AFTER": retry_after,
                    "socket_connect_timeout": 1, "socket_timeout": 1},
    }}


class FailoverCache(BaseCache):
    """A Redis cache that falls back to a database cache table while Redis cannot be reached."""

    def __init__(self, location, params):
        options = dict(params.get("OPTIONS") or {})
        fallback_table = options.pop("FALLBACK_TABLE", CACHE_TABLE)
        self.retry_after = float(options.pop("RETRY_AFTER", 30))
        super().__init__({**params, "OPTIONS": {}})
        shared = {key: value for key, value in params.items() if key not in ("OPTIONS", "BACKEND", "LOCATION")}
        self.location = location
        self.primary = RedisCache(location, {**shared, "OPTIONS": options})
        self.fallback = DatabaseCache(fallback_table, {**shared, "OPTIONS": dict(DB_CACHE_OPTIONS)})

    # -- choosing the backend ---------------------------------------------------------------
    def redis_is_down(self) -> bool:
        return _down_until.get(self.location, 0.0) > time.monotonic()

    def _mark_down(self, error: Exception) -> None:
        with _state_lock:
            was_up = not self.redis_is_down()
            _down_until[self.location] = time.monotonic() + self.retry_after
        if was_up:
            logger.warning("Redis cache unreachable (%s: %s); using the database cache for %.0f s",
                           type(error).__name__, error, self.retry_after)

    def _call(self, name, *args, **kwargs):
        if not self.redis_is_down():
            try:
                result = getattr(self.primary, name)(*args, **kwargs)
            except (RedisError, OSError) as error:
                self._mark_down(error)
            else:
                if self.location in _down_until:
                    with _state_lock:
                        if _down_until.pop(self.location, None) is not None:
                            logger.warning("Redis cache reachable again")
                return result
        return getattr(self.fallback, name)(*args, **kwargs)

    # -- the cache API ------------------------------------------------------------------------
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default=default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta=delta, version=version)

    def decr(self, key, delta=1, version=None):
        return self._call("decr", key, delta=delta, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout=timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def clear(self):
        """Empties both (Redis's whole database, as Django's Redis cache does)."""
        self.fallback.clear()
        self._call("clear")

    def close(self, **kwargs):
        for backend in (self.primary, self.fallback):
            try:
                backend.close(**kwargs)
            except (RedisError, OSError):  # closing a pool to a Redis that is gone
                pass
