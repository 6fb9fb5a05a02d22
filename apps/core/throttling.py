"""Throttles: one counter per client and fixed window, and what to do when the cache is down.

DRF's `SimpleRateThrottle` keeps, per client, the list of the timestamps of every request of the
last window (1,000 floats at the user rate of 1000/hour), reads it, trims it and writes it back
on every request: the cost grows with the rate. `FixedWindowThrottle` counts instead: the window
is `now // duration` (an hour for "1000/hour"), and the cache holds one small integer per client
and window under DRF's cache key plus the window's index. A request is allowed while its count
is at most the rate's number; a refused one waits until the window ends (Retry-After). The rates,
scopes and `get_cache_key` are DRF's, unchanged. (A fixed window lets a client spend a window's
allowance just before its end and another just after: at most twice the rate over a short
stretch, the usual price of counting in O(1).)

How the counter is incremented depends on the cache backend:

- backends with their own `incr` (Redis — django-redis and Django's RedisCache run INCRBY, so
  concurrent requests on every worker each get a distinct count; memcached; Django's
  LocMemCache, atomic under its lock but only within one process): one `incr(key)`, which keeps
  the counter's expiry; only the window's first request finds no counter (ValueError), creates
  it with `add(key, 0, timeout)` (the window's end plus a slack; of concurrent first requests one
  creates it and the others' `add` does nothing) and increments it then;
- Django's DatabaseCache (what `make run` and the test suite use without REDIS_URL) and the
  file cache inherit `BaseCache.incr`, a get then a set that would also reset the key's expiry to
  the cache's default timeout (300 s: the login's hour would restart after five quiet minutes).
  There the counter is read and written back (one `get`, and one `set` with the window's expiry
  while the request is allowed): not atomic, so concurrent requests of one client may each be
  allowed with the same count. The database cache is for development; production runs Redis.

When the cache cannot be reached its client raises on every call. Here:

- every throttle but login's **fails open**: the request is served unthrottled and a warning
  is logged (at most once a minute per process, so an outage does not flood the log);
- the login throttles (`strict = True`) **fail closed**: login answers 503 `cache_unavailable`
  rather than take unlimited password guesses (django-axes' lockout, which lives in the
  database, still holds).

What counts as "the cache is down" is apps.core.cache's `cache_errors()`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from rest_framework import throttling

from apps.core.cache import cache_errors, warn_cache_down
from apps.core.codes import ErrorCode
from apps.core.exceptions import ServiceUnavailable

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger("coveris.cache")

# A window's counter outlives the window by this much, so that a worker whose clock lags a
# little still finds it (and `incr` never meets a key that expired under it).
WINDOW_SLACK_SECONDS = 10


def counter_key(cache_key: str, now: float, duration: int) -> str:
    """The cache key of the counter of `cache_key`'s window holding the instant `now`."""
    return f"{cache_key}:{int(now // duration)}"


class CacheUnavailable(ServiceUnavailable):
    default_code = ErrorCode.CACHE_UNAVAILABLE
    default_detail = "Logging in is unavailable for a moment; try again shortly."


class FixedWindowThrottle(throttling.SimpleRateThrottle):
    """DRF's rate throttle counted in O(1): one integer per client and fixed window."""

    num_requests: int | None  # set by DRF's __init__ from the rate (the stubs omit them)
    duration: int | None
    count: int
    window_end: float

    def allow_request(self, request: Request, view: APIView) -> bool:
        limit, duration = self.num_requests, self.duration
        if limit is None or duration is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.window_end = (self.now // duration + 1) * duration
        self.count = self.increment(
            counter_key(self.key, self.now, duration),
            limit=limit,
            timeout=self.window_end - self.now + WINDOW_SLACK_SECONDS,
        )
        if self.count > limit:
            return self.throttle_failure()
        return True

    def wait(self) -> float:
        """Seconds until the window ends (DRF sends them, rounded up, as Retry-After)."""
        return max(0.0, self.window_end - self.now)

    def increment(self, key: str, *, limit: int, timeout: float) -> int:
        """This request's count in its window (the module docstring says how, per backend)."""
        backend = self.backend()
        if type(backend).incr is BaseCache.incr:
            count = int(backend.get(key, 0)) + 1
            if count <= limit:  # a refused request need not be written down
                backend.set(key, count, timeout)
            return count
        try:
            return int(backend.incr(key))
        except ValueError:  # the window's first request: no counter yet
            pass
        backend.add(key, 0, timeout)  # one of concurrent first requests creates it, with its expiry
        try:
            return int(backend.incr(key))
        except ValueError:  # a cache that keeps nothing (DummyCache): count it as the first
            return 1

    def backend(self) -> BaseCache:
        """The cache backend itself (DRF's `cache` is the proxy to the current default)."""
        return self.cache if isinstance(self.cache, BaseCache) else caches[DEFAULT_CACHE_ALIAS]


class CacheAwareThrottle(FixedWindowThrottle):
    """Fails open when the cache is down, or (`strict`) answers 503 `cache_unavailable`."""

    strict = False

    def allow_request(self, request: Request, view: APIView) -> bool:
        method = (request.method or "").lower()
        if method == "options" or not hasattr(view, method):
            # A preflight or a method the view does not answer (405) is not counted: a wrong
            # method must not use up an endpoint's allowance (login's 5 an hour).
            return True
        try:
            return super().allow_request(request, view)
        except cache_errors() as exc:
            if self.strict:
                logger.error("cache unavailable: login refused (%s)", type(exc).__name__)
                raise CacheUnavailable() from exc
            warn_cache_down(f"{type(self).__name__} not applied", exc)
            return True


# DRF's class first: its scope and cache key (ScopedRateThrottle picks the view's scope and rate in
# its allow_request, then calls on), then the outage policy, then the counter.


class AnonRateThrottle(throttling.AnonRateThrottle, CacheAwareThrottle):
    pass


class UserRateThrottle(throttling.UserRateThrottle, CacheAwareThrottle):
    pass


class ScopedRateThrottle(throttling.ScopedRateThrottle, CacheAwareThrottle):
    pass


class LoginAnonRateThrottle(AnonRateThrottle):
    """The per-address limit on the login endpoints: never skipped (503 when the cache is down)."""

    strict = True


class LoginScopedRateThrottle(ScopedRateThrottle):
    """The `login` scope's limit: never skipped (503 when the cache is down)."""

    strict = True


def client_ident(request: Any) -> str:
    """The client address DRF's throttles count by (X-Forwarded-For honoured NUM_PROXIES deep),
    for a DRF or a plain Django request: one notion of "address" for throttles and lockouts."""
    return throttling.BaseThrottle().get_ident(request)
