"""Recovery of split-key certificates (证书找回 on a new phone; see docs/applications.md and
docs/cosigner.md, *Recovery*).

``key_recoveries`` is the split-key side of a ``recovery`` application: what the holder
acknowledged (the policy's version and digest), how the identity was verified again (method,
provider reference, time; no name or ID number), the one-time recovery ticket (its SHA-256
only) and how the reshare ended. ``key_recovery_keys`` names the enrolments (the signing key
and, optionally, its encryption partner) the recovery reshares, with their epochs.
``cosigner_recovery_shares`` keeps the recovery holder's share after a reshare, sealed to the
offline recovery key (before the first reshare it is in the enrolment's envelope).
Times are unix seconds.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.applications_tables
import huren.node.db.cosigner_tables  # noqa: F401

__all__ = ["KeyRecovery", "KeyRecoveryKey", "RecoveryShare"]


class KeyRecovery(SQLModel, table=True):
    """A recovery application's split-key mode: policy, identity, ticket, outcome."""

    __tablename__ = "key_recoveries"

    application_id: str = Field(primary_key=True, foreign_key="applications.id", max_length=32)
    account_id: str = Field(foreign_key="accounts.id", index=True, max_length=32)
    holder: str = Field(max_length=200)  # the co-signer's holder reference of the keys
    policy_version: str = Field(max_length=16)
    policy_sha256: bytes
    acknowledged_at: int = Field(sa_type=BigInteger)
    identity_method: str = Field(max_length=12)
    identity_reference: str = Field(max_length=64)
    identity_verified_at: int = Field(sa_type=BigInteger)
    ticket_sha256: bytes | None = None
    ticket_expires_at: int | None = Field(default=None, sa_type=BigInteger)
    old_device_id: str = Field(max_length=32)
    new_device_id: str | None = Field(default=None, max_length=32)
    completed_at: int | None = Field(default=None, sa_type=BigInteger)
    created_at: int = Field(sa_type=BigInteger)


class KeyRecoveryKey(SQLModel, table=True):
    """One enrolment a recovery reshares (``new_epoch`` once done)."""

    __tablename__ = "key_recovery_keys"

    application_id: str = Field(
        primary_key=True, foreign_key="key_recoveries.application_id", max_length=32
    )
    enrolment_id: str = Field(
        primary_key=True, foreign_key="cosigner_enrolments.enrolment_id", index=True, max_length=32
    )
    fingerprint: bytes
    purpose: str = Field(max_length=16)
    old_epoch: int = Field(sa_type=BigInteger)
    new_epoch: int | None = Field(default=None, sa_type=BigInteger)


class RecoveryShare(SQLModel, table=True):
    """The recovery holder's share of an enrolment after a reshare: its ``KeyPackage``
    sealed to the recovery public key (``keysplit.sealing.seal_key_package``)."""

    __tablename__ = "cosigner_recovery_shares"

    enrolment_id: str = Field(
        primary_key=True, foreign_key="cosigner_enrolments.enrolment_id", max_length=32
    )
    epoch: int = Field(sa_type=BigInteger)
    sealed_key_package: bytes
    updated_at: int = Field(sa_type=BigInteger)
