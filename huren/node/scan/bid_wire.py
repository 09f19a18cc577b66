"""Wire formats of the bid scan kinds (pure: the device, the node and the bid tools import it).

- The encrypt choice: the holder's signature is over :func:`choice_message`, which names the
  platform, the request, the tender and the chosen recipient certificates (sorted
  fingerprints), so a bid tool can check that the holder chose exactly these.
- The decrypt answer: the device's DH value ``X25519(skR, enc)`` for its recipient entry is
  sealed to the hall's ephemeral X25519 key (:func:`seal_to_hall`): a fresh device ephemeral
  key, X25519 with the hall's key, HKDF-SHA256 and AES-256-GCM whose associated data binds
  the platform, the request, the certificate and ``enc``. The node and the network see only
  the sealed box.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "CHOICE_LABEL",
    "SEAL_LABEL",
    "SealOpenFailed",
    "choice_message",
    "decrypt_aad",
    "open_from_device",
    "seal_to_hall",
]

CHOICE_LABEL = b"huren-scan-encrypt-v1"
SEAL_LABEL = b"huren-scan-decrypt-v1"
TENDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}")
_NONCE = bytes(12)  # each key is used once: it comes from a fresh ephemeral DH


class SealOpenFailed(ValueError):
    """The sealed answer does not open with this key (another key, or changed on the way)."""

    code = "SEALED_ANSWER_INVALID"


def choice_message(
    platform_id: str,
    request_id: str,
    tender_id: str,
    expires_at: int,
    fingerprints: Iterable[bytes],
) -> bytes:
    """The bytes the holder signs to approve a choice of recipients (order-free: sorted)."""
    chosen = sorted(fp.hex() for fp in fingerprints)
    lines = [CHOICE_LABEL.decode(), platform_id, request_id, tender_id, str(expires_at)]
    return "\n".join([*lines, ",".join(chosen)]).encode()


def decrypt_aad(platform_id: str, request_id: str, fingerprint: bytes, enc: bytes) -> bytes:
    return (
        b"\n".join(
            [SEAL_LABEL, platform_id.encode(), request_id.encode(), fingerprint.hex().encode()]
        )
        + b"\n"
        + enc
    )


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _box_key(shared: bytes, device_public: bytes, hall_public: bytes) -> bytes:
    if shared == bytes(32):
        raise SealOpenFailed("a small-order key")
    return HKDF(SHA256(), 32, salt=device_public + hall_public, info=SEAL_LABEL).derive(shared)


def seal_to_hall(hall_public: bytes, secret: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """(device ephemeral public key, AES-256-GCM box of ``secret``) for the hall's key."""
    hall = X25519PublicKey.from_public_bytes(hall_public)
    ephemeral = X25519PrivateKey.generate()
    device_public = _raw(ephemeral.public_key())
    key = _box_key(ephemeral.exchange(hall), device_public, hall_public)
    return device_public, AESGCM(key).encrypt(_NONCE, secret, aad)


def open_from_device(
    hall_key: X25519PrivateKey, device_public: bytes, box: bytes, aad: bytes
) -> bytes:
    """The hall opens the device's box with its ephemeral private key."""
    try:
        shared = hall_key.exchange(X25519PublicKey.from_public_bytes(device_public))
        key = _box_key(shared, device_public, _raw(hall_key.public_key()))
        return AESGCM(key).decrypt(_NONCE, box, aad)
    except (InvalidTag, ValueError) as error:
        raise SealOpenFailed("the sealed answer does not open with this key") from error
