"""Helpers for the security tests: forged JWTs and the two ways in (cookie session, bearer).

Problem documents and row counts come from tests.assignments.conftest (`problem`, `row_counts`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from rest_framework.test import APIClient

from tests.assignments.conftest import problem
from tests.factories.users import PASSWORD

AUTH = "/api/v1/auth"
ME = f"{AUTH}/me/"
LOGIN = f"{AUTH}/login/"
REFRESH = f"{AUTH}/refresh/"
LOGOUT = f"{AUTH}/logout/"
TOKEN = f"{AUTH}/token/"
TOKEN_REFRESH = f"{AUTH}/token/refresh/"


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWTs use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (unverified) header and claims of a JWT."""
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def forge(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT built by hand, because PyJWT refuses to build these: HMAC-SHA256 over the
    signing input with `secret` (any bytes, a PEM public key included), or no signature."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if secret is None:
        return f"{signing_input}."
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(digest)}"


def sign_hs256(claims: dict[str, Any], key: str | None = None) -> str:
    """`claims` signed the way the server signs them (or with another `key`)."""
    return jwt.encode(claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    """One RSA key for the whole run (generating one takes a while)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rsa_public_pem() -> bytes:
    """The PEM of the RSA public key: what an HS/RS-confusion attacker uses as HMAC secret."""
    return (
        rsa_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def sign_rs256(claims: dict[str, Any]) -> str:
    """`claims` signed RS256 with a key the server has never seen."""
    return jwt.encode(claims, rsa_key(), algorithm="RS256")


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    """A problem document with `status` and `code` whose `detail` is a sentence for people
    (not the repr of an exception's internals)."""
    body = problem(response, status, code)
    assert isinstance(body["detail"], str), body
    assert "ErrorDetail" not in body["detail"], body
    assert not body["detail"].startswith("{"), body
    return body


def csrf_session(client: APIClient | None = None) -> APIClient:
    """A browser-like client holding the csrftoken cookie (CSRF checks enforced)."""
    client = client or APIClient(enforce_csrf_checks=True)
    assert client.get(f"{AUTH}/csrf/").status_code == 204
    return client


def csrf_token(client: APIClient) -> str:
    """The client's current CSRF cookie value."""
    return str(client.cookies["csrftoken"].value)


def cookie_session(
    email: str, password: str = PASSWORD, client: APIClient | None = None
) -> APIClient:
    """A client logged in the SPA way: CSRF cookie first (unless `client` holds one already),
    then login with the header."""
    if client is None or "csrftoken" not in client.cookies:
        client = csrf_session(client)
    response = client.post(
        LOGIN,
        {"email": email, "password": password},
        format="json",
        HTTP_X_CSRFTOKEN=csrf_token(client),
    )
    assert response.status_code == 200, response.content
    return client


def bearer_pair(email: str, password: str = PASSWORD) -> dict[str, str]:
    """{access, refresh} from POST token/ (the scripts' flow)."""
    response = APIClient().post(TOKEN, {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    pair: dict[str, str] = response.json()
    return pair


def with_bearer(token: str) -> APIClient:
    """A client that sends `Authorization: Bearer <token>`."""
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
