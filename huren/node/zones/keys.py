"""The certificate's Ed25519 public key, which a zone statement's signature must verify
under: from the certificate itself when the holder presents it (its SHA-256 must be the
fingerprint), else from what this node knows: the DER its PKI issued, or the group key of
the co-signer enrolment the certificate was bound to (the co-signer checked, when binding,
that the certificate carries that key)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import Session, col, select

from huren.node.db.cosigner_tables import CosignerCertificate, CosignerEnrolment
from huren.node.db.pki_tables import PkiIssuedCertificate
from huren.node.zones.errors import CertificateKeyUnavailable, CertificateMismatch

__all__ = ["CertificateKey", "certificate_key"]

KeySource = Literal["presented", "pki", "cosigner"]


@dataclass(frozen=True, slots=True)
class CertificateKey:
    public_key: bytes  # raw Ed25519, 32 bytes
    source: KeySource


def _ed25519_of_der(der: bytes) -> bytes:
    try:
        key = x509.load_der_x509_certificate(der).public_key()
    except ValueError:
        raise CertificateMismatch("the certificate is not DER X.509") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CertificateMismatch("the certificate carries no Ed25519 key: it cannot sign")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def certificate_key(
    session: Session, fingerprint: bytes, presented_der: bytes | None = None
) -> CertificateKey:
    """The key, or ``CertificateMismatch`` / ``CertificateKeyUnavailable``."""
    if presented_der is not None:
        if hashlib.sha256(presented_der).digest() != fingerprint:
            raise CertificateMismatch("the presented certificate is not the statement's")
        return CertificateKey(_ed25519_of_der(presented_der), "presented")
    issued = session.exec(
        select(PkiIssuedCertificate).where(col(PkiIssuedCertificate.fingerprint) == fingerprint)
    ).first()
    if issued is not None and issued.der is not None:
        return CertificateKey(_ed25519_of_der(issued.der), "pki")
    bound = session.get(CosignerCertificate, fingerprint)
    if bound is not None:
        enrolment = session.get(CosignerEnrolment, bound.enrolment_id)
        if enrolment is not None and enrolment.purpose == "signing":
            return CertificateKey(bytes(enrolment.group_public_key), "cosigner")
        raise CertificateMismatch("the certificate is an encryption certificate: it cannot sign")
    raise CertificateKeyUnavailable(
        "this node knows no key for the certificate: present the certificate (DER)"
    )
