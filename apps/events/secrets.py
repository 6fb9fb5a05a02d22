"""Webhook signing secrets: made here, shown once, kept encrypted (Fernet, with a key derived
from WEBHOOK_SECRET_KEY, else SECRET_KEY). They cannot be hashed: each delivery is signed with
the secret itself (HMAC-SHA256, Standard Webhooks)."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

PREFIX = "whsec_"


def generate() -> str:
    """A new secret in Standard Webhooks' form: `whsec_` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _fernet() -> Fernet:
    material = settings.WEBHOOK_SECRET_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(f"coveris-webhook-secret:{material}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    """The secret behind `token`; ValueError when the key it was encrypted with is gone."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("the webhook secret cannot be decrypted with the current key") from None
