"""The node's platform directory (see ``huren.node.platforms``): where each trading platform
is (for 选择平台: the nearest platform to the phone) and which one is the alliance's
(长三角 CA 互认平台, selectable everywhere), and each account's chosen platform.

The chain knows platforms by id, center, name and whether they are active; the location is
the center operator's own knowledge and stays off chain. Nothing references the index's
``platforms`` by foreign key (the index rebuilds its rows on its own).
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["AccountPlatform", "PlatformProfile"]


class PlatformProfile(SQLModel, table=True):
    """A platform's WGS 84 location (degrees; both or neither) and the alliance flag."""

    __tablename__ = "platform_profiles"

    platform_id: str = Field(primary_key=True, max_length=66)
    latitude: float | None = None
    longitude: float | None = None
    alliance: bool = False
    updated_at: int = Field(sa_type=BigInteger)
    updated_by: str = Field(max_length=64)


class AccountPlatform(SQLModel, table=True):
    """The platform an account switched to by hand (切换)."""

    __tablename__ = "account_platforms"

    account_id: str = Field(foreign_key="accounts.id", primary_key=True, max_length=32)
    platform_id: str = Field(max_length=66)
    chosen_at: int = Field(sa_type=BigInteger)
