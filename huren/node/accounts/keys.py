"""Keys derived from the node's one account secret (setting ``account_secret``), one per use,
so that a token signing key never doubles as a commitment key."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["derive_key"]


def derive_key(secret: bytes, label: str) -> bytes:
    """The 32-byte key for ``label`` (e.g. ``jwt``, ``sms-code``, ``identity``)."""
    if len(secret) < 16:
        raise ValueError("the account secret has at least 16 bytes")
    return hmac.new(secret, f"huren/{label}/v1".encode(), hashlib.sha256).digest()
