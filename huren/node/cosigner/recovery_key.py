"""The recovery public key tickets carry (setting ``recovery_public_key``): every key a
holder enrols seals its third share to it, so certificate recovery (证书找回) can reshare
to a new device. Only the public half is on the node; the private half is held offline.

Node services that issue tickets on their own (the certificate application flow) take the
key from here. A dev node uses a public dev key derived from a label (so dev recoveries can
be tried); anywhere else that key is refused and a missing key makes those services answer
that tickets are unavailable (``RecoveryKeyUnavailable``), while the node itself runs on.
"""

from __future__ import annotations

import hashlib

from pydantic import SecretStr

from huren.node.cosigner.errors import CosignerError
from huren.node.keysplit.errors import KeysplitError
from huren.node.keysplit.sealing import RecoveryKey, check_recovery_public_key

__all__ = [
    "DEV_RECOVERY_KEY",
    "RecoveryKeyUnavailable",
    "parse_recovery_public_key",
    "recovery_public_key_of",
]

# dev only, and public: anyone can open shares sealed to it (see the module docstring).
DEV_RECOVERY_KEY = RecoveryKey(
    hashlib.sha256(b"huren dev recovery key (public, dev only)").digest()
)


class RecoveryKeyUnavailable(CosignerError):
    """This node has no recovery public key configured (``HUREN_RECOVERY_PUBLIC_KEY``)."""

    status = 503
    code = "RECOVERY_KEY_UNAVAILABLE"


def parse_recovery_public_key(value: str, *, env: str) -> bytes:
    """A recovery public key written as 64 hex digits; ``ValueError`` otherwise (and for
    the public dev key outside dev)."""
    try:
        key = check_recovery_public_key(bytes.fromhex(value.strip()))
    except (ValueError, KeysplitError) as error:
        raise ValueError("the recovery public key is 64 hex digits (X25519, not zero)") from error
    if env != "dev" and key == DEV_RECOVERY_KEY.public_key:
        raise ValueError("outside dev the recovery public key must not be the public dev key")
    return key


def recovery_public_key_of(env: str, configured: str | SecretStr | None) -> bytes:
    """The key a node's tickets carry: the configured one, or the dev key in dev."""
    if isinstance(configured, SecretStr):
        configured = configured.get_secret_value()
    if configured:
        return parse_recovery_public_key(configured, env=env)
    if env != "dev":
        raise RecoveryKeyUnavailable(
            "this node has no HUREN_RECOVERY_PUBLIC_KEY: it issues no enrolment tickets"
        )
    return DEV_RECOVERY_KEY.public_key
