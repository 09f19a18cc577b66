"""Console pages: signing in and out, the consortium, proposals, the live chain-event feed.

Reads reuse the ``/v1/consortium`` functions (the same rows, the same shapes) and
``huren.node.console_queries``; each page reads in one session, hence one index snapshot.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from sqlmodel import Session as DbSession
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from huren.api.console import session as cookies
from huren.api.console.deps import Allowed, LoginRequired, check_csrf, render, state_of
from huren.api.console.roles import Permission, Principal, Role
from huren.api.consortium_schemas import PlatformOut
from huren.api.deps import Caller, LagDep, NodeDep, SessionDep, is_admin_key
from huren.api.routers import consortium
from huren.node import console_queries, platform_keys

__all__ = ["ViewSession", "caller_of", "index_status", "login_page", "router", "safe_next"]

router = APIRouter(prefix="/console", include_in_schema=False)

ViewSession = Annotated[cookies.Session, Allowed(Permission.VIEW_CONSORTIUM)]
_CURSOR = re.compile(r"(-?\d{1,19})\.(-?\d{1,9})")
_SAFE_NEXT = re.compile(r"/console(?:/[A-Za-z0-9._~/%?=&-]*)?")


def caller_of(principal: Principal) -> Caller:
    """The API caller a principal reads as (the consortium functions take one)."""
    if principal.role == Role.PLATFORM:
        return Caller("platform", principal.subject, principal.key_id)
    return Caller("admin")


@router.get("")
@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/console/consortium", 303)


# -- signing in -------------------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if target and _SAFE_NEXT.fullmatch(target) and "//" not in target:
        return target
    return "/console/consortium"


def login_page(
    request: Request,
    target: str,
    error: str | None = None,
    status_code: int = 200,
    **account_form: object,
) -> Response:
    """The sign-in page; ``account_form``: what the account form shows again (``phone``,
    ``info``, ``choices`` of roles when the account holds several)."""
    state = state_of(request)
    token = state.signer.login_token(request, state.now())
    context = {"next": target, "error": error, "login_token": token, **account_form}
    response = render(request, "console/login.html", context, status_code=status_code)
    state.signer.set_login_token(response, request, token, state.now())
    return response


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    return login_page(request, safe_next(next))


def _principal_for_key(request: Request, key: str) -> Principal | None:
    node = request.app.state.node
    if is_admin_key(key, node.settings.admin_api_key):
        return Principal(Role.CENTER_OPERATOR, "node-admin")
    try:
        with request.app.state.sessions() as db:
            info = platform_keys.authenticate(db, key)
    except platform_keys.PlatformKeyError:
        return None
    return Principal(Role.PLATFORM, info.platform_id, info.key_id)


@router.post("/login")
async def login(
    request: Request,
    key: Annotated[str, Form(max_length=512)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    state = state_of(request)
    target = safe_next(next)
    if not state.signer.check_login_token(request, csrf, state.now()):
        return login_page(request, target, "The sign-in form expired: try again.", 403)
    principal = await run_in_threadpool(_principal_for_key, request, key.strip())
    if principal is None:
        return login_page(request, target, "That key is not valid here.", 401)
    response = RedirectResponse(target, 303)
    state.signer.set_session(response, request, state.signer.new_session(principal, state.now()))
    cookies.clear(response, cookies.LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    state = state_of(request)
    found = state.signer.session(request, state.now())
    if found is None:
        raise LoginRequired()
    check_csrf(found, csrf)
    response = RedirectResponse("/console/login", 303)
    cookies.clear(response, cookies.SESSION_COOKIE)
    return response


# -- the consortium ---------------------------------------------------------------------------


@router.get("/consortium")
def consortium_page(
    request: Request, found: ViewSession, db: SessionDep, lag: LagDep
) -> HTMLResponse:
    caller = caller_of(found.principal)
    members = consortium.members(caller, db)
    platforms = consortium.platforms(caller, db)
    by_center: defaultdict[str, list[PlatformOut]] = defaultdict(list)
    for p in platforms:
        by_center[p.center.lower()].append(p)
    centers = [(m, by_center.pop(m.account.lower(), [])) for m in members]
    orphans = [p for ps in by_center.values() for p in ps]  # centers the index lacks
    context = {
        "members": members,
        "cas": consortium.cas(caller, db),
        "centers": centers,
        "orphans": orphans,
        "quorum": consortium.quorum(caller, db),
        **index_status(db, lag),
    }
    return render(request, "console/consortium.html", context)


def index_status(db: DbSession, lag: int | None) -> dict[str, object]:
    checkpoint = console_queries.index_checkpoint(db)
    return {"lag": lag, "indexed_block": None if checkpoint is None else checkpoint[0]}


@router.get("/proposals")
def proposals_page(
    request: Request,
    found: ViewSession,
    db: SessionDep,
    node: NodeDep,
    lag: LagDep,
    status: Annotated[consortium.StatusFilter | None, Query()] = None,
) -> HTMLResponse:
    caller = caller_of(found.principal)
    rows = consortium.proposals(caller, db, status, 100, 0)
    me = node.operator.address.lower()
    context = {
        "proposals": rows,
        "status": status,
        "operator": node.operator.address,
        "voted": {p.id for p in rows if any(v.voter.lower() == me for v in p.votes)},
        "members": consortium.members(caller, db),
        "quorum": consortium.quorum(caller, db),
        **index_status(db, lag),
    }
    return render(request, "console/proposals.html", context)


# -- chain events -----------------------------------------------------------------------------


@router.get("/events")
def events_page(request: Request, _: ViewSession, db: SessionDep, lag: LagDep) -> HTMLResponse:
    events = console_queries.event_feed(db, limit=50)
    cursor = _cursor_text(events[0].cursor) if events else "0.-1"
    context = {"events": events, "cursor": cursor, **index_status(db, lag)}
    return render(request, "console/events.html", context)


@router.get("/events/feed")
def events_feed(
    request: Request,
    _: ViewSession,
    db: SessionDep,
    lag: LagDep,
    after: Annotated[str, Query(max_length=40)] = "0.-1",
) -> Response:
    """The events after ``after`` (``block.log``) as table rows, newest first, for the page's
    script to put on top; the new cursor and the index status ride in headers."""
    match = _CURSOR.fullmatch(after)
    cursor = (int(match[1]), int(match[2])) if match else (0, -1)
    events = console_queries.event_feed(db, after=cursor, limit=console_queries.MAX_FEED)
    response = render(request, "console/_event_rows.html", {"events": events})
    response.headers["X-Console-Cursor"] = _cursor_text(events[0].cursor if events else cursor)
    _status_headers(response, db, lag)
    return response


@router.get("/status")
def index_status_now(_: ViewSession, db: SessionDep, lag: LagDep) -> Response:
    """The index status for the layout's script: no body, the values in headers."""
    response = Response(status_code=204)
    _status_headers(response, db, lag)
    return response


def _status_headers(response: Response, db: DbSession, lag: int | None) -> None:
    indexed = index_status(db, lag)["indexed_block"]
    response.headers["X-Console-Lag"] = "unknown" if lag is None else str(lag)
    response.headers["X-Console-Indexed"] = "—" if indexed is None else str(indexed)
    response.headers["Cache-Control"] = "no-store"


def _cursor_text(cursor: tuple[int, int]) -> str:
    return f"{cursor[0]}.{cursor[1]}"
