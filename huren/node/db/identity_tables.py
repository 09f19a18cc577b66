"""Tables of verified identities and pending Alipay face certifications (see
``huren.node.identity``).

No name or ID number is stored: only keyed commitments (HMAC-SHA256 under the node's
identity key, so they cannot be brute-forced from the table alone) to match them later, and
masked values to show the holder (``张*``, ``110***********002X``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.accounts_tables  # noqa: F401 - accounts first (foreign keys)

__all__ = ["AlipaySession", "Identity"]


class Identity(SQLModel, table=True):
    """An account's one verified identity; an identity (ID number) belongs to one account."""

    __tablename__ = "identities"

    account_id: str = Field(primary_key=True, foreign_key="accounts.id", max_length=32)
    id_commitment: bytes = Field(unique=True)
    name_commitment: bytes
    masked_name: str = Field(max_length=40)
    masked_id_number: str = Field(max_length=18)
    method: str = Field(max_length=12)  # cfca, alipay, bank_card
    provider_reference: str = Field(max_length=64)
    verified_at: int = Field(sa_type=BigInteger)


class AlipaySession(SQLModel, table=True):
    """A face certification started at Alipay, waiting for the holder to finish it."""

    __tablename__ = "alipay_sessions"

    certify_id: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="accounts.id", index=True, max_length=32)
    id_commitment: bytes
    name_commitment: bytes
    masked_name: str = Field(max_length=40)
    masked_id_number: str = Field(max_length=18)
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    completed_at: int | None = Field(default=None, sa_type=BigInteger)
