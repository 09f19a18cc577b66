"""Certificate applications (申领), their attachments and audit trail, and the certificates
they gave their holders (see ``huren.node.applications``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, LargeBinary
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["Application", "ApplicationAttachment", "ApplicationTransition", "HeldCertificate"]


class Application(SQLModel, table=True):
    """One application: ``kind`` and ``state`` are ``ApplicationKind``/``ApplicationState``
    values. The subject (enterprise name, USCC, person) is what the certificate will name;
    the person's ID number was checked against the account's verified identity and is not
    stored. ``holder`` is the salted commitment the chain records."""

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_ca_state", "ca_id", "state"),)

    id: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="accounts.id", index=True, max_length=32)
    kind: str = Field(max_length=32)
    state: str = Field(max_length=16)
    ca_id: str = Field(max_length=66)
    platform_id: str = Field(max_length=66)
    center: str = Field(max_length=42)  # the platform's member center (address)
    validity_years: int
    fee_fen: int = Field(sa_type=BigInteger)
    enterprise_id: str | None = Field(default=None, max_length=32)
    enterprise_name: str | None = Field(default=None, max_length=128)
    uscc: str | None = Field(default=None, max_length=18)
    person_name: str | None = Field(default=None, max_length=128)
    certificate_kind: int | None = None  # CertificateKind; None: no certificate
    transferee_id: str | None = Field(default=None, max_length=32)  # admin transfer: to whom
    predecessor: bytes | None = None  # the signing certificate replaced or renewed
    holder: bytes
    reason: str | None = Field(default=None, max_length=500)  # the last rejection's
    reviewed_by: str | None = Field(default=None, max_length=200)
    signing_fingerprint: bytes | None = None
    encryption_fingerprint: bytes | None = None
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger)


class ApplicationAttachment(SQLModel, table=True):
    """An uploaded attachment (one per application and kind; a new upload replaces it)."""

    __tablename__ = "application_attachments"

    application_id: str = Field(foreign_key="applications.id", primary_key=True, max_length=32)
    kind: str = Field(primary_key=True, max_length=32)
    media_type: str = Field(max_length=40)
    sha256: bytes
    size: int
    data: bytes = Field(sa_type=LargeBinary)
    uploaded_at: int = Field(sa_type=BigInteger)


class ApplicationTransition(SQLModel, table=True):
    """The audit trail: every state change, who made it and why."""

    __tablename__ = "application_transitions"

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(foreign_key="applications.id", index=True, max_length=32)
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    action: str = Field(max_length=24)
    actor: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=500)
    at: int = Field(sa_type=BigInteger)


class HeldCertificate(SQLModel, table=True):
    """A certificate an application gave its holder (committed on chain); ``usage`` is
    ``KeyUsage``; ``partner`` is the other certificate of the signing/encryption pair."""

    __tablename__ = "held_certificates"

    fingerprint: bytes = Field(primary_key=True)
    account_id: str = Field(foreign_key="accounts.id", index=True, max_length=32)
    application_id: str = Field(foreign_key="applications.id", index=True, max_length=32)
    ca_id: str = Field(max_length=66)
    usage: int
    partner: bytes
    name: str = Field(max_length=260)  # what the holder's list shows
    not_before: int = Field(sa_type=BigInteger)
    not_after: int = Field(sa_type=BigInteger)
    replaced_by: bytes | None = None
