"""Secrets at rest: the co-signer's key shares and unwrap secrets, AES-256-GCM under the
node's key-encryption key (setting ``cosigner_kek``).

The associated data binds each ciphertext to what it is, its enrolment and its epoch, so a
ciphertext copied into another row (another holder's enrolment) does not open. A stored
value is ``version (1) ‖ nonce (12) ‖ ciphertext+tag``.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from huren.node.cosigner.errors import CosignerError

KEK_BYTES = 32
VERSION = 1
NONCE_BYTES = 12
SHARE = b"share"
UNWRAP = b"unwrap"
# dev only: the node refuses to start outside dev without a real key (see Settings).
DEV_KEK = hashlib.sha256(b"huren dev co-signer key-encryption key (public, dev only)").digest()


class AtRestError(CosignerError):
    """A stored secret does not open under this key-encryption key and binding."""

    status = 500
    code = "COSIGNER_STORAGE_ERROR"


def parse_kek(value: str) -> bytes:
    """A key-encryption key written as 64 hex digits; ``ValueError`` otherwise."""
    try:
        key = bytes.fromhex(value.strip())
    except ValueError as error:
        raise ValueError("the co-signer key-encryption key must be 64 hex digits") from error
    if len(key) != KEK_BYTES or key == bytes(KEK_BYTES) or key == DEV_KEK:
        raise ValueError("the co-signer key-encryption key must be 32 random bytes (64 hex)")
    return key


def kek_of(env: str, configured: SecretStr | None) -> bytes:
    """The key-encryption key a node uses: the configured one, or the public dev key in dev."""
    if configured is not None and configured.get_secret_value():
        return parse_kek(configured.get_secret_value())
    if env != "dev":
        raise ValueError("outside dev the co-signer needs HUREN_COSIGNER_KEK")
    return DEV_KEK


def _aad(kind: bytes, enrolment_id: str, epoch: int) -> bytes:
    return (
        b"huren-cosigner-at-rest-v1\0"
        + kind
        + b"\0"
        + enrolment_id.encode()
        + b"\0"
        + (epoch.to_bytes(4, "big"))
    )


def seal(kek: bytes, kind: bytes, enrolment_id: str, epoch: int, plaintext: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(kek).encrypt(nonce, plaintext, _aad(kind, enrolment_id, epoch))
    return bytes([VERSION]) + nonce + ciphertext


def open_sealed(kek: bytes, kind: bytes, enrolment_id: str, epoch: int, stored: bytes) -> bytes:
    if len(stored) < 1 + NONCE_BYTES + 16 or stored[0] != VERSION:
        raise AtRestError("stored secret has an unknown format")
    nonce, ciphertext = stored[1 : 1 + NONCE_BYTES], stored[1 + NONCE_BYTES :]
    try:
        return AESGCM(kek).decrypt(nonce, ciphertext, _aad(kind, enrolment_id, epoch))
    except InvalidTag:
        raise AtRestError("stored secret does not open (wrong key or moved row)") from None
