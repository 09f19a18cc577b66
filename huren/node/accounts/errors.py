"""The accounts package's errors: one root, ``AccountError``; ``status``, ``code`` and
``headers`` are how the API reports each."""

from __future__ import annotations

__all__ = [
    "AccountError",
    "AccountNotFound",
    "CodeExpired",
    "CodeNotRequested",
    "CodeTriesExhausted",
    "InvalidCredentials",
    "InvalidPhone",
    "InvalidToken",
    "PasswordAlreadySet",
    "PhoneTaken",
    "RateLimited",
    "RefreshTokenReused",
    "RefreshTokenRevoked",
    "SmsNotDelivered",
    "TokenExpired",
    "WeChatAlreadyBound",
    "WeakPassword",
    "WrongCode",
    "WrongPassword",
]


class AccountError(Exception):
    status = 400
    code = "ACCOUNT_ERROR"

    @property
    def headers(self) -> dict[str, str] | None:
        return None


class InvalidPhone(AccountError, ValueError):
    """Not a mainland mobile number (11 digits starting 13-19)."""

    status = 422
    code = "INVALID_PHONE"


class WeakPassword(AccountError, ValueError):
    status = 422
    code = "WEAK_PASSWORD"


class RateLimited(AccountError):
    """Too many requests under one limit; ``retry_after`` seconds until one is allowed."""

    status = 429
    code = "RATE_LIMITED"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class SmsNotDelivered(AccountError):
    """The SMS gateway refused the number (a timeout or failure is the port's own error)."""

    status = 422
    code = "SMS_NOT_DELIVERED"


class CodeNotRequested(AccountError):
    """No code was sent to this phone for this purpose, or it was already used."""

    status = 400
    code = "CODE_NOT_REQUESTED"


class CodeExpired(AccountError):
    status = 400
    code = "CODE_EXPIRED"


class CodeTriesExhausted(AccountError):
    """The code was tried too often; ask for a new one."""

    status = 400
    code = "CODE_TRIES_EXHAUSTED"


class WrongCode(AccountError):
    status = 400
    code = "WRONG_CODE"

    def __init__(self, tries_left: int) -> None:
        super().__init__(f"wrong verification code; {tries_left} tries left")
        self.tries_left = tries_left


class InvalidCredentials(AccountError):
    """Wrong phone or password: one error for both, so a caller learns nothing."""

    status = 401
    code = "INVALID_CREDENTIALS"


class WrongPassword(AccountError):
    """The old (login or certificate) password given to change it is wrong."""

    status = 403
    code = "WRONG_PASSWORD"


class PasswordAlreadySet(AccountError):
    status = 409
    code = "PASSWORD_ALREADY_SET"


class PhoneTaken(AccountError):
    status = 409
    code = "PHONE_TAKEN"


class WeChatAlreadyBound(AccountError):
    """The account is bound to another WeChat user, or this WeChat user to another account."""

    status = 409
    code = "WECHAT_ALREADY_BOUND"


class AccountNotFound(AccountError):
    status = 404
    code = "ACCOUNT_NOT_FOUND"


class _Unauthenticated(AccountError):
    status = 401

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class InvalidToken(_Unauthenticated):
    """Malformed, forged, of the wrong type, or revoked (by a password or phone change)."""

    code = "INVALID_TOKEN"


class TokenExpired(_Unauthenticated):
    code = "TOKEN_EXPIRED"


class RefreshTokenRevoked(_Unauthenticated):
    code = "REFRESH_TOKEN_REVOKED"


class RefreshTokenReused(_Unauthenticated):
    """A refresh token was presented after it had been rotated: its whole family is
    revoked (someone else holds a copy)."""

    code = "REFRESH_TOKEN_REUSED"
