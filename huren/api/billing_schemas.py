"""Request and response bodies of the billing API. Amounts travel as integer fen
(``amount_fen``) with the yuan string beside them (``amount``, e.g. "120.50"); requests
that set prices take yuan strings, parsed exactly."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from huren.node.billing.bills import Bill, BillDetail, Page
from huren.node.billing.cards import BankCard
from huren.node.billing.invoices import Invoice
from huren.node.billing.money import format_yuan
from huren.node.billing.orders import Order
from huren.node.billing.prices import ApplicationKind, PriceList


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PriceOut(BaseModel):
    ca_id: str
    kind: ApplicationKind
    years: int
    amount_fen: int
    amount: str


class PriceListOut(BaseModel):
    version: int
    effective_at: int
    prices: list[PriceOut]

    @classmethod
    def of(cls, price_list: PriceList) -> PriceListOut:
        prices = [
            PriceOut(ca_id=k.ca_id, kind=k.kind, years=k.years, amount_fen=v, amount=format_yuan(v))
            for k, v in sorted(price_list.prices.items())
        ]
        return cls(version=price_list.version, effective_at=price_list.effective_at, prices=prices)


class PriceIn(_In):
    ca_id: str = Field(min_length=1, max_length=66)
    kind: ApplicationKind
    years: int = Field(ge=1, le=3)
    amount: str = Field(max_length=20, examples=["300.00"], description="yuan, 2 decimals")


class PriceListIn(_In):
    effective_at: int | None = Field(default=None, description="unix seconds; default now")
    note: str = Field(default="", max_length=200)
    prices: list[PriceIn] = Field(min_length=1, max_length=1000)


class OrderIn(_In):
    application_id: str = Field(min_length=1, max_length=64)
    ca_id: str = Field(min_length=1, max_length=66)
    kind: ApplicationKind
    years: int = Field(ge=1, le=3)
    enterprise_ref: str | None = Field(default=None, min_length=1, max_length=64)


class OrderOut(BaseModel):
    order_id: str
    application_id: str
    enterprise_ref: str | None
    ca_id: str
    kind: ApplicationKind
    years: int
    quantity: int = 1  # certificate pairs at that price (an enterprise change: several)
    amount_fen: int
    amount: str
    price_list_version: int
    state: str
    created_at: int
    expires_at: int
    paid_at: int | None
    refunded_at: int | None

    @classmethod
    def of(cls, o: Order) -> OrderOut:
        return cls(
            order_id=o.order_id, application_id=o.application_id, enterprise_ref=o.enterprise_ref,
            ca_id=o.ca_id, kind=o.kind, years=o.years, quantity=o.quantity,
            amount_fen=o.amount_fen,
            amount=format_yuan(o.amount_fen), price_list_version=o.price_list_version,
            state=o.state.value, created_at=o.created_at, expires_at=o.expires_at,
            paid_at=o.paid_at, refunded_at=o.refunded_at,
        )  # fmt: skip


class PaymentOut(BaseModel):
    order: OrderOut
    trade_no: str
    pay_url: str


class RefundIn(_In):
    reason: str = Field(min_length=1, max_length=200)


class BillOut(BaseModel):
    order: OrderOut
    invoice_id: str | None

    @classmethod
    def of(cls, bill: Bill) -> BillOut:
        return cls(order=OrderOut.of(bill.order), invoice_id=bill.invoice_id)


class BillPageOut(BaseModel):
    items: list[BillOut]
    total: int
    page: int
    page_size: int

    @classmethod
    def of(cls, page: Page[Bill]) -> BillPageOut:
        return cls(
            items=[BillOut.of(b) for b in page.items],
            total=page.total,
            page=page.page,
            page_size=page.page_size,
        )


class AttemptOut(BaseModel):
    trade_no: str
    amount_fen: int
    state: str
    created_at: int
    settled_at: int | None


class EventOut(BaseModel):
    at: int
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    amount_fen: int | None
    detail: str


class BillDetailOut(BillOut):
    payments: list[AttemptOut]
    events: list[EventOut]

    @classmethod
    def of_detail(cls, d: BillDetail) -> BillDetailOut:
        return cls(
            order=OrderOut.of(d.bill.order),
            invoice_id=d.bill.invoice_id,
            payments=[
                AttemptOut(
                    trade_no=p.trade_no,
                    amount_fen=p.amount_fen,
                    state=p.state,
                    created_at=p.created_at,
                    settled_at=p.settled_at,
                )
                for p in d.payments
            ],
            events=[
                EventOut(
                    at=e.at,
                    actor=e.actor,
                    action=e.action,
                    from_state=e.from_state,
                    to_state=e.to_state,
                    amount_fen=e.amount_fen,
                    detail=e.detail,
                )
                for e in d.events
            ],
        )


class InvoiceIn(_In):
    order_ids: list[str] = Field(min_length=1, max_length=25)
    title: str = Field(min_length=1, max_length=100, examples=["某某科技有限公司"])
    tax_number: str = Field(min_length=1, max_length=24, examples=["91350100M000100Y43"])
    email: str = Field(min_length=3, max_length=254)
    enterprise_ref: str | None = Field(default=None, min_length=1, max_length=64)


class InvoiceOut(BaseModel):
    invoice_id: str
    owner_kind: str
    owner_ref: str
    title: str
    tax_number: str
    email: str
    total_fen: int
    total: str
    issued_at: int
    order_ids: list[str]
    pdf_sha256: str

    @classmethod
    def of(cls, i: Invoice) -> InvoiceOut:
        return cls(
            invoice_id=i.invoice_id, owner_kind=i.owner.kind.value, owner_ref=i.owner.ref,
            title=i.title, tax_number=i.tax_number, email=i.email, total_fen=i.total_fen,
            total=format_yuan(i.total_fen), issued_at=i.issued_at, order_ids=list(i.order_ids),
            pdf_sha256=i.pdf_sha256,
        )  # fmt: skip


class CardIn(_In):
    holder_name: str = Field(min_length=1, max_length=60)
    card_number: str = Field(min_length=15, max_length=23)
    phone: str = Field(min_length=11, max_length=11)
    sms_code: str = Field(min_length=4, max_length=8)


class CardOut(BaseModel):
    card_id: str
    holder_name: str
    bank_code: str
    bank_name: str
    masked_number: str
    masked_phone: str
    bound_at: int

    @classmethod
    def of(cls, c: BankCard) -> CardOut:
        return cls(
            card_id=c.card_id, holder_name=c.holder_name, bank_code=c.bank_code,
            bank_name=c.bank_name, masked_number=c.masked_number, masked_phone=c.masked_phone,
            bound_at=c.bound_at,
        )  # fmt: skip


def orders_out(orders: Sequence[Order]) -> list[OrderOut]:
    return [OrderOut.of(o) for o in orders]
