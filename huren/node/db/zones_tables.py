"""The zones' table (see ``huren.node.zones``): every bind and unbind statement the node took,
signed by the certificate's key, kept so that auditors can check the evidence hash the chain
records (SHA-256 of ``statement``) and the signature over it with ``public_key``.

A row is written ``pending`` once the account's SMS code is used and before the transaction
goes to the chain (record before you act), then ``recorded`` with the transaction, or
``failed`` with the chain's refusal. Rows are never deleted: the (fingerprint, nonce) pair and
the evidence hash stay taken, so a statement can be used once only.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["ZoneStatementRecord", "ZoneStatementState"]


class ZoneStatementState:
    PENDING = "pending"  # the SMS code was used; the transaction is on its way
    RECORDED = "recorded"  # mined: the chain holds the evidence hash
    FAILED = "failed"  # the chain refused it (``result`` names why)


class ZoneStatementRecord(SQLModel, table=True):
    """One signed bind or unbind statement and what became of it."""

    __tablename__ = "zone_statements"
    __table_args__ = (UniqueConstraint("fingerprint", "nonce"),)

    evidence_hash: bytes = Field(primary_key=True)  # SHA-256 of ``statement``
    fingerprint: bytes = Field(index=True)
    platform_id: str = Field(index=True, max_length=66)
    action: str = Field(max_length=8)  # bind | unbind
    account_id: str = Field(foreign_key="accounts.id", index=True, max_length=32)
    nonce: str = Field(max_length=32)
    issued_at: int = Field(sa_type=BigInteger)
    statement: bytes  # the exact bytes signed
    signature: bytes  # Ed25519, 64 bytes
    public_key: bytes  # the certificate's Ed25519 key (raw, 32 bytes) it verified under
    key_source: str = Field(max_length=16)  # pki | cosigner | presented
    state: str = Field(max_length=12)
    result: str | None = Field(default=None, max_length=64)  # the refusal's code
    received_at: int = Field(sa_type=BigInteger)
    transaction_hash: bytes | None = None
    block_number: int | None = Field(default=None, sa_type=BigInteger)
