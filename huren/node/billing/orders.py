"""Orders: one per paid application, their states, and the download gate.

States and the only transitions (each one recorded in ``billing_events``)::

    created -> paying -> paid -> refunded      (refund: the CA rejected after payment)
                      -> failed  -> paying     (a failed payment may be retried)
                      -> expired -> paying     (so may a lapsed one, with a new deadline)
    created, failed -> expired

An order keeps its price for good; each payment attempt gets a fresh deadline
(``ORDER_TTL_S``), after which the trade is closed at the gateway and the order expires.

The payment itself lives in ``huren.node.billing.payments``; this module holds the order
records, their creation (idempotent per application), transitions and the ``is_paid`` gate.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from huren.node.billing.errors import (
    InvalidOrderRequest,
    InvalidOrderState,
    NotPaid,
    OrderNotFound,
)
from huren.node.billing.events import Clock, record
from huren.node.billing.prices import ApplicationKind, PriceKey, price_of
from huren.node.db.billing_tables import OrderRow
from huren.node.db.engine import write_session

__all__ = [
    "MAX_QUANTITY",
    "ORDER_TTL_S",
    "TRANSITIONS",
    "Order",
    "OrderState",
    "Orders",
    "order_of",
    "transition",
]

MAX_QUANTITY = 500  # certificates one order pays for (an enterprise change's choice)
ORDER_TTL_S = 30 * 60  # an unpaid order (or attempt) expires after half an hour
_REF_MAX = 64


class OrderState(StrEnum):
    CREATED = "created"
    PAYING = "paying"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


TRANSITIONS: Mapping[OrderState, frozenset[OrderState]] = {
    OrderState.CREATED: frozenset({OrderState.PAYING, OrderState.EXPIRED}),
    OrderState.PAYING: frozenset({OrderState.PAID, OrderState.FAILED, OrderState.EXPIRED}),
    OrderState.FAILED: frozenset({OrderState.PAYING, OrderState.EXPIRED}),
    OrderState.PAID: frozenset({OrderState.REFUNDED}),
    OrderState.EXPIRED: frozenset({OrderState.PAYING}),
    OrderState.REFUNDED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str
    application_id: str
    account_ref: str
    enterprise_ref: str | None
    ca_id: str
    kind: ApplicationKind
    years: int
    amount_fen: int
    price_list_version: int
    state: OrderState
    attempts: int
    created_at: int
    updated_at: int
    expires_at: int
    paid_at: int | None
    refunded_at: int | None
    quantity: int = 1  # certificates at the price of (ca_id, kind, years); see OrderRow

    @property
    def current_trade_no(self) -> str | None:
        return None if self.attempts == 0 else trade_no(self.order_id, self.attempts)


def trade_no(order_id: str, attempt: int) -> str:
    return f"{order_id}-{attempt}"


def order_of(row: OrderRow) -> Order:
    return Order(
        order_id=row.order_id,
        application_id=row.application_id,
        account_ref=row.account_ref,
        enterprise_ref=row.enterprise_ref,
        ca_id=row.ca_id,
        kind=ApplicationKind(row.kind),
        years=row.years,
        amount_fen=row.amount_fen,
        price_list_version=row.price_list_version,
        state=OrderState(row.state),
        attempts=row.attempts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
        paid_at=row.paid_at,
        refunded_at=row.refunded_at,
        quantity=row.quantity,
    )


def transition(
    session: Session,
    row: OrderRow,
    to: OrderState,
    *,
    now: int,
    actor: str,
    action: str,
    detail: str = "",
) -> None:
    """Move ``row`` to ``to`` if the state machine allows it, and record the change."""
    current = OrderState(row.state)
    if to not in TRANSITIONS[current]:
        raise InvalidOrderState(f"order {row.order_id} is {current.value}: cannot become {to}")
    row.state = to.value
    row.updated_at = now
    if to is OrderState.PAID:
        row.paid_at = now
    elif to is OrderState.REFUNDED:
        row.refunded_at = now
    session.add(row)
    record(
        session,
        at=now,
        actor=actor,
        subject_kind="order",
        subject_id=row.order_id,
        action=action,
        from_state=current.value,
        to_state=to.value,
        amount_fen=row.amount_fen,
        detail=detail,
    )


def _check_ref(name: str, value: str) -> None:
    if not 1 <= len(value) <= _REF_MAX or not value.isprintable():
        raise InvalidOrderRequest(f"{name}: 1-{_REF_MAX} printable characters")


class Orders:
    """Order records on the node's database."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def create(
        self,
        *,
        application_id: str,
        account_ref: str,
        key: PriceKey,
        enterprise_ref: str | None = None,
        quantity: int = 1,
    ) -> Order:
        """The order of an application, priced from the list in force now (``quantity``
        certificates at that price: an enterprise change re-issues several). Idempotent: the
        same application gets its existing order back (with the price it was created at)."""
        _check_ref("application id", application_id)
        _check_ref("account", account_ref)
        if enterprise_ref is not None:
            _check_ref("enterprise", enterprise_ref)
        if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidOrderRequest(f"an order is for 1-{MAX_QUANTITY} certificates")
        existing = self.find_by_application(application_id)
        if existing is not None:
            return self._same_or_conflict(existing, account_ref, key, quantity)
        now = self._clock()
        try:
            with write_session(self._engine) as session:
                unit, version = price_of(session, key, at=now)
                amount = unit * quantity
                row = OrderRow(
                    order_id="ord_" + secrets.token_hex(12),
                    application_id=application_id,
                    account_ref=account_ref,
                    enterprise_ref=enterprise_ref,
                    ca_id=key.ca_id,
                    kind=key.kind.value,
                    years=key.years,
                    quantity=quantity,
                    amount_fen=amount,
                    price_list_version=version,
                    state=OrderState.CREATED.value,
                    created_at=now,
                    updated_at=now,
                    expires_at=now + ORDER_TTL_S,
                )
                session.add(row)
                record(
                    session,
                    at=now,
                    actor=account_ref,
                    subject_kind="order",
                    subject_id=row.order_id,
                    action="created",
                    to_state=OrderState.CREATED.value,
                    amount_fen=amount,
                    detail=f"application {application_id}, price list {version}",
                )
                session.flush()
                return order_of(row)
        except IntegrityError:  # a concurrent create for the same application won
            existing = self.find_by_application(application_id)
            if existing is None:
                raise
            return self._same_or_conflict(existing, account_ref, key, quantity)

    @staticmethod
    def _same_or_conflict(order: Order, account_ref: str, key: PriceKey, quantity: int) -> Order:
        if (order.account_ref, order.ca_id, order.kind, order.years, order.quantity) != (
            account_ref,
            key.ca_id,
            key.kind,
            key.years,
            quantity,
        ):
            raise InvalidOrderState(
                f"application {order.application_id} already has order {order.order_id} "
                "with other terms"
            )
        return order

    def get(self, order_id: str) -> Order:
        with Session(self._engine) as session:
            row = session.get(OrderRow, order_id)
            if row is None:
                raise OrderNotFound(f"no order {order_id}")
            return order_of(row)

    def find_by_application(self, application_id: str) -> Order | None:
        with Session(self._engine) as session:
            row = session.exec(
                select(OrderRow).where(OrderRow.application_id == application_id)
            ).first()
            return None if row is None else order_of(row)

    def is_paid(self, application_id: str) -> bool:
        """Whether the application's certificate may be downloaded: its order is paid."""
        order = self.find_by_application(application_id)
        return order is not None and order.state is OrderState.PAID

    def require_paid(self, application_id: str) -> Order:
        """The paid order of an application, or ``NotPaid`` (the download step calls this)."""
        order = self.find_by_application(application_id)
        if order is None or order.state is not OrderState.PAID:
            state = "no order" if order is None else f"order {order.state.value}"
            raise NotPaid(f"application {application_id} is not paid ({state})")
        return order
