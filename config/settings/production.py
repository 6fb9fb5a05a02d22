"""Production: only tightens the base settings, and refuses to start without what it needs."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS_FROM_ENV,
    AUTH_COOKIES,
    COGNITO,
    DATABASE_URL,
    REST_FRAMEWORK,
    SECRET_KEY,
)

_missing = [
    name
    for name, value in (
        ("DJANGO_SECRET_KEY", SECRET_KEY),
        ("ALLOWED_HOSTS", ALLOWED_HOSTS_FROM_ENV),
        ("DATABASE_URL", DATABASE_URL),
    )
    if not value
]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(_missing)
    )
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters of random text.")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
AUTH_COOKIES = {**AUTH_COOKIES, "SECURE": True}

if any(COGNITO[key] for key in ("JWKS_URL", "ISSUER", "CLIENT_ID")):
    _cognito_missing = [
        f"COGNITO_{key}" for key in ("JWKS_URL", "ISSUER", "CLIENT_ID") if not COGNITO[key]
    ]
    if _cognito_missing:
        raise ImproperlyConfigured(
            "Cognito needs all of its settings; missing: " + ", ".join(_cognito_missing)
        )
    REST_FRAMEWORK = {
        **REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": [
            *REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],  # type: ignore[misc]
            "apps.users.cognito.CognitoJWTAuthentication",
        ],
    }
