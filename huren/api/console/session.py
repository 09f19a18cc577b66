"""The console's signed cookies: the session, the login form's token and one-shot messages.

A cookie value is ``base64url(JSON) "." base64url(HMAC-SHA256(secret, kind "." JSON))``:
tampering with it, or moving a value from one cookie kind to another, fails the check. The
secret is derived from the node-admin key (``session_secret``), so changing that key ends
every session; a node without one uses a random secret (sessions end with the process).

Every session carries a random CSRF token that each state-changing form sends back as a
hidden field (``csrf``); the login form, before any session, uses a token kept in its own
short-lived cookie. The session cookie is HttpOnly, SameSite=Strict, limited to
``/console`` and Secure when the request came over HTTPS, so another site can neither read
it nor make the browser send it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response

from huren.api.console.roles import Principal, Role

__all__ = [
    "COOKIE_PATH",
    "FLASH_COOKIE",
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "SESSION_TTL_S",
    "Session",
    "Signer",
    "session_secret",
]

SESSION_COOKIE = "huren_console"
LOGIN_COOKIE = "huren_console_login"
FLASH_COOKIE = "huren_console_flash"
COOKIE_PATH = "/console"
SESSION_TTL_S = 8 * 3600  # a working day; then sign in again
LOGIN_TTL_S = 15 * 60  # how long the login form stays usable
FLASH_TTL_S = 60


def session_secret(admin_key: SecretStr | None) -> bytes:
    """The HMAC key for the console's cookies (see the module doc)."""
    if admin_key is None or not admin_key.get_secret_value():
        return secrets.token_bytes(32)
    return hmac.new(
        admin_key.get_secret_value().encode(), b"huren console cookies v1", hashlib.sha256
    ).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in session: who, until when (unix seconds), and its CSRF token."""

    principal: Principal
    expires_at: int
    csrf: str

    def to_json(self) -> dict[str, Any]:
        p = self.principal
        data: dict[str, Any] = {"r": p.role.value, "s": p.subject, "k": p.key_id,
                "e": self.expires_at, "c": self.csrf}  # fmt: skip
        if p.account_id is not None:
            data.update(a=p.account_id, v=p.token_version, ca=list(p.ca_ids))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        account = data.get("a")
        version = data.get("v")
        principal = Principal(
            Role(data["r"]),
            str(data["s"]),
            data["k"],
            None if account is None else str(account),
            None if version is None else int(version),
            tuple(str(c) for c in data.get("ca", ())),
        )
        return cls(principal, int(data["e"]), str(data["c"]))


class Signer:
    """Signs and checks cookie values of a kind with the console's secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, kind: str, body: bytes) -> bytes:
        return hmac.new(self._secret, kind.encode() + b"." + body, hashlib.sha256).digest()

    def sign(self, kind: str, data: dict[str, Any]) -> str:
        body = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._mac(kind, body))}"

    def unsign(self, kind: str, value: str | None) -> dict[str, Any] | None:
        """The data of a value this signer signed for ``kind``; None for anything else."""
        if not value or value.count(".") != 1:
            return None
        body_text, mac_text = value.split(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(mac, self._mac(kind, body)):
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    # -- the session ----------------------------------------------------------------------

    def new_session(self, principal: Principal, now: int) -> Session:
        return Session(principal, now + SESSION_TTL_S, secrets.token_urlsafe(24))

    def session(self, request: Request, now: int) -> Session | None:
        """The request's unexpired session; None when there is none or it does not check."""
        data = self.unsign(SESSION_COOKIE, request.cookies.get(SESSION_COOKIE))
        if data is None:
            return None
        try:
            session = Session.from_json(data)
        except (KeyError, ValueError, TypeError):
            return None
        return session if now < session.expires_at else None

    def set_session(self, response: Response, request: Request, session: Session) -> None:
        value = self.sign(SESSION_COOKIE, session.to_json())
        _set(response, request, SESSION_COOKIE, value, SESSION_TTL_S)

    # -- the login form's token ---------------------------------------------------------

    def login_token(self, request: Request, now: int) -> str:
        """The login form's CSRF token: the one in the request's login cookie while valid
        (two open tabs keep working), else a new one."""
        data = self.unsign(LOGIN_COOKIE, request.cookies.get(LOGIN_COOKIE))
        if data is not None and isinstance(data.get("t"), str) and now < int(data.get("e", 0)):
            token: str = data["t"]
            return token
        return secrets.token_urlsafe(24)

    def set_login_token(self, response: Response, request: Request, token: str, now: int) -> None:
        value = self.sign(LOGIN_COOKIE, {"t": token, "e": now + LOGIN_TTL_S})
        _set(response, request, LOGIN_COOKIE, value, LOGIN_TTL_S)

    def check_login_token(self, request: Request, sent: str, now: int) -> bool:
        data = self.unsign(LOGIN_COOKIE, request.cookies.get(LOGIN_COOKIE))
        if data is None or now >= int(data.get("e", 0)):
            return False
        return hmac.compare_digest(str(data.get("t", "")).encode(), sent.encode())

    # -- one-shot messages ----------------------------------------------------------------

    def set_flash(self, response: Response, request: Request, level: str, text: str) -> None:
        value = self.sign(FLASH_COOKIE, {"l": level, "t": text})
        _set(response, request, FLASH_COOKIE, value, FLASH_TTL_S)

    def flash(self, request: Request) -> tuple[str, str] | None:
        data = self.unsign(FLASH_COOKIE, request.cookies.get(FLASH_COOKIE))
        if data is None:
            return None
        return str(data.get("l", "info")), str(data.get("t", ""))


def _set(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear(response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict")
