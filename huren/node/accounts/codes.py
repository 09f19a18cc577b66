"""SMS verification codes: 6 random digits, valid ``CODE_TTL_S`` seconds, single use, at most
``MAX_TRIES`` wrong tries; only the newest code of a phone and purpose counts.

A code is stored as HMAC-SHA256 under a key derived from the node's account secret, bound to
its phone and purpose. Functions take a ``Session`` and never commit.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets

from sqlalchemy import update
from sqlmodel import Session, col, select

from huren.node.accounts.errors import (
    AccountError,
    CodeExpired,
    CodeNotRequested,
    CodeTriesExhausted,
    WrongCode,
)
from huren.node.db.accounts_tables import SmsCode

__all__ = ["CODE_TTL_S", "MAX_TRIES", "Purpose", "consume", "create"]

CODE_TTL_S = 300
MAX_TRIES = 5
CODE_DIGITS = 6


class Purpose(enum.Enum):
    """What a code is for: a code sent for one purpose never serves another."""

    LOGIN = "login"  # log in or register by phone; also binds a phone to a WeChat login
    RESET_PASSWORD = "reset_password"
    CHANGE_PHONE = "change_phone"  # sent to the new number
    CERTIFICATE_PASSWORD = "certificate_password"
    BIND_BANK_CARD = "bind_bank_card"  # sent to the card's reserved phone (billing)
    BIND_ZONE = "bind_zone"  # the account's phone (huren.node.zones)
    UNBIND_ZONE = "unbind_zone"

    @property
    def label(self) -> str:
        return {
            Purpose.LOGIN: "登录",
            Purpose.RESET_PASSWORD: "重置登录密码",
            Purpose.CHANGE_PHONE: "更换手机号",
            Purpose.CERTIFICATE_PASSWORD: "修改证书密码",
            Purpose.BIND_BANK_CARD: "绑定银行卡",
            Purpose.BIND_ZONE: "绑定专区",
            Purpose.UNBIND_ZONE: "解绑专区",
        }[self]


def _digest(key: bytes, phone: str, purpose: Purpose, code: str) -> bytes:
    return hmac.new(key, f"{phone}|{purpose.value}|{code}".encode(), hashlib.sha256).digest()


def create(session: Session, key: bytes, phone: str, purpose: Purpose, now: int) -> tuple[str, int]:
    """A new code for ``phone`` and ``purpose`` and its row id (recorded; the caller sends
    it)."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = SmsCode(
        phone=phone,
        purpose=purpose.value,
        code_digest=_digest(key, phone, purpose, code),
        created_at=now,
        expires_at=now + CODE_TTL_S,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return code, row.id


def consume(
    session: Session, key: bytes, phone: str, purpose: Purpose, code: str, now: int
) -> AccountError | None:
    """Use the newest code of ``phone`` and ``purpose``: None when ``code`` is it (now
    consumed). A wrong code counts a try and is *returned*, not raised, so that the caller
    commits the count before raising it; a missing, used, expired or exhausted code raises."""
    row = session.exec(
        select(SmsCode)
        .where(col(SmsCode.phone) == phone, col(SmsCode.purpose) == purpose.value)
        .order_by(col(SmsCode.id).desc())
        .limit(1)
    ).first()
    if row is None or row.consumed_at is not None:
        raise CodeNotRequested(f"no unused code was sent to this phone to {purpose.label}")
    if now >= row.expires_at:
        raise CodeExpired("the verification code expired; ask for a new one")
    if row.attempts >= MAX_TRIES:
        raise CodeTriesExhausted("the verification code was tried too often; ask for a new one")
    # Conditional UPDATEs, not read-modify-write: two requests racing with one code (on
    # PostgreSQL's READ COMMITTED) neither both consume it nor lose a counted try.
    live = (
        col(SmsCode.id) == row.id,
        col(SmsCode.consumed_at).is_(None),
        col(SmsCode.attempts) < MAX_TRIES,
    )
    if hmac.compare_digest(_digest(key, phone, purpose, code), row.code_digest):
        used = session.connection().execute(update(SmsCode).where(*live).values(consumed_at=now))
        if used.rowcount != 1:
            raise CodeNotRequested("the verification code was used meanwhile")
        return None
    counted = (
        session.connection()
        .execute(
            update(SmsCode)
            .where(*live)
            .values(attempts=col(SmsCode.attempts) + 1)
            .returning(col(SmsCode.attempts))
        )
        .first()
    )
    if counted is None:
        raise CodeTriesExhausted("the verification code was tried too often; ask for a new one")
    return WrongCode(MAX_TRIES - int(counted[0]))
