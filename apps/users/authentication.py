"""Authentication: JWT from the HttpOnly access cookie (CSRF-checked) or a bearer header."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from apps.core.codes import ErrorCode
from apps.users.cognito import claims_cognito_issuer


class CSRFFailed(exceptions.PermissionDenied):
    """An unsafe request authenticated by cookie came without a valid X-CSRFToken."""

    default_code = ErrorCode.CSRF_FAILED


def enforce_csrf(request: Request | HttpRequest) -> None:
    """Run Django's CSRF check (cookie + X-CSRFToken header) on an unsafe request."""
    django_request = getattr(request, "_request", request)

    def _no_response(_: HttpRequest) -> None:  # pragma: no cover - never called
        return None

    check = CSRFCheck(_no_response)  # type: ignore[arg-type]
    check.process_request(django_request)
    reason = check.process_view(django_request, None, (), {})  # type: ignore[arg-type]
    if reason:
        raise CSRFFailed(f"CSRF failed: {reason}")


class CookieJWTAuthentication(JWTAuthentication):
    """Bearer header first (no CSRF needed); else the access cookie, with CSRF on unsafe methods."""

    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:  # type: ignore[override]
        header = self.get_header(request)
        if header is not None:
            raw_bearer = self.get_raw_token(header)
            if raw_bearer is not None and claims_cognito_issuer(raw_bearer):
                return None  # a Cognito token: CognitoJWTAuthentication checks it
            return super().authenticate(request)
        raw = request.COOKIES.get(settings.AUTH_COOKIES["ACCESS"])
        if not raw:
            return None
        validated = self.get_validated_token(raw.encode())
        user = self.get_user(validated)
        enforce_csrf(request)
        return user, validated
