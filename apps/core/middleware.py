"""The project's middleware: the request id (X-Request-ID in and out, the one the change log
attributes writes to, and the access log line), problem documents under /api/ whatever DEBUG
says, the database-unavailable 503, and URLs with or without their trailing slash."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from inspect import iscoroutinefunction
from typing import Any

from asgiref.sync import markcoroutinefunction
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from apps.core import capture, request_id
from apps.core.logging import log_access

logger = logging.getLogger("coveris.errors")

HEADER = "X-Request-ID"


class HybridMiddleware:
    """Base of the project's middleware that run sync or async, as the handler chain does:
    a subclass says what happens before the view (`enter`, whose result `leave` gets) and
    after it (`leave`, which runs even when the view raises: `response` is then None)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], object]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def enter(self, request: HttpRequest) -> Any:
        return None

    def leave(self, request: HttpRequest, state: Any, response: Any) -> None:
        return None

    def __call__(self, request: HttpRequest) -> object:
        if self.is_async:
            return self._acall(request)
        state = self.enter(request)
        response = None
        try:
            response = self.get_response(request)
        finally:
            self.leave(request, state, response)
        return response

    async def _acall(self, request: HttpRequest) -> object:
        state = self.enter(request)
        response = None
        try:
            get_response: Callable[[HttpRequest], Awaitable[object]]
            get_response = self.get_response  # type: ignore[assignment]
            response = await get_response(request)
        finally:
            self.leave(request, state, response)
        return response


class RequestIdMiddleware(HybridMiddleware):
    """Accept a well-formed X-Request-ID or make one; echo it on the response; write the
    access log line (the server's own is off: config/serve.py)."""

    def enter(self, request: HttpRequest) -> Any:
        value = request_id.accept(request.headers.get(HEADER))
        request.request_id = value  # type: ignore[attr-defined]
        return request_id.set_current(value), capture.serving(request), time.perf_counter()

    def leave(self, request: HttpRequest, state: Any, response: Any) -> None:
        token, serving, started = state
        try:
            if response is not None:
                response[HEADER] = request.request_id  # type: ignore[attr-defined]
            log_access(request, response, time.perf_counter() - started)
        finally:
            capture.done(serving)
            request_id.reset(token)


class DatabaseUnavailableMiddleware:
    """Outside DRF's handler (sessions, the admin, health checks), a database that cannot be
    reached is a 503 problem document, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], object]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> object:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> object | None:
        from django.http import JsonResponse

        from apps.core.codes import ErrorCode
        from apps.core.exceptions import PROBLEM_CONTENT_TYPE, is_database_unavailable, problem

        if not is_database_unavailable(exception):
            return None
        body = problem(
            503,
            ErrorCode.DATABASE_UNAVAILABLE,
            "The database is unavailable; try again shortly.",
            request,
        )
        response = JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
        response["Retry-After"] = "5"
        return response


def _resolves(path: str, urlconf: str | None) -> bool:
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return match.url_name != API_NOT_FOUND


# The catch-all route under /api/ (config/urls.py): an unknown API URL is a problem document.
API_NOT_FOUND = "api-not-found"


class ApiProblemMiddleware:
    """Under /api/, every error is a problem document, under DEBUG as in production: a bad
    `Host` (checked here, before anything asks for it), and any exception a view lets out
    (Django would answer its HTML debug page under DEBUG; the 404 of an unknown URL is the
    catch-all route's). The database being down is DatabaseUnavailableMiddleware's 503."""

    def __init__(self, get_response: Callable[[HttpRequest], object]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> object:
        if request.path_info.startswith("/api/"):
            from django.core.exceptions import DisallowedHost

            from apps.core.exceptions import handler400

            try:
                request.get_host()
            except DisallowedHost as exc:
                return handler400(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> object | None:
        if not request.path_info.startswith("/api/"):
            return None
        from django.core.exceptions import PermissionDenied, SuspiciousOperation
        from django.http import Http404

        from apps.core import exceptions

        if isinstance(exception, Http404):
            return exceptions.handler404(request, exception)
        if isinstance(exception, PermissionDenied):
            return exceptions.handler403(request, exception)
        if isinstance(exception, SuspiciousOperation):
            return exceptions.handler400(request, exception)
        if exceptions.is_database_unavailable(exception):
            return None
        logger.exception("unhandled error on %s", request.path, exc_info=exception)
        return exceptions.handler500(request)


class OptionalSlashMiddleware(HybridMiddleware):
    """Every URL answers with and without its trailing slash, for every method: a path that
    does not resolve but does with the slash added (or removed) is served as that path.

    Django's APPEND_SLASH answers a redirect instead, which loses a POST's body (and under
    DEBUG raises a RuntimeError for one: a 500). Nothing is redirected here."""

    @staticmethod
    def _reroute(request: HttpRequest) -> None:
        path = request.path_info
        urlconf = getattr(request, "urlconf", None)
        if path == "/" or _resolves(path, urlconf):
            return
        other = path[:-1] if path.endswith("/") else f"{path}/"
        if _resolves(other, urlconf):
            request.path_info = other
            request.path = f"{request.META.get('SCRIPT_NAME', '').rstrip('/')}{other}"

    def enter(self, request: HttpRequest) -> Any:
        self._reroute(request)
