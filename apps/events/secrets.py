"""Webhook signing secrets: made here, shown once, kept encrypted (apps.core.sealing, with a key
from WEBHOOK_SECRET_KEY, else SECRET_KEY). They cannot be hashed: each delivery is signed with
the secret itself (HMAC-SHA256, Standard Webhooks)."""

from __future__ import annotations

import base64
import secrets

from django.conf import settings

from apps.core import sealing

PREFIX = "whsec_"
PURPOSE = "webhook-secret"


def generate() -> str:
    """A new secret in Standard Webhooks' form: `whsec_` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def encrypt(secret: str) -> str:
    return sealing.seal(PURPOSE, secret.encode(), settings.WEBHOOK_SECRET_KEY).decode()


def decrypt(token: str) -> str:
    """The secret behind `token`; ValueError when the key it was encrypted with is gone."""
    return sealing.unseal(PURPOSE, token.encode(), settings.WEBHOOK_SECRET_KEY).decode()
