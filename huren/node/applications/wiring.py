"""The application services of a node, built over its database, PKI and account services."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from huren.node.account_services import AccountServices
from huren.node.applications.billing import Billing, DevBilling, UnconfiguredBilling
from huren.node.applications.issuing import CertificateDesk
from huren.node.applications.service import ApplicationService
from huren.node.pki.service import Pki

__all__ = ["ApplicationServices", "build_application_services"]


@dataclass(frozen=True)
class ApplicationServices:
    applications: ApplicationService
    desk: CertificateDesk
    billing: Billing


def build_application_services(
    engine: Engine,
    pki: Pki,
    accounts: AccountServices,
    *,
    billing: Billing | None = None,
    env: str = "dev",
    clock: Callable[[], float] = time.time,
) -> ApplicationServices:
    """``billing`` defaults to ``DevBilling`` (in memory, paid by a call) on a dev or test
    node and to ``UnconfiguredBilling`` (nothing can be paid) elsewhere, until the billing
    work replaces both."""
    if billing is None:
        billing = DevBilling() if env in ("dev", "test") else UnconfiguredBilling()
    service = ApplicationService(
        engine,
        accounts.identity,
        billing,
        issuing_cas=lambda: frozenset(pki.cas),
        clock=clock,
    )
    desk = CertificateDesk(service, pki.issuance, accounts.accounts, clock=clock)
    return ApplicationServices(service, desk, billing)
