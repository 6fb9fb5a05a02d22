"""Logging helpers: every record carries the id of the request it belongs to, and the access
log is written by the app (one line a request, through LOGGING: JSON in production) with no
secret in it."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

import pythonjsonlogger.json
from django.utils.functional import SimpleLazyObject, empty

from apps.core import request_id

access_logger = logging.getLogger("coveris.access")

REDACTED = "[redacted]"
# Query parameters whose value is never logged, whatever it looks like.
SENSITIVE_NAME = re.compile(
    r"token|pass|pwd|secret|key|auth|jwt|session|signature|credential|csrf|access|bearer|refresh",
    re.IGNORECASE,
)
# Values that are credentials whatever their parameter is called: a JWT (three base64url
# segments, the first a JSON header), or a Bearer credential.
SENSITIVE_VALUE = re.compile(r"eyJ[\w-]*\.[\w-]*\.?[\w-]*|^bearer\s", re.IGNORECASE)
MAX_QUERY_CHARS = 1000


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs 4xx responses after the middleware has returned (and the current
        # id is gone), but passes the request along: take the id from there.
        request = getattr(record, "request", None)
        record.request_id = request_id.get() or getattr(request, "request_id", None) or "-"
        return True


def json_default(value: Any) -> Any:
    """How the JSON formatter writes a value JSON has no type for: dates, decimals and UUIDs as
    text; any other object as `<TypeName>` only, never its repr (a request's repr holds its
    query string, and so any token sent there)."""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return f"<{type(value).__name__}>"


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """python-json-logger's formatter, writing values JSON has no type for by `json_default`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("json_default", json_default)
        super().__init__(*args, **kwargs)


def redacted_query(query_string: str) -> str:
    """The query string with the value of every sensitive parameter, and every value that looks
    like a token, replaced by [redacted]; cut to MAX_QUERY_CHARS."""
    if not query_string:
        return ""
    # `;` separates parameters too for some parsers: split on both, so nothing hides behind it.
    pairs = parse_qsl(query_string.replace(";", "&"), keep_blank_values=True)
    safe = []
    for name, value in pairs:
        if "=" in name or SENSITIVE_VALUE.search(name):  # a value smuggled into the name
            name = REDACTED
        sensitive = SENSITIVE_NAME.search(name) or SENSITIVE_VALUE.search(value)
        safe.append((name, REDACTED if sensitive else value))
    text = urlencode(safe, safe="[],:")
    return text if len(text) <= MAX_QUERY_CHARS else text[:MAX_QUERY_CHARS] + "..."


def log_access(request: Any, response: Any, seconds: float) -> None:
    """One INFO line on `coveris.access` for a request: method, path, redacted query, status,
    duration, size, client address and user id (also as fields, for the JSON formatter)."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    from apps.core.throttling import client_ident

    status = getattr(response, "status_code", 500)
    query = redacted_query(request.META.get("QUERY_STRING", ""))
    path = request.path + (f"?{query}" if query else "")
    size = "-" if response is None or response.streaming else len(response.content)
    user = request.__dict__.get("user")
    if type(user) is SimpleLazyObject and user._wrapped is empty:  # type: ignore[attr-defined]
        user = None  # never evaluated: looking it up now would cost a query (or fail)
    user_id = user.pk if user is not None and user.is_authenticated else None
    agent = (request.META.get("HTTP_USER_AGENT") or "-")[:200]
    if SENSITIVE_VALUE.search(agent):
        agent = REDACTED
    duration_ms = round(seconds * 1000, 1)
    access_logger.info(
        '%s %s %s %sms %s "%s"',
        request.method,
        path,
        status,
        duration_ms,
        size,
        agent,
        extra={
            "method": request.method,
            "path": request.path,
            "query": query,
            "status": status,
            "duration_ms": duration_ms,
            "bytes": size,
            "client": client_ident(request),
            "user_id": user_id,
        },
    )
