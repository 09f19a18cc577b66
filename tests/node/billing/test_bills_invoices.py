"""Bills (filters, pages, detail, ownership) and invoices (selection, validation, PDF, at
most once - also when two requests race, on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import threading

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import Engine
from sqlmodel import Session

from huren.node.billing.bills import Bills, Owner, OwnerKind, month_bounds
from huren.node.billing.errors import (
    AlreadyInvoiced,
    InvalidBillQuery,
    InvalidInvoiceRequest,
    InvalidTaxNumber,
    InvoiceNotFound,
    NothingToInvoice,
    OrderNotFound,
)
from huren.node.billing.events import events_of
from huren.node.billing.gateway_sim import Outcome
from huren.node.billing.invoices import InvoiceRequest, Invoices
from huren.node.billing.orders import Order, OrderState
from huren.node.billing.prices import ApplicationKind, PriceKey
from tests.node.billing.conftest import Billing, make_billing

ACCOUNT = Owner(OwnerKind.ACCOUNT, "acct-1")
ENTERPRISE = Owner(OwnerKind.ENTERPRISE, "ent-1")
USCC = "91350100M000100Y43"


def paid_order(b: Billing, app: str, *, account: str = "acct-1", years: int = 1) -> Order:
    b.clock.now += 1  # distinct times: lists are ordered by time
    order = b.orders.create(
        application_id=app,
        account_ref=account,
        enterprise_ref="ent-1",
        key=PriceKey("jsca", ApplicationKind.NEW, years),
    )
    b.payments.start(order.order_id, actor=account)
    for note in b.gateway.take_outbox():
        b.payments.handle_notification(note.body, note.signature)
    return b.orders.get(order.order_id)


def request(*order_ids: str, tax: str = USCC) -> InvoiceRequest:
    return InvoiceRequest(tuple(order_ids), "某某科技有限公司", tax, "finance@example.com")


def test_month_bounds_are_china_time() -> None:
    start, end = month_bounds("2026-12")
    assert (start, end) == (1796054400, 1798732800)  # 2026-11-30T16:00Z .. 2026-12-31T16:00Z
    with pytest.raises(InvalidBillQuery):
        month_bounds("2026-13")


def test_bills_filter_and_page(billing: Billing) -> None:
    a = paid_order(billing, "a")
    billing.clock.now += 40 * 86_400  # the next month
    billing.gateway.script(Outcome.FAIL)
    b = paid_order(billing, "b", years=2)
    c = paid_order(billing, "c")
    paid_order(billing, "other", account="acct-2")
    bills = Bills(billing.engine)
    everything = bills.list(ACCOUNT)
    assert [x.order.order_id for x in everything.items] == [c.order_id, b.order_id, a.order_id]
    assert everything.total == 3
    paid = bills.list(ACCOUNT, state=OrderState.PAID)
    assert {x.order.order_id for x in paid.items} == {a.order_id, c.order_id}
    assert [x.order.order_id for x in bills.list(ACCOUNT, month="2026-09").items] == [a.order_id]
    second = bills.list(ACCOUNT, page=2, page_size=2)
    assert ([x.order.order_id for x in second.items], second.total) == ([a.order_id], 3)
    assert bills.list(ENTERPRISE).total == 4  # every order above was for ent-1
    with pytest.raises(InvalidBillQuery):
        bills.list(ACCOUNT, page_size=101)


def test_bill_detail_and_ownership(billing: Billing) -> None:
    order = paid_order(billing, "a")
    detail = Bills(billing.engine).detail(ACCOUNT, order.order_id)
    assert [p.state for p in detail.payments] == ["succeeded"]
    assert [e.action for e in detail.events] == ["created", "payment_started", "paid"]
    assert Bills(billing.engine).detail(ENTERPRISE, order.order_id).bill.invoice_id is None
    with pytest.raises(OrderNotFound):
        Bills(billing.engine).detail(Owner(OwnerKind.ACCOUNT, "acct-2"), order.order_id)


def test_issue_an_invoice_with_a_pdf(billing: Billing) -> None:
    a, b = paid_order(billing, "a"), paid_order(billing, "b", years=3)
    invoices = Invoices(billing.engine, billing.clock)
    assert [o.order_id for o in invoices.invoiceable(ACCOUNT)] == [a.order_id, b.order_id]
    invoice = invoices.issue(ACCOUNT, request(a.order_id, b.order_id), actor="acct-1")
    assert invoice.total_fen == 28000 + 75000
    assert invoices.invoiceable(ACCOUNT) == []
    assert invoices.list(ACCOUNT) == [invoice]
    pdf = invoices.pdf(ACCOUNT, invoice.invoice_id)
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.root["/Pages"]["/Kids"]) == 1
    assert str(reader.trailer_view["/Info"]["/Title"]) == f"发票 {invoice.invoice_id}"
    bill = Bills(billing.engine).detail(ACCOUNT, a.order_id)
    assert bill.bill.invoice_id == invoice.invoice_id
    assert bill.events[-1].action == "invoiced"
    with Session(billing.engine) as session:
        (issued,) = events_of(session, "invoice", invoice.invoice_id)
    assert (issued.action, issued.amount_fen, issued.actor) == ("issued", 103000, "acct-1")
    with pytest.raises(InvoiceNotFound):
        invoices.pdf(Owner(OwnerKind.ACCOUNT, "acct-2"), invoice.invoice_id)


def test_an_order_is_invoiced_once_and_all_or_nothing(billing: Billing) -> None:
    a, b = paid_order(billing, "a"), paid_order(billing, "b")
    invoices = Invoices(billing.engine, billing.clock)
    invoices.issue(ACCOUNT, request(a.order_id), actor="acct-1")
    with pytest.raises(AlreadyInvoiced):
        invoices.issue(ACCOUNT, request(b.order_id, a.order_id), actor="acct-1")
    assert [o.order_id for o in invoices.invoiceable(ACCOUNT)] == [b.order_id]  # b untouched
    assert len(invoices.list(ACCOUNT)) == 1


def test_only_paid_orders_of_the_owner(billing: Billing) -> None:
    mine = paid_order(billing, "a")
    theirs = paid_order(billing, "b", account="acct-2")
    unpaid = billing.orders.create(
        application_id="c", account_ref="acct-1", key=PriceKey("jsca", ApplicationKind.NEW, 1)
    )
    invoices = Invoices(billing.engine, billing.clock)
    for order_id in (theirs.order_id, unpaid.order_id, "ord_missing"):
        with pytest.raises(NothingToInvoice):
            invoices.issue(ACCOUNT, request(mine.order_id, order_id), actor="acct-1")
    billing.payments.refund_rejected("a", actor="jsca", reason="rejected")
    with pytest.raises(NothingToInvoice):  # refunded is no longer paid
        invoices.issue(ACCOUNT, request(mine.order_id), actor="acct-1")


def test_enterprise_invoices(billing: Billing) -> None:
    a = paid_order(billing, "a")
    b = paid_order(billing, "b", account="acct-2")
    invoices = Invoices(billing.engine, billing.clock)
    invoice = invoices.issue(ENTERPRISE, request(a.order_id, b.order_id), actor="acct-2")
    assert invoices.get(ENTERPRISE, invoice.invoice_id).order_ids == tuple(
        sorted((a.order_id, b.order_id))
    )
    assert invoices.list(ACCOUNT) == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [({"order_ids": ()}, InvalidInvoiceRequest), ({"order_ids": ("x", "x")}, InvalidInvoiceRequest),
     ({"title": "  "}, InvalidInvoiceRequest), ({"email": "no-at-sign"}, InvalidInvoiceRequest),
     ({"tax_number": "91350100M000100Y44"}, InvalidTaxNumber),
     ({"tax_number": "12345"}, InvalidTaxNumber)],
)  # fmt: skip
def test_invoice_request_validation(fields: dict[str, object], error: type[Exception]) -> None:
    values: dict[str, object] = {
        "order_ids": ("x",),
        "title": "t",
        "tax_number": USCC,
        "email": "a@b.cn",
    }
    values.update(fields)
    with pytest.raises(error):
        InvoiceRequest(**values)  # type: ignore[arg-type]


def test_concurrent_invoices_of_one_order(engine: Engine) -> None:
    """Two requests for the same order at once: exactly one invoice (SQLite and PostgreSQL)."""
    billing = make_billing(engine)
    order = paid_order(billing, "a")
    invoices = Invoices(engine, billing.clock)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            invoices.issue(ACCOUNT, request(order.order_id), actor="acct-1")
            outcomes.append("issued")
        except AlreadyInvoiced:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["issued", "refused", "refused", "refused"]
    assert len(invoices.list(ACCOUNT)) == 1


def test_concurrent_order_creation_is_one_order(engine: Engine) -> None:
    billing = make_billing(engine)
    barrier = threading.Barrier(4)
    orders: list[Order] = []

    def create() -> None:
        barrier.wait()
        orders.append(
            billing.orders.create(
                application_id="same",
                account_ref="acct-1",
                key=PriceKey("zjca", ApplicationKind.NEW, 1),
            )
        )

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({o.order_id for o in orders}) == 1 and len(orders) == 4
