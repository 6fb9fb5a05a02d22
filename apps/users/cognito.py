"""AWS Cognito: bearer JWTs issued by the user pool, checked against its JWKS (DESIGN.md §5)."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.request import Request

from apps.core import cache as shared_cache
from apps.core.codes import ErrorCode
from apps.users import services
from apps.users.models import Role, User

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
TOKEN_USES = frozenset({"id", "access"})
ROLE_RANK = {Role.EMPLOYEE: 0, Role.AUDITOR: 1, Role.MANAGER: 2, Role.ADMIN: 3}
JWKS_CACHE_KEY = "cognito:jwks"
JWKS_REFETCH_KEY = "cognito:jwks:refetched"
# An unknown `kid` (key rotation) may trigger one refetch per this many seconds, no more.
JWKS_REFETCH_INTERVAL_SECONDS = 60
JWKS_FETCH_TIMEOUT_SECONDS = 5
JWKS_MAX_BYTES = 1_048_576


class CognitoUnavailable(APIException):
    """The user pool's JWKS cannot be fetched: 503, so clients retry instead of logging out."""

    status_code = 503
    default_code = ErrorCode.COGNITO_UNAVAILABLE
    default_detail = "The identity provider's signing keys cannot be fetched; try again shortly."


def _invalid(detail: str) -> AuthenticationFailed:
    """The one error a bad Cognito token gets: 401 with the stable code `token_not_valid`."""
    return AuthenticationFailed(detail, code=ErrorCode.TOKEN_NOT_VALID)


def _conf() -> dict[str, Any]:
    """settings.COGNITO, read at call time so that overrides apply."""
    conf: dict[str, Any] = settings.COGNITO
    return conf


def cognito_configured() -> bool:
    """Whether settings name a user pool (JWKS URL, issuer and app client id)."""
    conf = _conf()
    return bool(conf["JWKS_URL"] and conf["ISSUER"] and conf["CLIENT_ID"])


def _unverified_parts(raw: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The header and claims of `raw`, unverified; None when it is not a JWT at all."""
    try:
        header = jwt.get_unverified_header(raw)
        claims = jwt.decode(raw, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    return header, claims


def claims_cognito_issuer(raw: str | bytes) -> bool:
    """Whether `raw` is an RS256 JWT whose (unverified) issuer is the configured user pool."""
    if not cognito_configured():
        return False
    text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else raw
    parts = _unverified_parts(text)
    if parts is None:
        return False
    header, claims = parts
    return header.get("alg") == ALGORITHM and claims.get("iss") == _conf()["ISSUER"]


def _fetch_jwks() -> dict[str, dict[str, Any]]:
    """Download the pool's JWKS, cache it, and return its keys by `kid`."""
    url = _conf()["JWKS_URL"]
    if urlsplit(url).scheme not in ("https", "http"):
        raise CognitoUnavailable("The Cognito JWKS URL is not http(s).")
    try:
        with urllib.request.urlopen(url, timeout=JWKS_FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            document = json.loads(response.read(JWKS_MAX_BYTES))
        keys = {key["kid"]: key for key in document["keys"] if isinstance(key, dict)}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("cognito JWKS fetch from %s failed: %s", url, exc)
        raise CognitoUnavailable() from exc
    shared_cache.set(JWKS_CACHE_KEY, keys, _conf()["JWKS_CACHE_SECONDS"])
    return keys


def _signing_key(kid: str) -> Any:
    """The public key for `kid`: cached JWKS first, one rate-limited refetch for a new `kid`."""
    keys: dict[str, dict[str, Any]] | None = shared_cache.get(JWKS_CACHE_KEY)
    fetched = keys is None
    if keys is None:
        keys = _fetch_jwks()
    if (
        kid not in keys
        and not fetched
        and shared_cache.add(JWKS_REFETCH_KEY, True, JWKS_REFETCH_INTERVAL_SECONDS)
    ):
        keys = _fetch_jwks()
    if kid not in keys:
        raise _invalid("The token was signed with an unknown key.")
    try:
        return jwt.PyJWK(keys[kid], algorithm=ALGORITHM).key
    except jwt.PyJWKError as exc:
        raise _invalid("The signing key of the token is not usable.") from exc


def _verified_claims(raw: str) -> dict[str, Any]:
    """The claims of a Cognito token whose signature, issuer, expiry, use and client all check."""
    conf = _conf()
    parts = _unverified_parts(raw)
    if parts is None:
        raise _invalid("The token is malformed.")
    header, _ = parts
    if header.get("alg") != ALGORITHM:
        raise _invalid("Only RS256 tokens are accepted.")
    key = _signing_key(str(header.get("kid", "")))
    try:
        claims: dict[str, Any] = jwt.decode(
            raw,
            key,
            algorithms=[ALGORITHM],
            issuer=conf["ISSUER"],
            options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise _invalid(f"The token is not valid: {exc}") from exc
    token_use = claims["token_use"]
    if token_use not in TOKEN_USES:
        raise _invalid("Only Cognito id and access tokens are accepted.")
    # Id tokens name the app client in `aud`, access tokens in `client_id`.
    audience = claims.get("aud") if token_use == "id" else claims.get("client_id")
    audiences = audience if isinstance(audience, list) else [audience]
    if conf["CLIENT_ID"] not in audiences:
        raise _invalid("The token was issued to another app client.")
    return claims


def role_from_groups(groups: Any) -> str:
    """The most privileged role the Cognito groups grant; employee when none does."""
    mapping: dict[str, str] = _conf()["GROUP_ROLES"]
    roles = [
        Role(role)
        for group in (groups if isinstance(groups, list) else [])
        if (role := mapping.get(group, group)) in Role.values
    ]
    return max(roles, key=ROLE_RANK.__getitem__, default=Role.EMPLOYEE)


def _email_if_verified(claims: dict[str, Any]) -> str | None:
    """The `email` claim when Cognito says it is verified (an unverified one must not link)."""
    email = claims.get("email")
    verified = claims.get("email_verified") in (True, "true")
    return email.strip() if isinstance(email, str) and email.strip() and verified else None


def _user_link_or_create(*, sub: str, email: str | None, role: str) -> User:
    """The account for a new Cognito `sub`: the user with that email, now linked, or a new one."""
    if email is None:
        raise _invalid("The token carries no verified email to find or create the user by.")
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is not None:
            if user.cognito_sub and user.cognito_sub != sub:
                raise _invalid("The account with this email is linked to another Cognito user.")
            if not user.is_active:
                raise _invalid("User is inactive.")
            user.cognito_sub = sub
            user.save(update_fields=["cognito_sub"])
            return user
        try:
            with transaction.atomic():
                return User.objects.create_user(
                    email=email, password=None, role=role, cognito_sub=sub
                )
        except IntegrityError:
            # A concurrent first request for the same sub created it a moment ago.
            pass
    user = User.objects.filter(cognito_sub=sub).first()
    if user is None:
        raise _invalid("The account could not be created.")
    return user


def cognito_user_sync(*, claims: dict[str, Any]) -> User:
    """The active user for verified Cognito claims, with `cognito_sub` and role up to date."""
    sub = str(claims["sub"])
    role = role_from_groups(claims.get("cognito:groups"))
    user = User.objects.filter(cognito_sub=sub).first()
    if user is None:
        user = _user_link_or_create(sub=sub, email=_email_if_verified(claims), role=role)
    if not user.is_active:
        raise _invalid("User is inactive.")
    if user.role != role:
        user = services.user_update(user=user, role=role)
    return user


class CognitoJWTAuthentication(BaseAuthentication):
    """`Authorization: Bearer` with a Cognito id or access token; other tokens are left alone."""

    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[User, dict[str, Any]] | None:
        """The user and verified claims, or None when the bearer is not from the user pool."""
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer" or not cognito_configured():
            return None
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            return None
        unverified = _unverified_parts(raw)
        if unverified is None or unverified[1].get("iss") != _conf()["ISSUER"]:
            return None  # not ours: e.g. our own simplejwt token, for the next authenticator
        claims = _verified_claims(raw)
        return cognito_user_sync(claims=claims), claims

    def authenticate_header(self, request: Request) -> str:
        """Makes DRF answer 401 (not 403) when authentication fails."""
        return f'Bearer realm="{self.www_authenticate_realm}"'
