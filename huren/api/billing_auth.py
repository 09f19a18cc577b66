"""Who the billing caller is: ONE place, so the accounts' bearer tokens replace it in a line.

TEMPORARY: until the accounts service's tokens exist, ``current_account`` accepts the
node-admin key plus an ``X-Huren-Account: <account reference>`` header naming the account
acted for (a trusted front end or a test). Enterprise bills and invoices (``enterprise``
parameter) likewise trust that caller; with real tokens, ``enterprise_owner`` must ask the
enterprise service whether the account belongs to that enterprise.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from huren.api.deps import AdminDep
from huren.api.problems import ApiProblem
from huren.node.billing.bills import Owner, OwnerKind

__all__ = ["AccountDep", "current_account", "owner_of"]


async def current_account(
    _: AdminDep,
    x_huren_account: Annotated[
        str | None,
        Header(description="TEMPORARY: the account acted for, with the node-admin key"),
    ] = None,
) -> str:
    if not x_huren_account or len(x_huren_account) > 64 or not x_huren_account.isprintable():
        raise ApiProblem(
            401, "ACCOUNT_REQUIRED", "send X-Huren-Account: <account reference> (1-64 chars)"
        )
    return x_huren_account


AccountDep = Annotated[str, Depends(current_account)]


def owner_of(account: str, enterprise: str | None) -> Owner:
    """The bills' owner: the account itself, or an enterprise it acts for."""
    if enterprise is None:
        return Owner(OwnerKind.ACCOUNT, account)
    if not 1 <= len(enterprise) <= 64 or not enterprise.isprintable():
        raise ApiProblem(422, "VALIDATION_FAILED", "enterprise: 1-64 printable characters")
    return Owner(OwnerKind.ENTERPRISE, enterprise)
