"""The co-signer's signing sessions (会话签章, see ``huren.node.cosigner.sessions``): for one
key, certificate and platform, signing rounds go without a PIN proof until the session ends
or expires. Times are unix seconds."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["CosignerSigningSession"]


class CosignerSigningSession(SQLModel, table=True):
    __tablename__ = "cosigner_signing_sessions"

    session_id: str = Field(primary_key=True, max_length=32)
    device_id: str = Field(index=True, max_length=32)
    holder: str = Field(max_length=200)
    enrolment_id: str = Field(max_length=32)
    fingerprint: bytes = Field(index=True)
    platform_id: str = Field(max_length=66)
    auto_confirm: bool = False
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    ended_at: int | None = Field(default=None, sa_type=BigInteger)
