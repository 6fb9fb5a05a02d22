"""Token attacks on every place a token is accepted, and CSRF on every cookie-authenticated write.

Where tokens come in: an access token as `Authorization: Bearer` or as the `access_token` cookie;
a refresh token as the `refresh_token` cookie (POST refresh/) or in the body (POST token/refresh/).
Each forgery starts from the claims of a genuine token, so the one thing that differs is the
attack; a positive control shows the same claims signed properly get in. Each refusal is a 401
(or 403 for CSRF) problem document with a stable `code`, and leaves no trace: no rotation, no
blacklisting of the genuine token, no new cookie, no row written.

The tests in tests/users/test_auth_api.py check the happy paths and one example of each refusal;
these go through the whole matrix.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.offer.services import ledger_entry_create
from apps.users.models import Role, User
from tests.assignments.conftest import row_counts
from tests.concurrency import race
from tests.factories.org import make_employee, make_unit
from tests.factories.users import PASSWORD, UserFactory
from tests.security.helpers_tokens import (
    LOGIN,
    LOGOUT,
    ME,
    REFRESH,
    TOKEN_REFRESH,
    bearer_pair,
    cookie_session,
    csrf_session,
    csrf_token,
    forge,
    refused,
    rsa_public_pem,
    segments,
    sign_hs256,
    sign_rs256,
    with_bearer,
)

ACCESS_COOKIE = settings.AUTH_COOKIES["ACCESS"]
REFRESH_COOKIE = settings.AUTH_COOKIES["REFRESH"]
OTHER_KEY = "an-attacker-key-that-is-long-enough-for-hs256-0123456789"

# A forgery turns genuine claims into a token that must not be accepted.
Forgery = Callable[[dict[str, Any]], str]

FORGERIES: dict[str, Forgery] = {
    "alg-none": lambda c: forge({"alg": "none", "typ": "JWT"}, c, None),
    "alg-None": lambda c: forge({"alg": "None", "typ": "JWT"}, c, None),
    "alg-NONE": lambda c: forge({"alg": "NONE", "typ": "JWT"}, c, None),
    "hs256-signature-stripped": lambda c: forge({"alg": "HS256", "typ": "JWT"}, c, None),
    "hs256-keyed-with-rsa-public-pem": lambda c: forge(
        {"alg": "HS256", "typ": "JWT"}, c, rsa_public_pem()
    ),
    "rs256-where-hs256-is-expected": sign_rs256,
    "hs256-wrong-key": lambda c: sign_hs256(c, OTHER_KEY),
    "hs256-empty-key": lambda c: forge({"alg": "HS256", "typ": "JWT"}, c, b""),
    "expired": lambda c: sign_hs256({**c, "exp": int(time.time()) - 1}),
    "no-expiry": lambda c: sign_hs256({k: v for k, v in c.items() if k != "exp"}),
}


def _genuine_access(user: User) -> str:
    return str(AccessToken.for_user(user))


def _claims(token: str) -> dict[str, Any]:
    return segments(token)[1]


def present_access(token: str, via: str) -> Any:
    """GET me/ with `token` as the bearer header or as the access cookie."""
    if via == "bearer":
        return with_bearer(token).get(ME)
    client = APIClient(enforce_csrf_checks=True)
    client.cookies[ACCESS_COOKIE] = token
    return client.get(ME)


def present_refresh(token: str, via: str) -> Any:
    """Exchange `token` through the cookie flow (with CSRF) or the bearer flow."""
    if via == "body":
        return APIClient(enforce_csrf_checks=True).post(
            TOKEN_REFRESH, {"refresh": token}, format="json"
        )
    client = csrf_session()
    client.cookies[REFRESH_COOKIE] = token
    return client.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(client))


def assert_no_new_tokens(response: Any, outstanding_before: int, blacklisted_before: int) -> None:
    """A refused request issues nothing and revokes nothing."""
    assert ACCESS_COOKIE not in response.cookies or not response.cookies[ACCESS_COOKIE].value
    assert REFRESH_COOKIE not in response.cookies or not response.cookies[REFRESH_COOKIE].value
    assert OutstandingToken.objects.count() == outstanding_before
    assert BlacklistedToken.objects.count() == blacklisted_before


pytestmark = pytest.mark.django_db


# --- Access tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["bearer", "cookie"])
def test_genuine_access_token_gets_in(via, employee_user):
    """The positive control for every forgery below: the same claims, properly signed."""
    resigned = sign_hs256(_claims(_genuine_access(employee_user)))
    response = present_access(resigned, via)
    assert response.status_code == 200, response.content
    assert response.json()["email"] == employee_user.email


@pytest.mark.parametrize("via", ["bearer", "cookie"])
@pytest.mark.parametrize("attack", list(FORGERIES))
def test_forged_access_token_is_refused(attack, via, employee_user):
    token = FORGERIES[attack](_claims(_genuine_access(employee_user)))
    refused(present_access(token, via), 401, "token_not_valid")


@pytest.mark.parametrize("via", ["bearer", "cookie"])
def test_claims_swapped_under_a_genuine_signature_are_refused(via, employee_user, admin_user):
    """Privilege escalation by editing the payload: the employee's signature, the admin's id."""
    header, _, signature = _genuine_access(employee_user).split(".")
    claims = {**_claims(_genuine_access(employee_user)), "user_id": str(admin_user.pk)}
    payload = forge({}, claims, None).split(".")[1]
    refused(present_access(f"{header}.{payload}.{signature}", via), 401, "token_not_valid")


@pytest.mark.parametrize("via", ["bearer", "cookie"])
def test_refresh_token_is_not_an_access_token(via, employee_user):
    refused(present_access(str(RefreshToken.for_user(employee_user)), via), 401, "token_not_valid")


@pytest.mark.parametrize("via", ["bearer", "cookie"])
def test_access_token_of_an_unknown_user_is_refused(via, employee_user):
    claims = {**_claims(_genuine_access(employee_user)), "user_id": "987654321"}
    refused(present_access(sign_hs256(claims), via), 401, "user_not_found")


@pytest.mark.parametrize("via", ["bearer", "cookie"])
def test_deactivated_users_still_valid_access_token_is_refused(via, employee_user, as_admin):
    token = _genuine_access(employee_user)
    assert present_access(token, via).status_code == 200

    response = as_admin.post(f"/api/v1/users/{employee_user.pk}/deactivate/")
    assert response.status_code == 200, response.content

    refused(present_access(token, via), 401, "user_inactive")


def test_deactivated_users_cookie_session_cannot_write_or_refresh(as_admin, admin_user):
    victim = UserFactory(role=Role.ADMIN, email="leaver@example.test")
    session = cookie_session(victim.email)
    as_admin.post(f"/api/v1/users/{victim.pk}/deactivate/")
    before = row_counts()

    write = session.post(
        "/api/v1/org-units/",
        {"code": "X", "name": "X"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf_token(session),
    )
    refresh = session.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(session))

    refused(write, 401, "user_inactive")
    refused(refresh, 401, "token_not_valid")
    assert row_counts() == before


# --- Refresh tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["cookie", "body"])
def test_genuine_refresh_token_rotates(via, employee_user):
    """The positive control for the refresh forgeries: the same claims, properly signed."""
    genuine = str(RefreshToken.for_user(employee_user))
    response = present_refresh(sign_hs256(_claims(genuine)), via)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("via", ["cookie", "body"])
@pytest.mark.parametrize("attack", list(FORGERIES))
def test_forged_refresh_token_is_refused_and_revokes_nothing(attack, via, employee_user):
    genuine = str(RefreshToken.for_user(employee_user))
    outstanding, blacklisted = OutstandingToken.objects.count(), BlacklistedToken.objects.count()

    response = present_refresh(FORGERIES[attack](_claims(genuine)), via)

    refused(response, 401, "token_not_valid")
    assert_no_new_tokens(response, outstanding, blacklisted)
    # The forgery carried the genuine token's jti: the genuine token must still work.
    assert present_refresh(genuine, via).status_code == 200


@pytest.mark.parametrize("via", ["cookie", "body"])
def test_access_token_is_not_a_refresh_token(via, employee_user):
    access = _genuine_access(employee_user)
    outstanding, blacklisted = OutstandingToken.objects.count(), BlacklistedToken.objects.count()
    response = present_refresh(access, via)
    refused(response, 401, "token_not_valid")
    assert_no_new_tokens(response, outstanding, blacklisted)


@pytest.mark.parametrize("via", ["cookie", "body"])
def test_blacklisted_refresh_token_is_refused(via, employee_user):
    refresh = RefreshToken.for_user(employee_user)
    refresh.blacklist()
    outstanding, blacklisted = OutstandingToken.objects.count(), BlacklistedToken.objects.count()
    response = present_refresh(str(refresh), via)
    refused(response, 401, "token_not_valid")
    assert_no_new_tokens(response, outstanding, blacklisted)


@pytest.mark.parametrize("via", ["cookie", "body"])
def test_refresh_token_unknown_to_the_server_is_refused(via, employee_user):
    """Signed with the right key but never issued (no outstanding row): not accepted."""
    claims = {**_claims(str(RefreshToken.for_user(employee_user))), "jti": "never-issued"}
    refused(present_refresh(sign_hs256(claims), via), 401, "token_not_valid")


@pytest.mark.parametrize("via", ["cookie", "body"])
def test_refresh_token_of_a_user_deactivated_without_revocation_is_refused(via, employee_user):
    """Even when the account was switched off without blacklisting its tokens."""
    refresh = str(RefreshToken.for_user(employee_user))
    User.objects.filter(pk=employee_user.pk).update(is_active=False)
    outstanding, blacklisted = OutstandingToken.objects.count(), BlacklistedToken.objects.count()
    response = present_refresh(refresh, via)
    refused(response, 401, "token_not_valid")
    assert_no_new_tokens(response, outstanding, blacklisted)


def test_cookie_refresh_reuse_after_rotation_is_refused(employee_user):
    client = cookie_session(employee_user.email)
    first = client.cookies[REFRESH_COOKIE].value
    rotated = client.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(client))
    assert rotated.status_code == 200
    second = rotated.cookies[REFRESH_COOKIE].value

    client.cookies[REFRESH_COOKIE] = first
    reused = client.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(client))

    refused(reused, 401, "token_not_valid")
    assert REFRESH_COOKIE not in reused.cookies
    client.cookies[REFRESH_COOKIE] = second
    assert client.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(client)).status_code == 200


def test_bearer_refresh_reuse_after_rotation_is_refused(employee_user):
    pair = bearer_pair(employee_user.email)
    client = APIClient()
    rotated = client.post(TOKEN_REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert rotated.status_code == 200

    reused = client.post(TOKEN_REFRESH, {"refresh": pair["refresh"]}, format="json")

    refused(reused, 401, "token_not_valid")
    assert "access" not in reused.json()
    again = client.post(TOKEN_REFRESH, {"refresh": rotated.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_refresh_token_is_revoked_by_logout_in_both_flows(employee_user):
    """Logging out in the browser also kills the refresh token for the bearer endpoint."""
    client = cookie_session(employee_user.email)
    refresh = client.cookies[REFRESH_COOKIE].value
    assert client.post(LOGOUT, HTTP_X_CSRFTOKEN=csrf_token(client)).status_code == 204
    refused(present_refresh(refresh, "body"), 401, "token_not_valid")
    refused(present_refresh(refresh, "cookie"), 401, "token_not_valid")


# --- Two refreshes with one token at the same time ------------------------------------------


THREADS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("via", ["cookie", "body"])
def test_parallel_refreshes_with_one_token_at_most_one_wins(via):
    user = UserFactory(role=Role.EMPLOYEE, email="racer@example.test")
    refresh = RefreshToken.for_user(user)
    raw = str(refresh)
    # Each thread gets its client ready before the barrier: only the refresh itself races.
    clients: list[APIClient] = []
    for _ in range(THREADS):
        client = APIClient(enforce_csrf_checks=True)
        if via == "cookie":
            csrf_session(client)
            client.cookies[REFRESH_COOKIE] = raw
        clients.append(client)

    def attempt() -> Any:
        client = clients.pop()
        if via == "cookie":
            return client.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(client))
        return client.post(TOKEN_REFRESH, {"refresh": raw}, format="json")

    responses = race(attempt, n=THREADS)

    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == [200] + [401] * (THREADS - 1), responses
    for loser in (r for r in responses if r.status_code == 401):
        assert loser.json()["code"] == "token_not_valid"
    # One new pair was issued, and the old token is blacklisted once.
    assert OutstandingToken.objects.filter(user=user).count() == 2
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).count() == 1


# --- CSRF on cookie-authenticated unsafe requests -------------------------------------------


@pytest.fixture
def writable(admin_user) -> dict[str, Any]:
    """Objects the write endpoints below would change."""
    unit = make_unit("CSRF")
    employee = make_employee(unit)
    entry = ledger_entry_create(
        employee=employee,
        kind="adjustment",
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 8),
        hours_per_week=Decimal("2.00"),
        actor=admin_user,
    )
    return {"unit": unit, "employee": employee, "entry": entry}


def _writes(objs: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    unit, employee, entry = objs["unit"], objs["employee"], objs["entry"]
    return [
        (
            "post",
            "/api/v1/users/",
            {"email": "x@example.test", "password": "long-pass-123x", "role": "admin"},
        ),
        ("post", "/api/v1/org-units/", {"code": "NEW", "name": "New"}),
        ("patch", f"/api/v1/org-units/{unit.pk}/", {"name": "Renamed"}),
        ("put", f"/api/v1/org-units/{unit.pk}/", {"code": "CSRF", "name": "Renamed"}),
        ("post", f"/api/v1/employees/{employee.pk}/transitions/", {"transition": "terminate"}),
        ("post", f"/api/v1/hours-ledger/{entry.pk}/reverse/", {}),
        ("delete", f"/api/v1/org-units/{unit.pk}/", {}),
    ]


WRITE_IDS = [
    "create-user",
    "create-unit",
    "patch-unit",
    "put-unit",
    "transition",
    "reverse",
    "delete-unit",
]


@pytest.mark.parametrize("index", range(len(WRITE_IDS)), ids=WRITE_IDS)
@pytest.mark.parametrize("csrf", ["missing", "foreign", "pre-login"])
def test_cookie_write_without_this_sessions_csrf_token_is_refused(
    index, csrf, writable, admin_user
):
    session = csrf_session()
    stale = csrf_token(session)
    cookie_session(admin_user.email, client=session)
    headers: dict[str, str] = {}
    if csrf == "foreign":
        headers["HTTP_X_CSRFTOKEN"] = csrf_token(csrf_session())
    elif csrf == "pre-login":
        # The token a page fetched before logging in: login rotated it (no session fixation).
        assert csrf_token(session) != stale
        headers["HTTP_X_CSRFTOKEN"] = stale
    method, url, body = _writes(writable)[index]
    before = row_counts()

    response = getattr(session, method)(url, body, format="json", **headers)

    refused(response, 403, "csrf_failed")
    assert row_counts() == before


def test_cookie_write_from_a_foreign_origin_is_refused_even_with_the_token(writable, admin_user):
    """Django also checks Origin: a page elsewhere cannot ride a stolen token."""
    session = cookie_session(admin_user.email)
    before = row_counts()
    response = session.post(
        "/api/v1/org-units/",
        {"code": "EVIL", "name": "Evil"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf_token(session),
        HTTP_ORIGIN="https://evil.example",
    )
    refused(response, 403, "csrf_failed")
    assert row_counts() == before


def test_cookie_write_with_this_sessions_token_goes_through(writable, admin_user):
    """The positive control for the CSRF refusals above."""
    session = cookie_session(admin_user.email)
    response = session.patch(
        f"/api/v1/org-units/{writable['unit'].pk}/",
        {"name": "Renamed"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf_token(session),
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("endpoint", ["login", "refresh", "logout"])
@pytest.mark.parametrize("csrf", ["missing", "foreign"])
def test_unsafe_auth_endpoint_without_this_sessions_csrf_token_is_refused(
    endpoint, csrf, employee_user
):
    if endpoint == "login":
        session = csrf_session()
        url, body = LOGIN, {"email": employee_user.email, "password": PASSWORD}
    else:
        session = cookie_session(employee_user.email)
        url, body = {"refresh": REFRESH, "logout": LOGOUT}[endpoint], {}
    held = session.cookies.get(REFRESH_COOKIE)
    headers = {"HTTP_X_CSRFTOKEN": csrf_token(csrf_session())} if csrf == "foreign" else {}
    outstanding, blacklisted = OutstandingToken.objects.count(), BlacklistedToken.objects.count()

    response = session.post(url, body, format="json", **headers)

    refused(response, 403, "csrf_failed")
    # No login, no rotation, no forced logout: nothing issued, revoked or deleted.
    assert_no_new_tokens(response, outstanding, blacklisted)
    if held is not None:
        me = session.get(ME)
        assert me.status_code == 200
        assert session.post(REFRESH, HTTP_X_CSRFTOKEN=csrf_token(session)).status_code == 200


def test_bearer_needs_no_csrf_but_cookies_alone_never_authenticate_a_bearer_endpoint(
    employee_user,
):
    """token/refresh/ reads only the body: a cross-site form riding the refresh cookie gets
    nothing."""
    session = cookie_session(employee_user.email)
    response = session.post(TOKEN_REFRESH, {}, format="json")
    refused(response, 400, "invalid")
    assert REFRESH_COOKIE not in response.cookies
