"""HPKE base mode (RFC 9180) with DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256, both roles,
from cryptography's HKDF, X25519 and AES-GCM primitives.

cryptography's ``hpke.Suite`` seals and opens in one call with a private key it holds whole
and an ephemeral key it draws itself. A bid file's recipient key is split (device and
co-signer each multiply the ephemeral point), so the receiver here starts from the raw DH
output ``skR * enc`` that a ``Decapsulator`` returns (DHKEM Decap without the DH, §4.1),
then runs the key schedule (§5.1) and opens the single-shot ciphertext (§6.1). The sender
takes its ephemeral key as an argument so tests can fix it; ``tests/node/bidfile`` shows both
roles interoperate with ``hpke.Suite`` and reproduce RFC 9180 appendix A.1.1.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from huren.node.bidfile.errors import InvalidEncapsulation

__all__ = [
    "AEAD_AES_128_GCM",
    "AEAD_AES_256_GCM",
    "KDF_HKDF_SHA256",
    "KEM_X25519_HKDF_SHA256",
    "N_ENC",
    "BaseContext",
    "decap_from_dh",
    "encap",
    "extract_and_expand",
    "key_schedule_base",
    "open_with_dh",
    "seal",
]

KEM_X25519_HKDF_SHA256 = 0x0020
KDF_HKDF_SHA256 = 0x0001
AEAD_AES_128_GCM = 0x0001  # only for checking the RFC's vectors, which use it
AEAD_AES_256_GCM = 0x0002
N_ENC = 32  # Nenc = Npk = Ndh = Nsecret = Nh = 32 for this KEM and KDF
N_NONCE = 12
_KEY_LENGTH = {AEAD_AES_128_GCM: 16, AEAD_AES_256_GCM: 32}
_HPKE_VERSION = b"HPKE-v1"
_MODE_BASE = 0x00
_KEM_SUITE_ID = b"KEM" + KEM_X25519_HKDF_SHA256.to_bytes(2, "big")
_ZERO_DH = bytes(32)


def _hpke_suite_id(aead_id: int) -> bytes:
    ids = (KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, aead_id)
    return b"HPKE" + b"".join(i.to_bytes(2, "big") for i in ids)


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    # An empty salt is HashLen zero bytes for HMAC (RFC 5869 §2.2): None says the same.
    return HKDF.extract(SHA256(), salt or None, _HPKE_VERSION + suite_id + label + ikm)


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    labeled_info = length.to_bytes(2, "big") + _HPKE_VERSION + suite_id + label + info
    return HKDFExpand(SHA256(), length, labeled_info).derive(prk)


def extract_and_expand(dh: bytes, kem_context: bytes) -> bytes:
    """DHKEM's shared secret from the DH output and ``kem_context = enc || pkR`` (§4.1)."""
    eae_prk = _labeled_extract(_KEM_SUITE_ID, b"", b"eae_prk", dh)
    return _labeled_expand(_KEM_SUITE_ID, eae_prk, b"shared_secret", kem_context, 32)


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def encap(pk_r: bytes, ephemeral: X25519PrivateKey) -> tuple[bytes, bytes]:
    """DHKEM Encap with a given ephemeral key: ``(shared_secret, enc)``."""
    try:
        dh = ephemeral.exchange(X25519PublicKey.from_public_bytes(pk_r))
    except ValueError as exc:  # a small-order recipient point gives the all-zero output
        raise InvalidEncapsulation(f"recipient key unusable: {exc}") from None
    enc = _raw(ephemeral.public_key())
    return extract_and_expand(dh, enc + pk_r), enc


def decap_from_dh(dh: bytes, enc: bytes, pk_r: bytes) -> bytes:
    """DHKEM Decap after the DH: the shared secret from ``dh = skR * enc`` (computed by
    whoever holds the key or its shares). The all-zero output is refused, as §7.1.4 has
    X25519 do."""
    if len(dh) != 32 or len(enc) != N_ENC or len(pk_r) != 32:
        raise InvalidEncapsulation("dh, enc and pkR must be 32 bytes each")
    if dh == _ZERO_DH:
        raise InvalidEncapsulation("the DH output is all zero (a small-order enc)")
    return extract_and_expand(dh, enc + pk_r)


@dataclass(frozen=True, slots=True)
class BaseContext:
    """The base-mode key schedule's outputs (and two intermediates the RFC's vectors list)."""

    key: bytes
    base_nonce: bytes
    key_schedule_context: bytes
    secret: bytes


def key_schedule_base(aead_id: int, shared_secret: bytes, info: bytes) -> BaseContext:
    """KeySchedule(mode_base, shared_secret, info, psk="", psk_id="") of §5.1."""
    if aead_id not in _KEY_LENGTH:
        raise ValueError(f"AEAD {aead_id:#06x} is not supported")
    suite_id = _hpke_suite_id(aead_id)
    psk_id_hash = _labeled_extract(suite_id, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(suite_id, b"", b"info_hash", info)
    context = bytes([_MODE_BASE]) + psk_id_hash + info_hash
    secret = _labeled_extract(suite_id, shared_secret, b"secret", b"")
    key = _labeled_expand(suite_id, secret, b"key", context, _KEY_LENGTH[aead_id])
    base_nonce = _labeled_expand(suite_id, secret, b"base_nonce", context, N_NONCE)
    return BaseContext(key, base_nonce, context, secret)


def seal(
    aead_id: int,
    pk_r: bytes,
    info: bytes,
    plaintext: bytes,
    ephemeral: X25519PrivateKey,
    aad: bytes = b"",
) -> bytes:
    """Single-shot SealBase: ``enc || ct`` (the first message uses ``base_nonce`` as is)."""
    shared_secret, enc = encap(pk_r, ephemeral)
    ctx = key_schedule_base(aead_id, shared_secret, info)
    return enc + AESGCM(ctx.key).encrypt(ctx.base_nonce, plaintext, aad)


def open_with_dh(
    aead_id: int,
    enc: bytes,
    ciphertext: bytes,
    info: bytes,
    dh: bytes,
    pk_r: bytes,
    aad: bytes = b"",
) -> bytes:
    """Single-shot OpenBase given the DH output; ``cryptography.exceptions.InvalidTag`` when
    the ciphertext does not open."""
    ctx = key_schedule_base(aead_id, decap_from_dh(dh, enc, pk_r), info)
    return AESGCM(ctx.key).decrypt(ctx.base_nonce, ciphertext, aad)
