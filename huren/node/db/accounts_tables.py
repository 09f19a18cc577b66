"""Tables of accounts, their SMS codes and refresh tokens, and rate-limit hits (see
``huren.node.accounts``).

Secrets are never stored in the clear: passwords and certificate passwords as argon2id
hashes, SMS codes as HMAC digests under the node's account secret (a 6-digit code's plain
hash would fall to 10^6 guesses). Phones are stored in full: they are the login name and
where codes go.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["Account", "RateLimitHit", "RefreshToken", "SmsCode"]


class Account(SQLModel, table=True):
    """A person's account, found by phone (the login name) or WeChat openid.
    ``token_version`` moves on a password or phone change: access tokens of an older
    version no longer authenticate."""

    __tablename__ = "accounts"

    id: str = Field(primary_key=True, max_length=32)
    phone: str = Field(unique=True, max_length=20)
    password_hash: str | None = Field(default=None, max_length=200)
    certificate_password_hash: str | None = Field(default=None, max_length=200)
    wechat_openid: str | None = Field(default=None, unique=True, max_length=64)
    token_version: int = 0
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger)


class SmsCode(SQLModel, table=True):
    """A verification code sent to ``phone`` for one ``purpose``; only the newest of a phone
    and purpose counts. Dead once consumed, expired or tried too often."""

    __tablename__ = "sms_codes"
    __table_args__ = (Index("ix_sms_codes_phone_purpose", "phone", "purpose", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20)
    purpose: str = Field(max_length=24)
    code_digest: bytes
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    attempts: int = 0
    consumed_at: int | None = Field(default=None, sa_type=BigInteger)


class RefreshToken(SQLModel, table=True):
    """One refresh token (a JWT whose ``jti`` is the key). Refreshing marks it ``used_at``
    and issues the next of its ``family_id``; presenting a used one again revokes the
    family (it was stolen, or the client replays)."""

    __tablename__ = "refresh_tokens"

    jti: str = Field(primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="accounts.id", index=True, max_length=32)
    family_id: str = Field(index=True, max_length=32)
    issued_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    used_at: int | None = Field(default=None, sa_type=BigInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)


class RateLimitHit(SQLModel, table=True):
    """One counted event under a rate-limit ``key`` (e.g. ``sms:phone:138...``)."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    at: int = Field(sa_type=BigInteger)
