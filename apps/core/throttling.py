"""Throttles that know what to do when the cache holding their counters is down.

DRF keeps throttle counters in the default cache (Redis in production). When Redis cannot be
reached, its client raises on every `get`, and every throttled request would be a 500. Here:

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

from rest_framework import throttling

from apps.core.cache import cache_errors, warn_cache_down
from apps.core.codes import ErrorCode
from apps.core.exceptions import ServiceUnavailable

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger("coveris.cache")


class CacheUnavailable(ServiceUnavailable):
    default_code = ErrorCode.CACHE_UNAVAILABLE
    default_detail = "Logging in is unavailable for a moment; try again shortly."


class CacheAwareThrottle(throttling.SimpleRateThrottle):
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


class AnonRateThrottle(CacheAwareThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(CacheAwareThrottle, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(CacheAwareThrottle, throttling.ScopedRateThrottle):
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
