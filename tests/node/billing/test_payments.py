"""Orders and payments through the simulated gateway: every scripted behaviour, the state
machine, idempotency, the download gate, expiry and refunds."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from huren.node.billing.errors import (
    AlreadyPaid,
    AmountMismatch,
    GatewayRefused,
    GatewayTimeout,
    InvalidNotificationSignature,
    InvalidOrderRequest,
    InvalidOrderState,
    NotPaid,
    PaymentInProgress,
    RefundPending,
    UnknownPayment,
)
from huren.node.billing.events import events_of
from huren.node.billing.gateway_sim import Outcome
from huren.node.billing.money import fen
from huren.node.billing.orders import ORDER_TTL_S, Order, OrderState, transition
from huren.node.billing.prices import ApplicationKind, PriceKey, publish_price_list
from huren.node.db.billing_tables import OrderRow
from huren.node.db.engine import write_session
from tests.node.billing.conftest import T0, Billing

KEY = PriceKey("zjca", ApplicationKind.NEW, 1)


def new_order(b: Billing, application: str = "app-1", account: str = "acct-1") -> Order:
    return b.orders.create(application_id=application, account_ref=account, key=KEY)


def deliver_all(b: Billing) -> Order | None:
    order = None
    for note in b.gateway.take_outbox():
        order = b.payments.handle_notification(note.body, note.signature)
    return order


def order_trail(b: Billing, order_id: str) -> list[tuple[str | None, str | None]]:
    with Session(b.engine) as session:
        return [
            (e.from_state, e.to_state)
            for e in events_of(session, "order", order_id)
            if e.to_state is not None
        ]


def test_pay_and_notify_unlocks_the_download(billing: Billing) -> None:
    order = new_order(billing)
    assert (order.state, order.amount_fen, order.price_list_version) == ("created", 30000, 1)
    assert not billing.orders.is_paid("app-1")
    with pytest.raises(NotPaid):
        billing.orders.require_paid("app-1")
    started = billing.payments.start(order.order_id, actor="acct-1")
    assert started.order.state is OrderState.PAYING
    assert started.pay_url.startswith("simpay://")
    assert not billing.orders.is_paid("app-1")  # paying is not paid
    paid = deliver_all(billing)
    assert paid is not None and paid.state is OrderState.PAID and paid.paid_at == T0
    assert billing.orders.is_paid("app-1")
    assert billing.orders.require_paid("app-1").order_id == order.order_id
    assert order_trail(billing, order.order_id) == [
        (None, "created"),
        ("created", "paying"),
        ("paying", "paid"),
    ]


def test_creation_is_idempotent_per_application(billing: Billing) -> None:
    first = new_order(billing)
    assert new_order(billing) == first
    with pytest.raises(InvalidOrderState, match="other terms"):
        billing.orders.create(
            application_id="app-1",
            account_ref="acct-1",
            key=PriceKey("zjca", ApplicationKind.NEW, 2),
        )


def test_a_price_change_never_alters_an_existing_order(billing: Billing) -> None:
    before = new_order(billing)
    with write_session(billing.engine) as session:
        publish_price_list(session, {KEY: fen(99900)}, effective_at=T0, now=T0, actor="admin")
    assert billing.orders.get(before.order_id).amount_fen == 30000
    after = new_order(billing, "app-2")
    assert (after.amount_fen, after.price_list_version) == (99900, 2)


def test_paying_twice_is_refused(billing: Billing) -> None:
    order = new_order(billing)
    billing.payments.start(order.order_id, actor="acct-1")
    deliver_all(billing)
    with pytest.raises(AlreadyPaid):
        billing.payments.start(order.order_id, actor="acct-1")


def test_a_pending_payment_blocks_a_second_attempt(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.ABANDON)
    billing.payments.start(order.order_id, actor="acct-1")
    with pytest.raises(PaymentInProgress):
        billing.payments.start(order.order_id, actor="acct-1")


@pytest.mark.parametrize("outcome", [Outcome.DUPLICATE, Outcome.OUT_OF_ORDER])
def test_duplicate_and_out_of_order_notifications_change_nothing(
    billing: Billing, outcome: Outcome
) -> None:
    order = new_order(billing)
    billing.gateway.script(outcome)
    billing.payments.start(order.order_id, actor="acct-1")
    notes = billing.gateway.take_outbox()
    assert len(notes) == 2
    first = billing.payments.handle_notification(notes[0].body, notes[0].signature)
    with Session(billing.engine) as session:
        count = len(events_of(session, "order", order.order_id))
    again = billing.payments.handle_notification(notes[1].body, notes[1].signature)
    assert first == again and again.state is OrderState.PAID
    with Session(billing.engine) as session:
        assert len(events_of(session, "order", order.order_id)) == count


def test_stale_pending_delivered_before_success(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.OUT_OF_ORDER)
    billing.payments.start(order.order_id, actor="acct-1")
    success, pending = billing.gateway.take_outbox()
    assert billing.payments.handle_notification(pending.body, pending.signature).state == "paying"
    assert billing.payments.handle_notification(success.body, success.signature).state == "paid"


def test_failure_then_retry_succeeds(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.FAIL)
    billing.payments.start(order.order_id, actor="acct-1")
    failed = deliver_all(billing)
    assert failed is not None and failed.state is OrderState.FAILED
    retried = billing.payments.start(order.order_id, actor="acct-1")
    assert retried.trade_no == f"{order.order_id}-2"
    assert deliver_all(billing).state is OrderState.PAID  # type: ignore[union-attr]
    assert order_trail(billing, order.order_id)[1:] == [
        ("created", "paying"),
        ("paying", "failed"),
        ("failed", "paying"),
        ("paying", "paid"),
    ]


def test_refused_create_fails_the_attempt(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.REFUSE)
    with pytest.raises(GatewayRefused):
        billing.payments.start(order.order_id, actor="acct-1")
    assert billing.orders.get(order.order_id).state is OrderState.FAILED


def test_timeout_then_query_finds_it_paid(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.TIMEOUT_PAID)
    with pytest.raises(GatewayTimeout):
        billing.payments.start(order.order_id, actor="acct-1")
    assert billing.orders.get(order.order_id).state is OrderState.PAYING
    assert billing.gateway.outbox == []
    assert billing.payments.reconcile(order.order_id).state is OrderState.PAID


def test_timeout_of_a_lost_create_fails_on_query(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.TIMEOUT_LOST)
    with pytest.raises(GatewayTimeout):
        billing.payments.start(order.order_id, actor="acct-1")
    assert billing.payments.reconcile(order.order_id).state is OrderState.FAILED


def test_silent_success_is_found_when_paying_again(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.SILENT)
    billing.payments.start(order.order_id, actor="acct-1")
    with pytest.raises(AlreadyPaid):  # start reconciles first, and finds it paid
        billing.payments.start(order.order_id, actor="acct-1")


def test_amount_mismatch_is_refused_and_recorded(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.WRONG_AMOUNT)
    started = billing.payments.start(order.order_id, actor="acct-1")
    with pytest.raises(AmountMismatch):
        deliver_all(billing)
    assert billing.orders.get(order.order_id).state is OrderState.PAYING
    with Session(billing.engine) as session:
        (event,) = events_of(session, "payment", started.trade_no)
    assert (event.action, event.amount_fen) == ("amount_mismatch", 29999)


def test_forged_and_garbled_notifications_are_refused(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.FORGED)
    billing.payments.start(order.order_id, actor="acct-1")
    (forged,) = billing.gateway.take_outbox()
    with pytest.raises(InvalidNotificationSignature):
        billing.payments.handle_notification(forged.body, forged.signature)
    with pytest.raises(InvalidNotificationSignature):
        billing.payments.handle_notification(b"{}", "not base64!")
    assert billing.orders.get(order.order_id).state is OrderState.PAYING


def test_notification_for_an_unknown_trade(billing: Billing) -> None:
    other = type(billing.gateway)(clock=billing.clock)  # same key, a trade we never started
    other._trades.clear()
    order = new_order(billing)
    billing.payments.start(order.order_id, actor="acct-1")
    note = billing.gateway.take_outbox()[0]
    forged_body = note.body.replace(order.order_id.encode(), b"ord_000000000000000000000000")
    resigned = other._sign(forged_body, other._key)
    with pytest.raises(UnknownPayment):
        billing.payments.handle_notification(resigned.body, resigned.signature)


def test_abandoned_payment_expires_its_trade_is_closed_and_a_new_attempt_may_follow(
    billing: Billing,
) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.ABANDON)
    billing.clock.now += 600  # the attempt's deadline counts from the attempt
    started = billing.payments.start(order.order_id, actor="acct-1")
    assert started.order.expires_at == billing.clock.now + ORDER_TTL_S
    billing.clock.now += ORDER_TTL_S - 1
    assert billing.payments.expire_due() == []  # not due yet
    billing.clock.now += 1
    (expired,) = billing.payments.expire_due()
    assert expired.state is OrderState.EXPIRED
    assert billing.gateway.query_payment(started.trade_no).status == "closed"  # unpayable now
    again = billing.payments.start(order.order_id, actor="acct-1")
    assert (again.trade_no, again.order.amount_fen) == (f"{order.order_id}-2", 30000)
    assert deliver_all(billing).state is OrderState.PAID  # type: ignore[union-attr]
    assert order_trail(billing, order.order_id)[-3:] == [
        ("paying", "expired"),
        ("expired", "paying"),
        ("paying", "paid"),
    ]


def test_refunded_and_paid_orders_never_expire(billing: Billing) -> None:
    order = new_order(billing)
    billing.payments.start(order.order_id, actor="acct-1")
    deliver_all(billing)
    billing.clock.now += 10 * ORDER_TTL_S
    assert billing.payments.expire_due() == []
    assert billing.payments.expire(order.order_id).state is OrderState.PAID


@pytest.mark.parametrize(
    ("application", "account"), [("", "acct"), ("a" * 65, "acct"), ("app", "\n"), ("app", "")]
)
def test_bad_references_are_refused(billing: Billing, application: str, account: str) -> None:
    with pytest.raises(InvalidOrderRequest):
        billing.orders.create(application_id=application, account_ref=account, key=KEY)


def test_transitions_outside_the_machine_are_refused(billing: Billing) -> None:
    order = new_order(billing)
    with pytest.raises(InvalidOrderState):  # created -> refunded
        billing.payments.refund_rejected("app-1", actor="zjca", reason="x")
    with write_session(billing.engine) as session:
        row = session.get(OrderRow, order.order_id)
        assert row is not None
        with pytest.raises(InvalidOrderState, match="cannot become paid"):
            transition(session, row, OrderState.PAID, now=T0, actor="x", action="paid")


def test_unpaid_created_order_expires(billing: Billing) -> None:
    order = new_order(billing)
    billing.clock.now += ORDER_TTL_S
    assert billing.payments.expire(order.order_id).state is OrderState.EXPIRED


def test_expiry_finds_a_silent_payment_and_keeps_it(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.SILENT)
    billing.payments.start(order.order_id, actor="acct-1")
    billing.clock.now += ORDER_TTL_S
    assert billing.payments.expire(order.order_id).state is OrderState.PAID


def test_refund_on_rejection(billing: Billing) -> None:
    order = new_order(billing)
    started = billing.payments.start(order.order_id, actor="acct-1")
    deliver_all(billing)
    refunded = billing.payments.refund_rejected("app-1", actor="zjca", reason="rejected")
    assert refunded.state is OrderState.REFUNDED and refunded.refunded_at == T0
    assert not billing.orders.is_paid("app-1")
    assert billing.gateway.refunds_of(started.trade_no) == {f"{order.order_id}-refund"}
    again = billing.payments.refund_rejected("app-1", actor="zjca", reason="rejected")
    assert again == refunded


def test_refund_timeout_then_retry_refunds_once(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.REFUND_TIMEOUT)
    started = billing.payments.start(order.order_id, actor="acct-1")
    deliver_all(billing)
    with pytest.raises(RefundPending):
        billing.payments.refund_rejected("app-1", actor="zjca", reason="rejected")
    assert billing.orders.get(order.order_id).state is OrderState.PAID
    assert billing.payments.refund_rejected("app-1", actor="zjca", reason="x").state == "refunded"
    assert len(billing.gateway.refunds_of(started.trade_no)) == 1


def test_refund_refused_keeps_the_order_paid(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.REFUND_REFUSED)
    billing.payments.start(order.order_id, actor="acct-1")
    deliver_all(billing)
    with pytest.raises(GatewayRefused):
        billing.payments.refund_rejected("app-1", actor="zjca", reason="rejected")
    assert billing.orders.get(order.order_id).state is OrderState.PAID


def test_refund_needs_a_paid_order(billing: Billing) -> None:
    new_order(billing)
    with pytest.raises(InvalidOrderState):
        billing.payments.refund_rejected("app-1", actor="zjca", reason="rejected")


def test_success_after_expiry_is_flagged_not_lost(billing: Billing) -> None:
    order = new_order(billing)
    billing.gateway.script(Outcome.DUPLICATE)
    billing.payments.start(order.order_id, actor="acct-1")
    notes = billing.gateway.take_outbox()
    # The order expired locally while the gateway's answer was in flight (forced here).
    with write_session(billing.engine) as session:
        row = session.get(OrderRow, order.order_id)
        assert row is not None
        row.state = "expired"
        session.add(row)
    billing.payments.handle_notification(notes[0].body, notes[0].signature)
    assert billing.orders.get(order.order_id).state is OrderState.EXPIRED
    with Session(billing.engine) as session:
        actions = [e.action for e in events_of(session, "order", order.order_id)]
    assert actions[-1] == "unexpected_payment"


def test_expiry_run_survives_a_gateway_that_does_not_answer(billing: Billing) -> None:
    stuck, other = new_order(billing, "app-1"), new_order(billing, "app-2")
    billing.gateway.script(Outcome.ABANDON)
    billing.payments.start(stuck.order_id, actor="acct-1")
    billing.clock.now += ORDER_TTL_S

    def no_answer(trade_no: str) -> object:
        raise GatewayTimeout("close timed out")

    billing.gateway.query_payment = no_answer  # type: ignore[assignment,method-assign]
    expired = billing.payments.expire_due()
    assert [o.order_id for o in expired] == [other.order_id]
    assert billing.orders.get(stuck.order_id).state is OrderState.PAYING  # next run
