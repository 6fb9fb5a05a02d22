"""Values kept encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256), under a key derived
from a purpose and the deployment's key material (SECRET_KEY unless a purpose has its own)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def fernet(purpose: str, material: str | None = None) -> Fernet:
    """The cipher of `purpose` ("webhook-secret", "idempotent-answer")."""
    key = material or settings.SECRET_KEY
    digest = hashlib.sha256(f"coveris-{purpose}:{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(purpose: str, data: bytes, material: str | None = None) -> bytes:
    return fernet(purpose, material).encrypt(data)


def unseal(purpose: str, token: bytes, material: str | None = None) -> bytes:
    """The data sealed in `token`; ValueError when the key it was sealed with is gone."""
    try:
        return fernet(purpose, material).decrypt(token)
    except InvalidToken:
        raise ValueError(f"a sealed {purpose} cannot be opened with the current key") from None
