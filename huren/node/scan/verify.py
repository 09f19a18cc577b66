"""Checks on an approval: the certificate is the one fingerprinted and carries an Ed25519 key,
its subject is the bound enterprise, and the signature verifies."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID

from huren.node.scan.errors import BindMismatch, CertificateInvalid, SignatureInvalid

USCC_PREFIX = "NTRCN-"  # ETSI EN 319 412-1 organizationIdentifier, as huren's PKI writes it


def load_certificate(der: bytes, fingerprint: bytes | None) -> x509.Certificate:
    if fingerprint is not None and hashlib.sha256(der).digest() != fingerprint:
        raise CertificateInvalid("the certificate is not the one with this fingerprint")
    try:
        certificate = x509.load_der_x509_certificate(der)
        key = certificate.public_key()
    except ValueError as error:
        raise CertificateInvalid("the certificate is not DER X.509") from error
    if not isinstance(key, Ed25519PublicKey):
        raise CertificateInvalid("the certificate does not carry an Ed25519 signing key")
    return certificate


def verify_signature(certificate: x509.Certificate, message: bytes, signature: bytes) -> None:
    key = certificate.public_key()
    assert isinstance(key, Ed25519PublicKey)  # load_certificate checked it
    try:
        key.verify(signature, message)
    except InvalidSignature:
        raise SignatureInvalid("the signature does not verify over what was asked") from None


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if len(values) == 1 else None


def check_bind(certificate: x509.Certificate, name: str | None, uscc: str | None) -> None:
    """The business system's bound enterprise must be the certificate's: its O and its
    organizationIdentifier (``NTRCN-`` + USCC) must both match."""
    if name is None and uscc is None:
        return
    subject = certificate.subject
    organization = _attribute(subject, NameOID.ORGANIZATION_NAME)
    identifier = _attribute(subject, NameOID.ORGANIZATION_IDENTIFIER)
    cert_uscc = identifier[len(USCC_PREFIX) :] if identifier else None
    if (name is not None and organization != name) or (uscc is not None and cert_uscc != uscc):
        raise BindMismatch(
            "the certificate's enterprise (name and USCC) is not the one this system is bound to"
        )
