"""Enterprises and their members (see ``huren.node.enterprises``): what claims and joins
create. Personnel and authorizations come later, on top of these."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["Enterprise", "EnterpriseMember"]


class Enterprise(SQLModel, table=True):
    """An enterprise, known by its unified social credit code (GB 32100, checked)."""

    __tablename__ = "enterprises"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=128)
    uscc: str = Field(unique=True, max_length=18)
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger)


class EnterpriseMember(SQLModel, table=True):
    """An account's membership of an enterprise; ``role`` is ``admin`` (one per enterprise)
    or ``staff``."""

    __tablename__ = "enterprise_members"

    enterprise_id: str = Field(foreign_key="enterprises.id", primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="accounts.id", primary_key=True, max_length=32)
    role: str = Field(max_length=8)
    created_at: int = Field(sa_type=BigInteger)
