"""The node scan key: Ed25519, signs QR payloads so a device can tell the node's codes from
forged ones. Its public half is published (``GET /v1/scan/node-key``)."""

from __future__ import annotations

import hashlib

from nacl.signing import SigningKey
from pydantic import SecretStr

DEV_SEED = hashlib.sha256(b"huren dev node scan key (public, dev only)").digest()


def parse_scan_key(value: str) -> SigningKey:
    """A scan key's seed written as 64 hex digits; ``ValueError`` otherwise (or the dev one)."""
    try:
        seed = bytes.fromhex(value.strip())
    except ValueError as error:
        raise ValueError("the node scan key must be 64 hex digits") from error
    if len(seed) != 32 or seed == bytes(32) or seed == DEV_SEED:
        raise ValueError("the node scan key must be 32 random bytes (64 hex digits)")
    return SigningKey(seed)


def scan_key_of(env: str, configured: SecretStr | None) -> SigningKey:
    """The configured scan key, or in dev one derived from a public label."""
    if configured is not None and configured.get_secret_value():
        return parse_scan_key(configured.get_secret_value())
    if env != "dev":
        raise ValueError("outside dev the node needs HUREN_SCAN_KEY (64 hex digits)")
    return SigningKey(DEV_SEED)
