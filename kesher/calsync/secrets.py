"""A calendar connection's password, encrypted at rest (decision 0110).

A mailbox's password is the name of a server environment variable (decision 0091): the
administrator sets it once for a shared address. A calendar connection is each user's own and
made on his page, so the password is stored, but only encrypted — Fernet (AES-128-CBC with an
HMAC) from the ``cryptography`` package, keyed by ``KESHER_CALSYNC_KEY`` (a Fernet key in the
server's environment) or, when that is not set, by a key derived from ``SECRET_KEY``. It is never
shown back, logged or audited; a database copy without the key holds no usable password.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

__all__ = ["decrypt", "encrypt"]


def _fernet() -> Fernet:
    key = getattr(settings, "KESHER_CALSYNC_KEY", "")
    if not key:
        digest = hashlib.sha256(f"kesher.calsync:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def encrypt(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def decrypt(secret: str) -> str:
    """The password, or "" when the key changed since it was stored (the user enters it again)."""
    try:
        return _fernet().decrypt(secret.encode()).decode()
    except (InvalidToken, ValueError):
        return ""
