"""What the PIN protects on the device, and how (see docs/cosigner.md, *PIN*).

``stretched = Argon2id(PIN, salt)`` (salt random per key, kept on the device only). From it:

* the PIN proof key: Ed25519 from HKDF(stretched, "pin-proof"); the co-signer keeps only its
  public key and checks a signature by it on every operation, counting failures;
* the share's sealing key: HKDF(stretched ‖ unwrap secret, "share-seal"), AES-256-GCM. The
  unwrap secret is 32 random bytes the co-signer keeps (encrypted) and hands out only with a
  valid PIN proof, so the sealed share on a stolen phone gives no offline test of a PIN
  guess: every guess costs one of the co-signer's five tries.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl import pwhash
from nacl.signing import SigningKey

from huren.device.errors import LocalStoreError
from huren.node.keysplit.keys import KeyPackage

SALT_BYTES = pwhash.argon2id.SALTBYTES
NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class PinParams:
    """Argon2id cost; the defaults are libsodium's "interactive" (64 MiB, 2 passes, ~0.2 s
    here): the unwrap secret already stops offline guessing, the cost is defence in depth
    against an attacker who holds both the phone and the co-signer's database and key."""

    opslimit: int = pwhash.argon2id.OPSLIMIT_INTERACTIVE
    memlimit: int = pwhash.argon2id.MEMLIMIT_INTERACTIVE


# For tests only: the cheapest parameters libsodium accepts.
TEST_PARAMS = PinParams(pwhash.argon2id.OPSLIMIT_MIN, pwhash.argon2id.MEMLIMIT_MIN)


def check_pin(pin: str) -> str:
    if not (4 <= len(pin) <= 64):
        raise LocalStoreError("a PIN has 4 to 64 characters")
    return pin


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def stretch(pin: str, salt: bytes, params: PinParams) -> bytes:
    return bytes(
        pwhash.argon2id.kdf(
            32, check_pin(pin).encode(), salt, opslimit=params.opslimit, memlimit=params.memlimit
        )
    )


def _hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(key)


def pin_key(stretched: bytes) -> SigningKey:
    return SigningKey(_hkdf(stretched, b"huren-device-pin-proof-v1"))


def _seal_key(stretched: bytes, unwrap_secret: bytes) -> bytes:
    if len(unwrap_secret) != 32:
        raise LocalStoreError("the unwrap secret is 32 bytes")
    return _hkdf(stretched + unwrap_secret, b"huren-device-share-seal-v1")


def _aad(enrolment_id: str) -> bytes:
    return b"huren-device-share-v1\0" + enrolment_id.encode()


def seal_share(stretched: bytes, unwrap_secret: bytes, enrolment_id: str, key: KeyPackage) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    aead = AESGCM(_seal_key(stretched, unwrap_secret))
    return nonce + aead.encrypt(nonce, key.to_bytes(), _aad(enrolment_id))


def open_share(
    stretched: bytes, unwrap_secret: bytes, enrolment_id: str, sealed: bytes
) -> KeyPackage:
    aead = AESGCM(_seal_key(stretched, unwrap_secret))
    try:
        plain = aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(enrolment_id))
    except InvalidTag:
        raise LocalStoreError("the sealed share does not open") from None
    return KeyPackage.from_bytes(plain)
