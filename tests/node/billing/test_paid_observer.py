"""The paid-order observer (how applications learn of payments without billing knowing
them): told once, inside the transaction that records the payment, whatever way the order
became paid; an observer's error rolls the payment back, so the gateway's retry applies it."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from huren.node.billing.gateway_sim import Outcome
from huren.node.billing.orders import Order, OrderState
from huren.node.db.billing_tables import OrderRow
from tests.node.billing.conftest import Billing
from tests.node.billing.test_payments import deliver_all, new_order


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, OrderState, str]] = []
        self.fail = False

    def __call__(self, session: Session, order: Order) -> None:
        row = session.get(OrderRow, order.order_id)  # the caller's uncommitted change
        assert row is not None
        self.seen.append((order.order_id, order.state, row.state))
        if self.fail:
            raise RuntimeError("observer failed")


def test_told_once_in_the_transaction_and_not_for_duplicates(billing: Billing) -> None:
    told = Recorder()
    billing.payments.observe_paid(told)
    order = new_order(billing)
    billing.gateway.script(Outcome.DUPLICATE)
    billing.payments.start(order.order_id, actor="acct-1")
    assert told.seen == []  # starting a payment pays nothing
    deliver_all(billing)
    assert told.seen == [(order.order_id, OrderState.PAID, "paid")]
    billing.payments.reconcile(order.order_id)  # a paid order: nothing to apply
    assert len(told.seen) == 1


def test_told_when_a_query_finds_the_order_paid(billing: Billing) -> None:
    told = Recorder()
    billing.payments.observe_paid(told)
    order = new_order(billing)
    billing.gateway.script(Outcome.SILENT)
    billing.payments.start(order.order_id, actor="acct-1")
    assert billing.payments.reconcile(order.order_id).state is OrderState.PAID
    assert told.seen == [(order.order_id, OrderState.PAID, "paid")]


def test_an_observer_error_rolls_the_payment_back_and_the_retry_applies_it(
    billing: Billing,
) -> None:
    told = Recorder()
    told.fail = True
    billing.payments.observe_paid(told)
    order = new_order(billing)
    billing.payments.start(order.order_id, actor="acct-1")
    [note] = billing.gateway.take_outbox()
    with pytest.raises(RuntimeError):
        billing.payments.handle_notification(note.body, note.signature)
    assert billing.orders.get(order.order_id).state is OrderState.PAYING
    told.fail = False
    paid = billing.payments.handle_notification(note.body, note.signature)  # the retry
    assert paid.state is OrderState.PAID
    assert [s for _, s, _ in told.seen] == [OrderState.PAID, OrderState.PAID]
