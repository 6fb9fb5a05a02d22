"""Every request has an id: taken from X-Request-ID when sane, echoed, in problems and in logs."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils.module_loading import import_string
from rest_framework.test import APIClient

from apps.core import request_id
from apps.core.logging import RequestIdFilter

# The autouse cache fixture clears the (database) cache, so every test needs the database.
pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.parametrize(
    "incoming",
    ["abc-123", "0b7e2f0c-56d1-4e0a-9f5c-1b2b3c4d5e6f", "lb:trace.42_x", "x" * 128],
)
def test_well_formed_request_id_is_echoed(incoming):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response.status_code == 200
    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["x" * 500, "x" * 129, "has spaces in it", "semi;colon", "new\tline", "ünïcode", "<script>"],
)
def test_malformed_request_id_is_replaced(incoming):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert GENERATED.match(response["X-Request-ID"])


def test_missing_request_id_is_generated_and_unique_per_request():
    client = Client()
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert GENERATED.match(first)
    assert GENERATED.match(second)
    assert first != second


def test_problem_document_carries_the_request_id():
    response = APIClient().get("/api/v1/users/", HTTP_X_REQUEST_ID="trace-me-1")
    assert response.status_code == 401
    assert response["X-Request-ID"] == "trace-me-1"
    assert response.json()["request_id"] == "trace-me-1"


def test_django_level_404_problem_carries_the_request_id():
    response = Client().get("/api/v1/nowhere/", HTTP_X_REQUEST_ID="trace-me-2")
    assert response.status_code == 404
    assert response.json()["request_id"] == "trace-me-2"


def test_request_id_is_not_left_behind_after_the_request():
    Client().get("/healthz", HTTP_X_REQUEST_ID="gone-after")
    assert request_id.get() == ""


def _record(msg: str = "hello", **extra) -> logging.LogRecord:
    record = logging.LogRecord("coveris.test", logging.INFO, __file__, 1, msg, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_logging_filter_adds_the_current_request_id():
    token = request_id.set_current("req-42")
    try:
        record = _record()
        assert RequestIdFilter().filter(record) is True
    finally:
        request_id.reset(token)
    assert record.request_id == "req-42"  # type: ignore[attr-defined]


def test_logging_filter_outside_a_request_uses_a_dash():
    record = _record()
    RequestIdFilter().filter(record)
    assert record.request_id == "-"  # type: ignore[attr-defined]


def test_django_request_warnings_carry_the_request_id(caplog):
    """4xx responses are logged by django.request after the middleware; they keep the id."""
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        APIClient().get("/api/v1/users/", HTTP_X_REQUEST_ID="logged-4xx")
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records, "django.request logged nothing for a 401"
    assert {r.request_id for r in records} == {"logged-4xx"}  # type: ignore[attr-defined]


def _json_formatter() -> logging.Formatter:
    conf = dict(settings.LOGGING["formatters"]["json"])
    factory = import_string(conf.pop("()"))
    return factory(**conf)


def test_json_log_formatter_writes_one_json_object_per_record():
    token = request_id.set_current("req-json")
    try:
        record = _record("user %s logged in", args=None)
        record.msg, record.args = "user %s logged in", ("ada@example.test",)
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    line = _json_formatter().format(record)
    assert "\n" not in line
    document = json.loads(line)
    assert document["level"] == "INFO"
    assert document["logger"] == "coveris.test"
    assert document["request_id"] == "req-json"
    assert document["message"] == "user ada@example.test logged in"
    assert document["time"]


def test_json_log_formatter_includes_the_traceback_of_an_exception():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "coveris.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    RequestIdFilter().filter(record)
    document = json.loads(_json_formatter().format(record))
    assert document["level"] == "ERROR"
    assert "ValueError: boom" in document["exc_info"]


def test_console_handler_uses_the_request_id_filter():
    handler = settings.LOGGING["handlers"]["console"]
    assert "request_id" in handler["filters"]
    assert handler["formatter"] in settings.LOGGING["formatters"]


def test_request_id_under_asgi_as_uvicorn_serves_it():
    """Production runs the async middleware chain; the id behaves the same there."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    client = AsyncClient()
    echoed = async_to_sync(client.get)("/healthz", headers={"X-Request-ID": "async-1"})
    assert echoed.status_code == 200
    assert echoed["X-Request-ID"] == "async-1"
    replaced = async_to_sync(client.get)("/healthz", headers={"X-Request-ID": "bad id"})
    assert GENERATED.match(replaced["X-Request-ID"])
    assert request_id.get() == ""


def test_middleware_async_path_sets_and_echoes_the_id():
    """The middleware's async path, used once every middleware below it is async-capable."""
    from asgiref.sync import async_to_sync
    from django.http import HttpResponse
    from django.test import RequestFactory

    from apps.core.middleware import RequestIdMiddleware

    seen: list[str] = []

    async def view(request):
        seen.append(request_id.get())
        return HttpResponse("ok")

    middleware = RequestIdMiddleware(view)
    assert middleware.is_async
    response = async_to_sync(middleware)(
        RequestFactory().get("/healthz", HTTP_X_REQUEST_ID="async-direct")
    )
    assert response["X-Request-ID"] == "async-direct"
    assert seen == ["async-direct"]
    assert request_id.get() == ""
