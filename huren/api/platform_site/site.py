"""The demo platform site's state: the platform keys it holds, its signed cookies and page
tokens (no HTTP routes here; ``routes`` has them).

A trading platform embeds scan-to-act as its own back end talking to the node with its
platform key, and its own pages. This site plays that back end inside the node (dev/demo):
it holds platform keys server-side (in dev the node's demo key of the alliance platform),
authenticates one each time it acts, and creates and reads scan requests as that platform.
The browser never sees a key: it holds

- a **browser cookie** (random, HttpOnly, SameSite=Strict, path ``/platform``) that binds
  pages to this browser, and from which each form's CSRF value is derived;
- a **page token** per scan request (in the page's URL): HMAC-signed ``{platform, request id,
  action, expires_at, browser binding}``, useless in another browser or at another platform;
- after an approved login, a **session cookie** of that platform (path
  ``/platform/{platform_id}``) naming who signed in, taken from the verified certificate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.templating import Jinja2Templates
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from huren.api.console.session import Signer, session_secret
from huren.node import platform_keys
from huren.node.platform_keys import PlatformKeyError

__all__ = [
    "BROWSER_COOKIE",
    "SESSION_COOKIE",
    "PageToken",
    "PlatformSite",
    "SignedIn",
]

BROWSER_COOKIE = "huren_platform_browser"
SESSION_COOKIE = "huren_platform_session"
SESSION_TTL_S = 8 * 3600
# A page stays readable this long after its request expired: the result, the sealed PDF.
TOKEN_GRACE_S = 3600
# An approved login signs a browser in once, within this long of the approval.
LOGIN_COMPLETE_S = 120
_TOKEN_KIND = "platform-page"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class PageToken:
    """What a page token names (checked: signed by this site, for this browser)."""

    platform_id: str
    request_id: str
    action: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who signed in to the demo platform, from the approved login's certificate."""

    platform_id: str
    subject: str  # RFC 4514
    common_name: str
    enterprise: str
    uscc: str
    fingerprint: str
    request_id: str
    signed_in_at: int
    expires_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "p": self.platform_id, "s": self.subject, "cn": self.common_name,
            "o": self.enterprise, "u": self.uscc, "f": self.fingerprint,
            "r": self.request_id, "t": self.signed_in_at, "e": self.expires_at,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignedIn:
        return cls(
            str(data["p"]), str(data["s"]), str(data["cn"]), str(data["o"]), str(data["u"]),
            str(data["f"]), str(data["r"]), int(data["t"]), int(data["e"]),
        )  # fmt: skip


class PlatformSite:
    """The platform keys this site acts with, and its signer of cookies and page tokens."""

    def __init__(
        self,
        engine: Engine,
        secret: bytes,
        templates: Jinja2Templates,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.signer = Signer(secret)
        self._secret = secret
        self.templates = templates
        self.clock = clock
        self._keys: list[SecretStr] = []
        self._lock = threading.Lock()
        self._used_logins: dict[str, int] = {}  # request id -> until when it is remembered

    @classmethod
    def for_node(
        cls, engine: Engine, admin_key: SecretStr | None, templates: Jinja2Templates
    ) -> PlatformSite:
        secret = hmac.new(session_secret(admin_key), b"huren platform pages v1", hashlib.sha256)
        return cls(engine, secret.digest(), templates)

    def now(self) -> int:
        return int(self.clock())

    # -- the platform keys ----------------------------------------------------------------

    def add_key(self, key: str) -> None:
        """Act as the platform of ``key`` too (checked on each use: a revoked key stops it)."""
        with self._lock:
            self._keys.append(SecretStr(key))

    def acting_platform(self, platform_id: str) -> str | None:
        """``platform_id`` when this site holds a valid key of it; else None (no pages)."""
        with self._lock:
            keys = list(self._keys)
        with Session(self.engine) as session:
            for key in keys:
                try:
                    info = platform_keys.authenticate(session, key.get_secret_value())
                except PlatformKeyError:
                    continue
                if info.platform_id == platform_id:
                    return info.platform_id
        return None

    # -- the browser ----------------------------------------------------------------------

    @staticmethod
    def new_browser() -> str:
        return secrets.token_urlsafe(24)

    def _binding(self, browser: str) -> str:
        return _b64(hmac.new(self._secret, b"bind." + browser.encode(), hashlib.sha256).digest())

    def csrf(self, browser: str) -> str:
        """The CSRF value this browser's forms carry (derived from its cookie)."""
        return _b64(hmac.new(self._secret, b"csrf." + browser.encode(), hashlib.sha256).digest())

    def check_csrf(self, browser: str | None, sent: str | None) -> bool:
        if not browser or not sent:
            return False
        return hmac.compare_digest(self.csrf(browser).encode(), sent.encode())

    # -- page tokens ----------------------------------------------------------------------

    def token(
        self, browser: str, platform_id: str, request_id: str, action: str, expires_at: int
    ) -> str:
        data = {"p": platform_id, "r": request_id, "a": action, "e": expires_at,
                "b": self._binding(browser)}  # fmt: skip
        return self.signer.sign(_TOKEN_KIND, data)

    def page(self, token: str) -> tuple[PageToken, str] | None:
        """The token's page and browser binding when this site signed it and its grace has
        not run out; None otherwise."""
        data = self.signer.unsign(_TOKEN_KIND, token)
        if data is None:
            return None
        try:
            page = PageToken(str(data["p"]), str(data["r"]), str(data["a"]), int(data["e"]))
            binding = str(data["b"])
        except (KeyError, TypeError, ValueError):
            return None
        if self.now() > page.expires_at + TOKEN_GRACE_S:
            return None
        return page, binding

    def bound_to(self, binding: str, browser: str | None) -> bool:
        return browser is not None and hmac.compare_digest(
            binding.encode(), self._binding(browser).encode()
        )

    # -- the platform's session -----------------------------------------------------------

    def use_login(self, request_id: str, answered_at: int, now: int) -> bool:
        """True once for an approved login, within ``LOGIN_COMPLETE_S`` of its approval: a
        resent form (the back button after logging out) signs no one in again. Remembered
        in this process for the window; the window bounds it across processes. ``now`` on
        the scan service's clock (``answered_at`` is)."""
        if now > answered_at + LOGIN_COMPLETE_S:
            return False
        with self._lock:
            for old in [r for r, until in self._used_logins.items() if until < now]:
                del self._used_logins[old]
            if request_id in self._used_logins:
                return False
            self._used_logins[request_id] = answered_at + LOGIN_COMPLETE_S
        return True

    def session_value(self, signed_in: SignedIn) -> str:
        return self.signer.sign(f"{SESSION_COOKIE}:{signed_in.platform_id}", signed_in.to_json())

    def signed_in(self, platform_id: str, value: str | None) -> SignedIn | None:
        data = self.signer.unsign(f"{SESSION_COOKIE}:{platform_id}", value)
        if data is None:
            return None
        try:
            found = SignedIn.from_json(data)
        except (KeyError, TypeError, ValueError):
            return None
        if found.platform_id != platform_id or self.now() >= found.expires_at:
            return None
        return found
