"""Sealing shares to the offline recovery key (X25519 + XSalsa20-Poly1305, libsodium sealed box).

A sealed box has no associated data, so the context a share belongs to (what it is, which key
set, sender and receiver) is written inside the plaintext and compared on opening: a share
sealed for one session or participant cannot be replayed as another.
"""

from __future__ import annotations

from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from huren.node.keysplit.codec import Kind, Reader, Writer
from huren.node.keysplit.errors import KeysplitError, SealError
from huren.node.keysplit.keys import KeyPackage

RECOVERY_PUBLIC_KEY_SIZE = 32


def check_recovery_public_key(public_key: bytes) -> bytes:
    if len(public_key) != RECOVERY_PUBLIC_KEY_SIZE or public_key == bytes(32):
        raise SealError("a recovery public key is 32 non-zero bytes (X25519)")
    return bytes(public_key)


def seal(recipient: bytes, purpose: bytes, context: bytes, payload: bytes) -> bytes:
    plaintext = (
        Writer(Kind.SEALED_PLAINTEXT).variable(purpose).variable(context).variable(payload)
    ).finish()
    try:
        return bytes(SealedBox(PublicKey(check_recovery_public_key(recipient))).encrypt(plaintext))
    except (CryptoError, ValueError, TypeError) as error:
        raise SealError("cannot seal to this public key") from error


@dataclass(frozen=True, repr=False)
class RecoveryKey:
    """The offline recovery key pair (held by the recovery holder, e.g. an offline HSM)."""

    private_key: bytes

    @classmethod
    def generate(cls) -> RecoveryKey:
        return cls(bytes(PrivateKey.generate()))

    @property
    def public_key(self) -> bytes:
        return bytes(PrivateKey(self.private_key).public_key)

    def __repr__(self) -> str:
        return f"RecoveryKey(public_key={self.public_key.hex()})"

    def open(self, ciphertext: bytes, purpose: bytes, context: bytes) -> bytes:
        try:
            plaintext = SealedBox(PrivateKey(self.private_key)).decrypt(bytes(ciphertext))
        except (CryptoError, ValueError, TypeError) as error:
            raise SealError("sealed data does not open with this recovery key") from error
        try:
            r = Reader(plaintext, Kind.SEALED_PLAINTEXT)
            sealed_purpose, sealed_context, payload = r.variable(), r.variable(), r.variable()
            r.end()
        except KeysplitError as error:
            raise SealError("sealed plaintext is malformed") from error
        if sealed_purpose != purpose or sealed_context != context:
            raise SealError("sealed data belongs to another purpose or context")
        return payload


KEY_PACKAGE_PURPOSE = b"huren-keysplit-key-package"


def _key_package_context(public_group_key: bytes, identifier: int, epoch: int) -> bytes:
    return public_group_key + identifier.to_bytes(2, "big") + epoch.to_bytes(4, "big")


def seal_key_package(key_package: KeyPackage, recipient: bytes) -> bytes:
    """The recovery share at rest: only the recovery key opens it."""
    context = _key_package_context(
        bytes(key_package.group_public_key), key_package.identifier, key_package.epoch
    )
    return seal(recipient, KEY_PACKAGE_PURPOSE, context, key_package.to_bytes())


def open_key_package(
    sealed: bytes, key: RecoveryKey, group_public_key: bytes, identifier: int, epoch: int
) -> KeyPackage:
    context = _key_package_context(group_public_key, identifier, epoch)
    return KeyPackage.from_bytes(key.open(sealed, KEY_PACKAGE_PURPOSE, context))
