"""OpenAPI descriptions of the authentication classes, so /api/v1/schema/ documents both flows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema

COOKIE_SCHEME = "cookieAuth"
BEARER_SCHEME = "bearerAuth"


def _bearer_definition(description: str) -> dict[str, Any]:
    definition: dict[str, Any] = build_bearer_security_scheme_object(
        header_name="HTTP_AUTHORIZATION", token_prefix="Bearer", bearer_format="JWT"
    )
    definition["description"] = description
    return definition


class CookieJWTScheme(OpenApiAuthenticationExtension):
    """CookieJWTAuthentication accepts either the HttpOnly access cookie or a bearer header."""

    target_class = "apps.users.authentication.CookieJWTAuthentication"
    name = [COOKIE_SCHEME, BEARER_SCHEME]

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list[Any]]]:
        # Either one authenticates the request (OR), not both together (AND).
        return [{COOKIE_SCHEME: []}, {BEARER_SCHEME: []}]

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        cookie = settings.AUTH_COOKIES["ACCESS"]
        return [
            {
                "type": "apiKey",
                "in": "cookie",
                "name": cookie,
                "description": (
                    f"Browser flow: POST /api/v1/auth/login/ sets the HttpOnly `{cookie}` cookie "
                    "(and `refresh_token`, path /api/v1/auth/). Fetch GET /api/v1/auth/csrf/ first "
                    "and send the `csrftoken` cookie's value as `X-CSRFToken` on every POST, PUT, "
                    "PATCH and DELETE. POST /api/v1/auth/refresh/ rotates both cookies."
                ),
            },
            _bearer_definition(
                "Scripts and integrations: POST /api/v1/auth/token/ returns `access` and "
                "`refresh`; send `Authorization: Bearer <access>`. No CSRF token is needed. "
                "POST /api/v1/auth/token/refresh/ exchanges a refresh token for a new pair."
            ),
        ]


class CognitoJWTScheme(OpenApiAuthenticationExtension):
    """The production Cognito class (enabled by COGNITO_JWKS_URL) reads a bearer header."""

    target_class = "apps.users.cognito.CognitoJWTAuthentication"
    optional = True  # referenced by path: the schema must not depend on the class being present
    name = "cognitoAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return _bearer_definition(
            "AWS Cognito: `Authorization: Bearer <Cognito access or ID token>`, validated against "
            "the user pool's JWKS; the role comes from `cognito:groups`."
        )
