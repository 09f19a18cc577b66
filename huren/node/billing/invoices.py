"""Invoices (开票管理): pick paid orders not yet invoiced, enter title, tax number and email,
get a PDF. An order is invoiced at most once: the ``billing_invoice_orders`` primary key
refuses a second link even when two requests race past the service's own check."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.billing.bills import Owner, OwnerKind
from huren.node.billing.errors import (
    AlreadyInvoiced,
    InvalidInvoiceRequest,
    InvoiceNotFound,
    NothingToInvoice,
)
from huren.node.billing.events import Clock, record
from huren.node.billing.invoice_pdf import InvoiceLine, InvoiceSheet, render_invoice_pdf
from huren.node.billing.orders import Order, OrderState, order_of
from huren.node.billing.tax import normalize_tax_number
from huren.node.db.billing_tables import InvoiceOrderRow, InvoiceRow, OrderRow
from huren.node.db.engine import write_session

__all__ = ["MAX_ORDERS_PER_INVOICE", "Invoice", "InvoiceRequest", "Invoices"]

MAX_ORDERS_PER_INVOICE = 25  # what one A4 page holds
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    """What the user enters; validated on construction (tax number normalized)."""

    order_ids: tuple[str, ...]
    title: str
    tax_number: str
    email: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.order_ids) <= MAX_ORDERS_PER_INVOICE:
            raise InvalidInvoiceRequest(f"pick 1-{MAX_ORDERS_PER_INVOICE} orders")
        if len(set(self.order_ids)) != len(self.order_ids):
            raise InvalidInvoiceRequest("an order is picked twice")
        if not self.title.strip() or len(self.title) > 100 or not self.title.isprintable():
            raise InvalidInvoiceRequest("title: 1-100 printable characters")
        if len(self.email) > 254 or not _EMAIL.fullmatch(self.email):
            raise InvalidInvoiceRequest("email: not an address")
        object.__setattr__(self, "tax_number", normalize_tax_number(self.tax_number))
        object.__setattr__(self, "title", self.title.strip())


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: str
    owner: Owner
    title: str
    tax_number: str
    email: str
    total_fen: int
    issued_at: int
    issued_by: str
    order_ids: tuple[str, ...]
    pdf_sha256: str


class Invoices:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def invoiceable(self, owner: Owner) -> list[Order]:
        """The owner's paid orders not yet invoiced, oldest first."""
        with Session(self._engine) as session:
            rows = session.exec(
                select(OrderRow)
                .join(
                    InvoiceOrderRow,
                    col(InvoiceOrderRow.order_id) == col(OrderRow.order_id),
                    isouter=True,
                )
                .where(
                    owner.matches(),
                    OrderRow.state == OrderState.PAID.value,
                    col(InvoiceOrderRow.invoice_id).is_(None),
                )
                .order_by(col(OrderRow.paid_at), col(OrderRow.order_id))
            ).all()
        return [order_of(row) for row in rows]

    def _lines(
        self, session: Session, owner: Owner, order_ids: Sequence[str], *, lock: bool = False
    ) -> list[OrderRow]:
        query = select(OrderRow).where(col(OrderRow.order_id).in_(order_ids))
        if lock:  # PostgreSQL: a concurrent refund waits (SQLite's writer lock does it anyway)
            query = query.with_for_update()
        rows = session.exec(query).all()
        found = {row.order_id: row for row in rows}
        for order_id in order_ids:
            row = found.get(order_id)
            if row is None or not owner.owns(row) or row.state != OrderState.PAID.value:
                raise NothingToInvoice(f"order {order_id} is not a paid order of this {owner.kind}")
        linked = session.exec(
            select(InvoiceOrderRow).where(col(InvoiceOrderRow.order_id).in_(order_ids))
        ).first()
        if linked is not None:
            raise AlreadyInvoiced(f"order {linked.order_id} is on invoice {linked.invoice_id}")
        return [found[order_id] for order_id in order_ids]

    def issue(self, owner: Owner, request: InvoiceRequest, *, actor: str) -> Invoice:
        """Issue one invoice over the picked orders; all of them or none."""
        invoice_id = "inv_" + secrets.token_hex(12)
        now = self._clock()
        with Session(self._engine) as session:  # check and render outside the write lock
            rows = self._lines(session, owner, request.order_ids)
        sheet = InvoiceSheet(
            invoice_id,
            now,
            request.title,
            request.tax_number,
            request.email,
            [InvoiceLine(r.order_id, r.ca_id, r.kind, r.years, r.amount_fen, r.paid_at or 0)
             for r in rows],
        )  # fmt: skip
        pdf = render_invoice_pdf(sheet)
        digest = hashlib.sha256(pdf).hexdigest()
        try:
            with write_session(self._engine) as session:
                self._lines(session, owner, request.order_ids, lock=True)  # again, locked
                session.add(
                    InvoiceRow(
                        invoice_id=invoice_id, owner_kind=owner.kind.value, owner_ref=owner.ref,
                        title=request.title, tax_number=request.tax_number, email=request.email,
                        total_fen=sheet.total_fen, issued_at=now, issued_by=actor, pdf=pdf,
                        pdf_sha256=digest,
                    )
                )  # fmt: skip
                session.flush()
                for order_id in request.order_ids:
                    session.add(InvoiceOrderRow(order_id=order_id, invoice_id=invoice_id))
                    record(
                        session, at=now, actor=actor, subject_kind="order", subject_id=order_id,
                        action="invoiced", detail=invoice_id,
                    )  # fmt: skip
                record(
                    session, at=now, actor=actor, subject_kind="invoice", subject_id=invoice_id,
                    action="issued", to_state="issued", amount_fen=sheet.total_fen,
                    detail=f"{len(request.order_ids)} orders, tax number {request.tax_number}",
                )  # fmt: skip
                session.flush()  # the primary key of a link refuses a racing second invoice
        except IntegrityError as exc:
            raise AlreadyInvoiced("an order was invoiced concurrently") from exc
        return Invoice(
            invoice_id, owner, request.title, request.tax_number, request.email,
            sheet.total_fen, now, actor, tuple(sorted(request.order_ids)), digest,
        )  # fmt: skip

    def list(self, owner: Owner) -> list[Invoice]:
        """The owner's invoices, newest first."""
        with Session(self._engine) as session:
            rows = session.exec(
                select(InvoiceRow)
                .where(InvoiceRow.owner_kind == owner.kind.value, InvoiceRow.owner_ref == owner.ref)
                .order_by(col(InvoiceRow.issued_at).desc(), col(InvoiceRow.invoice_id))
            ).all()
            return [self._invoice(session, row) for row in rows]

    def get(self, owner: Owner, invoice_id: str) -> Invoice:
        with Session(self._engine) as session:
            return self._invoice(session, self._row(session, owner, invoice_id))

    def pdf(self, owner: Owner, invoice_id: str) -> bytes:
        with Session(self._engine) as session:
            return self._row(session, owner, invoice_id).pdf

    @staticmethod
    def _row(session: Session, owner: Owner, invoice_id: str) -> InvoiceRow:
        row = session.get(InvoiceRow, invoice_id)
        if row is None or (row.owner_kind, row.owner_ref) != (owner.kind.value, owner.ref):
            raise InvoiceNotFound(f"no invoice {invoice_id}")
        return row

    @staticmethod
    def _invoice(session: Session, row: InvoiceRow) -> Invoice:
        order_ids = session.exec(
            select(InvoiceOrderRow.order_id)
            .where(InvoiceOrderRow.invoice_id == row.invoice_id)
            .order_by(col(InvoiceOrderRow.order_id))
        ).all()
        return Invoice(
            row.invoice_id, Owner(OwnerKind(row.owner_kind), row.owner_ref), row.title,
            row.tax_number, row.email, row.total_fen, row.issued_at, row.issued_by,
            tuple(order_ids), row.pdf_sha256,
        )  # fmt: skip
