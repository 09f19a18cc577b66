"""The center operator grants console roles to people's accounts: CA operator of one CA, or
auditor (``huren.node.console_roles``). The account must exist (registered in the app or by
an SMS sign-in); revoking a grant ends the sessions resting on it at their next request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse

from huren.api.console import session as cookies
from huren.api.console.deps import Allowed, check_csrf, render, state_of
from huren.api.console.pages import caller_of
from huren.api.console.roles import Permission
from huren.api.deps import SessionDep
from huren.api.routers import consortium
from huren.node.console_roles import ConsoleRoleError, ConsoleRoleService, GrantedRole

__all__ = ["router"]

router = APIRouter(prefix="/console/roles", include_in_schema=False)
ManageSession = Annotated[cookies.Session, Allowed(Permission.MANAGE_ROLES)]


def _service(request: Request) -> ConsoleRoleService:
    service: ConsoleRoleService = request.app.state.console_roles
    return service


@router.get("")
def roles_page(request: Request, found: ManageSession, db: SessionDep) -> HTMLResponse:
    context = {
        "grants": _service(request).grants(),
        "cas": consortium.cas(caller_of(found.principal), db),
        "roles": [r.value for r in GrantedRole],
    }
    return render(request, "console/roles.html", context)


def _back(request: Request, level: str, text: str) -> RedirectResponse:
    response = RedirectResponse("/console/roles", 303)
    state_of(request).signer.set_flash(response, request, level, text)
    return response


@router.post("")
async def grant(
    request: Request,
    found: ManageSession,
    phone: Annotated[str, Form(max_length=40)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    ca_id: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    check_csrf(found, csrf)
    ca = ca_id.strip() if role == GrantedRole.CA_OPERATOR.value else None
    try:
        done = await run_in_threadpool(
            _service(request).grant, phone, role, ca, found.principal.subject
        )
    except ConsoleRoleError as exc:
        return _back(request, "error", f"Not granted: {exc}.")
    what = f"CA operator of {done.ca_id}" if done.ca_id else done.role.value
    return _back(request, "ok", f"{done.phone} is {what}.")


@router.post("/{grant_id}/revoke")
async def revoke(
    request: Request,
    found: ManageSession,
    grant_id: Annotated[int, Path(ge=1, le=2**62)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    check_csrf(found, csrf)
    try:
        done = await run_in_threadpool(_service(request).revoke, grant_id)
    except ConsoleRoleError as exc:
        return _back(request, "error", f"Not revoked: {exc}.")
    what = f"CA operator of {done.ca_id}" if done.ca_id else done.role.value
    return _back(request, "ok", f"{done.phone} is no longer {what}.")
