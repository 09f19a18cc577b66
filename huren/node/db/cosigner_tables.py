"""The co-signer's tables (see ``huren.node.cosigner``).

Secrets are stored only encrypted (``sealed_share``, ``sealed_unwrap``: AES-256-GCM under
the node's key-encryption key, bound to the enrolment); tickets only as SHA-256 digests.
``cosigner_operations`` is append-only: one row per operation or refusal, for traceability.
Times are unix seconds.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = [
    "CosignerCertificate",
    "CosignerDevice",
    "CosignerEnrolment",
    "CosignerOperation",
    "CosignerRequestNonce",
    "CosignerTicket",
]

HOLDER_LEN = 200


class CosignerDevice(SQLModel, table=True):
    """A phone's device key (Ed25519, not a key share): it signs every request."""

    __tablename__ = "cosigner_devices"

    device_id: str = Field(primary_key=True, max_length=32)
    public_key: bytes = Field(unique=True)
    holder: str = Field(index=True, max_length=HOLDER_LEN)
    label: str = Field(default="", max_length=200)
    created_at: int = Field(sa_type=BigInteger)
    last_seen_at: int = Field(sa_type=BigInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)


class CosignerTicket(SQLModel, table=True):
    """A one-time enrolment ticket for one holder (only its SHA-256 is kept)."""

    __tablename__ = "cosigner_tickets"

    ticket_id: str = Field(primary_key=True, max_length=32)
    secret_sha256: bytes
    holder: str = Field(index=True, max_length=HOLDER_LEN)
    recovery_public_key: bytes
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    used_at: int | None = Field(default=None, sa_type=BigInteger)
    enrolment_id: str | None = Field(default=None, max_length=32)


class CosignerEnrolment(SQLModel, table=True):
    """One split key: the co-signer's share (encrypted), the PIN proof key, the lock."""

    __tablename__ = "cosigner_enrolments"

    enrolment_id: str = Field(primary_key=True, max_length=32)
    device_id: str = Field(foreign_key="cosigner_devices.device_id", index=True, max_length=32)
    holder: str = Field(index=True, max_length=HOLDER_LEN)
    purpose: str = Field(max_length=16)  # signing | encryption
    ticket_id: str = Field(max_length=32)
    group_public_key: bytes = Field(unique=True)
    epoch: int = Field(sa_type=BigInteger)
    public_package: bytes
    sealed_share: bytes
    sealed_unwrap: bytes
    pin_public_key: bytes
    pin_failures: int = 0
    locked_at: int | None = Field(default=None, sa_type=BigInteger)
    recovery_envelope: bytes
    created_at: int = Field(sa_type=BigInteger)


class CosignerCertificate(SQLModel, table=True):
    """A certificate issued for an enrolment's group key: it may act with that key."""

    __tablename__ = "cosigner_certificates"

    fingerprint: bytes = Field(primary_key=True)
    enrolment_id: str = Field(
        foreign_key="cosigner_enrolments.enrolment_id", index=True, max_length=32
    )
    bound_at: int = Field(sa_type=BigInteger)


class CosignerRequestNonce(SQLModel, table=True):
    """Nonces of signed requests seen recently (kept past the clock-skew window)."""

    __tablename__ = "cosigner_request_nonces"

    device_id: str = Field(primary_key=True, max_length=32)
    nonce: str = Field(primary_key=True, max_length=64)
    expires_at: int = Field(index=True, sa_type=BigInteger)


class CosignerOperation(SQLModel, table=True):
    """Who did what with which key, at which platform, when, and how it ended."""

    __tablename__ = "cosigner_operations"

    id: int | None = Field(default=None, primary_key=True)
    at: int = Field(index=True, sa_type=BigInteger)
    operation: str = Field(max_length=32)
    result: str = Field(max_length=64)  # "ok" or the refusal's code
    holder: str | None = Field(default=None, index=True, max_length=HOLDER_LEN)
    device_id: str | None = Field(default=None, max_length=32)
    enrolment_id: str | None = Field(default=None, index=True, max_length=32)
    fingerprint: bytes | None = None
    platform_id: str | None = Field(default=None, max_length=66)
    action: str | None = Field(default=None, max_length=16)
    digest: bytes | None = None  # the message signed, or SHA-256 of the decryption request
    detail: str = Field(default="", max_length=500)
