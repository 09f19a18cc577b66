"""What console pages depend on: the signed-in principal, permissions, CSRF, rendering.

A page names the permission it needs (``Allowed(Permission.X)``). Without a session a page
answers 303 to the login page (a fragment request, sent by the console's script with the
``X-Console-Fragment`` header, gets a bare 401 instead, on which the script goes to the
login page); with a session whose role lacks the permission, a 403 page. The ``/v1`` API is
not affected: it keeps its keys and its problem JSON.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from huren.api.console import session as cookies
from huren.api.console.roles import NAVIGATION, Permission, Principal, Role, current_nav
from huren.api.deps import NodeServices
from huren.node import platform_keys
from huren.node.console_roles import ConsoleRoleService

__all__ = [
    "Allowed",
    "ConsoleState",
    "CsrfRejected",
    "Forbidden",
    "LoginRequired",
    "render",
]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FRAGMENT_HEADER = "X-Console-Fragment"


@dataclass
class ConsoleState:
    """The console's part of ``app.state.console``: the cookie signer, the templates, the
    clock (unix seconds; tests move it) and how long a governance write's page waits for the
    index to show the write (0: not at all)."""

    signer: cookies.Signer
    templates: Jinja2Templates
    clock: Callable[[], float] = time.time
    index_wait_s: float = 5.0

    def now(self) -> int:
        return int(self.clock())


def state_of(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def make_state(node: NodeServices) -> ConsoleState:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["Permission"] = Permission
    templates.env.filters.update(utc=_utc, hex=_hex, short=_short, show=_show)
    return ConsoleState(
        cookies.Signer(cookies.session_secret(node.settings.admin_api_key)), templates
    )


def _utc(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def _hex(value: bytes | str | None) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else "0x" + value.hex()


def _short(value: bytes | str | None, keep: int = 10) -> str:
    """``0x1234abcd…89ef`` for long hex: the start and end identify it at a glance."""
    text = _hex(value)
    return text if len(text) <= 2 * keep + 1 else f"{text[:keep]}…{text[-keep + 2 :]}"


def _show(value: object) -> str:
    """Any decoded event field as short text: hex for bytes, names for enums."""
    if value is None:
        return "—"
    if isinstance(value, bytes | bytearray):
        return _short(bytes(value))
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, tuple | list):
        return ", ".join(_show(v) for v in value) or "—"
    text = str(value)
    return _short(text) if text.startswith("0x") else text


class LoginRequired(Exception):
    """No valid session: the login page (or a 401 for the console's script)."""


class Forbidden(Exception):
    """Signed in, but the role lacks the permission."""

    def __init__(self, principal: Principal, permission: Permission) -> None:
        super().__init__(f"{principal.title} may not {permission.value}")
        self.principal = principal
        self.permission = permission


def _still_valid(request: Request, principal: Principal) -> Principal | None:
    """The principal as it stands now, or None when its session has ended: a platform's
    lasts while its key does; an account's while its token version is the same and it holds
    the role (a CA operator's CAs are re-read: a revoked grant takes its CA away at once)."""
    if principal.role == Role.PLATFORM:
        with request.app.state.sessions() as db:
            keys = platform_keys.list_keys(db, principal.subject)
        return principal if any(k.key_id == principal.key_id and k.active for k in keys) else None
    if principal.account_id is None:
        return principal
    roles: ConsoleRoleService = request.app.state.console_roles
    standing = roles.standing(principal.account_id)
    if standing is None or standing.token_version != principal.token_version:
        return None
    if principal.role.value not in standing.roles():
        return None
    if principal.role == Role.CA_OPERATOR:
        return replace(principal, ca_ids=standing.ca_ids())
    return principal


async def current_session(request: Request) -> cookies.Session:
    state = state_of(request)
    found = state.signer.session(request, state.now())
    if found is None:
        raise LoginRequired()
    principal = await run_in_threadpool(_still_valid, request, found.principal)
    if principal is None:
        raise LoginRequired()
    found = replace(found, principal=principal)
    request.state.console_session = found
    return found


SessionDep = Annotated[cookies.Session, Depends(current_session)]


def Allowed(permission: Permission) -> Any:
    """A dependency: the session, when its role holds ``permission``."""

    async def check(found: SessionDep) -> cookies.Session:
        if not found.principal.may(permission):
            raise Forbidden(found.principal, permission)
        return found

    return Depends(check)


class CsrfRejected(Exception):
    """A state-changing form without its session's token (forged, or from an old session)."""


def check_csrf(found: cookies.Session, sent: str | None) -> None:
    """A state-changing form must send back its session's CSRF token."""
    if not sent or not hmac.compare_digest(sent.encode(), found.csrf.encode()):
        raise CsrfRejected("the form was not sent from this session's page; reload and retry")


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    found: cookies.Session | None = None,
) -> HTMLResponse:
    """``template`` with the layout's context: the principal, the navigation it may see, its
    CSRF token, and a one-shot message (consumed here)."""
    state = state_of(request)
    if found is None:
        found = getattr(request.state, "console_session", None)
    principal = None if found is None else found.principal
    nav = [] if principal is None else [n for n in NAVIGATION if principal.may(n.permission)]
    flash = state.signer.flash(request)
    full = {
        "principal": principal,
        "csrf": None if found is None else found.csrf,
        "nav": nav,
        "nav_current": current_nav(nav, request.url.path),
        "path": request.url.path,
        "flash": flash,
        **(context or {}),
    }
    response = state.templates.TemplateResponse(request, template, full, status_code=status_code)
    if flash is not None:
        cookies.clear(response, cookies.FLASH_COOKIE)
    _secure_headers(response)
    return response


def _secure_headers(response: Response) -> None:
    # No inline script or style anywhere: the console's own files only.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


def install_handlers(app: FastAPI) -> None:
    async def login_required(request: Request, _: Exception) -> Response:
        if request.headers.get(FRAGMENT_HEADER):
            return PlainTextResponse("sign in again", status_code=401)
        target = request.url.path
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/console/login?next={quote(target, safe='')}", 303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        return render(request, "console/forbidden.html", {"reason": str(exc)}, status_code=403)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfRejected, forbidden)
