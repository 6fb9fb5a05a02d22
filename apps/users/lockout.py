"""django-axes, fitted to Coveris: one lockout for the admin login and the API's logins.

Every login (the admin's form, `auth/login/`, `auth/token/`) goes through Django's
`authenticate()`, and so through axes' backend, which counts failures in the database per
address and per account (settings.AXES_*). These callables tell axes

- the address, exactly as the API's throttles count it (`NUM_PROXIES` deep in X-Forwarded-For),
- the account, by its email ignoring case and surrounding spaces (as logging in matches it),
- what a locked-out client gets: a 429 problem document `locked_out` under /api/, the admin's
  own page elsewhere, both with Retry-After.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off, get_lockout_message
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from apps.core.codes import ErrorCode
from apps.core.exceptions import PROBLEM_CONTENT_TYPE, problem
from apps.core.throttling import client_ident

API_PREFIX = "/api/"


def client_ip(request: HttpRequest) -> str:
    return client_ident(request)


def username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login names, lower-cased and stripped, so `Ana@X.org ` and `ana@x.org`
    count as one. axes hands the credentials keyed by the user model's USERNAME_FIELD (`email`);
    the admin's form posts it as `username`."""
    credentials = credentials or {}
    candidates = [
        credentials.get("email"),
        credentials.get("username"),
        request.POST.get("username") if request.method == "POST" else None,
    ]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    cool_off = get_cool_off(request)
    retry_after = str(int(cool_off.total_seconds())) if cool_off else None
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        body = problem(
            429,
            ErrorCode.LOCKED_OUT,
            "Too many failed logins for this account or address; try again later.",
            request,
        )
        response = JsonResponse(body, status=429, content_type=PROBLEM_CONTENT_TYPE)
    else:
        response = TemplateResponse(
            request,
            "admin/locked_out.html",
            {"title": "Locked out", "message": get_lockout_message()},
            status=429,
        )
        response.render()
    if retry_after:
        response["Retry-After"] = retry_after
    return response
