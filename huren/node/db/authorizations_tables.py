"""Personnel and authorizations of enterprises (see ``huren.node.enterprises.personnel``,
``.authorizations`` and ``.letters``): the sealed letters the admins signed (each nonce
accepted once), invitations, and the authorization requests with their CA review and chain
transactions. The chain's own authorization records are the index's ``authorizations``."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, LargeBinary, SmallInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["AuthorizationRequest", "EnterpriseInvitation", "SealedLetterRecord"]


class SealedLetterRecord(SQLModel, table=True):
    """An accepted sealed letter (授权书): the canonical statement, its Ed25519 signature and
    the enterprise certificate that signed it. The nonce is the primary key, so a letter is
    accepted once (a replay is refused)."""

    __tablename__ = "sealed_letters"

    nonce: bytes = Field(primary_key=True)
    enterprise_id: str = Field(foreign_key="enterprises.id", index=True, max_length=32)
    account_id: str = Field(foreign_key="accounts.id", max_length=32)  # the admin who sealed
    kind: str = Field(max_length=32)
    subject: str = Field(max_length=200)
    statement: bytes = Field(sa_type=LargeBinary)
    signature: bytes
    certificate_fingerprint: bytes
    accepted_at: int = Field(sa_type=BigInteger)


class EnterpriseInvitation(SQLModel, table=True):
    """An invitation by name and phone (新增人员); accepted once an account with that phone
    is a member (its join was approved)."""

    __tablename__ = "enterprise_invitations"
    __table_args__ = (
        Index("ix_enterprise_invitations_enterprise_phone", "enterprise_id", "phone"),
    )

    id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=32)
    name: str = Field(max_length=64)
    phone: str = Field(max_length=11)
    invited_by: str = Field(foreign_key="accounts.id", max_length=32)
    created_at: int = Field(sa_type=BigInteger)
    sms_sent_at: int | None = Field(default=None, sa_type=BigInteger)


class AuthorizationRequest(SQLModel, table=True):
    """One authorization of a staff member's certificate pair at one platform (授权): the
    admin's sealed letter asks, the staff certificate's CA reviews, the CA's operator records
    it on chain. ``state`` is an ``AuthorizationState`` value; ``rights`` the ``Right``
    bitmask; the signing certificate gets the login/sign/seal rights, its encryption partner
    the encrypt/decrypt ones."""

    __tablename__ = "authorization_requests"
    __table_args__ = (
        Index("ix_authorization_requests_ca_state", "ca_id", "state"),
        Index("ix_authorization_requests_enterprise_state", "enterprise_id", "state"),
    )

    id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str = Field(foreign_key="enterprises.id", max_length=32)
    staff_account_id: str = Field(foreign_key="accounts.id", index=True, max_length=32)
    staff_fingerprint: bytes  # the signing certificate
    encryption_fingerprint: bytes | None = None  # its partner
    platform_id: str = Field(max_length=66)
    rights: int = Field(sa_type=SmallInteger)
    ca_id: str = Field(max_length=66)  # the CA that issued the staff certificate
    enterprise_fingerprint: bytes  # the enterprise certificate that sealed the letter
    letter_nonce: bytes = Field(foreign_key="sealed_letters.nonce")
    state: str = Field(max_length=16)
    requested_by: str = Field(foreign_key="accounts.id", max_length=32)
    reviewed_by: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=500)
    grant_transactions: str | None = Field(default=None, max_length=200)  # hex, comma-separated
    revoke_transactions: str | None = Field(default=None, max_length=200)
    revoked_by: str | None = Field(default=None, max_length=200)
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger)
