"""Billing tables (see ``huren.node.billing``). Money columns are integer fen (BigInteger).

Constraints that carry rules: ``billing_orders.application_id`` is unique (one order per
application, so creation is idempotent), ``billing_invoice_orders.order_id`` is the primary
key (an order is invoiced at most once, even by concurrent requests), and bank cards are
unique per (account, bank token). ``billing_events`` is append-only: the services only
insert into it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, LargeBinary, SmallInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = [
    "BankCardRow",
    "BillingEventRow",
    "InvoiceOrderRow",
    "InvoiceRow",
    "OrderRow",
    "PaymentRow",
    "PriceListRow",
    "PriceRow",
]

REF_LEN = 64  # opaque references to accounts, enterprises, applications


class PriceListRow(SQLModel, table=True):
    """A version of the price list; in force from ``effective_at`` until a later version."""

    __tablename__ = "billing_price_lists"

    version: int = Field(primary_key=True)
    effective_at: int = Field(sa_type=BigInteger)
    published_at: int = Field(sa_type=BigInteger)
    published_by: str = Field(max_length=REF_LEN)
    note: str = Field(default="", max_length=200)


class PriceRow(SQLModel, table=True):
    __tablename__ = "billing_prices"

    version: int = Field(primary_key=True)
    ca_id: str = Field(primary_key=True, max_length=66)
    kind: str = Field(primary_key=True, max_length=16)  # new, renewal, reapplication
    years: int = Field(primary_key=True, sa_type=SmallInteger)
    amount_fen: int = Field(sa_type=BigInteger)


class OrderRow(SQLModel, table=True):
    __tablename__ = "billing_orders"

    order_id: str = Field(primary_key=True, max_length=40)
    application_id: str = Field(unique=True, max_length=REF_LEN)
    account_ref: str = Field(index=True, max_length=REF_LEN)
    enterprise_ref: str | None = Field(default=None, index=True, max_length=REF_LEN)
    ca_id: str = Field(max_length=66)
    kind: str = Field(max_length=16)
    years: int = Field(sa_type=SmallInteger)
    # Certificates the order pays for at the price of (ca_id, kind, years): an enterprise
    # change re-issues several; amount_fen is the price times quantity.
    quantity: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    amount_fen: int = Field(sa_type=BigInteger)
    price_list_version: int
    state: str = Field(index=True, max_length=16)
    attempts: int = Field(default=0)
    created_at: int = Field(sa_type=BigInteger, index=True)
    updated_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(sa_type=BigInteger)
    paid_at: int | None = Field(default=None, sa_type=BigInteger)
    refunded_at: int | None = Field(default=None, sa_type=BigInteger)


class PaymentRow(SQLModel, table=True):
    """One payment attempt of an order at the gateway (its merchant trade number)."""

    __tablename__ = "billing_payments"

    trade_no: str = Field(primary_key=True, max_length=64)
    order_id: str = Field(index=True, max_length=40)
    amount_fen: int = Field(sa_type=BigInteger)
    state: str = Field(max_length=16)  # pending, succeeded, failed, closed, refunded
    gateway_trade_no: str | None = Field(default=None, max_length=64)
    created_at: int = Field(sa_type=BigInteger)
    settled_at: int | None = Field(default=None, sa_type=BigInteger)


class InvoiceRow(SQLModel, table=True):
    __tablename__ = "billing_invoices"

    invoice_id: str = Field(primary_key=True, max_length=40)
    owner_kind: str = Field(max_length=16)  # account, enterprise
    owner_ref: str = Field(index=True, max_length=REF_LEN)
    title: str = Field(max_length=100)
    tax_number: str = Field(max_length=20)
    email: str = Field(max_length=254)
    total_fen: int = Field(sa_type=BigInteger)
    issued_at: int = Field(sa_type=BigInteger)
    issued_by: str = Field(max_length=REF_LEN)
    pdf: bytes = Field(sa_type=LargeBinary)
    pdf_sha256: str = Field(max_length=64)


class InvoiceOrderRow(SQLModel, table=True):
    """Which invoice holds an order: the primary key makes an order invoiced at most once."""

    __tablename__ = "billing_invoice_orders"

    order_id: str = Field(primary_key=True, max_length=40)
    invoice_id: str = Field(index=True, max_length=40)


class BankCardRow(SQLModel, table=True):
    """A bound card: only its masked number, bank, holder name and the bank's token."""

    __tablename__ = "billing_bank_cards"
    __table_args__ = (UniqueConstraint("account_ref", "card_token"),)

    card_id: str = Field(primary_key=True, max_length=40)
    account_ref: str = Field(index=True, max_length=REF_LEN)
    holder_name: str = Field(max_length=60)
    bank_code: str = Field(max_length=8)
    masked_number: str = Field(max_length=24)
    masked_phone: str = Field(max_length=16)
    card_token: str = Field(max_length=128)
    bound_at: int = Field(sa_type=BigInteger)


class BillingEventRow(SQLModel, table=True):
    """Append-only trail: who did what to which subject, from which state to which."""

    __tablename__ = "billing_events"
    __table_args__ = (Index("ix_billing_events_subject", "subject_kind", "subject_id"),)

    event_id: int | None = Field(default=None, primary_key=True)
    at: int = Field(sa_type=BigInteger)
    actor: str = Field(max_length=REF_LEN)
    subject_kind: str = Field(max_length=16)  # price_list, order, payment, invoice, card
    subject_id: str = Field(max_length=REF_LEN)
    action: str = Field(max_length=32)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str | None = Field(default=None, max_length=16)
    amount_fen: int | None = Field(default=None, sa_type=BigInteger)
    detail: str = Field(default="", max_length=500)
