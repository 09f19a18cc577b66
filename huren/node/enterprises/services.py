"""The enterprise services of a node (personnel and authorizations), built over its
database, PKI (the CA operators' chain clients) and account services (the SMS port)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from huren.node.account_services import AccountServices
from huren.node.enterprises.authorizations import (
    AuthorizationChain,
    AuthorizationService,
    PkiAuthorizationChain,
)
from huren.node.enterprises.personnel import PersonnelService
from huren.node.pki.service import Pki

__all__ = ["EnterpriseServices", "build_enterprise_services"]


@dataclass(frozen=True)
class EnterpriseServices:
    personnel: PersonnelService
    authorizations: AuthorizationService


def build_enterprise_services(
    engine: Engine,
    pki: Pki,
    accounts: AccountServices,
    *,
    chain: AuthorizationChain | None = None,
    clock: Callable[[], float] = time.time,
) -> EnterpriseServices:
    """``chain`` defaults to the PKI's CA operator clients."""
    authorizations = AuthorizationService(
        engine,
        chain or PkiAuthorizationChain(pki.issuance.operator_client),
        served_cas=lambda: frozenset(pki.cas),
        clock=clock,
    )
    personnel = PersonnelService(engine, accounts.accounts.ports.sms, authorizations, clock=clock)
    return EnterpriseServices(personnel, authorizations)
