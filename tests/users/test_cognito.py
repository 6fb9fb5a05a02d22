"""Cognito bearer tokens: verified against a JWKS served on loopback, users mapped by sub/email."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework_simplejwt.tokens import RefreshToken

from apps.users.authentication import CookieJWTAuthentication
from apps.users.cognito import CognitoJWTAuthentication
from apps.users.models import Role, User
from apps.users.views import MeView
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

ISSUER = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_TestPool"
CLIENT_ID = "coveris-spa-client"
KID = "test-key-1"
ME = "/api/v1/auth/me/"


class JWKSServer(ThreadingHTTPServer):
    """A user pool's JWKS endpoint on loopback that counts how often it is fetched."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _JWKSHandler)
        self.keys: list[dict[str, Any]] = []
        self.hits = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/.well-known/jwks.json"


class _JWKSHandler(BaseHTTPRequestHandler):
    server: JWKSServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.hits += 1
            body = json.dumps({"keys": self.server.keys}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_server(rsa_key: rsa.RSAPrivateKey) -> Iterator[JWKSServer]:
    """The JWKS of the test pool, served in a thread for the length of one test."""
    server = JWKSServer()
    server.keys = [_public_jwk(rsa_key, KID)]
    # shutdown() waits for serve_forever's next poll: 0.5 s by default, at every test's end.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def cognito(settings: Any, jwks_server: JWKSServer) -> JWKSServer:
    """Cognito configured for the test pool, and /me/ behind the production authenticators."""
    settings.COGNITO = {
        "JWKS_URL": jwks_server.url,
        "ISSUER": ISSUER,
        "CLIENT_ID": CLIENT_ID,
        "GROUP_ROLES": {"hr-admins": "admin", "team-leads": "manager"},
        "JWKS_CACHE_SECONDS": 3600,
    }
    return jwks_server


@pytest.fixture(autouse=True)
def _production_authenticators(monkeypatch: pytest.MonkeyPatch) -> None:
    # DRF binds DEFAULT_AUTHENTICATION_CLASSES into each view class at import time.
    monkeypatch.setattr(
        MeView, "authentication_classes", [CookieJWTAuthentication, CognitoJWTAuthentication]
    )


def make_user(**fields: Any) -> User:
    user: User = UserFactory(**fields)  # type: ignore[assignment]
    return user


def claims_for(
    token_use: str | None = "id", *, groups: list[str] | None = None, **overrides: Any
) -> dict[str, Any]:
    """Claims as Cognito puts them into an id (or access) token, with `overrides` applied."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "8a1f-cognito-sub-1",
        "iss": ISSUER,
        "token_use": token_use,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "cognito:groups": groups or [],
    }
    if token_use == "id":
        claims.update(aud=CLIENT_ID, email="new.person@example.test", email_verified=True)
    else:
        claims.update(client_id=CLIENT_ID, scope="aws.cognito.signin.user.admin")
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str = KID) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWT built by hand (PyJWT refuses to make these): HS256 with `secret`, or unsigned."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if secret is None:
        return f"{signing_input}."
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"


def me(token: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME)


def assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "token_not_valid"


def test_id_token_creates_user_with_role_from_groups(rsa_key):
    token = sign(rsa_key, claims_for(groups=["employee", "auditor"]))

    response = me(token)

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "new.person@example.test"
    assert response.json()["role"] == "auditor"
    user = User.objects.get(cognito_sub="8a1f-cognito-sub-1")
    assert user.email == "new.person@example.test"
    assert user.role == Role.AUDITOR
    assert not user.has_usable_password()


def test_authenticator_returns_user_and_claims(rsa_key):
    token = sign(rsa_key, claims_for(groups=["hr-admins"]))
    request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    result = CognitoJWTAuthentication().authenticate(request)  # type: ignore[arg-type]

    assert result is not None
    user, claims = result
    assert user.email == "new.person@example.test"
    assert user.role == Role.ADMIN
    assert user.is_staff
    assert claims["token_use"] == "id"


def test_access_token_is_checked_against_client_id(rsa_key):
    user = make_user(cognito_sub="8a1f-cognito-sub-1", role=Role.MANAGER)
    token = sign(rsa_key, claims_for("access", groups=["team-leads"]))

    response = me(token)

    assert response.status_code == 200, response.content
    assert response.json()["email"] == user.email
    assert response.json()["role"] == "manager"


def test_access_token_for_another_client_is_refused(rsa_key):
    make_user(cognito_sub="8a1f-cognito-sub-1")
    token = sign(rsa_key, claims_for("access", client_id="some-other-client"))

    assert_refused(me(token))


def test_access_token_of_unknown_user_without_email_is_refused(rsa_key):
    token = sign(rsa_key, claims_for("access"))

    assert_refused(me(token))
    assert not User.objects.exists()


def test_existing_user_is_matched_by_email_and_gets_the_sub(rsa_key):
    user = make_user(email="Jane.Doe@Example.test", role=Role.EMPLOYEE)
    token = sign(rsa_key, claims_for(email="jane.doe@example.TEST", groups=["manager"]))

    response = me(token)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == user.pk
    assert response.json()["role"] == "manager"
    user.refresh_from_db()
    assert user.cognito_sub == "8a1f-cognito-sub-1"
    assert user.role == Role.MANAGER
    assert User.objects.count() == 1


def test_unverified_email_does_not_link_an_existing_account(rsa_key):
    user = make_user(email="jane.doe@example.test")
    token = sign(rsa_key, claims_for(email="jane.doe@example.test", email_verified=False))

    assert_refused(me(token))
    user.refresh_from_db()
    assert user.cognito_sub is None


def test_email_linked_to_another_sub_is_refused(rsa_key):
    make_user(email="jane.doe@example.test", cognito_sub="an-older-sub")
    token = sign(rsa_key, claims_for(email="jane.doe@example.test"))

    assert_refused(me(token))
    assert User.objects.filter(cognito_sub="8a1f-cognito-sub-1").count() == 0


def test_changed_groups_update_the_stored_role(rsa_key):
    user = make_user(cognito_sub="8a1f-cognito-sub-1", role=Role.ADMIN)
    token = sign(rsa_key, claims_for(groups=["Some-Unrelated-Group"]))

    response = me(token)

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "employee"
    user.refresh_from_db()
    assert user.role == Role.EMPLOYEE
    assert not user.is_staff


def test_highest_privilege_group_wins(rsa_key):
    groups = ["employee", "team-leads", "auditor"]
    token = sign(rsa_key, claims_for(groups=groups))

    response = me(token)

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "manager"


def test_wrong_issuer_is_left_to_the_next_authenticator_and_refused(rsa_key):
    claims = claims_for(iss="https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Other")
    token = sign(rsa_key, claims)
    request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert CognitoJWTAuthentication().authenticate(request) is None  # type: ignore[arg-type]
    assert_refused(me(token))
    assert not User.objects.exists()


def test_wrong_audience_is_refused(rsa_key):
    token = sign(rsa_key, claims_for(aud="some-other-client"))

    assert_refused(me(token))
    assert not User.objects.exists()


def test_expired_token_is_refused(rsa_key):
    past = int(time.time()) - 600
    token = sign(rsa_key, claims_for(iat=past - 3600, exp=past))

    assert_refused(me(token))
    assert not User.objects.exists()


def test_token_signed_by_another_key_is_refused(rsa_key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = sign(other, claims_for())

    assert_refused(me(token))
    assert not User.objects.exists()


@pytest.mark.parametrize("token_use", ["refresh", None])
def test_token_use_other_than_id_or_access_is_refused(rsa_key, token_use):
    claims = claims_for(
        token_use, aud=CLIENT_ID, email="new.person@example.test", email_verified=True
    )
    token = sign(rsa_key, claims)

    assert_refused(me(token))
    assert not User.objects.exists()


def test_inactive_user_is_refused(rsa_key):
    make_user(cognito_sub="8a1f-cognito-sub-1", is_active=False, role=Role.EMPLOYEE)
    token = sign(rsa_key, claims_for(groups=["admin"]))

    assert_refused(me(token))
    assert User.objects.get(cognito_sub="8a1f-cognito-sub-1").role == Role.EMPLOYEE


def test_inactive_user_found_by_email_is_refused(rsa_key):
    user = make_user(email="new.person@example.test", is_active=False)

    assert_refused(me(sign(rsa_key, claims_for())))
    user.refresh_from_db()
    assert user.cognito_sub is None


def test_hs256_signed_with_the_public_key_is_refused(rsa_key):
    """HS/RS confusion: the public key PEM used as an HMAC secret must not verify."""
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = forge({"alg": "HS256", "typ": "JWT", "kid": KID}, claims_for(), public_pem)
    request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    with pytest.raises(AuthenticationFailed):
        CognitoJWTAuthentication().authenticate(request)  # type: ignore[arg-type]
    assert_refused(me(token))
    assert not User.objects.exists()


def test_unsigned_token_is_refused(rsa_key):
    token = forge({"alg": "none", "typ": "JWT", "kid": KID}, claims_for(), None)
    request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    with pytest.raises(AuthenticationFailed):
        CognitoJWTAuthentication().authenticate(request)  # type: ignore[arg-type]
    assert_refused(me(token))
    assert not User.objects.exists()


def test_own_bearer_tokens_still_work_beside_cognito(employee_user, cognito):
    token = str(RefreshToken.for_user(employee_user).access_token)
    request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert CognitoJWTAuthentication().authenticate(request) is None  # type: ignore[arg-type]
    response = me(token)
    assert response.status_code == 200, response.content
    assert response.json()["email"] == employee_user.email
    assert cognito.hits == 0


def test_jwks_is_cached(rsa_key, cognito):
    first = me(sign(rsa_key, claims_for()))
    second = me(sign(rsa_key, claims_for()))

    assert first.status_code == 200, first.content
    assert second.status_code == 200, second.content
    assert cognito.hits == 1


def test_unknown_kid_is_refused_after_at_most_one_refetch(rsa_key, cognito):
    assert me(sign(rsa_key, claims_for())).status_code == 200
    assert cognito.hits == 1

    for _ in range(3):
        assert_refused(me(sign(rsa_key, claims_for(), kid="not-in-the-jwks")))

    assert cognito.hits == 2


def test_rotated_key_is_picked_up_by_the_refetch(rsa_key, cognito):
    assert me(sign(rsa_key, claims_for())).status_code == 200
    new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cognito.keys = [*cognito.keys, _public_jwk(new_key, "test-key-2")]

    response = me(sign(new_key, claims_for(), kid="test-key-2"))

    assert response.status_code == 200, response.content
    assert cognito.hits == 2


def test_unreachable_jwks_is_503_not_500(rsa_key, settings):
    settings.COGNITO = {**settings.COGNITO, "JWKS_URL": "http://127.0.0.1:9/jwks.json"}

    response = me(sign(rsa_key, claims_for()))

    assert response.status_code == 503, response.content
    assert response.json()["code"] == "cognito_unavailable"
    assert not User.objects.exists()


def test_without_cognito_settings_the_token_is_not_accepted(rsa_key, settings, cognito):
    settings.COGNITO = {**settings.COGNITO, "JWKS_URL": ""}

    assert_refused(me(sign(rsa_key, claims_for())))
    assert cognito.hits == 0
