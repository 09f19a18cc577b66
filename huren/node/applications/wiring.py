"""The application services of a node, built over its database, PKI, account services and
billing (the node's one ``BillingService``, also the API's)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from huren.node.account_services import AccountServices
from huren.node.applications.billing import Billing, NodeBilling, UnconfiguredBilling
from huren.node.applications.issuing import CertificateDesk
from huren.node.applications.service import ApplicationService
from huren.node.billing.orders import Order
from huren.node.billing.service import BillingService
from huren.node.pki.service import Pki
from huren.node.seal_management import SealManagement

__all__ = ["ApplicationServices", "build_application_services"]


@dataclass(frozen=True)
class ApplicationServices:
    applications: ApplicationService
    desk: CertificateDesk
    billing: Billing
    seals: SealManagement | None = None  # the node's seal management (on the same clock)


def build_application_services(
    engine: Engine,
    pki: Pki,
    accounts: AccountServices,
    billing: BillingService | None,
    *,
    clock: Callable[[], float] = time.time,
) -> ApplicationServices:
    """With the node's ``billing``, applications are paid through it (and registered as its
    paid-order observer); without one (no payment gateway configured) nothing can be paid."""
    seam: Billing = UnconfiguredBilling() if billing is None else NodeBilling(billing)
    service = ApplicationService(
        engine,
        accounts.identity,
        seam,
        issuing_cas=lambda: frozenset(pki.cas),
        clock=clock,
    )
    if billing is not None:

        def on_paid(session: Session, order: Order) -> None:
            is_order = functools.partial(NodeBilling.is_order_of, order)
            service.paid_by_billing(session, order.application_id, order.order_id, is_order)

        billing.payments.observe_paid(on_paid)
    # The seal on an approved application's form (2.11.3.2).
    seals = SealManagement(engine, clock=clock)
    service.approval_observers.append(seals.on_application_approved)
    desk = CertificateDesk(service, pki.issuance, accounts.accounts, clock=clock)
    return ApplicationServices(service, desk, seam, seals)
