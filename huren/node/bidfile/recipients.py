"""Who a bid file is for, who may open it, and the rule that decides who may be chosen.

A recipient is an encryption certificate: its SHA-256 fingerprint (of the DER, as the
registry keys certificates) and its X25519 public key. The encryptor asks a
``RecipientPolicy`` before it writes anything; ``huren.node.bidfile.policy`` has the one over
the node's recognition index. A ``Decapsulator`` stands for the private key at opening time:
it returns ``skR * enc`` for an ephemeral point and nothing else, so a split key (device and
co-signer shares, each multiplying the point) can serve as well as a whole one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_private_key,
    load_pem_private_key,
)

from huren.node.bidfile.errors import (
    InvalidEncapsulation,
    KeyCertificateMismatch,
    NotAnEncryptionCertificate,
    UnusableKey,
)

__all__ = [
    "Decapsulator",
    "LocalX25519Decapsulator",
    "Recipient",
    "RecipientPolicy",
    "load_certificate",
]


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes; ``NotAnEncryptionCertificate`` if it is neither."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise NotAnEncryptionCertificate(f"not a certificate: {exc}") from None


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class Recipient:
    """An encryption certificate a file is encrypted to."""

    fingerprint: bytes  # SHA-256 of the certificate's DER
    public_key: bytes  # raw X25519, 32 bytes

    def __post_init__(self) -> None:
        if len(self.fingerprint) != 32 or len(self.public_key) != 32:
            raise NotAnEncryptionCertificate("fingerprint and public key must be 32 bytes")

    @classmethod
    def from_certificate(cls, certificate: x509.Certificate | bytes) -> Recipient:
        """The recipient a certificate (object, PEM or DER) names; its key must be X25519."""
        cert = load_certificate(certificate) if isinstance(certificate, bytes) else certificate
        key = cert.public_key()
        if not isinstance(key, X25519PublicKey):
            kind = type(key).__name__
            raise NotAnEncryptionCertificate(f"the certificate's key is {kind}, not X25519")
        der = cert.public_bytes(Encoding.DER)
        return cls(hashlib.sha256(der).digest(), _raw(key))


class RecipientPolicy(Protocol):
    """Whether the chosen certificates may be encrypted to for ``platform_id``: returns when
    all may, raises ``RecipientNotRecognized`` naming every refused one otherwise."""

    def check(self, fingerprints: Sequence[bytes], platform_id: str) -> None: ...


class Decapsulator(Protocol):
    """The recipient's private key as the decryptor needs it: ``dh(enc)`` is the X25519
    output ``skR * enc`` (32 bytes), however the key is held."""

    @property
    def public_key(self) -> bytes:
        """pkR, raw, 32 bytes (part of HPKE's kem_context)."""
        ...

    @property
    def certificate_fingerprint(self) -> bytes | None:
        """The certificate's fingerprint, to find its entry in the header; None: try every
        entry (one DH each, so keys that cost a round trip per DH should give it)."""
        ...

    def dh(self, enc: bytes) -> bytes: ...


class LocalX25519Decapsulator:
    """A whole X25519 private key held in this process (tests, keys that are not split)."""

    def __init__(
        self, private_key: X25519PrivateKey, certificate: x509.Certificate | bytes | None = None
    ) -> None:
        self._key = private_key
        self._public = _raw(private_key.public_key())
        self._fingerprint: bytes | None = None
        if certificate is not None:
            recipient = Recipient.from_certificate(certificate)
            if recipient.public_key != self._public:
                raise KeyCertificateMismatch("the key is not the certificate's")
            self._fingerprint = recipient.fingerprint

    @classmethod
    def from_key_bytes(
        cls,
        data: bytes,
        certificate: x509.Certificate | bytes | None = None,
        password: bytes | None = None,
    ) -> LocalX25519Decapsulator:
        """From a PKCS#8 private key, PEM or DER."""
        try:
            if data.lstrip().startswith(b"-----BEGIN"):
                key = load_pem_private_key(data, password)
            else:
                key = load_der_private_key(data, password)
        except (ValueError, TypeError) as exc:
            raise UnusableKey(f"not a usable private key: {exc}") from None
        if not isinstance(key, X25519PrivateKey):
            raise UnusableKey(f"the key is {type(key).__name__}, not X25519")
        return cls(key, certificate)

    @property
    def public_key(self) -> bytes:
        return self._public

    @property
    def certificate_fingerprint(self) -> bytes | None:
        return self._fingerprint

    def dh(self, enc: bytes) -> bytes:
        try:
            return self._key.exchange(X25519PublicKey.from_public_bytes(enc))
        except ValueError as exc:  # wrong length, or a small-order point (all-zero output)
            raise InvalidEncapsulation(f"enc unusable: {exc}") from None
