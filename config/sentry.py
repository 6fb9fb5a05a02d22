"""Optional error reporting: with SENTRY_DSN set, unhandled errors go to Sentry (sentry-sdk),
without personal data: no user ids, emails, IP addresses, cookies or request bodies."""

from __future__ import annotations

from typing import Any


def options(dsn: str, *, environment: str) -> dict[str, Any]:
    """What sentry_sdk.init is given (tests/core/test_sentry.py reads it back)."""
    from sentry_sdk.integrations.django import DjangoIntegration

    return {
        "dsn": dsn,
        "environment": environment,
        "send_default_pii": False,
        "include_local_variables": False,  # a frame's locals may hold a password or a token
        "max_request_body_size": "never",
        "traces_sample_rate": 0.0,
        "integrations": [DjangoIntegration()],
    }


def init(dsn: str, *, environment: str) -> None:
    import sentry_sdk

    sentry_sdk.init(**options(dsn, environment=environment))
