"""Enrolment: the key-generation rounds with the device, and what node services call around
it: binding an issued certificate to the enrolment, and unlocking a locked key once the
holder's identity has been verified again.

Two HTTP rounds (see docs/cosigner.md): ``start`` checks the ticket, makes the DKG
parameters (a fresh session id and the ticket's recovery key) and the co-signer's round-one
commitment; ``finish`` takes the device's commitment, its secret share for the co-signer and
its share sealed to the recovery key, and the PIN proof key, and answers with the
co-signer's secret share for the device. The co-signer keeps its participant in memory
between the two rounds (a restart between them makes the device start again; the ticket is
used only when ``finish`` succeeds).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import Session, col, select

from huren.node.cosigner.errors import (
    CertificateMismatch,
    EnrolmentState,
    InvalidRequest,
    UnknownEnrolment,
)
from huren.node.cosigner.records import OK, OperationRecord
from huren.node.db.cosigner_tables import CosignerCertificate, CosignerEnrolment
from huren.node.keysplit.decrypt import x25519_public_key
from huren.node.keysplit.dkg import DkgCommitment, DkgParticipant
from huren.node.keysplit.keys import PublicKeyPackage

SIGNING = "signing"
ENCRYPTION = "encryption"
PURPOSES = (SIGNING, ENCRYPTION)


@dataclass
class PendingEnrolment:
    """Between the two enrolment rounds: the co-signer's DKG participant and what it was
    started with."""

    enrolment_id: str
    participant: DkgParticipant
    commitment: DkgCommitment
    device_id: str
    device_public_key: bytes
    device_label: str
    holder: str
    purpose: str
    ticket_id: str
    expires_at: int


def certificate_public_key(purpose: str, public: PublicKeyPackage) -> bytes:
    """The raw public key a certificate for this enrolment must carry."""
    if purpose == SIGNING:
        return bytes(public.group_public_key)
    return x25519_public_key(public)


def bind_certificate(
    session: Session, enrolment_id: str, certificate_der: bytes, *, now: int
) -> bytes:
    """Bind an issued certificate to the enrolment whose group key it carries (the PKI calls
    this when it issues one); returns its fingerprint, SHA-256 of the DER. From then on the
    device may act with the key under this certificate, where it is recognized."""
    # Only the public columns: node services outside the co-signer call this (the
    # applications' download), and the sealed share has no business in their transaction.
    found = session.exec(
        select(
            CosignerEnrolment.purpose,
            CosignerEnrolment.public_package,
            CosignerEnrolment.holder,
            CosignerEnrolment.device_id,
        ).where(col(CosignerEnrolment.enrolment_id) == enrolment_id)
    ).first()
    if found is None:
        raise UnknownEnrolment("no such enrolment")
    purpose, public_package, holder, device_id = found
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
        key = certificate.public_key()
    except ValueError as error:
        raise InvalidRequest("not a DER X.509 certificate") from error
    if not isinstance(key, Ed25519PublicKey | X25519PublicKey):
        raise CertificateMismatch("the certificate's key is neither Ed25519 nor X25519")
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    expected = certificate_public_key(purpose, PublicKeyPackage.from_bytes(public_package))
    if raw != expected:
        raise CertificateMismatch("the certificate does not carry this enrolment's key")
    fingerprint = hashlib.sha256(certificate_der).digest()
    existing = session.get(CosignerCertificate, fingerprint)
    if existing is None:
        session.add(
            CosignerCertificate(fingerprint=fingerprint, enrolment_id=enrolment_id, bound_at=now)
        )
        OperationRecord(
            "bind_certificate",
            holder=holder,
            device_id=device_id,
            enrolment_id=enrolment_id,
            fingerprint=fingerprint,
        ).write(session, at=now, result=OK)
    return fingerprint


def unlock(session: Session, enrolment_id: str, *, verified_by: str, now: int) -> None:
    """Clear the PIN lock after the holder's identity was verified again (the identity
    service calls this; ``verified_by`` names how, for the record)."""
    enrolment = session.get(CosignerEnrolment, enrolment_id, with_for_update=True)
    if enrolment is None:
        raise UnknownEnrolment("no such enrolment")
    if enrolment.locked_at is None and enrolment.pin_failures == 0:
        raise EnrolmentState("the key is not locked")
    enrolment.locked_at = None
    enrolment.pin_failures = 0
    session.add(enrolment)
    OperationRecord(
        "unlock",
        holder=enrolment.holder,
        device_id=enrolment.device_id,
        enrolment_id=enrolment_id,
        detail=f"identity verified by {verified_by}",
    ).write(session, at=now, result=OK)
