"""Who the billing caller is: the signed-in account (its access token as ``Authorization:
Bearer <token>``, ``huren.api.account_deps``); its id is the account reference orders and
bills carry. An enterprise's bills and invoices are its admin's to see and issue; an order is
tagged with an enterprise only by one of its members (``huren.node.enterprises``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine

from huren.api.account_deps import AccountDep as SignedInDep
from huren.api.problems import ApiProblem
from huren.node import enterprises
from huren.node.billing.bills import Owner, OwnerKind

__all__ = ["AccountDep", "current_account", "owner_of"]


async def current_account(account: SignedInDep) -> str:
    return account.id


AccountDep = Annotated[str, Depends(current_account)]


def owner_of(account: str, enterprise: str | None, engine: Engine) -> Owner:
    """The bills' owner: the account itself, or an enterprise it administers."""
    if enterprise is None:
        return Owner(OwnerKind.ACCOUNT, account)
    if not 1 <= len(enterprise) <= 64 or not enterprise.isprintable():
        raise ApiProblem(422, "VALIDATION_FAILED", "enterprise: 1-64 printable characters")
    enterprises.require_role(engine, enterprise, account, admin=True)
    return Owner(OwnerKind.ENTERPRISE, enterprise)
