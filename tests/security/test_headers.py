"""Security headers on every kind of response, CORS only for allow-listed origins, Argon2 for
passwords, and no secret or token in any log line.

`manage.py check --deploy` under the production settings is tested in
tests/core/test_settings.py (test_check_deploy_is_clean_under_production_settings).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from logging.config import dictConfigClass  # type: ignore[attr-defined]
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import connections
from django.test import Client, override_settings
from rest_framework.test import APIClient

from apps.users import services as user_services
from apps.users.views import MeView
from tests.core.test_settings import LOCAL, PROD, production_env, run_python
from tests.factories.users import PASSWORD
from tests.security.helpers_tokens import (
    LOGIN,
    ME,
    REFRESH,
    TOKEN,
    TOKEN_REFRESH,
    cookie_session,
    csrf_session,
    csrf_token,
    with_bearer,
)

pytestmark = pytest.mark.django_db

ALLOWED_ORIGIN = "https://spa.coveris.example"
FRAME_ANCESTORS = "frame-ancestors 'none'"


def assert_security_headers(response: Any) -> None:
    """The headers every response carries, whatever its type."""
    where = f"{response.status_code} {response.get('Content-Type')}"
    policy = response.get("Content-Security-Policy", "")
    assert FRAME_ANCESTORS in policy, where
    assert "default-src 'self'" in policy, where
    assert "object-src 'none'" in policy, where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("Referrer-Policy") == "same-origin", where
    assert response.get("X-Frame-Options") == "DENY", where


def _json_ok(as_admin: APIClient) -> Any:
    return as_admin.get("/api/v1/org-units/")


def _problem_401(as_admin: APIClient) -> Any:
    return APIClient().get(ME)


def _problem_404_unknown_url(as_admin: APIClient) -> Any:
    return APIClient().get("/api/v1/no-such-thing/")


def _problem_429(as_admin: APIClient) -> Any:
    client = csrf_session()
    response = None
    for _ in range(6):
        response = client.post(
            LOGIN,
            {"email": "nobody@example.test", "password": "x"},
            format="json",
            HTTP_X_CSRFTOKEN=csrf_token(client),
        )
    assert response is not None
    assert response.status_code == 429
    return response


def _problem_500(as_admin: APIClient, monkeypatch: pytest.MonkeyPatch | None = None) -> Any:
    as_admin.raise_request_exception = False
    return as_admin.get(ME)


def _csv(as_admin: APIClient) -> Any:
    return as_admin.get(
        "/api/v1/coverage/summary/", {"from": "2026-03-02", "to": "2026-03-29", "format": "csv"}
    )


def _admin_html(as_admin: APIClient) -> Any:
    return Client().get("/admin/login/")


def _healthz(as_admin: APIClient) -> Any:
    return Client().get("/healthz")


def _readyz(as_admin: APIClient) -> Any:
    return Client().get("/readyz")


def _schema(as_admin: APIClient) -> Any:
    return as_admin.get("/api/v1/schema/")


def _docs_html(as_admin: APIClient) -> Any:
    return Client().get("/api/v1/docs/")


def _static_file(as_admin: APIClient) -> Any:
    return Client().get("/static/admin/css/base.css")


RESPONSES: dict[str, tuple[Callable[[APIClient], Any], int, str]] = {
    "json-200": (_json_ok, 200, "application/json"),
    "problem-401": (_problem_401, 401, "application/problem+json"),
    "problem-404": (_problem_404_unknown_url, 404, "application/problem+json"),
    "problem-429": (_problem_429, 429, "application/problem+json"),
    "problem-500": (_problem_500, 500, "application/problem+json"),
    "csv-download": (_csv, 200, "text/csv"),
    "admin-html": (_admin_html, 200, "text/html"),
    "healthz": (_healthz, 200, "application/json"),
    "readyz": (_readyz, 200, "application/json"),
    "openapi-schema": (_schema, 200, "application/vnd.oai.openapi"),
    "docs-html": (_docs_html, 200, "text/html"),
    "static-file": (_static_file, 200, "text/css"),
}


@pytest.mark.parametrize("kind", list(RESPONSES))
def test_every_response_type_carries_the_security_headers(kind, as_admin, monkeypatch):
    make, status, content_type = RESPONSES[kind]
    if kind == "problem-500":
        monkeypatch.setattr(MeView, "get", _boom)
    response = make(as_admin)
    assert response.status_code == status, getattr(response, "content", b"")[:300]
    assert response["Content-Type"].startswith(content_type), response["Content-Type"]
    assert_security_headers(response)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)  # closes the file


def _boom(self: Any, request: Any) -> Any:
    raise RuntimeError("an unexpected failure")


# --- HSTS and HTTPS under the production settings ---------------------------------------------

PROBE_HTTPS = """
import json
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="coveris.example.com")
out = {}
for name, path, extra in (
    ("https-health", "/healthz", {"HTTP_X_FORWARDED_PROTO": "https"}),
    ("https-api", "/api/v1/no-such-thing/", {"HTTP_X_FORWARDED_PROTO": "https"}),
    ("http-api", "/api/v1/no-such-thing/", {}),
    ("http-health", "/healthz", {}),
):
    response = client.get(path, **extra)
    out[name] = {"status": response.status_code, "headers": dict(response.items())}
print(json.dumps(out))
"""


def test_production_sends_hsts_over_https_and_redirects_plain_http():
    result = run_python(PROBE_HTTPS, PROD, production_env())
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("https-health", "https-api"):
        headers = seen[name]["headers"]
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        ), name
        assert FRAME_ANCESTORS in headers["Content-Security-Policy"], name
        assert headers["X-Content-Type-Options"] == "nosniff", name
    assert seen["https-api"]["status"] == 404
    # Plain HTTP: the API redirects to HTTPS; the health check (for load balancers) answers.
    assert seen["http-api"]["status"] == 301
    assert seen["http-api"]["headers"]["Location"].startswith("https://coveris.example.com/")
    assert seen["http-health"]["status"] == 200
    # HSTS is only meaningful (and only sent) over HTTPS.
    assert "Strict-Transport-Security" not in seen["http-health"]["headers"]


@override_settings(
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_hsts_on_api_responses_behind_a_tls_proxy(as_admin):
    response = as_admin.get("/api/v1/org-units/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert_security_headers(response)


# --- CORS ----------------------------------------------------------------------------------------


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED_ORIGIN])
def test_allow_listed_origin_gets_credentialed_cors(as_admin):
    response = as_admin.get("/api/v1/org-units/", HTTP_ORIGIN=ALLOWED_ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "etag" in response["Access-Control-Expose-Headers"].lower()

    preflight = APIClient().options(
        "/api/v1/org-units/",
        HTTP_ORIGIN=ALLOWED_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-csrftoken, if-match",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert preflight["Access-Control-Allow-Credentials"] == "true"
    assert "PATCH" in preflight["Access-Control-Allow-Methods"]
    allowed_headers = preflight["Access-Control-Allow-Headers"].lower()
    assert {"content-type", "x-csrftoken", "if-match"} <= set(allowed_headers.split(", "))


@override_settings(CORS_ALLOWED_ORIGINS=[ALLOWED_ORIGIN])
@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://spa.coveris.example",  # the right host over plain HTTP
        "https://spa.coveris.example.evil.example",  # a suffix trick
        "https://evil-spa.coveris.example",
        "null",  # sandboxed iframes and file:// pages
    ],
)
def test_foreign_origin_gets_no_cors_headers(origin, as_admin):
    response = as_admin.get("/api/v1/org-units/", HTTP_ORIGIN=origin)
    preflight = APIClient().options(
        "/api/v1/org-units/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-csrftoken",
    )
    for answer in (response, preflight):
        assert "Access-Control-Allow-Origin" not in answer
        assert "Access-Control-Allow-Credentials" not in answer


def test_no_origin_is_allowed_by_default(as_admin):
    """CORS_ALLOWED_ORIGINS is empty unless an operator sets it."""
    response = as_admin.get("/api/v1/org-units/", HTTP_ORIGIN=ALLOWED_ORIGIN)
    assert "Access-Control-Allow-Origin" not in response


# --- Argon2 ---------------------------------------------------------------------------------------

PROBE_HASHER = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
encoded = make_password("correct-horse-battery-staple")
print(json.dumps({
    "first": settings.PASSWORD_HASHERS[0],
    "encoded": encoded,
    "checks": check_password("correct-horse-battery-staple", encoded),
    "wrong": check_password("not-it", encoded),
}))
"""


@pytest.mark.parametrize(("module", "env"), [(PROD, production_env()), (LOCAL, {})])
def test_passwords_are_hashed_with_argon2(module, env):
    result = run_python(PROBE_HASHER, module, env)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["first"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert probe["encoded"].startswith("argon2$argon2id$")
    assert "correct-horse-battery-staple" not in probe["encoded"]
    assert probe["checks"] is True
    assert probe["wrong"] is False


# --- Nothing secret in the logs -----------------------------------------------------------------


class LogCapture(logging.Handler):
    """Every record, rendered every way the project renders logs (plain and JSON, with the
    request id filter), plus every attribute the record carries."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        configurator = dictConfigClass(settings.LOGGING)
        formatters = settings.LOGGING["formatters"]
        self.renderers = [configurator.configure_formatter(dict(f)) for f in formatters.values()]
        request_id_filter = settings.LOGGING["filters"]["request_id"]["()"]
        module, _, name = request_id_filter.rpartition(".")
        self.addFilter(getattr(__import__(module, fromlist=[name]), name)())
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        for renderer in self.renderers:
            self.texts.append(renderer.format(record))
        self.texts.append(repr(vars(record)))

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[LogCapture]:
    """DEBUG and up from every logger (django.request and django.security included)."""
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.security", "django.security.csrf"):
        caplog.set_level(logging.DEBUG, logger=name)
    try:
        yield capture
    finally:
        root.removeHandler(capture)


@override_settings(ADMINS=[("Ops", "ops@example.test")])
def test_no_password_token_or_key_reaches_the_logs(admin_user, all_logs, caplog, monkeypatch):
    # As under DEBUG: every SQL statement goes to django.db.backends with its parameters.
    monkeypatch.setattr(connections["default"], "force_debug_cursor", True)
    secrets: dict[str, str] = {"password": PASSWORD, "secret_key": settings.SECRET_KEY}
    wrong_password = "a-wrong-password-that-must-not-be-logged"
    secrets["wrong_password"] = wrong_password

    # A failed login, then a good one, in the cookie flow.
    session = csrf_session()
    failed = session.post(
        LOGIN,
        {"email": admin_user.email, "password": wrong_password},
        format="json",
        HTTP_X_CSRFTOKEN=csrf_token(session),
    )
    assert failed.status_code == 401
    cookie_session(admin_user.email, client=session)
    secrets["access_cookie"] = session.cookies["access_token"].value
    secrets["refresh_cookie"] = session.cookies["refresh_token"].value
    # A refresh, then reuse of the rotated-out token.
    old_refresh = secrets["refresh_cookie"]
    assert session.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(session)).status_code == 200
    secrets["rotated_refresh_cookie"] = session.cookies["refresh_token"].value
    session.cookies["refresh_token"] = old_refresh
    assert session.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(session)).status_code == 401
    # The bearer flow: obtain, refresh, and a request with a bad token.
    pair = APIClient().post(TOKEN, {"email": admin_user.email, "password": PASSWORD}).json()
    secrets["bearer_access"], secrets["bearer_refresh"] = pair["access"], pair["refresh"]
    rotated = APIClient().post(TOKEN_REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert rotated.status_code == 200
    secrets["rotated_bearer_refresh"] = rotated.json()["refresh"]
    bad_token = pair["access"][:-6] + "AAAAAA"
    secrets["bad_token_header"] = f"Bearer {bad_token}"
    assert with_bearer(bad_token).get(ME).status_code == 401
    # A 500 while a valid bearer token and auth cookies are on the request.
    monkeypatch.setattr(MeView, "get", _boom)
    crashing = with_bearer(pair["access"])
    crashing.raise_request_exception = False
    crashing.cookies["access_token"] = secrets["access_cookie"]
    secrets["authorization_header"] = f"Bearer {pair['access']}"
    assert crashing.get(ME).status_code == 500
    # ... and a 500 during a login, with the password in the body.
    monkeypatch.setattr(user_services, "tokens_issue", _boom_service)
    crashing_login = csrf_session()
    crashing_login.raise_request_exception = False
    response = crashing_login.post(
        LOGIN,
        {"email": admin_user.email, "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=csrf_token(crashing_login),
    )
    assert response.status_code == 500

    # The run did log (so the capture works) ...
    names = {record.name for record in caplog.records}
    assert {"django.request"} <= names
    assert "Internal Server Error: /api/v1/auth/me/" in all_logs.text
    assert "Unauthorized: /api/v1/auth/login/" in all_logs.text
    # ... and the admins' error mails were written too: the same rule holds for them.
    assert mail.outbox
    written = "\n".join(
        [all_logs.text, caplog.text, *(m.subject + "\n" + m.body for m in mail.outbox)]
    )
    leaked = {name for name, value in secrets.items() if value and value in written}
    assert leaked == set(), leaked


def _boom_service(**kwargs: Any) -> Any:
    raise RuntimeError("token issuing failed")
