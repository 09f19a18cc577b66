"""The accounts service: codes by SMS, registration and login (SMS code, password, WeChat),
token rotation, and the settings flows (change phone, login password, certificate password).

It owns its transactions (each public method is one or two write transactions): a wrong
code or password is counted and committed before the error is raised. Codes are recorded
before the SMS goes out; a refused or failed delivery takes its code back.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.accounts import codes, ratelimit
from huren.node.accounts.base import (
    AccountBase,
    AccountInfo,
    CodeSent,
    Committed,
    Login,
    Policy,
    WeChatBindNeeded,
    committing,
)
from huren.node.accounts.codes import Purpose
from huren.node.accounts.errors import (
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
from huren.node.accounts.ratelimit import Limit
from huren.node.accounts.tokens import (
    WECHAT_TICKET_TTL_S,
    TokenPair,
)
from huren.node.accounts.validation import (
    check_certificate_password,
    check_password,
    normalize_phone,
)
from huren.node.db.accounts_tables import Account, RateLimitHit, RefreshToken, SmsCode
from huren.node.db.engine import write_session
from huren.node.ports import PortRefused

__all__ = ["AccountInfo", "AccountService", "CodeSent", "Login", "Policy", "WeChatBindNeeded"]


class AccountService(AccountBase):
    """Every account flow; each public method is one or two write transactions."""

    # -- codes ---------------------------------------------------------------------------

    def send_code(self, phone: str, purpose: Purpose, client: str) -> CodeSent:
        """Record a new code for ``phone`` and send it, within the per-phone and per-client
        limits. The anonymous purposes are LOGIN, RESET_PASSWORD and BIND_BANK_CARD (to the card's
        reserved phone); the others go through ``send_phone_change_code`` and
        ``send_certificate_password_code``."""
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

    def use_code(self, phone: str, purpose: Purpose, code: str) -> None:
        """Verify and consume the live code sent to ``phone`` for ``purpose`` (for other
        services' confirmations, e.g. billing's bank-card binding). A wrong try is counted
        (committed) before ``WrongCode`` is raised; a missing, used, expired or exhausted
        code raises ``CodeNotRequested``, ``CodeExpired`` or ``CodeTriesExhausted``."""
        phone = normalize_phone(phone)
        with committing(self.engine) as session:
            self._use_code(session, phone, purpose, code)

    # -- logins --------------------------------------------------------------------------

    def login_sms(self, phone: str, code: str) -> Login:
        """Log in by phone and code, registering the account on first use."""
        phone = normalize_phone(phone)
        with committing(self.engine) as session:
            self._use_code(session, phone, Purpose.LOGIN, code)
            row, created = self._account_by_phone_or_new(session, phone)
            return Login(AccountInfo.of(row), self._log_in(session, row), created)

    def login_password(self, phone: str, password: str, client: str) -> Login:
        phone = normalize_phone(phone)
        now, p = self.now(), self.policy
        by_phone, by_client = f"pwfail:phone:{phone}", f"pwfail:client:{client}"
        with committing(self.engine) as session:
            ratelimit.check(session, by_phone, p.password_failures_per_phone, now)
            ratelimit.check(session, by_client, p.password_failures_per_client, now)
            row = self._by_phone(session, phone)
            if row is None or not self._verify(row.password_hash, password):
                ratelimit.hit(session, by_phone, now, keep=p.password_failures_per_phone.window)
                ratelimit.hit(session, by_client, now, keep=p.password_failures_per_client.window)
                raise Committed(InvalidCredentials("wrong phone or password"))
            assert row.password_hash is not None
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
                session.add(row)
            return Login(AccountInfo.of(row), self._log_in(session, row), False)

    def login_wechat(self, code: str) -> Login | WeChatBindNeeded:
        """Log in with a WeChat OAuth code; a WeChat user seen for the first time gets a
        ticket to bind a phone (``bind_wechat``)."""
        identity = self.ports.wechat.exchange(code)
        with write_session(self.engine) as session:
            row = session.exec(
                select(Account).where(col(Account.wechat_openid) == identity.openid)
            ).first()
            if row is not None:
                return Login(AccountInfo.of(row), self._log_in(session, row), False)
        ticket = self.tokens.encode("wechat_bind", identity.openid, self.now(), WECHAT_TICKET_TTL_S)
        return WeChatBindNeeded(ticket, WECHAT_TICKET_TTL_S)

    def bind_wechat(self, ticket: str, phone: str, code: str) -> Login:
        """Bind the ticket's WeChat user to ``phone`` (verified by a LOGIN code), registering
        the account if the phone has none, and log in."""
        openid = self.tokens.decode(ticket, "wechat_bind", self.now())["sub"]
        phone = normalize_phone(phone)
        with committing(self.engine) as session:
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
            return Login(AccountInfo.of(row), self._log_in(session, row), created)

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
        with committing(self.engine) as session:
            row = session.get(RefreshToken, str(claims.get("jti")))
            if row is None or row.account_id != claims["sub"]:
                raise InvalidToken("unknown refresh token")
            if row.revoked_at is not None:
                raise RefreshTokenRevoked("the refresh token was revoked")
            # A conditional UPDATE: of two requests racing with one token, one rotates it and
            # the other counts as reuse (as it would one second later).
            used = session.connection().execute(
                update(RefreshToken)
                .where(
                    col(RefreshToken.jti) == row.jti,
                    col(RefreshToken.used_at).is_(None),
                    col(RefreshToken.revoked_at).is_(None),
                )
                .values(used_at=now)
            )
            if row.used_at is not None or used.rowcount != 1:
                self._revoke(session, col(RefreshToken.family_id) == row.family_id, now)
                raise Committed(RefreshTokenReused("refresh token reused: the session is ended"))
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
        with committing(self.engine) as session:
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
        with committing(self.engine) as session:
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
        with committing(self.engine) as session:
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
        with committing(self.engine) as session:
            self._check_certificate_password(session, self._account(session, account_id), password)

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
