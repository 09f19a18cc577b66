"""The billing services over one database, wired to their ports.

``BillingService`` is what the API (and the applications and download steps) use. A node
builds it with real adapters; ``dev_billing`` builds it on the simulators (the payment
gateway, the bank, in-memory SMS codes) and seeds the demo CAs' dev price list.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine

from huren.node.billing.bank_sim import InMemorySmsCodes, SimulatedBank
from huren.node.billing.bills import Bills
from huren.node.billing.cards import BankCardPort, BankCards, SmsCodeVerifier
from huren.node.billing.events import Clock
from huren.node.billing.gateway import PaymentGateway
from huren.node.billing.gateway_sim import SimulatedGateway
from huren.node.billing.invoices import Invoices
from huren.node.billing.orders import Orders
from huren.node.billing.payments import Payments
from huren.node.billing.prices import seed_dev_price_list
from huren.node.db.engine import write_session

__all__ = ["BillingService", "dev_billing", "wall_clock"]


def wall_clock() -> int:
    return int(time.time())


@dataclass(frozen=True)
class BillingService:
    engine: Engine
    clock: Clock
    gateway: PaymentGateway
    bank: BankCardPort
    sms: SmsCodeVerifier
    orders: Orders
    payments: Payments
    bills: Bills
    invoices: Invoices
    cards: BankCards

    @classmethod
    def build(
        cls,
        engine: Engine,
        *,
        gateway: PaymentGateway,
        bank: BankCardPort,
        sms: SmsCodeVerifier,
        clock: Clock = wall_clock,
    ) -> BillingService:
        orders = Orders(engine, clock)
        return cls(
            engine=engine,
            clock=clock,
            gateway=gateway,
            bank=bank,
            sms=sms,
            orders=orders,
            payments=Payments(engine, gateway, orders, clock),
            bills=Bills(engine),
            invoices=Invoices(engine, clock),
            cards=BankCards(engine, bank, sms, clock),
        )


def dev_billing(
    engine: Engine, *, clock: Clock = wall_clock, sms: SmsCodeVerifier | None = None
) -> BillingService:
    """Billing on the simulators, with the dev price list seeded if none exists. ``sms``:
    the accounts' SMS codes on a node; in-memory codes without one."""
    with write_session(engine) as session:
        seed_dev_price_list(session, now=clock())
    return BillingService.build(
        engine,
        gateway=SimulatedGateway(clock=clock),
        bank=SimulatedBank(),
        sms=InMemorySmsCodes() if sms is None else sms,
        clock=clock,
    )
