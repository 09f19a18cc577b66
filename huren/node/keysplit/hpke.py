"""Opening an HPKE (RFC 9180) base-mode message whose X25519 key is split.

``cryptography``'s HPKE wants the whole private key, which never exists here; the split
decryption yields only the Diffie-Hellman value. This module finishes RFC 9180 from there:
DHKEM(X25519, HKDF-SHA256) ExtractAndExpand (§4.1), the base-mode key schedule (§5.1) with
HKDF-SHA256, and the single-shot open of the first message (sequence number 0). Messages are
``enc || ciphertext`` as ``cryptography.hazmat.primitives.hpke.Suite.encrypt`` writes them.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from huren.node.keysplit.errors import DecryptionFailed, MalformedMessage

KEM_X25519_HKDF_SHA256 = 0x0020
KDF_HKDF_SHA256 = 0x0001
ENC_SIZE = 32
NONCE_SIZE = 12


class Aead(enum.IntEnum):
    AES_128_GCM = 0x0001
    AES_256_GCM = 0x0002
    CHACHA20_POLY1305 = 0x0003

    @property
    def key_size(self) -> int:
        return 16 if self is Aead.AES_128_GCM else 32


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    key = salt or bytes(32)
    return hmac.new(key, b"HPKE-v1" + suite_id + label + ikm, hashlib.sha256).digest()


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled_info = length.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info
    return HKDFExpand(hashes.SHA256(), length, labeled_info).derive(prk)


def kem_shared_secret(dh: bytes, enc: bytes, recipient_public_key: bytes) -> bytes:
    """DHKEM(X25519, HKDF-SHA256) ExtractAndExpand(dh, enc || pkRm)."""
    suite_id = b"KEM" + KEM_X25519_HKDF_SHA256.to_bytes(2, "big")
    prk = _labeled_extract(suite_id, b"", b"eae_prk", dh)
    return _labeled_expand(suite_id, prk, b"shared_secret", enc + recipient_public_key, 32)


def _key_schedule(shared_secret: bytes, info: bytes, aead: Aead) -> tuple[bytes, bytes]:
    suite_id = (
        b"HPKE"
        + KEM_X25519_HKDF_SHA256.to_bytes(2, "big")
        + KDF_HKDF_SHA256.to_bytes(2, "big")
        + aead.to_bytes(2, "big")
    )
    psk_id_hash = _labeled_extract(suite_id, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(suite_id, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash  # mode_base
    secret = _labeled_extract(suite_id, shared_secret, b"secret", b"")
    key = _labeled_expand(suite_id, secret, b"key", context, aead.key_size)
    base_nonce = _labeled_expand(suite_id, secret, b"base_nonce", context, NONCE_SIZE)
    return key, base_nonce


def enc_of(message: bytes) -> bytes:
    """The ephemeral X25519 value at the head of an ``enc || ciphertext`` message."""
    if len(message) < ENC_SIZE + 16:
        raise MalformedMessage("HPKE message too short")
    return message[:ENC_SIZE]


def open_with_dh(
    message: bytes,
    dh: bytes,
    recipient_public_key: bytes,
    *,
    aead: Aead,
    info: bytes = b"",
    aad: bytes = b"",
) -> bytes:
    """Open ``enc || ciphertext`` given X25519(sk, enc) from the split decryption."""
    enc = enc_of(message)
    key, nonce = _key_schedule(kem_shared_secret(dh, enc, recipient_public_key), info, aead)
    cipher = ChaCha20Poly1305(key) if aead is Aead.CHACHA20_POLY1305 else AESGCM(key)
    try:
        return cipher.decrypt(nonce, message[ENC_SIZE:], aad)
    except InvalidTag as error:
        raise DecryptionFailed("HPKE message does not open with the combined key") from error
