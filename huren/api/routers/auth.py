"""Registration and login (``/v1/auth``): SMS codes, login by code, password or WeChat,
token refresh and logout, forgotten password; in dev, the SMS outbox (``/v1/dev``).

A first SMS login registers the account. A first WeChat login answers ``bind_required``
with a ticket: send a login code to a phone and bind it with ``/v1/auth/wechat/bind``.
Refresh tokens rotate: each is good once, and a used one presented again ends its session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountServicesDep, ClientDep
from huren.api.account_schemas import (
    AccountOut,
    CodeSentOut,
    LoginOut,
    PasswordLoginIn,
    PasswordResetIn,
    RefreshIn,
    SentSmsOut,
    SmsCodeIn,
    SmsLoginIn,
    TokensOut,
    WeChatBindIn,
    WeChatLoginIn,
    WeChatLoginOut,
)
from huren.api.problems import ApiProblem
from huren.node.account_services import AccountServices
from huren.node.accounts import Login, Purpose, WeChatBindNeeded

router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=ACCOUNT_RESPONSES)
dev_router = APIRouter(prefix="/v1/dev", tags=["dev"], responses=ACCOUNT_RESPONSES)


def _login_out(services: AccountServices, login: Login) -> LoginOut:
    identity = services.identity.identity(login.account.id)
    return LoginOut(
        **TokensOut.of(login.tokens).model_dump(),
        account=AccountOut.of(login.account, identity),
        created=login.created,
    )


@router.post("/sms-codes", status_code=status.HTTP_202_ACCEPTED)
def send_code(body: SmsCodeIn, services: AccountServicesDep, client: ClientDep) -> CodeSentOut:
    """Send a 6-digit code (5 minutes, single use, 5 tries) to log in or register, to reset
    the password, or to bind a bank card (to the card's reserved phone). 429 with
    Retry-After beyond 1 a minute or 10 a day per phone, or 20 an hour per client address."""
    sent = services.accounts.send_code(body.phone, Purpose(body.purpose), client)
    return CodeSentOut(expires_in=sent.expires_in, resend_after=sent.resend_after)


@router.post("/login/sms")
def login_sms(body: SmsLoginIn, services: AccountServicesDep) -> LoginOut:
    """Log in with a login code; the first login registers the account."""
    return _login_out(services, services.accounts.login_sms(body.phone, body.code))


@router.post("/login/password")
def login_password(
    body: PasswordLoginIn, services: AccountServicesDep, client: ClientDep
) -> LoginOut:
    """Log in with phone and password (401 INVALID_CREDENTIALS for either wrong; 429 after
    10 failures of a phone or 30 of a client address in 15 minutes)."""
    login = services.accounts.login_password(body.phone, body.password, client)
    return _login_out(services, login)


@router.post("/login/wechat")
def login_wechat(body: WeChatLoginIn, services: AccountServicesDep) -> WeChatLoginOut:
    """Log in with the WeChat app's OAuth code."""
    outcome = services.accounts.login_wechat(body.code)
    if isinstance(outcome, WeChatBindNeeded):
        return WeChatLoginOut(
            bind_required=True, bind_ticket=outcome.ticket, bind_expires_in=outcome.expires_in
        )
    return WeChatLoginOut(bind_required=False, login=_login_out(services, outcome))


@router.post("/wechat/bind")
def bind_wechat(body: WeChatBindIn, services: AccountServicesDep) -> LoginOut:
    """Bind a first-time WeChat user to a phone (with a login code sent to it) and log in."""
    return _login_out(services, services.accounts.bind_wechat(body.ticket, body.phone, body.code))


@router.post("/refresh")
def refresh(body: RefreshIn, services: AccountServicesDep) -> TokensOut:
    """A new token pair for a refresh token, which is used up."""
    return TokensOut.of(services.accounts.refresh(body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshIn, services: AccountServicesDep) -> Response:
    """End the refresh token's session."""
    services.accounts.logout(body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password/reset", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(body: PasswordResetIn, services: AccountServicesDep) -> Response:
    """Forgotten password: a reset code sets a new one and ends every session."""
    services.accounts.reset_password(body.phone, body.code, body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@dev_router.get("/sms-outbox")
def sms_outbox(
    services: AccountServicesDep,
    phone: Annotated[str | None, Query(max_length=20)] = None,
) -> list[SentSmsOut]:
    """Dev nodes only: the simulated SMS gateway's delivered messages, newest first, so a
    person can log in. 404 on any other node."""
    outbox = services.dev_sms_outbox
    if outbox is None:
        raise ApiProblem(404, "NOT_FOUND", "Not Found")
    return [
        SentSmsOut(phone=m.phone, text=m.text, message_id=m.message_id)
        for m in outbox.outbox(phone)
    ]
