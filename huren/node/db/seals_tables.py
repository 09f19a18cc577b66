"""The table of seal records (see ``huren.node.seals.records``).

``slot`` enforces the per-owner, per-kind limit in the database itself: a record takes a
slot 0..limit-1 and (owner, kind, slot) is unique, so two concurrent adds that both saw a
free slot cannot both commit. The image is stored as its PNG bytes with their SHA-256.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, LargeBinary, SmallInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["SealRow"]


class SealRow(SQLModel, table=True):
    __tablename__ = "seals"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id", "kind", "slot"),)

    seal_id: str = Field(primary_key=True, max_length=64)
    owner_kind: str = Field(max_length=16)
    owner_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=40)
    slot: int = Field(sa_type=SmallInteger)
    source: str = Field(max_length=16)
    label: str = Field(default="", max_length=40)
    image_png: bytes = Field(sa_type=LargeBinary)
    image_sha256: str = Field(max_length=64)
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger)
