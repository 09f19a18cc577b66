"""The signed-in account (``/v1/account``): who it is, and the settings of manual 2.19 —
change phone (a code to the new number), login password (set a first one, or old to new),
certificate password (a code with the old one, or the code alone when it is forgotten).
Changing the phone or the login password ends every session: log in again."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep, AccountServicesDep, ClientDep
from huren.api.account_schemas import (
    AccountOut,
    CertificatePasswordIn,
    CodeSentOut,
    PasswordIn,
    PhoneChangeIn,
    PhoneCodeIn,
)

router = APIRouter(prefix="/v1/account", tags=["account"], responses=ACCOUNT_RESPONSES)

_NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.get("")
def me(account: AccountDep, services: AccountServicesDep) -> AccountOut:
    return AccountOut.of(account, services.identity.identity(account.id))


@router.put("/password", status_code=_NO_CONTENT)
def password(body: PasswordIn, account: AccountDep, services: AccountServicesDep) -> Response:
    """Without ``old_password``: the first password (409 if one is set). With it: change."""
    if body.old_password is None:
        services.accounts.set_password(account.id, body.new_password)
    else:
        services.accounts.change_password(account.id, body.old_password, body.new_password)
    return Response(status_code=_NO_CONTENT)


@router.post("/phone/code", status_code=status.HTTP_202_ACCEPTED)
def phone_code(
    body: PhoneCodeIn, account: AccountDep, services: AccountServicesDep, client: ClientDep
) -> CodeSentOut:
    """Send a code to the new number (409 PHONE_TAKEN if another account has it)."""
    sent = services.accounts.send_phone_change_code(account.id, body.new_phone, client)
    return CodeSentOut(expires_in=sent.expires_in, resend_after=sent.resend_after)


@router.put("/phone", status_code=_NO_CONTENT)
def change_phone(
    body: PhoneChangeIn, account: AccountDep, services: AccountServicesDep
) -> Response:
    services.accounts.change_phone(account.id, body.new_phone, body.code)
    return Response(status_code=_NO_CONTENT)


@router.post("/certificate-password/code", status_code=status.HTTP_202_ACCEPTED)
def certificate_password_code(
    account: AccountDep, services: AccountServicesDep, client: ClientDep
) -> CodeSentOut:
    """Send a code to the account's phone for changing the certificate password."""
    sent = services.accounts.send_certificate_password_code(account.id, client)
    return CodeSentOut(expires_in=sent.expires_in, resend_after=sent.resend_after)


@router.put("/certificate-password", status_code=_NO_CONTENT)
def certificate_password(
    body: CertificatePasswordIn, account: AccountDep, services: AccountServicesDep
) -> Response:
    services.accounts.change_certificate_password(
        account.id, body.code, body.old_password, body.new_password
    )
    return Response(status_code=_NO_CONTENT)
