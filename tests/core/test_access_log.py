"""The access log (issue 16, item 7): the app writes one line a request (uvicorn's own is off),
through LOGGING (JSON in production) with the request id, and no token, password or other
secret sent in a query string reaches it. The real server's output is checked in
tests/security/test_throttle_workers.py."""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings
from django.test import Client
from django.utils.module_loading import import_string
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.logging import JsonFormatter, redacted_query
from config.serve import uvicorn_command
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_log(caplog):
    with caplog.at_level(logging.INFO, logger="coveris.access"):
        yield caplog


def lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "coveris.access"]


def test_one_line_a_request_with_the_request_id_status_and_user(access_log, admin_user):
    response = bearer(APIClient(), admin_user).get(
        "/api/v1/employees/?page_size=5", HTTP_X_REQUEST_ID="req-0001"
    )
    assert response.status_code == 200
    (record,) = lines(access_log)
    assert record.getMessage().startswith("GET /api/v1/employees/?page_size=5 200 ")
    assert record.status == 200
    assert record.user_id == admin_user.pk
    assert record.client == "127.0.0.1"
    assert record.duration_ms >= 0
    assert record.request_id == response["X-Request-ID"] == "req-0001"


def test_a_token_in_the_query_string_is_refused_and_never_logged(access_log, admin_user):
    token = str(RefreshToken.for_user(admin_user).access_token)
    response = APIClient().get(f"/api/v1/employees/?access_token={token}&page=1")
    assert response.status_code == 401  # tokens count only in the Authorization header
    response = APIClient().get(f"/api/v1/employees/?q={token}")  # under an innocent name too
    assert response.status_code == 401
    text = "\n".join(r.getMessage() for r in lines(access_log))
    assert token not in access_log.text
    assert token.split(".")[1] not in access_log.text
    assert "access_token=[redacted]&page=1" in text
    assert "q=[redacted]" in text


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("password=hunter2&email=a@x.org", "password=[redacted]&email=a%40x.org"),
        (
            "api_key=k&refresh=r&csrfmiddlewaretoken=c",
            "api_key=[redacted]&refresh=[redacted]&csrfmiddlewaretoken=[redacted]",
        ),
        ("x=Bearer%20abc", "x=[redacted]"),
        (
            "pass=a&pwd=b&access=c&bearer=d",
            "pass=[redacted]&pwd=[redacted]&access=[redacted]&bearer=[redacted]",
        ),
        ("a=1;password=hunter2", "a=1&password=[redacted]"),
        ("token%3Dhunter2", "[redacted]="),
        ("week_start=2026-01-05&org_unit=3", "week_start=2026-01-05&org_unit=3"),
        ("", ""),
    ],
)
def test_sensitive_parameters_are_redacted(query, logged):
    assert redacted_query(query) == logged


def test_a_token_in_the_user_agent_is_not_logged(access_log, admin_user):
    token = str(RefreshToken.for_user(admin_user).access_token)
    Client().get("/healthz", HTTP_USER_AGENT=f"curl {token}")
    assert token not in access_log.text


def test_the_access_log_costs_no_query(access_log, django_assert_num_queries):
    client = Client()
    client.cookies["sessionid"] = "not-a-session"
    with django_assert_num_queries(0):
        assert client.get("/healthz").status_code == 200
    assert len(lines(access_log)) == 1


def test_in_production_the_line_is_json_with_the_request_id(access_log, admin_user):
    bearer(APIClient(), admin_user).get("/api/v1/tags/", HTTP_X_REQUEST_ID="req-json-1")
    (record,) = lines(access_log)
    conf = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(conf.pop("()"))(**conf)
    line = json.loads(formatter.format(record))
    assert line["logger"] == "coveris.access"
    assert line["request_id"] == "req-json-1"
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/tags/"
    assert line["status"] == 200
    assert line["user_id"] == admin_user.pk


def test_uvicorn_writes_no_access_log_of_its_own():
    assert "--no-access-log" in uvicorn_command(host="127.0.0.1", port=8000, workers=1)


def test_json_lines_write_objects_as_their_type_only():
    """django.request passes the request as an extra; its repr holds the query string."""
    formatter = JsonFormatter("%(message)s")
    request = Client().get("/healthz?token=eyJsecret.eyJpayload.sig").wsgi_request
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Unauthorized", (), None)
    record.request = request
    line = json.loads(formatter.format(record))
    assert line["request"] == "<WSGIRequest>"
    assert "eyJsecret" not in formatter.format(record)
