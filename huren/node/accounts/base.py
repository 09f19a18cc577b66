"""The accounts service's foundation: its policy and result types, and the helpers its flows
share (token issue and revocation, code use, password checks, account lookups).

``Committed`` and ``committing`` let a flow count a wrong code or password and commit that
count before raising the error.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from huren.node.accounts import codes, ratelimit
from huren.node.accounts.codes import Purpose
from huren.node.accounts.errors import AccountError, AccountNotFound, PhoneTaken, WrongPassword
from huren.node.accounts.keys import derive_key
from huren.node.accounts.ratelimit import Limit
from huren.node.accounts.tokens import ACCESS_TTL_S, REFRESH_TTL_S, TokenCodec, TokenPair, new_id
from huren.node.audit.oplog import Operation, OperationLog, OperationRecord
from huren.node.db.accounts_tables import Account, RefreshToken
from huren.node.db.engine import write_session
from huren.node.ports import Ports

__all__ = [
    "AccountBase",
    "AccountInfo",
    "CodeSent",
    "Committed",
    "Login",
    "Policy",
    "WeChatBindNeeded",
    "committing",
]

Clock = Callable[[], float]

SMS_PER_PHONE_MINUTE = Limit(1, 60, "codes to one phone")
SMS_PER_PHONE_DAY = Limit(10, 86_400, "codes to one phone")
SMS_PER_CLIENT_HOUR = Limit(20, 3_600, "codes from one client address")
PASSWORD_FAILURES_PER_PHONE = Limit(10, 900, "failed password logins of one phone")
PASSWORD_FAILURES_PER_CLIENT = Limit(30, 900, "failed password logins from one client")
# A certificate password guards revocation and the like: few tries per account.
CERTIFICATE_PASSWORD_FAILURES = Limit(5, 900, "wrong certificate passwords of one account")


@dataclass(frozen=True, slots=True)
class Policy:
    """Rate limits of the service (defaults are what the node runs with)."""

    sms_per_phone_minute: Limit = SMS_PER_PHONE_MINUTE
    sms_per_phone_day: Limit = SMS_PER_PHONE_DAY
    sms_per_client_hour: Limit = SMS_PER_CLIENT_HOUR
    password_failures_per_phone: Limit = PASSWORD_FAILURES_PER_PHONE
    password_failures_per_client: Limit = PASSWORD_FAILURES_PER_CLIENT
    certificate_password_failures: Limit = CERTIFICATE_PASSWORD_FAILURES


@dataclass(frozen=True, slots=True)
class CodeSent:
    expires_in: int
    resend_after: int


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: str
    phone: str
    has_password: bool
    has_certificate_password: bool
    wechat_bound: bool
    created_at: int

    @classmethod
    def of(cls, row: Account) -> AccountInfo:
        return cls(
            row.id,
            row.phone,
            row.password_hash is not None,
            row.certificate_password_hash is not None,
            row.wechat_openid is not None,
            row.created_at,
        )


@dataclass(frozen=True, slots=True)
class Login:
    account: AccountInfo
    tokens: TokenPair
    created: bool  # the login registered the account


@dataclass(frozen=True, slots=True)
class WeChatBindNeeded:
    """A WeChat user without an account yet: bind a phone with ``ticket`` and an SMS code."""

    ticket: str
    expires_in: int


class AccountBase:
    """State and helpers of ``AccountService`` (see there)."""

    def __init__(
        self,
        engine: Engine,
        ports: Ports,
        secret: bytes,
        *,
        clock: Clock = time.time,
        hasher: PasswordHasher | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.engine = engine
        self.ports = ports
        self._clock = clock
        self._code_key = derive_key(secret, "sms-code")
        self.tokens = TokenCodec(derive_key(secret, "jwt"))
        self._hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy_hash: str | None = None  # made on first use: hashing costs ~0.1 s
        self.policy = policy or Policy()

    def now(self) -> int:
        return int(self._clock())

    def _use_code(self, session: Session, phone: str, purpose: Purpose, code: str) -> None:
        wrong = codes.consume(session, self._code_key, phone, purpose, code, self.now())
        if wrong is not None:
            raise Committed(wrong)

    def _log_in(self, session: Session, account: Account) -> TokenPair:
        """A new session's tokens, the login traced in the operation log (操作追溯) in the
        same transaction."""
        now = self.now()
        record = OperationRecord(actor=account.id, operation=Operation.LOGIN, subject=account.id)
        OperationLog(self.engine, clock=lambda: now).append_in(session.connection(), record)
        return self._issue(session, account)

    def _issue(self, session: Session, account: Account, family: str | None = None) -> TokenPair:
        now, jti = self.now(), new_id()
        family = family or new_id()
        session.add(
            RefreshToken(
                jti=jti,
                account_id=account.id,
                family_id=family,
                issued_at=now,
                expires_at=now + REFRESH_TTL_S,
            )
        )
        access = self.tokens.encode(
            "access", account.id, now, ACCESS_TTL_S, ver=account.token_version, jti=new_id()
        )
        refresh = self.tokens.encode("refresh", account.id, now, REFRESH_TTL_S, jti=jti)
        return TokenPair(access, refresh, ACCESS_TTL_S, REFRESH_TTL_S)

    def _revoke(self, session: Session, where: object, now: int) -> None:
        session.connection().execute(
            update(RefreshToken)
            .where(where, col(RefreshToken.revoked_at).is_(None))  # type: ignore[arg-type]
            .values(revoked_at=now)
        )

    def _revoke_all(self, session: Session, account: Account) -> None:
        """Every token of ``account`` stops working: access tokens by the version, refresh
        tokens by revocation."""
        account.token_version += 1
        account.updated_at = self.now()
        session.add(account)
        self._revoke(session, col(RefreshToken.account_id) == account.id, self.now())

    def _check_certificate_password(self, session: Session, row: Account, password: str) -> None:
        key, limit = f"certpw:{row.id}", self.policy.certificate_password_failures
        ratelimit.check(session, key, limit, self.now())
        if not self._verify(row.certificate_password_hash, password):
            ratelimit.hit(session, key, self.now(), keep=limit.window)
            raise Committed(WrongPassword("wrong certificate password"))

    def _verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with nothing stored it still spends the
        time of a verification, so timing does not tell."""
        try:
            if stored is None:
                if self._dummy_hash is None:
                    self._dummy_hash = self._hasher.hash("not a password of anyone")
                self._hasher.verify(self._dummy_hash, password)
                return False
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _by_phone(session: Session, phone: str) -> Account | None:
        return session.exec(select(Account).where(col(Account.phone) == phone)).first()

    @staticmethod
    def _account(session: Session, account_id: str) -> Account:
        row = session.get(Account, account_id)
        if row is None:
            raise AccountNotFound(f"no account {account_id}")
        return row

    def _phone_free(self, session: Session, phone: str) -> None:
        if self._by_phone(session, phone) is not None:
            raise PhoneTaken("another account has this phone")

    def _account_by_phone_or_new(self, session: Session, phone: str) -> tuple[Account, bool]:
        row = self._by_phone(session, phone)
        if row is not None:
            return row, False
        now = self.now()
        row = Account(id=new_id(), phone=phone, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row, True


class Committed(Exception):
    """Carries an error to raise after the transaction commits (a counted wrong try)."""

    def __init__(self, error: AccountError) -> None:
        self.error = error


@contextlib.contextmanager
def committing(engine: Engine) -> Iterator[Session]:
    """``write_session`` that commits, then raises, when the block raises ``Committed``."""
    deferred: AccountError | None = None
    with write_session(engine) as session:
        try:
            yield session
        except Committed as committed:
            deferred = committed.error
    if deferred is not None:
        raise deferred
