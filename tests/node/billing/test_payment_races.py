"""Notifications racing each other (the gateway retries while the first is still being
handled): one transition, one trail entry, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from sqlmodel import Session

from huren.node.billing.events import events_of
from huren.node.billing.gateway_sim import Outcome
from huren.node.billing.orders import OrderState
from huren.node.billing.prices import ApplicationKind, PriceKey
from tests.node.billing.conftest import make_billing


def test_concurrent_duplicate_notifications_pay_once(engine: Engine) -> None:
    billing = make_billing(engine)
    order = billing.orders.create(
        application_id="app", account_ref="acct", key=PriceKey("zjca", ApplicationKind.NEW, 1)
    )
    billing.gateway.script(Outcome.DUPLICATE)
    billing.payments.start(order.order_id, actor="acct")
    first, second = billing.gateway.take_outbox()
    notes = [first, second, first, second]
    barrier = threading.Barrier(len(notes))
    states: list[OrderState] = []

    def deliver(i: int) -> None:
        barrier.wait()
        states.append(billing.payments.handle_notification(notes[i].body, notes[i].signature).state)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(len(notes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert states == [OrderState.PAID] * len(notes)
    with Session(engine) as session:
        actions = [e.action for e in events_of(session, "order", order.order_id)]
    assert actions == ["created", "payment_started", "paid"]
