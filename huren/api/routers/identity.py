"""Identity verification of the signed-in account (``/v1/identity``, manual 2.5): CFCA,
Alipay face (start, then complete after the face check in Alipay) and bank card four
factors. Check digits are verified before any provider is asked (422 INVALID_RESIDENT_ID,
INVALID_BANK_CARD); a provider's "no" is 422 IDENTITY_REJECTED with its ``reason``; its
failure 503 UPSTREAM_UNAVAILABLE, its silence 504 UPSTREAM_TIMEOUT."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep, AccountServicesDep
from huren.api.account_schemas import AlipayIn, AlipayStartedOut, BankCardIn, CfcaIn, IdentityOut
from huren.api.problems import ApiProblem

router = APIRouter(prefix="/v1/identity", tags=["identity"], responses=ACCOUNT_RESPONSES)
_CREATED = status.HTTP_201_CREATED


@router.get("")
def identity(account: AccountDep, services: AccountServicesDep) -> IdentityOut:
    verified = services.identity.identity(account.id)
    if verified is None:
        raise ApiProblem(404, "NOT_VERIFIED", "the account has no verified identity")
    return IdentityOut.of(verified)


@router.post("/cfca", status_code=_CREATED)
def cfca(body: CfcaIn, account: AccountDep, services: AccountServicesDep) -> IdentityOut:
    return IdentityOut.of(services.identity.verify_cfca(account.id, body.name, body.id_number))


@router.post("/alipay", status_code=_CREATED)
def alipay_start(
    body: AlipayIn, account: AccountDep, services: AccountServicesDep
) -> AlipayStartedOut:
    """Start a face certification: open ``url`` in Alipay, then complete it here."""
    started = services.identity.start_alipay(account.id, body.name, body.id_number)
    return AlipayStartedOut.of(started)


@router.post("/alipay/{certify_id}/complete", status_code=_CREATED)
def alipay_complete(
    certify_id: Annotated[str, Path(min_length=1, max_length=64)],
    account: AccountDep,
    services: AccountServicesDep,
) -> IdentityOut:
    """409 CERTIFICATION_PENDING while the face check is unfinished: ask again."""
    return IdentityOut.of(services.identity.complete_alipay(account.id, certify_id))


@router.post("/bank-card", status_code=_CREATED)
def bank_card(body: BankCardIn, account: AccountDep, services: AccountServicesDep) -> IdentityOut:
    verified = services.identity.verify_bank_card(
        account.id, body.name, body.id_number, body.card_number, body.phone
    )
    return IdentityOut.of(verified)
