"""Signing in to the console with a person's account: phone and password, or phone and an
SMS code (``huren.node.accounts``), for the CA operators and auditors a node-admin granted
the role (``huren.node.console_roles``).

One form, three buttons (``action``): ``send-code`` sends a LOGIN code by SMS, ``code`` and
``password`` sign in. The accounts service checks the credentials with its own rate limits
and issues API tokens, which the console ends at once (its session is the cookie). An
account holding both roles chooses one (``as``); one without a role is refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from huren.api.console import session as cookies
from huren.api.console.deps import state_of
from huren.api.console.pages import login_page, safe_next
from huren.api.console.roles import Principal, Role
from huren.node.account_services import AccountServices
from huren.node.accounts import AccountError, Login, Purpose
from huren.node.accounts.errors import InvalidCredentials, RateLimited, WrongCode
from huren.node.console_roles import ConsoleRoleService
from huren.node.ports import PortError

__all__ = ["router"]

router = APIRouter(prefix="/console", include_in_schema=False)

_ROLE_NAMES = {"auditor": Role.AUDITOR, "ca-operator": Role.CA_OPERATOR}


class _Refused(Exception):
    def __init__(self, message: str, status_code: int, **form: object) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.form = form


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _check(services: AccountServices, action: str, phone: str, secret: str, client: str) -> Login:
    accounts = services.accounts
    if action == "password":
        login = accounts.login_password(phone, secret, client)
    else:
        login = accounts.login_sms(phone, secret)
    accounts.logout(login.tokens.refresh_token)  # the console's session is its cookie
    return login


def _principal(request: Request, action: str, phone: str, secret: str, chosen: str) -> Principal:
    services: AccountServices | None = request.app.state.account_services
    if services is None:
        raise _Refused("This node has no accounts.", 503)
    try:
        login = _check(services, action, phone, secret, _client(request))
    except (InvalidCredentials, WrongCode) as exc:
        raise _Refused(f"Not signed in: {exc}.", 401, phone=phone) from None
    except RateLimited as exc:
        raise _Refused(f"Not now: {exc}.", 429, phone=phone) from None
    except AccountError as exc:
        raise _Refused(f"Not signed in: {exc}.", 400, phone=phone) from None
    roles: ConsoleRoleService = request.app.state.console_roles
    standing = roles.standing(login.account.id)
    held = [] if standing is None else [_ROLE_NAMES[r.value] for r in standing.roles()]
    if not held:
        raise _Refused("This account holds no console role: ask the center's operator.", 403)
    if chosen:
        role = _ROLE_NAMES.get(chosen)
        if role not in held:
            raise _Refused("This account does not hold that role.", 403, phone=phone)
    elif len(held) == 1:
        role = held[0]
    else:
        raise _Refused(
            "This account holds several roles: choose one and sign in again.",
            409,
            phone=phone,
            choices=[r.value for r in held],
        )
    assert standing is not None and role is not None
    ca_ids = standing.ca_ids() if role == Role.CA_OPERATOR else ()
    return Principal(
        role,
        standing.phone,
        account_id=standing.account_id,
        token_version=standing.token_version,
        ca_ids=ca_ids,
    )


@router.post("/login/account")
async def account_login(
    request: Request,
    action: Annotated[str, Form(max_length=20)] = "password",
    phone: Annotated[str, Form(max_length=40)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    as_: Annotated[str, Form(alias="as", max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    state = state_of(request)
    target = safe_next(next)
    phone = phone.strip()
    if not state.signer.check_login_token(request, csrf, state.now()):
        return login_page(request, target, "The sign-in form expired: try again.", 403)
    if action == "send-code":
        return await _send_code(request, target, phone)
    if action not in ("password", "code"):
        return login_page(request, target, "Choose how to sign in.", 400, phone=phone)
    secret = password if action == "password" else code.strip()
    try:
        principal = await run_in_threadpool(_principal, request, action, phone, secret, as_)
    except _Refused as refused:
        return login_page(request, target, str(refused), refused.status_code, **refused.form)
    response = RedirectResponse(target, 303)
    state.signer.set_session(response, request, state.signer.new_session(principal, state.now()))
    cookies.clear(response, cookies.LOGIN_COOKIE)
    return response


async def _send_code(request: Request, target: str, phone: str) -> Response:
    services: AccountServices | None = request.app.state.account_services
    if services is None:
        return login_page(request, target, "This node has no accounts.", 503)
    try:
        sent = await run_in_threadpool(
            services.accounts.send_code, phone, Purpose.LOGIN, _client(request)
        )
    except RateLimited as exc:
        return login_page(request, target, f"Not now: {exc}.", 429, phone=phone)
    except AccountError as exc:
        return login_page(request, target, f"No code sent: {exc}.", 400, phone=phone)
    except PortError as exc:  # the gateway timed out or is down: try again later
        return login_page(request, target, f"No code sent: {exc}.", 503, phone=phone)
    info = f"A code is on its way to {phone}; it is valid {sent.expires_in // 60} minutes."
    return login_page(request, target, None, 200, phone=phone, info=info, code_sent=True)
