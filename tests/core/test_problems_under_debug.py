"""Problem documents under DEBUG too (issue 16, item 2): under /api/, an unknown URL, a bad
Host and an unhandled error answer application/problem+json in `make run` (DEBUG on) as in
production; no HTML debug page, no URL-pattern listing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    return request.param


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    text = response.content.decode()
    assert "URLconf" not in text
    assert "Traceback" not in text
    return body


@pytest.mark.parametrize(
    "path", ["/api/v1/planets/", "/api/v1/planets", "/api/", "/api/v2/employees/", "/api/v1/x/y/z"]
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_url_is_a_404_problem(as_admin, debug, path, method):
    body = problem(getattr(as_admin, method)(path), 404)
    assert body["code"] == "not_found"


def test_an_unknown_url_with_a_session_cookie_is_a_404_not_a_csrf_403(admin_client_, debug):
    problem(admin_client_.post("/api/v1/planets/", {}), 404)


def test_a_bad_host_is_a_400_problem(debug):
    client = APIClient()
    body = problem(client.get("/api/v1/employees/", HTTP_HOST="evil.example"), 400)
    assert body["code"] == "bad_request"


def test_an_unhandled_error_is_a_500_problem(as_admin, debug, monkeypatch):
    from apps.org import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.OrgUnitViewSet, "list", explode)
    as_admin.raise_request_exception = False
    body = problem(as_admin.get("/api/v1/org-units/"), 500)
    assert body["code"] == "server_error"
    assert "boom" not in str(body)
