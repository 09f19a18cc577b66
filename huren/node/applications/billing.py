"""The fee of an application, its order and payment: the seam to billing.

``Billing`` is what the application service needs. ``NodeBilling`` adapts the node's
``BillingService`` (``huren.node.billing``): fees from its versioned price lists, one order
per application in the applicant's name, payment through its gateway port, refunds when a
CA rejects after payment. Billing knows nothing of applications: when it marks an order
paid it tells an observer (``Payments.observe_paid``) that ``wiring`` registers, and the
application moves to paid in the same transaction.

Billing prices three kinds; the nine application kinds map onto them (``BILLING_KIND``):
renewal → renewal, re-application → re-application, admin transfer → free (no order), every
other kind (claim, join, personal, enterprise certificate, recovery, enterprise change) →
new, since each issues a fresh certificate pair.

``UnconfiguredBilling`` is what a node without a payment gateway runs: it quotes from a
fixed list, but nothing can be paid (503 ``BILLING_UNAVAILABLE``), so no certificate is free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from huren.node.applications.errors import InvalidApplication, PaymentUnavailable
from huren.node.applications.model import ApplicationKind
from huren.node.billing import orders as billing_orders
from huren.node.billing import prices
from huren.node.billing.orders import OrderState
from huren.node.billing.service import BillingService

__all__ = [
    "BILLING_KIND",
    "Billing",
    "FixedPriceList",
    "NodeBilling",
    "Order",
    "OrderTerms",
    "PaymentStarted",
    "UnconfiguredBilling",
]

_K, _B = ApplicationKind, prices.ApplicationKind
BILLING_KIND: Mapping[ApplicationKind, prices.ApplicationKind | None] = {
    _K.CLAIM_ENTERPRISE: _B.NEW,
    _K.JOIN_ENTERPRISE: _B.NEW,
    _K.PERSONAL: _B.NEW,
    _K.ENTERPRISE_CERTIFICATE: _B.NEW,
    _K.RENEWAL: _B.RENEWAL,
    _K.REAPPLICATION: _B.REAPPLICATION,
    _K.RECOVERY: _B.NEW,
    _K.ENTERPRISE_CHANGE: _B.NEW,  # per chosen certificate pair (OrderTerms.quantity)
    _K.CHANGE_REISSUE: None,  # paid for by its enterprise change
    _K.ADMIN_TRANSFER: None,  # free: no certificate is issued
}


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What an application's order is for (it cannot change once approved)."""

    application_id: str
    account_id: str
    ca_id: str
    kind: ApplicationKind
    years: int
    enterprise_id: str | None = None
    quantity: int = 1  # certificate pairs paid for: an enterprise change re-issues several


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    application_id: str
    amount_fen: int
    paid: bool


@dataclass(frozen=True, slots=True)
class PaymentStarted:
    order_id: str
    amount_fen: int
    trade_no: str
    pay_url: str  # what the app opens; the gateway notifies /v1/billing/notify when paid


class Billing(Protocol):
    def quote(self, ca_id: str, kind: ApplicationKind, years: int) -> int:
        """The fee in fen (0.01 yuan) in force now."""
        ...

    def order_for(self, terms: OrderTerms) -> Order:
        """The application's order (created on first call, the same one after)."""
        ...

    def start_payment(self, application_id: str, account_id: str) -> PaymentStarted: ...

    def is_paid(self, application_id: str) -> bool: ...

    def refund(self, application_id: str, *, actor: str, reason: str) -> None:
        """Refund the paid order (idempotent); raises billing's errors when it cannot."""
        ...


class NodeBilling:
    """The applications' billing over the node's ``BillingService``."""

    def __init__(self, billing: BillingService) -> None:
        self.service = billing

    def quote(self, ca_id: str, kind: ApplicationKind, years: int) -> int:
        key = _key(ca_id, kind, years)
        if key is None:
            return 0
        with Session(self.service.engine) as session:
            amount, _ = prices.price_of(session, key, at=self.service.clock())
        return amount

    def order_for(self, terms: OrderTerms) -> Order:
        key = _key(terms.ca_id, terms.kind, terms.years)
        if key is None:
            raise InvalidApplication(f"a {terms.kind.value} application is free: no order")
        order = self.service.orders.create(
            application_id=terms.application_id,
            account_ref=terms.account_id,
            key=key,
            enterprise_ref=terms.enterprise_id,
            quantity=terms.quantity,
        )
        return Order(order.order_id, order.application_id, order.amount_fen, _paid(order.state))

    def start_payment(self, application_id: str, account_id: str) -> PaymentStarted:
        order = self.service.orders.find_by_application(application_id)
        if order is None or order.account_ref != account_id:
            raise InvalidApplication(f"application {application_id} has no order of yours")
        started = self.service.payments.start(order.order_id, actor=account_id)
        return PaymentStarted(
            order.order_id, started.order.amount_fen, started.trade_no, started.pay_url
        )

    def is_paid(self, application_id: str) -> bool:
        return self.service.orders.is_paid(application_id)

    @staticmethod
    def is_order_of(order: billing_orders.Order, terms: OrderTerms) -> bool:
        """Whether billing's ``order`` is the order of ``terms`` (application, account, CA,
        kind, years, quantity): an order made by hand through /v1/billing/orders with other
        terms (a cheaper kind, or one certificate of a change's several) pays for nothing."""
        key = _key(terms.ca_id, terms.kind, terms.years)
        return key is not None and (
            order.application_id,
            order.account_ref,
            order.ca_id,
            order.kind,
            order.years,
            order.quantity,
        ) == (
            terms.application_id,
            terms.account_id,
            key.ca_id,
            key.kind,
            key.years,
            terms.quantity,
        )

    def refund(self, application_id: str, *, actor: str, reason: str) -> None:
        self.service.payments.refund_rejected(application_id, actor=actor, reason=reason)


def _key(ca_id: str, kind: ApplicationKind, years: int) -> prices.PriceKey | None:
    billed = BILLING_KIND[ApplicationKind(kind)]
    if billed is None:
        return None
    if years not in prices.VALIDITY_YEARS:
        raise InvalidApplication("validity is 1, 2 or 3 years")
    return prices.PriceKey(ca_id, billed, years)


def _paid(state: OrderState) -> bool:
    return state is OrderState.PAID


# Yuan per year of the unconfigured node's quotes (what the node would charge is unknown).
_YEARLY_YUAN = {
    ApplicationKind.CLAIM_ENTERPRISE: 300,
    ApplicationKind.JOIN_ENTERPRISE: 200,
    ApplicationKind.PERSONAL: 100,
    ApplicationKind.ENTERPRISE_CERTIFICATE: 300,
    ApplicationKind.RENEWAL: 240,
    ApplicationKind.REAPPLICATION: 300,
    ApplicationKind.RECOVERY: 100,
    ApplicationKind.ENTERPRISE_CHANGE: 100,  # per chosen certificate pair
    ApplicationKind.CHANGE_REISSUE: 0,
    ApplicationKind.ADMIN_TRANSFER: 0,
}


class FixedPriceList:
    """A yearly fee per kind, the same at every CA."""

    def price(self, ca_id: str, kind: ApplicationKind, years: int) -> int:
        if not 1 <= years <= 3:
            raise InvalidApplication("validity is 1, 2 or 3 years")
        return _YEARLY_YUAN[ApplicationKind(kind)] * years * 100


class UnconfiguredBilling:
    """A node without a payment gateway: it quotes, nothing can be paid or refunded."""

    def __init__(self) -> None:
        self.prices = FixedPriceList()

    def quote(self, ca_id: str, kind: ApplicationKind, years: int) -> int:
        return self.prices.price(ca_id, kind, years)

    def order_for(self, terms: OrderTerms) -> Order:
        raise PaymentUnavailable("this node has no payment service configured")

    def start_payment(self, application_id: str, account_id: str) -> PaymentStarted:
        raise PaymentUnavailable("this node has no payment service configured")

    def is_paid(self, application_id: str) -> bool:
        return False

    def refund(self, application_id: str, *, actor: str, reason: str) -> None:
        raise PaymentUnavailable("this node has no payment service configured")
