"""What node services may read about enrolled keys, and nothing secret: for the PKI side
of issuance (the certificate applications) the public key a certificate must carry, the
holder, the purpose, and the certificates already bound. It never opens a share or an
unwrap secret (those columns are not even loaded), so the applications can ask without
crossing into the co-signer's security context.

An enrolment exists here only once both enrolment rounds have finished (the co-signer keeps
a started one in memory only), so "not found" covers unknown and unfinished alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from huren.node.cosigner.enrolment import certificate_public_key
from huren.node.db.cosigner_tables import CosignerCertificate, CosignerDevice, CosignerEnrolment
from huren.node.keysplit.keys import PublicKeyPackage

__all__ = ["EnrolledKey", "enrolled_key", "enrolment_of_certificate", "holder_of_account"]


def holder_of_account(account_id: str) -> str:
    """The co-signer's holder reference for a node account (what its tickets carry)."""
    return f"account:{account_id}"


@dataclass(frozen=True, slots=True)
class EnrolledKey:
    enrolment_id: str
    purpose: str  # signing | encryption
    holder: str
    device_revoked: bool
    certificate_key: bytes  # raw: the Ed25519 group key, or the X25519 u(Y)
    bound: tuple[bytes, ...]  # fingerprints of the certificates bound to it


def enrolled_key(
    session: Session, enrolment_id: str, *, for_update: bool = False
) -> EnrolledKey | None:
    """The finished enrolment ``enrolment_id``, its public side only; None if there is none
    (unknown, or its enrolment not finished). ``for_update`` locks the enrolment's row until
    the transaction ends (PostgreSQL; SQLite's write transactions are serial anyway), so
    two transactions binding certificates to it take turns."""
    query = (
        select(
            CosignerEnrolment.purpose,
            CosignerEnrolment.holder,
            CosignerEnrolment.public_package,
            CosignerDevice.revoked_at,
        )
        .join(CosignerDevice, col(CosignerDevice.device_id) == col(CosignerEnrolment.device_id))
        .where(col(CosignerEnrolment.enrolment_id) == enrolment_id)
    )
    if for_update:
        query = query.with_for_update(of=CosignerEnrolment)
    row = session.exec(query).first()
    if row is None:
        return None
    purpose, holder, package, revoked_at = row
    bound = session.exec(
        select(CosignerCertificate.fingerprint).where(
            col(CosignerCertificate.enrolment_id) == enrolment_id
        )
    ).all()
    return EnrolledKey(
        enrolment_id=enrolment_id,
        purpose=purpose,
        holder=holder,
        device_revoked=revoked_at is not None,
        certificate_key=certificate_public_key(purpose, PublicKeyPackage.from_bytes(package)),
        bound=tuple(sorted(bytes(f) for f in bound)),
    )


def enrolment_of_certificate(session: Session, fingerprint: bytes) -> str | None:
    """The enrolment a certificate is bound to, if any."""
    row = session.get(CosignerCertificate, fingerprint)
    return None if row is None else row.enrolment_id
