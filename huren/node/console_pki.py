"""What a CA operator's console page shows of its CA: the CA certificates the node holds,
the CRL it serves, and the CA's latest recorded and revoked certificates from the index.

Reads only: the index in the caller's session (one snapshot), the CRL as ``CrlPublisher``
serves it (re-signed when the index's revocations changed or it aged).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func
from sqlmodel import Session, col, select

from huren.node.db.models import Certificate

__all__ = [
    "RECENT",
    "CaActivity",
    "CaCertificateInfo",
    "CrlInfo",
    "ca_activity",
    "certificate_info",
    "crl_info",
]

RECENT = 20  # latest recordings and revocations shown


@dataclass(frozen=True, slots=True)
class CaCertificateInfo:
    role: str  # "root" or "issuing"
    subject: str
    issuer: str
    serial: str
    not_before: int
    not_after: int
    sha256: str
    pem: str


def certificate_info(role: str, cert: x509.Certificate) -> CaCertificateInfo:
    der = cert.public_bytes(serialization.Encoding.DER)
    return CaCertificateInfo(
        role,
        cert.subject.rfc4514_string(),
        cert.issuer.rfc4514_string(),
        format(cert.serial_number, "x"),
        int(cert.not_valid_before_utc.timestamp()),
        int(cert.not_valid_after_utc.timestamp()),
        hashlib.sha256(der).hexdigest(),
        cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


@dataclass(frozen=True, slots=True)
class CrlInfo:
    number: int | None
    this_update: int
    next_update: int | None
    revoked: int
    size: int


def crl_info(der: bytes) -> CrlInfo:
    crl = x509.load_der_x509_crl(der)
    try:
        number: int | None = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = None
    next_update = crl.next_update_utc
    return CrlInfo(
        number,
        int(crl.last_update_utc.timestamp()),
        None if next_update is None else int(next_update.timestamp()),
        len(crl),
        len(der),
    )


@dataclass(frozen=True, slots=True)
class CaActivity:
    recorded: int
    revoked: int
    latest_recorded: list[Certificate]
    latest_revoked: list[Certificate]


def ca_activity(db: Session, ca_id: str, limit: int = RECENT) -> CaActivity:
    """Counts and the latest recordings and revocations of ``ca_id``'s certificates."""
    of_ca = col(Certificate.ca_id) == ca_id
    recorded = db.exec(select(func.count()).select_from(Certificate).where(of_ca)).one()
    revoked = db.exec(
        select(func.count())
        .select_from(Certificate)
        .where(of_ca, col(Certificate.revoked_block_number).is_not(None))
    ).one()
    latest = db.exec(
        select(Certificate)
        .where(of_ca)
        .order_by(col(Certificate.block_number).desc(), col(Certificate.log_index).desc())
        .limit(limit)
    ).all()
    latest_revoked = db.exec(
        select(Certificate)
        .where(of_ca, col(Certificate.revoked_block_number).is_not(None))
        .order_by(
            col(Certificate.revoked_block_number).desc(), col(Certificate.revoked_log_index).desc()
        )
        .limit(limit)
    ).all()
    return CaActivity(int(recorded), int(revoked), list(latest), list(latest_revoked))
