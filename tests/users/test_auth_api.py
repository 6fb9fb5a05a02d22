"""The cookie-JWT flow as the SPA uses it, and bearer tokens as scripts use them."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.conftest import cookie_login, csrf_header
from tests.factories.users import PASSWORD

pytestmark = pytest.mark.django_db


def test_csrf_endpoint_sets_cookie(api_client):
    response = api_client.get("/api/v1/auth/csrf/")
    assert response.status_code == 204
    assert api_client.cookies["csrftoken"].value


def test_login_sets_httponly_cookies_and_returns_user(api_client, admin_user):
    response = cookie_login(api_client, admin_user.email)
    assert response.json()["user"]["email"] == admin_user.email
    assert response.json()["user"]["role"] == "admin"
    access = response.cookies["access_token"]
    refresh = response.cookies["refresh_token"]
    assert access["httponly"]
    assert refresh["httponly"]
    assert access["samesite"] == "Lax"
    assert refresh["samesite"] == "Lax"
    assert access["path"] == "/"
    assert refresh["path"] == "/api/v1/auth/"
    assert not access["secure"]  # Secure only in production settings
    me = api_client.get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["email"] == admin_user.email
    assert me.json()["scope"] == []


def test_login_is_case_insensitive_on_email(api_client, admin_user):
    cookie_login(api_client, admin_user.email.upper())


def test_login_without_csrf_header_is_refused(api_client, admin_user):
    api_client.get("/api/v1/auth/csrf/")
    response = api_client.post(
        "/api/v1/auth/login/", {"email": admin_user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "csrf_failed"
    assert "access_token" not in response.cookies


def test_wrong_password_is_401_problem(api_client, admin_user):
    api_client.get("/api/v1/auth/csrf/")
    response = api_client.post(
        "/api/v1/auth/login/",
        {"email": admin_user.email, "password": "nope"},
        format="json",
        **csrf_header(api_client),
    )
    assert response.status_code == 401, response.json()
    assert response.json()["code"] == "invalid_credentials"


def test_inactive_user_cannot_log_in(api_client, admin_user):
    admin_user.is_active = False
    admin_user.save()
    api_client.get("/api/v1/auth/csrf/")
    response = api_client.post(
        "/api/v1/auth/login/",
        {"email": admin_user.email, "password": PASSWORD},
        format="json",
        **csrf_header(api_client),
    )
    assert response.status_code == 401


def test_unsafe_request_with_cookie_needs_csrf_header(api_client, admin_user):
    cookie_login(api_client, admin_user.email)
    body = {"email": "new@example.test", "password": "a-long-enough-pass-1", "role": "auditor"}
    refused = api_client.post("/api/v1/users/", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    accepted = api_client.post("/api/v1/users/", body, format="json", **csrf_header(api_client))
    assert accepted.status_code == 201, accepted.content


def test_csrf_token_of_another_session_is_refused(admin_user):
    other = APIClient(enforce_csrf_checks=True)
    other.get("/api/v1/auth/csrf/")
    foreign_token = other.cookies["csrftoken"].value
    client = APIClient(enforce_csrf_checks=True)
    cookie_login(client, admin_user.email)
    response = client.post(
        "/api/v1/users/",
        {"email": "x@example.test", "password": "a-long-enough-pass-1", "role": "auditor"},
        format="json",
        HTTP_X_CSRFTOKEN=foreign_token,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_bearer_needs_no_csrf(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    token = client.post(
        "/api/v1/auth/token/", {"email": admin_user.email, "password": PASSWORD}, format="json"
    )
    assert token.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    response = client.post(
        "/api/v1/users/",
        {"email": "b@example.test", "password": "a-long-enough-pass-1", "role": "employee"},
        format="json",
    )
    assert response.status_code == 201


def test_refresh_rotates_cookies_and_blacklists_old(api_client, admin_user):
    login = cookie_login(api_client, admin_user.email)
    old_refresh = login.cookies["refresh_token"].value
    response = api_client.post("/api/v1/auth/refresh/", **csrf_header(api_client))
    assert response.status_code == 200
    new_refresh = response.cookies["refresh_token"].value
    assert new_refresh != old_refresh
    assert response.cookies["access_token"].value
    jti = (
        RefreshToken(old_refresh)["jti"]
        if False
        else jwt.decode(old_refresh, options={"verify_signature": False})["jti"]
    )
    assert BlacklistedToken.objects.filter(token__jti=jti).exists()
    # The rotated (old) refresh token cannot be used again.
    api_client.cookies["refresh_token"] = old_refresh
    reused = api_client.post("/api/v1/auth/refresh/", **csrf_header(api_client))
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"


def test_refresh_without_cookie_is_401(api_client):
    api_client.get("/api/v1/auth/csrf/")
    response = api_client.post("/api/v1/auth/refresh/", **csrf_header(api_client))
    assert response.status_code == 401
    assert response.json()["code"] == "no_refresh_token"


def test_logout_blacklists_and_deletes_cookies(api_client, admin_user):
    login = cookie_login(api_client, admin_user.email)
    refresh = login.cookies["refresh_token"].value
    response = api_client.post("/api/v1/auth/logout/", **csrf_header(api_client))
    assert response.status_code == 204
    assert response.cookies["access_token"].value == ""
    assert response.cookies["refresh_token"].value == ""
    assert response.cookies["refresh_token"]["path"] == "/api/v1/auth/"
    assert api_client.get("/api/v1/auth/me/").status_code == 401
    again = APIClient()
    reused = again.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert reused.status_code == 401


def test_token_refresh_bearer_rotation(admin_user):
    client = APIClient()
    pair = client.post(
        "/api/v1/auth/token/", {"email": admin_user.email, "password": PASSWORD}, format="json"
    ).json()
    rotated = client.post(
        "/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json"
    )
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    reused = client.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json")
    assert reused.status_code == 401
    assert OutstandingToken.objects.filter(user=admin_user).count() == 2


def test_access_token_cannot_refresh_and_refresh_cannot_authenticate(admin_user):
    refresh = RefreshToken.for_user(admin_user)
    client = APIClient()
    wrong_kind = client.post(
        "/api/v1/auth/token/refresh/", {"refresh": str(refresh.access_token)}, format="json"
    )
    assert wrong_kind.status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh}")
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_tampered_token_is_refused(admin_user):
    token = str(AccessToken.for_user(admin_user))
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tampered}")
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_tampered_cookie_is_refused(admin_user):
    client = APIClient()
    forged = jwt.encode(
        {
            "token_type": "access",
            "user_id": str(admin_user.pk),
            "jti": "x",
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        },
        "not-the-key",
        algorithm="HS256",
    )
    client.cookies["access_token"] = forged
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_alg_none_token_is_refused(admin_user):
    unsigned = jwt.encode(
        {
            "token_type": "access",
            "user_id": str(admin_user.pk),
            "jti": "y",
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        },
        None,  # type: ignore[arg-type]
        algorithm="none",
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {unsigned}")
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_expired_token_is_refused(admin_user):
    token = AccessToken.for_user(admin_user)
    token.set_exp(lifetime=-dt.timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401


def test_blacklisted_refresh_token_is_refused(admin_user):
    refresh = RefreshToken.for_user(admin_user)
    refresh.blacklist()
    response = APIClient().post(
        "/api/v1/auth/token/refresh/", {"refresh": str(refresh)}, format="json"
    )
    assert response.status_code == 401


def test_login_throttle_429_on_sixth_attempt_despite_forwarded_for(api_client, admin_user):
    api_client.get("/api/v1/auth/csrf/")
    statuses = []
    for attempt in range(6):
        response = api_client.post(
            "/api/v1/auth/login/",
            {"email": admin_user.email, "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
            **csrf_header(api_client),
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_me_requires_authentication(api_client):
    response = api_client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_cookie_settings_follow_configuration():
    assert settings.AUTH_COOKIES["REFRESH_PATH"] == "/api/v1/auth/"


def test_wrong_methods_do_not_use_up_the_login_allowance(admin_user):
    """A 405 (or a CORS preflight) is not a login attempt: it must not count against the
    5 an hour (the outside probe locked itself out of logging in with GETs)."""
    client = APIClient()
    for method in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "GET", "PUT"):
        response = client.generic(method, "/api/v1/auth/token/")
        assert response.status_code in (200, 405), (method, response.status_code)
    for _ in range(5):
        ok = client.post(
            "/api/v1/auth/token/", {"email": admin_user.email, "password": PASSWORD}, format="json"
        )
        assert ok.status_code == 200, ok.content
    assert client.post("/api/v1/auth/token/", {}, format="json").status_code == 429
