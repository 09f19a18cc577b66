"""A pyHanko signer whose raw Ed25519 signature comes from outside: the split key.

The holder's signing key never exists in one place: the phone holds one FROST share, the
co-signing service another (see DESIGN.md). pyHanko builds the CMS structure and asks its
``Signer`` for the raw signature over the DER of the signed attributes; ``SplitKeySigner``
hands exactly those bytes to a ``RawEd25519Signer`` (the two-party signing round in
production, a plain Ed25519 key in tests and the dev simulator) and gets 64 bytes back.

The returned signature is verified against the certificate's public key before pyHanko
embeds it: a faulty signing round then fails here with a typed error instead of producing a
document that looks sealed and fails every verifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from huren.node.esign.errors import InvalidSealRequest, RawSignatureInvalid

__all__ = [
    "ED25519_SIGNATURE_BYTES",
    "LocalEd25519RawSigner",
    "RawEd25519Signer",
    "SplitKeySigner",
    "to_asn1",
]

ED25519_SIGNATURE_BYTES = 64


@runtime_checkable
class RawEd25519Signer(Protocol):
    """Produces a pure Ed25519 signature (RFC 8032) over ``message``; 64 bytes.

    In production this runs a FROST round between the phone (after the holder approved with
    the PIN) and the co-signing service; it may block while the holder decides and may raise
    if they refuse or time out: the exception reaches the caller of ``seal_pdf`` unchanged.
    """

    def sign(self, message: bytes) -> bytes: ...


class LocalEd25519RawSigner:
    """A whole Ed25519 key in memory: for tests and the dev simulator only."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as pyHanko's ASN.1 library sees it (DER round trip)."""
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


class SplitKeySigner(Signer):
    """pyHanko ``Signer`` for an Ed25519 certificate whose key is split (or external).

    ``chain`` holds the intermediates (and optionally the root) embedded in the CMS so a
    verifier can build the path to its trusted root.
    """

    def __init__(
        self,
        certificate: x509.Certificate,
        raw_signer: RawEd25519Signer,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        public_key = certificate.public_key()
        if not isinstance(public_key, Ed25519PublicKey):
            raise InvalidSealRequest("the sealing certificate must carry an Ed25519 key")
        self._public_key = public_key
        self._raw_signer = raw_signer
        store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
        store.register_multiple([to_asn1(c) for c in chain])
        super().__init__(signing_cert=to_asn1(certificate), cert_registry=store)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        # Ed25519 fixes its own hash (SHA-512 inside EdDSA); pyHanko checks the CMS digest
        # algorithm agrees, so ``digest_algorithm`` needs no handling here.
        if dry_run:
            # pyHanko sizes the signature placeholder with a dry run: never bother the holder.
            return bytes(ED25519_SIGNATURE_BYTES)
        signature = self._raw_signer.sign(data)
        if len(signature) != ED25519_SIGNATURE_BYTES:
            raise RawSignatureInvalid(
                f"raw signer returned {len(signature)} bytes, not {ED25519_SIGNATURE_BYTES}"
            )
        try:
            self._public_key.verify(signature, data)
        except InvalidSignature as exc:
            raise RawSignatureInvalid(
                "raw signer's signature does not verify under the certificate's key"
            ) from exc
        return signature
