"""The shared cache (Redis in production), used so that its outage is never a 500.

When Redis cannot be reached its client raises on every call. `cache_errors()` is the one list
of what counts as "the cache is down"; `warn_cache_down` logs it (once a minute per process,
so an outage does not flood the log); `get`/`set`/`add` fall back to a small per-process
memory (what another worker cached is then not seen, and nothing is lost but sharing);
`check()` is /readyz's probe. The throttles' own policy is in apps/core/throttling.py.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError

logger = logging.getLogger("coveris.cache")

WARN_EVERY_SECONDS = 60.0
_last_warning = 0.0
_fallback = LocMemCache("coveris-fallback", {"OPTIONS": {"MAX_ENTRIES": 1000}})
PROBE_KEY = "readyz-probe"


def cache_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a cache backend raises when its server cannot be reached."""
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError, OSError]
    try:
        from django_redis.exceptions import ConnectionInterrupted
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - django-redis is a dependency
        pass
    else:
        errors += [ConnectionInterrupted, RedisError]
    return tuple(errors)


def warn_cache_down(what: str, exc: BaseException) -> None:
    """Log that the cache is down (rate-limited: once a minute per process)."""
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning("cache unavailable (%s): %s: %s", what, type(exc).__name__, exc)


def get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except cache_errors() as exc:
        warn_cache_down(f"get {key}", exc)
        return _fallback.get(key, default)


def set(key: str, value: Any, timeout: float | None) -> None:
    try:
        cache.set(key, value, timeout)
    except cache_errors() as exc:
        warn_cache_down(f"set {key}", exc)
        _fallback.set(key, value, timeout)


def add(key: str, value: Any, timeout: float | None) -> bool:
    try:
        return cache.add(key, value, timeout)
    except cache_errors() as exc:
        warn_cache_down(f"add {key}", exc)
        return _fallback.add(key, value, timeout)


def check() -> str | None:
    """None when the cache stores and returns a value, else the name of what went wrong."""
    try:
        token = str(time.monotonic_ns())
        cache.set(PROBE_KEY, token, 10)
        if cache.get(PROBE_KEY) != token:
            return "wrong value"
    except (*cache_errors(), DatabaseError) as exc:  # type: ignore[misc]  # DatabaseError: the database cache
        return type(exc).__name__
    return None
