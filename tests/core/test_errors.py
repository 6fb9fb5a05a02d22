"""Every error leaves the API as RFC 9457 problem details; no input, however malformed, is a 500."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import DataError, IntegrityError, OperationalError
from django.http import Http404
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from apps.core.exceptions import handler400, handler403
from apps.users.models import User
from apps.users.views import MeView, UserViewSet

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
PROBLEM = "application/problem+json"
NEW_USER = {"email": "new@example.test", "password": "a-long-and-unusual-pass", "role": "employee"}


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is a problem document with `status`, and the members every problem has."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["code"]
    assert body["type"] == f"urn:coveris:problem:{body['code']}"
    if code is not None:
        assert body["code"] == code, body
    return body


def post_raw(client: APIClient, path: str, body: bytes, content_type: str):
    return client.generic("POST", path, body, content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "a@example.test",',
        b"{'email': 'single quotes'}",
        b'{"n": NaN}',
        b"\xff\xfe not utf-8",
        b'{"n": 1e999999}',
        b'{"a": 1}{"b": 2}',
    ],
    ids=["truncated", "single-quotes", "nan", "not-utf8", "huge-float", "two-documents"],
)
def test_malformed_json_is_400_problem(as_admin, body):
    response = post_raw(as_admin, USERS, body, "application/json")
    problem = assert_problem(response, 400, "parse_error")
    assert problem["instance"] == USERS
    assert User.objects.filter(email="a@example.test").count() == 0


def test_wrong_content_type_is_415_problem(as_admin):
    response = post_raw(as_admin, USERS, b"email=new@example.test", "text/plain")
    problem = assert_problem(response, 415, "unsupported_media_type")
    assert "text/plain" in problem["detail"]


def test_form_encoded_body_is_415_problem(as_admin):
    response = post_raw(
        as_admin, USERS, b"email=new@example.test&role=admin", "application/x-www-form-urlencoded"
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert not User.objects.filter(email="new@example.test").exists()


def test_unknown_field_is_400_with_field_errors(as_admin):
    response = as_admin.post(USERS, {**NEW_USER, "is_superuser": True}, format="json")
    problem = assert_problem(response, 400, "invalid")
    assert problem["errors"] == {"is_superuser": ["Unknown field."]}
    assert not User.objects.filter(email=NEW_USER["email"]).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**NEW_USER, "email": 12}, "email"),
        ({**NEW_USER, "email": "not an address"}, "email"),
        ({**NEW_USER, "role": ["admin"]}, "role"),
        ({**NEW_USER, "role": "owner"}, "role"),
        ({**NEW_USER, "password": {"x": 1}}, "password"),
        ({**NEW_USER, "is_active": "perhaps"}, "is_active"),
        ({**NEW_USER, "scope": "1"}, "scope"),
        ({**NEW_USER, "scope": ["abc"]}, "scope"),
        ({**NEW_USER, "scope": [99999999]}, "scope"),
        ({**NEW_USER, "full_name": "a\x00b"}, "full_name"),
        ({**NEW_USER, "full_name": "x" * 10_000}, "full_name"),
    ],
)
def test_wrong_types_are_400_with_the_field_named(as_admin, payload, field):
    response = as_admin.post(USERS, payload, format="json")
    problem = assert_problem(response, 400, "invalid")
    assert field in problem["errors"], problem
    assert User.objects.count() == 1  # only the admin


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"a string"', b"42", b"null", b"true", b"[{}]"],
)
def test_json_that_is_not_an_object_is_400(as_admin, body):
    response = post_raw(as_admin, USERS, body, "application/json")
    problem = assert_problem(response, 400)
    assert problem["errors"]


def test_empty_body_is_400_listing_required_fields(as_admin):
    response = post_raw(as_admin, USERS, b"", "application/json")
    problem = assert_problem(response, 400, "invalid")
    assert {"email", "role"} <= set(problem["errors"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing/",
        "/api/v1/users/abc/",
        "/api/v1/users/999999/",
        "/api/v1/users/99999999999999999999999/",
    ],
)
def test_unknown_url_or_object_is_404_problem(as_admin, path):
    response = as_admin.get(path)
    problem = assert_problem(response, 404, "not_found")
    assert problem["instance"] == path


def test_unknown_url_for_anonymous_is_404_problem():
    response = Client().get("/api/v1/definitely/not/here")
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    "query",
    ["?search=%00", "?page=abc", "?page=0", "?page=999", "?page_size=-1", "?ordering=password"],
)
def test_odd_query_parameters_never_500(as_admin, query):
    response = as_admin.get(USERS + query)
    assert response.status_code in (200, 400, 404), response.content
    if response.status_code != 200:
        assert_problem(response, response.status_code)


def test_invalid_filter_value_is_400_problem(as_admin):
    response = as_admin.get(USERS + "?role=owner")
    problem = assert_problem(response, 400, "invalid")
    assert "role" in problem["errors"]


def test_method_not_allowed_is_405_problem(as_admin, admin_user):
    response = as_admin.delete(f"{USERS}{admin_user.pk}/")
    assert_problem(response, 405, "method_not_allowed")
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_body_over_max_request_bytes_is_413_problem(as_admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    payload = {**NEW_USER, "full_name": "x" * 2000}
    response = as_admin.post(USERS, payload, format="json")
    assert_problem(response, 413, "payload_too_large")
    assert not User.objects.filter(email=NEW_USER["email"]).exists()


def test_body_under_max_request_bytes_is_accepted(as_admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = as_admin.post(USERS, {**NEW_USER, "full_name": "x" * 100}, format="json")
    assert response.status_code == 201, response.content


def test_database_unavailable_is_503_problem(as_admin, monkeypatch):
    def unavailable(*args, **kwargs):
        raise OperationalError("connection to server failed: Connection refused")

    monkeypatch.setattr(UserViewSet, "list", unavailable)
    response = as_admin.get(USERS)
    problem = assert_problem(response, 503, "database_unavailable")
    assert "Connection refused" not in problem["detail"]  # no internals leak to the client


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Http404("No User matches the given query."), 404, "not_found"),
        (PermissionDenied(), 403, "permission_denied"),
        (SuspiciousOperation("Odd request."), 400, "bad_request"),
        (RequestDataTooBig(), 413, "payload_too_large"),
        (DataError("value out of range for type integer"), 400, "invalid_value"),
        (
            IntegrityError("duplicate key value violates unique constraint"),
            409,
            "integrity_conflict",
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_django_and_database_errors_become_problems(as_admin, monkeypatch, error, status, code):
    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(UserViewSet, "list", failing)
    response = as_admin.get(USERS)
    problem = assert_problem(response, status, code)
    assert "constraint" not in problem["detail"]
    assert "integer" not in problem["detail"]


def test_disallowed_host_is_400_problem():
    response = Client().get("/api/v1/users/", HTTP_HOST="evil.example")
    problem = assert_problem(response, 400, "bad_request")
    assert "evil" not in problem["detail"]


def test_django_level_403_is_a_problem():
    request = RequestFactory().get("/admin/secret/")
    response = handler403(request, PermissionDenied())
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert json.loads(response.content)["code"] == "permission_denied"
    assert handler400(request).status_code == 400


def test_unexpected_error_is_500_problem_without_internals(admin_user, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(MeView, "get", broken)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(admin_user)
    response = client.get("/api/v1/auth/me/")
    problem = assert_problem(response, 500, "server_error")
    assert "secret" not in response.content.decode()
    assert problem["request_id"] == response["X-Request-ID"]


def test_accept_header_without_json_is_406_problem(as_admin):
    response = as_admin.get(USERS, HTTP_ACCEPT="text/html")
    assert_problem(response, 406, "not_acceptable")


def test_unauthenticated_is_401_problem_with_challenge():
    response = APIClient().get(USERS)
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_forbidden_is_403_problem(as_employee):
    response = as_employee.get(USERS)
    assert_problem(response, 403, "permission_denied")
