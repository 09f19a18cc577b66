"""The accounts service: codes by SMS, registration and login (SMS code, password, WeChat),
token rotation, and the settings flows (change phone, login password, certificate password).

It owns its transactions (each public method is one or two write transactions): a wrong
code or password is counted and committed before the error is raised. Codes are recorded
before the SMS goes out; a refused or failed delivery takes its code back.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.accounts import codes, ratelimit
from huren.node.accounts.codes import Purpose
from huren.node.accounts.errors import (
    AccountError,
    AccountNotFound,
    InvalidCredentials,
    InvalidToken,
    PasswordAlreadySet,
    PhoneTaken,
    RefreshTokenReused,
    RefreshTokenRevoked,
    SmsNotDelivered,
    WeChatAlreadyBound,
    WrongPassword,
)
from huren.node.accounts.keys import derive_key
from huren.node.accounts.ratelimit import Limit
from huren.node.accounts.tokens import (
    ACCESS_TTL_S,
    REFRESH_TTL_S,
    WECHAT_TICKET_TTL_S,
    TokenCodec,
    TokenPair,
    new_id,
)
from huren.node.accounts.validation import (
    check_certificate_password,
    check_password,
    normalize_phone,
)
from huren.node.db.accounts_tables import Account, RateLimitHit, RefreshToken, SmsCode
from huren.node.db.engine import write_session
from huren.node.ports import PortRefused, Ports

__all__ = ["AccountInfo", "AccountService", "CodeSent", "Login", "Policy", "WeChatBindNeeded"]

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


class AccountService:
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
        self._dummy_hash = self._hasher.hash("not a password of anyone")
        self.policy = policy or Policy()

    def now(self) -> int:
        return int(self._clock())

    # -- codes ---------------------------------------------------------------------------

    def send_code(self, phone: str, purpose: Purpose, client: str) -> CodeSent:
        """Record a new code for ``phone`` and send it, within the per-phone and per-client
        limits. The anonymous purposes are LOGIN and RESET_PASSWORD; the others go through
        ``send_phone_change_code`` and ``send_certificate_password_code``."""
        phone = normalize_phone(phone)
        now, p = self.now(), self.policy
        keys: dict[str, tuple[Limit, ...]] = {
            f"sms:phone:{phone}": (p.sms_per_phone_minute, p.sms_per_phone_day)
        }
        keys[f"sms:client:{client}"] = (p.sms_per_client_hour,)
        with write_session(self.engine) as session:
            for key, limits in keys.items():
                for limit in limits:
                    ratelimit.check(session, key, limit, now)
            for key, limits in keys.items():
                ratelimit.hit(session, key, now, keep=max(limit.window for limit in limits))
            code, code_id = codes.create(session, self._code_key, phone, purpose, now)
        minutes = codes.CODE_TTL_S // 60
        text = f"【互认】您的验证码是{code}，用于{purpose.label}，{minutes}分钟内有效。"
        try:
            self.ports.sms.send(phone, text)
        except Exception as exc:
            with write_session(self.engine) as session:  # the code never reached anyone
                row = session.get(SmsCode, code_id)
                if row is not None:
                    session.delete(row)
            if isinstance(exc, PortRefused):
                raise SmsNotDelivered(f"the SMS gateway refused {phone}: {exc.reason}") from None
            raise
        return CodeSent(codes.CODE_TTL_S, p.sms_per_phone_minute.window)

    def send_phone_change_code(self, account_id: str, new_phone: str, client: str) -> CodeSent:
        new_phone = normalize_phone(new_phone)
        with Session(self.engine) as session:
            self._account(session, account_id)
            self._phone_free(session, new_phone)
        return self.send_code(new_phone, Purpose.CHANGE_PHONE, client)

    def send_certificate_password_code(self, account_id: str, client: str) -> CodeSent:
        with Session(self.engine) as session:
            phone = self._account(session, account_id).phone
        return self.send_code(phone, Purpose.CERTIFICATE_PASSWORD, client)

    def _use_code(self, session: Session, phone: str, purpose: Purpose, code: str) -> None:
        wrong = codes.consume(session, self._code_key, phone, purpose, code, self.now())
        if wrong is not None:
            raise _Committed(wrong)

    # -- logins --------------------------------------------------------------------------

    def login_sms(self, phone: str, code: str) -> Login:
        """Log in by phone and code, registering the account on first use."""
        phone = normalize_phone(phone)
        with _committing(self.engine) as session:
            self._use_code(session, phone, Purpose.LOGIN, code)
            row, created = self._account_by_phone_or_new(session, phone)
            return Login(AccountInfo.of(row), self._issue(session, row), created)

    def login_password(self, phone: str, password: str, client: str) -> Login:
        phone = normalize_phone(phone)
        now, p = self.now(), self.policy
        by_phone, by_client = f"pwfail:phone:{phone}", f"pwfail:client:{client}"
        with _committing(self.engine) as session:
            ratelimit.check(session, by_phone, p.password_failures_per_phone, now)
            ratelimit.check(session, by_client, p.password_failures_per_client, now)
            row = self._by_phone(session, phone)
            if row is None or not self._verify(row.password_hash, password):
                ratelimit.hit(session, by_phone, now, keep=p.password_failures_per_phone.window)
                ratelimit.hit(session, by_client, now, keep=p.password_failures_per_client.window)
                raise _Committed(InvalidCredentials("wrong phone or password"))
            assert row.password_hash is not None
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
                session.add(row)
            return Login(AccountInfo.of(row), self._issue(session, row), False)

    def login_wechat(self, code: str) -> Login | WeChatBindNeeded:
        """Log in with a WeChat OAuth code; a WeChat user seen for the first time gets a
        ticket to bind a phone (``bind_wechat``)."""
        identity = self.ports.wechat.exchange(code)
        with write_session(self.engine) as session:
            row = session.exec(
                select(Account).where(col(Account.wechat_openid) == identity.openid)
            ).first()
            if row is not None:
                return Login(AccountInfo.of(row), self._issue(session, row), False)
        ticket = self.tokens.encode("wechat_bind", identity.openid, self.now(), WECHAT_TICKET_TTL_S)
        return WeChatBindNeeded(ticket, WECHAT_TICKET_TTL_S)

    def bind_wechat(self, ticket: str, phone: str, code: str) -> Login:
        """Bind the ticket's WeChat user to ``phone`` (verified by a LOGIN code), registering
        the account if the phone has none, and log in."""
        openid = self.tokens.decode(ticket, "wechat_bind", self.now())["sub"]
        phone = normalize_phone(phone)
        with _committing(self.engine) as session:
            self._use_code(session, phone, Purpose.LOGIN, code)
            taken = session.exec(select(Account).where(col(Account.wechat_openid) == openid))
            if taken.first() is not None:
                raise WeChatAlreadyBound("this WeChat user is bound to an account already")
            row, created = self._account_by_phone_or_new(session, phone)
            if row.wechat_openid is not None:
                raise WeChatAlreadyBound("this account is bound to another WeChat user")
            row.wechat_openid = openid
            row.updated_at = self.now()
            session.add(row)
            return Login(AccountInfo.of(row), self._issue(session, row), created)

    # -- tokens --------------------------------------------------------------------------

    def authenticate(self, access_token: str) -> AccountInfo:
        """The account an access token stands for, while its version is current."""
        claims = self.tokens.decode(access_token, "access", self.now())
        with Session(self.engine) as session:
            row = session.get(Account, claims["sub"])
            if row is None or claims.get("ver") != row.token_version:
                raise InvalidToken("the token was revoked")
            return AccountInfo.of(row)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the refresh token is used up and a new pair issued. A used token coming
        back revokes its family and fails."""
        now = self.now()
        claims = self.tokens.decode(refresh_token, "refresh", now)
        with _committing(self.engine) as session:
            row = session.get(RefreshToken, str(claims.get("jti")))
            if row is None or row.account_id != claims["sub"]:
                raise InvalidToken("unknown refresh token")
            if row.revoked_at is not None:
                raise RefreshTokenRevoked("the refresh token was revoked")
            if row.used_at is not None:
                self._revoke(session, col(RefreshToken.family_id) == row.family_id, now)
                raise _Committed(RefreshTokenReused("refresh token reused: the session is ended"))
            row.used_at = now
            session.add(row)
            account = self._account(session, row.account_id)
            return self._issue(session, account, family=row.family_id)

    def logout(self, refresh_token: str) -> None:
        """End the refresh token's session (its family); access tokens run out on their own."""
        now = self.now()
        claims = self.tokens.decode(refresh_token, "refresh", now)
        with write_session(self.engine) as session:
            row = session.get(RefreshToken, str(claims.get("jti")))
            if row is None:
                raise InvalidToken("unknown refresh token")
            self._revoke(session, col(RefreshToken.family_id) == row.family_id, now)

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

    # -- settings ------------------------------------------------------------------------

    def account(self, account_id: str) -> AccountInfo:
        with Session(self.engine) as session:
            return AccountInfo.of(self._account(session, account_id))

    def set_password(self, account_id: str, new: str) -> None:
        """First password of an account registered by SMS or WeChat."""
        check_password(new)
        with write_session(self.engine) as session:
            row = self._account(session, account_id)
            if row.password_hash is not None:
                raise PasswordAlreadySet("change the password with the old one, or reset it")
            row.password_hash = self._hasher.hash(new)
            row.updated_at = self.now()
            session.add(row)

    def change_password(self, account_id: str, old: str, new: str) -> None:
        """Old password to new; every token is revoked (log in again)."""
        check_password(new)
        with write_session(self.engine) as session:
            row = self._account(session, account_id)
            if not self._verify(row.password_hash, old):
                raise WrongPassword("the old password is wrong")
            row.password_hash = self._hasher.hash(new)
            self._revoke_all(session, row)

    def reset_password(self, phone: str, code: str, new: str) -> None:
        """Forgotten password: a RESET_PASSWORD code sets a new one; tokens are revoked."""
        phone = normalize_phone(phone)
        check_password(new)
        with _committing(self.engine) as session:
            self._use_code(session, phone, Purpose.RESET_PASSWORD, code)
            row = self._by_phone(session, phone)
            if row is None:
                raise AccountNotFound("no account has this phone")
            row.password_hash = self._hasher.hash(new)
            self._revoke_all(session, row)

    def change_phone(self, account_id: str, new_phone: str, code: str) -> None:
        """Move the account to ``new_phone`` (a CHANGE_PHONE code sent there); every token
        is revoked, log in with the new number."""
        new_phone = normalize_phone(new_phone)
        with _committing(self.engine) as session:
            row = self._account(session, account_id)
            self._phone_free(session, new_phone)
            self._use_code(session, new_phone, Purpose.CHANGE_PHONE, code)
            row.phone = new_phone
            self._revoke_all(session, row)
            try:
                session.flush()
            except IntegrityError:  # taken between the check and now
                raise PhoneTaken("another account has this phone") from None

    def change_certificate_password(
        self, account_id: str, code: str, old: str | None, new: str
    ) -> None:
        """Set the certificate password with a CERTIFICATE_PASSWORD code and the old password;
        ``old`` None is the forgotten-password flow (the code alone)."""
        check_certificate_password(new)
        with _committing(self.engine) as session:
            row = self._account(session, account_id)
            if old is not None:
                self._check_certificate_password(session, row, old)
            self._use_code(session, row.phone, Purpose.CERTIFICATE_PASSWORD, code)
            row.certificate_password_hash = self._hasher.hash(new)
            row.updated_at = self.now()
            session.add(row)

    def verify_certificate_password(self, account_id: str, password: str) -> None:
        """For revocation and the like: ``WrongPassword`` unless it is the account's;
        ``RateLimited`` after 5 wrong ones in 15 minutes (even for the right one)."""
        with _committing(self.engine) as session:
            self._check_certificate_password(session, self._account(session, account_id), password)

    def _check_certificate_password(self, session: Session, row: Account, password: str) -> None:
        key, limit = f"certpw:{row.id}", self.policy.certificate_password_failures
        ratelimit.check(session, key, limit, self.now())
        if not self._verify(row.certificate_password_hash, password):
            ratelimit.hit(session, key, self.now(), keep=limit.window)
            raise _Committed(WrongPassword("wrong certificate password"))

    def purge(self) -> int:
        """Delete what can no longer matter: codes expired a day ago, refresh tokens past
        their expiry, rate-limit hits older than the longest window. How many rows went."""
        now, p = self.now(), self.policy
        longest = max(
            limit.window
            for limit in (
                p.sms_per_phone_minute,
                p.sms_per_phone_day,
                p.sms_per_client_hour,
                p.password_failures_per_phone,
                p.password_failures_per_client,
                p.certificate_password_failures,
            )
        )
        statements = [
            delete(SmsCode).where(col(SmsCode.expires_at) < now - 86_400),
            delete(RefreshToken).where(col(RefreshToken.expires_at) < now),
            delete(RateLimitHit).where(col(RateLimitHit.at) <= now - longest),
        ]
        with write_session(self.engine) as session:
            return sum(int(session.connection().execute(s).rowcount) for s in statements)

    # -- helpers -------------------------------------------------------------------------

    def _verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches ``stored``; with nothing stored it still spends the
        time of a verification, so timing does not tell."""
        try:
            return self._hasher.verify(stored or self._dummy_hash, password) and bool(stored)
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


class _Committed(Exception):
    """Carries an error to raise after the transaction commits (a counted wrong try)."""

    def __init__(self, error: AccountError) -> None:
        self.error = error


@contextlib.contextmanager
def _committing(engine: Engine) -> Iterator[Session]:
    """``write_session`` that commits, then raises, when the block raises ``_Committed``."""
    deferred: AccountError | None = None
    with write_session(engine) as session:
        try:
            yield session
        except _Committed as committed:
            deferred = committed.error
    if deferred is not None:
        raise deferred
