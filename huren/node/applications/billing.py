"""The fee of an application and whether it is paid: the seam to billing.

``Billing`` is what the application service needs: a quote from the CA's price list, an
order for an application, and whether it is paid. ``DevBilling`` is the in-memory dev
implementation over a fixed ``PriceList``; its payment is a plain call (``pay``), with the
double payment refused as a real cashier would. At merge the billing work (price lists per
CA, orders, the payment port and its simulator) replaces it behind the same Protocol.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from huren.node.applications.errors import (
    AlreadyPaid,
    ApplicationNotFound,
    InvalidApplication,
    NotPaid,
)
from huren.node.applications.model import ApplicationKind

__all__ = ["Billing", "DevBilling", "FixedPriceList", "Order", "PriceList", "UnconfiguredBilling"]


class PriceList(Protocol):
    def price(self, ca_id: str, kind: ApplicationKind, years: int) -> int:
        """The fee in fen (0.01 yuan)."""
        ...


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    application_id: str
    amount_fen: int
    paid: bool


class Billing(Protocol):
    def quote(self, ca_id: str, kind: ApplicationKind, years: int) -> int: ...

    def order_for(self, application_id: str, ca_id: str, amount_fen: int) -> Order:
        """The application's order (created on first call, the same one after)."""
        ...

    def is_paid(self, application_id: str) -> bool: ...


# Yuan per year; the same for every CA in dev (real CAs publish their own lists).
_YEARLY_YUAN = {
    ApplicationKind.CLAIM_ENTERPRISE: 300,
    ApplicationKind.JOIN_ENTERPRISE: 200,
    ApplicationKind.PERSONAL: 100,
    ApplicationKind.ENTERPRISE_CERTIFICATE: 300,
    ApplicationKind.RENEWAL: 240,
    ApplicationKind.REAPPLICATION: 300,
    ApplicationKind.RECOVERY: 100,
    ApplicationKind.ENTERPRISE_CHANGE: 100,
    ApplicationKind.ADMIN_TRANSFER: 0,
}


class FixedPriceList:
    """Dev prices: a yearly fee per kind, the same at every CA."""

    def price(self, ca_id: str, kind: ApplicationKind, years: int) -> int:
        if not 1 <= years <= 3:
            raise InvalidApplication("validity is 1, 2 or 3 years")
        return _YEARLY_YUAN[ApplicationKind(kind)] * years * 100


class DevBilling:
    """In-memory orders (lost on restart: dev only, replaced by billing at merge)."""

    def __init__(self, prices: PriceList | None = None) -> None:
        self.prices = prices or FixedPriceList()
        self._orders: dict[str, Order] = {}
        self._lock = threading.Lock()

    def quote(self, ca_id: str, kind: ApplicationKind, years: int) -> int:
        return self.prices.price(ca_id, kind, years)

    def order_for(self, application_id: str, ca_id: str, amount_fen: int) -> Order:
        with self._lock:
            order = self._orders.get(application_id)
            if order is None:
                order = Order(f"order-{application_id}", application_id, amount_fen, False)
                self._orders[application_id] = order
            return order

    def pay(self, application_id: str) -> Order:
        """The payer pays the order in full (a free order counts as paid on this call)."""
        with self._lock:
            order = self._orders.get(application_id)
            if order is None:
                raise ApplicationNotFound(f"no order for application {application_id}")
            if order.paid:
                raise AlreadyPaid(f"order {order.order_id} is paid already")
            paid = Order(order.order_id, application_id, order.amount_fen, True)
            self._orders[application_id] = paid
            return paid

    def is_paid(self, application_id: str) -> bool:
        order = self._orders.get(application_id)
        return order is not None and order.paid


class UnconfiguredBilling(DevBilling):
    """What a production node runs until billing is merged: it quotes, but nothing can be
    paid (a dev cashier there would hand out certificates for free)."""

    def pay(self, application_id: str) -> Order:
        raise NotPaid("this node has no payment service configured")
