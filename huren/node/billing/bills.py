"""Bills (账单管理): an account's or an enterprise's orders, listed with filters and pages,
and one bill's detail (its payments, its trail of events, its invoice).

Months are calendar months in China Standard Time (UTC+8), the users' time."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Engine, func
from sqlmodel import Session, col, select

from huren.node.billing.errors import InvalidBillQuery, OrderNotFound
from huren.node.billing.events import BillingEvent, events_of
from huren.node.billing.orders import Order, OrderState, order_of
from huren.node.db.billing_tables import InvoiceOrderRow, OrderRow, PaymentRow

__all__ = [
    "CST",
    "MAX_PAGE_SIZE",
    "Bill",
    "BillDetail",
    "Bills",
    "Owner",
    "OwnerKind",
    "Page",
    "PaymentAttempt",
    "month_bounds",
]

CST = dt.timezone(dt.timedelta(hours=8), "CST")
MAX_PAGE_SIZE = 100
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
T = TypeVar("T")


class OwnerKind(StrEnum):
    ACCOUNT = "account"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose bills: an account (the payer) or an enterprise (opaque references)."""

    kind: OwnerKind
    ref: str

    def owns(self, row: OrderRow) -> bool:
        mine = row.account_ref if self.kind is OwnerKind.ACCOUNT else row.enterprise_ref
        return mine == self.ref

    def matches(self) -> ColumnElement[bool]:
        """The SQL condition for this owner's orders."""
        if self.kind is OwnerKind.ACCOUNT:
            return col(OrderRow.account_ref) == self.ref
        return col(OrderRow.enterprise_ref) == self.ref


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True, slots=True)
class Bill:
    order: Order
    invoice_id: str | None


@dataclass(frozen=True, slots=True)
class PaymentAttempt:
    trade_no: str
    amount_fen: int
    state: str
    created_at: int
    settled_at: int | None


@dataclass(frozen=True, slots=True)
class BillDetail:
    bill: Bill
    payments: Sequence[PaymentAttempt]
    events: Sequence[BillingEvent]


def month_bounds(month: str) -> tuple[int, int]:
    """``"2026-11"`` -> [start, end) in unix seconds, China Standard Time."""
    match = _MONTH.fullmatch(month)
    if match is None:
        raise InvalidBillQuery(f"month: YYYY-MM, not {month!r}")
    year, number = int(match.group(1)), int(match.group(2))
    start = dt.datetime(year, number, 1, tzinfo=CST)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=CST)
    return int(start.timestamp()), int(end.timestamp())


class Bills:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list(
        self,
        owner: Owner,
        *,
        month: str | None = None,
        state: OrderState | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[Bill]:
        """Newest first."""
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidBillQuery(f"page >= 1, page size 1-{MAX_PAGE_SIZE}")
        where: list[ColumnElement[bool]] = [owner.matches()]
        if month is not None:
            start, end = month_bounds(month)
            where += [col(OrderRow.created_at) >= start, col(OrderRow.created_at) < end]
        if state is not None:
            where.append(col(OrderRow.state) == state.value)
        with Session(self._engine) as session:
            total = session.exec(select(func.count()).select_from(OrderRow).where(*where)).one()
            rows = session.exec(
                select(OrderRow, InvoiceOrderRow.invoice_id)
                .join(
                    InvoiceOrderRow,
                    col(InvoiceOrderRow.order_id) == col(OrderRow.order_id),
                    isouter=True,
                )
                .where(*where)
                .order_by(col(OrderRow.created_at).desc(), col(OrderRow.order_id).desc())
                .offset((page - 1) * page_size)
                .limit(page_size)
            ).all()
        items = [Bill(order_of(row), invoice_id) for row, invoice_id in rows]
        return Page(items, total, page, page_size)

    def detail(self, owner: Owner, order_id: str) -> BillDetail:
        with Session(self._engine) as session:
            row = session.get(OrderRow, order_id)
            if row is None or not owner.owns(row):
                raise OrderNotFound(f"no bill {order_id}")  # another's: as if absent
            link = session.get(InvoiceOrderRow, order_id)
            payments = session.exec(
                select(PaymentRow)
                .where(PaymentRow.order_id == order_id)
                .order_by(col(PaymentRow.created_at), col(PaymentRow.trade_no))
            ).all()
            return BillDetail(
                Bill(order_of(row), None if link is None else link.invoice_id),
                [
                    PaymentAttempt(p.trade_no, p.amount_fen, p.state, p.created_at, p.settled_at)
                    for p in payments
                ],
                events_of(session, "order", order_id),
            )
