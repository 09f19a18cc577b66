"""The table of platform API keys (see ``huren.node.platform_keys``).

Only the SHA-256 of each key is stored: a key is 256 random bits, so a plain hash is as hard
to invert as the key is to guess (no salt or slow hash needed, unlike passwords). ``key_id``
is the public part of the key, printed in lists and logs and used to find the row.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["PlatformApiKey"]


class PlatformApiKey(SQLModel, table=True):
    """An API key a center issued to one of its platforms; ``revoked_at`` null while valid."""

    __tablename__ = "platform_api_keys"

    key_id: str = Field(primary_key=True, max_length=32)
    platform_id: str = Field(index=True, max_length=66)
    label: str = Field(default="", max_length=200)
    secret_sha256: bytes
    created_at: int = Field(sa_type=BigInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)
