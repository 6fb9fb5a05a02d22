"""The OpenAPI schema generates cleanly, documents both auth flows, and the docs need no CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_generates_and_validates_without_warnings(tmp_path: Path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any warning into SchemaGenerationError (a non-zero exit).
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Coveris API"
    assert "/api/v1/users/" in schema["paths"]
    assert "/api/v1/auth/login/" in schema["paths"]


def _schema() -> dict:
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_endpoint_documents_cookie_and_bearer_auth():
    schemes = _schema()["components"]["securitySchemes"]
    assert schemes["cookieAuth"]["type"] == "apiKey"
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert schemes["cookieAuth"]["name"] == "access_token"
    assert "X-CSRFToken" in schemes["cookieAuth"]["description"]
    assert schemes["bearerAuth"]["type"] == "http"
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["bearerAuth"]["bearerFormat"] == "JWT"


def test_protected_endpoints_accept_either_scheme_and_auth_endpoints_none():
    paths = _schema()["paths"]
    either = [{"cookieAuth": []}, {"bearerAuth": []}]
    assert paths["/api/v1/users/"]["get"]["security"] == either
    assert paths["/api/v1/auth/me/"]["get"]["security"] == either
    assert paths["/api/v1/auth/login/"]["post"]["security"] == [{}]
    assert paths["/api/v1/auth/token/"]["post"]["security"] == [{}]


def test_schema_endpoint_serves_yaml_by_default():
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


def test_docs_page_uses_only_local_assets():
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by this app"
        assert not asset.startswith("//"), f"{asset} is protocol-relative (another host)"
    assert any(a.startswith("/static/drf_spectacular_sidecar/") for a in assets)
    assert "cdn" not in html.lower()
    assert "http://" not in html
    assert "https://" not in html


def test_docs_script_and_assets_are_served_by_the_app():
    client = Client()
    html = client.get("/api/v1/docs/").content.decode()
    for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
        response = client.get(asset.replace("&amp;", "&"))
        assert response.status_code == 200, asset
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)  # close the file handle


def test_docs_page_is_allowed_by_its_content_security_policy():
    """Swagger UI's script comes from this origin, so `script-src 'self'` lets it run."""
    response = Client().get("/api/v1/docs/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    html = response.content.decode()
    assert "<script>" not in html.replace(" ", "")  # no inline script a strict CSP would block
