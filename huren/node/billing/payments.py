"""Paying an order through the gateway port: start, notifications, queries, expiry, refunds.

Record before calling out: a payment attempt (``billing_payments``, state ``pending``) and the
order's move to ``paying`` commit before the gateway is asked, so a crash or timeout leaves a
trade number that a query can resolve. Gateway answers are applied by ``_apply`` in one write
transaction; it is idempotent (a settled payment ignores anything later), which makes
duplicate and out-of-order notifications harmless. An amount other than the order's is
refused and recorded, and changes nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.billing.errors import (
    AlreadyPaid,
    AmountMismatch,
    GatewayRefused,
    GatewayTimeout,
    InvalidOrderState,
    OrderNotFound,
    PaymentInProgress,
    RefundPending,
    UnknownPayment,
)
from huren.node.billing.events import SYSTEM_ACTOR, Clock, record
from huren.node.billing.gateway import PaymentGateway, PaymentRequest, PaymentStatus
from huren.node.billing.orders import (
    ORDER_TTL_S,
    Order,
    Orders,
    OrderState,
    order_of,
    trade_no,
    transition,
)
from huren.node.db.billing_tables import OrderRow, PaymentRow
from huren.node.db.engine import write_session

__all__ = ["PaidObserver", "PaymentStart", "Payments"]

log = logging.getLogger(__name__)

_SETTLED = {"succeeded", "failed", "closed", "refunded"}

PaidObserver = Callable[[Session, Order], None]
"""Told when an order becomes paid, inside the transaction that records it (so what it writes
commits with the payment or not at all). It must be idempotent and should not raise: an
error rolls the payment back and the gateway notifies again."""


@dataclass(frozen=True, slots=True)
class PaymentStart:
    order: Order
    trade_no: str
    pay_url: str


class Payments:
    def __init__(self, engine: Engine, gateway: PaymentGateway, orders: Orders, clock: Clock):
        self._engine = engine
        self._gateway = gateway
        self._orders = orders
        self._clock = clock
        self._paid_observers: list[PaidObserver] = []

    def observe_paid(self, observer: PaidObserver) -> None:
        """Call ``observer`` whenever an order becomes paid (wired once, at node start: the
        applications move on this way without billing knowing them)."""
        self._paid_observers.append(observer)

    def _order_row(self, session: Session, order_id: str) -> OrderRow:
        row = session.get(OrderRow, order_id, with_for_update=True)  # PostgreSQL: row lock
        if row is None:
            raise OrderNotFound(f"no order {order_id}")
        return row

    def start(self, order_id: str, *, actor: str) -> PaymentStart:
        """Open a payment attempt at the gateway. A paid order raises ``AlreadyPaid``; one
        already paying is first resolved by a query and refused while still pending."""
        order = self._orders.get(order_id)
        if order.state is OrderState.PAYING:
            order = self.reconcile(order_id)
            if order.state is OrderState.PAYING:
                raise PaymentInProgress(f"order {order_id} has a payment in progress")
        now = self._clock()
        with write_session(self._engine) as session:
            row = self._order_row(session, order_id)
            if row.state == OrderState.PAID.value:
                raise AlreadyPaid(f"order {order_id} is paid")
            row.attempts += 1
            row.expires_at = now + ORDER_TTL_S  # each attempt gets the full time to pay
            number = trade_no(order_id, row.attempts)
            transition(
                session, row, OrderState.PAYING, now=now, actor=actor, action="payment_started"
            )
            session.add(
                PaymentRow(
                    trade_no=number,
                    order_id=order_id,
                    amount_fen=row.amount_fen,
                    state="pending",
                    created_at=now,
                )
            )
            request = PaymentRequest(
                number, row.amount_fen, f"{row.ca_id} {row.kind} {row.years}y", row.expires_at
            )
        try:
            created = self._gateway.create_payment(request)
        except GatewayRefused as exc:
            self._apply(number, PaymentStatus.FAILED, None, None, SYSTEM_ACTOR, str(exc))
            raise
        with write_session(self._engine) as session:
            payment = session.get(PaymentRow, number, with_for_update=True)
            assert payment is not None
            payment.gateway_trade_no = created.gateway_trade_no
            session.add(payment)
            order = order_of(self._order_row(session, order_id))
        return PaymentStart(order, number, created.pay_url)

    def handle_notification(self, body: bytes, signature: str) -> Order:
        """Apply a gateway notification (signature verified by the port). Duplicates and
        stale ones change nothing; a wrong amount raises ``AmountMismatch``."""
        note = self._gateway.parse_notification(body, signature)
        return self._apply(
            note.trade_no,
            note.status,
            note.amount_fen,
            note.gateway_trade_no,
            self._gateway.name,
            f"notification {note.notify_id}",
        )

    def reconcile(self, order_id: str) -> Order:
        """Ask the gateway about the order's current attempt and apply the answer."""
        order = self._orders.get(order_id)
        number = order.current_trade_no
        if order.state is not OrderState.PAYING or number is None:
            return order
        try:
            answer = self._gateway.query_payment(number)
        except UnknownPayment:  # the create never reached the gateway
            return self._apply(number, PaymentStatus.FAILED, None, None, SYSTEM_ACTOR, "lost")
        return self._apply(
            number, answer.status, answer.amount_fen, answer.gateway_trade_no, SYSTEM_ACTOR, "query"
        )

    def expire(self, order_id: str) -> Order:
        """Expire an order past its deadline: close its trade at the gateway first, so that
        the payer cannot pay afterwards (if they already did, the order is paid instead)."""
        order = self.reconcile(order_id)
        now = self._clock()
        if now < order.expires_at or order.state not in TO_EXPIRE:
            return order
        number = order.current_trade_no
        if order.state is OrderState.PAYING and number is not None:
            answer = self._gateway.close_payment(number)
            order = self._apply(
                number, answer.status, answer.amount_fen, None, SYSTEM_ACTOR, "closed"
            )
            if order.state not in TO_EXPIRE:
                return order
        with write_session(self._engine) as session:
            row = self._order_row(session, order_id)
            if OrderState(row.state) in TO_EXPIRE:
                transition(
                    session, row, OrderState.EXPIRED, now=now, actor=SYSTEM_ACTOR, action="expired"
                )
            return order_of(row)

    def expire_due(self) -> list[Order]:
        """Expire every order past its deadline that is not settled (a periodic job); an
        order whose gateway does not answer stays for the next run."""
        with Session(self._engine) as session:
            due = session.exec(
                select(OrderRow.order_id).where(
                    col(OrderRow.state).in_([s.value for s in TO_EXPIRE]),
                    OrderRow.expires_at <= self._clock(),
                )
            ).all()
        expired = []
        for order_id in due:
            try:
                expired.append(self.expire(order_id))
            except (GatewayTimeout, GatewayRefused) as exc:  # the next run tries again
                log.warning("could not expire order %s: %s", order_id, exc)
        return expired

    def refund_rejected(self, application_id: str, *, actor: str, reason: str) -> Order:
        """Refund the paid order of an application the CA rejected after payment. A gateway
        timeout raises ``RefundPending`` (the order stays paid); calling again is safe: the
        refund number is the same, and the gateway refunds once."""
        order = self._orders.find_by_application(application_id)
        if order is None:
            raise OrderNotFound(f"no order for application {application_id}")
        if order.state is OrderState.REFUNDED:
            return order
        if order.state is not OrderState.PAID:
            raise InvalidOrderState(f"order {order.order_id} is {order.state.value}, not paid")
        with Session(self._engine) as session:
            paid = session.exec(
                select(PaymentRow).where(
                    PaymentRow.order_id == order.order_id, PaymentRow.state == "succeeded"
                )
            ).first()
        if paid is None:
            raise InvalidOrderState(f"order {order.order_id} has no succeeded payment")
        refund_no = f"{order.order_id}-refund"
        try:
            self._gateway.refund(paid.trade_no, refund_no, order.amount_fen)
        except GatewayTimeout as exc:
            self._note(order, actor, "refund_pending", f"{refund_no}: {exc}")
            raise RefundPending(f"refund {refund_no} sent, not confirmed; retry") from exc
        except GatewayRefused as exc:
            self._note(order, actor, "refund_refused", f"{refund_no}: {exc}")
            raise
        now = self._clock()
        with write_session(self._engine) as session:  # payment, then order: as _apply locks
            payment = session.get(PaymentRow, paid.trade_no, with_for_update=True)
            assert payment is not None
            row = self._order_row(session, order.order_id)
            if row.state == OrderState.REFUNDED.value:
                return order_of(row)
            transition(
                session, row, OrderState.REFUNDED, now=now, actor=actor, action="refunded",
                detail=f"{refund_no}: {reason}"[:500],
            )  # fmt: skip
            payment.state = "refunded"
            session.add(payment)
            return order_of(row)

    def _note(self, order: Order, actor: str, action: str, detail: str) -> None:
        with write_session(self._engine) as session:
            record(
                session, at=self._clock(), actor=actor, subject_kind="order",
                subject_id=order.order_id, action=action, amount_fen=order.amount_fen,
                detail=detail,
            )  # fmt: skip

    def _apply(
        self,
        number: str,
        status: PaymentStatus,
        amount: int | None,
        gateway_trade_no: str | None,
        actor: str,
        detail: str,
    ) -> Order:
        now = self._clock()
        with Session(self._engine) as session:
            known = session.get(PaymentRow, number)
        if known is None:
            raise UnknownPayment(f"no payment {number}")
        if amount is not None and amount != known.amount_fen:
            mismatch = f"{detail}: gateway says {amount} fen, the payment is {known.amount_fen}"
            with write_session(self._engine) as session:
                record(
                    session, at=now, actor=actor, subject_kind="payment", subject_id=number,
                    action="amount_mismatch", amount_fen=amount, detail=mismatch,
                )  # fmt: skip
            raise AmountMismatch(mismatch)
        with write_session(self._engine) as session:
            payment = session.get(PaymentRow, number, with_for_update=True)
            assert payment is not None
            row = self._order_row(session, payment.order_id)
            if payment.state in _SETTLED or status is PaymentStatus.PENDING:
                return order_of(row)  # duplicate or stale: nothing changes
            before = payment.state
            payment.state = status.value
            payment.settled_at = now
            payment.gateway_trade_no = gateway_trade_no or payment.gateway_trade_no
            session.add(payment)
            record(
                session, at=now, actor=actor, subject_kind="payment", subject_id=number,
                action=status.value, from_state=before, to_state=status.value,
                amount_fen=payment.amount_fen, detail=detail,
            )  # fmt: skip
            state = OrderState(row.state)
            if status is PaymentStatus.SUCCEEDED and state is OrderState.PAYING:
                transition(session, row, OrderState.PAID, now=now, actor=actor, action="paid")
                paid = order_of(row)
                for observer in self._paid_observers:
                    observer(session, paid)
            elif status is PaymentStatus.SUCCEEDED:
                # Money arrived for an order that is not waiting for it (a second attempt
                # paid, or paid after it expired): keep the order, flag the payment.
                record(
                    session, at=now, actor=actor, subject_kind="order", subject_id=row.order_id,
                    action="unexpected_payment", amount_fen=payment.amount_fen,
                    detail=f"{number} succeeded while the order is {state.value}: refund it",
                )  # fmt: skip
            elif state is OrderState.PAYING and trade_no(row.order_id, row.attempts) == number:
                # A trade closed unpaid (deadline passed, or closed by us) lapsed: expired.
                lapsed = status is PaymentStatus.CLOSED
                transition(
                    session, row, OrderState.EXPIRED if lapsed else OrderState.FAILED, now=now,
                    actor=actor, action=f"payment_{status.value}", detail=detail,
                )  # fmt: skip
            return order_of(row)


TO_EXPIRE = frozenset({OrderState.CREATED, OrderState.PAYING, OrderState.FAILED})
