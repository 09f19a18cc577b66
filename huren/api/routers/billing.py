"""Billing: prices, orders and payment, the gateway's notifications, bills, invoices, bank
cards (``huren.node.billing``). The caller's account comes from ``huren.api.billing_auth``.

The node's ``billing`` attribute (a ``BillingService``) is used when it has one; otherwise
``install`` builds the dev simulators (payment gateway, bank, SMS codes) and seeds the demo
CAs' dev price list, logging that it did so.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, status
from fastapi.responses import PlainTextResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from huren.api.billing_auth import AccountDep, owner_of
from huren.api.billing_schemas import (
    BillDetailOut,
    BillPageOut,
    CardIn,
    CardOut,
    InvoiceIn,
    InvoiceOut,
    OrderIn,
    OrderOut,
    PaymentOut,
    PriceListIn,
    PriceListOut,
    RefundIn,
    orders_out,
)
from huren.api.deps import AdminDep, NodeServices
from huren.api.problems import PROBLEM_RESPONSES, ApiProblem, problem_response
from huren.node import enterprises
from huren.node.billing.errors import OrderNotFound
from huren.node.billing.invoices import InvoiceRequest
from huren.node.billing.money import parse_yuan
from huren.node.billing.orders import Order, OrderState
from huren.node.billing.prices import PriceKey, current_price_list, publish_price_list
from huren.node.billing.service import BillingService, dev_billing
from huren.node.db.engine import write_session

__all__ = ["install", "router"]

log = logging.getLogger(__name__)

# What billing answers besides bad input (codes in huren.node.billing.errors).
BILLING_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    402: problem_response("Not paid yet (NOT_PAID)"),
    403: problem_response("Needs the node-admin key (ADMIN_ONLY)"),
    404: problem_response("Not found, or not the caller's (ORDER_NOT_FOUND, CARD_NOT_FOUND, ...)"),
    409: problem_response("The state forbids it (ALREADY_PAID, CARD_ALREADY_BOUND, ...)"),
    502: problem_response("The payment gateway refused (GATEWAY_REFUSED)"),
    503: problem_response("No gateway or accounts here (BILLING_UNAVAILABLE, ...)"),
    504: problem_response("The gateway or bank did not answer (GATEWAY_TIMEOUT, ...)"),
}
router = APIRouter(prefix="/v1/billing", tags=["billing"], responses=BILLING_RESPONSES)

_Id = Annotated[str, Path(min_length=1, max_length=64)]
_Enterprise = Annotated[str | None, Query(min_length=1, max_length=64)]


def install(app: FastAPI, node: NodeServices) -> None:
    """The node's billing, else the dev simulators on a dev node (or one built by hand in
    tests); outside dev with no real gateway wired in, billing answers 503: a production
    node must never take payments through the simulator."""
    billing: BillingService | None = getattr(node, "billing", None)
    env = getattr(getattr(node, "settings", None), "env", "dev")
    if billing is None and env == "dev":
        log.warning("billing runs on the dev simulators (payment gateway, bank, SMS codes)")
        billing = dev_billing(node.engine)
    app.state.billing = billing


async def get_billing(request: Request) -> BillingService:
    billing: BillingService | None = request.app.state.billing
    if billing is None:
        raise ApiProblem(503, "BILLING_UNAVAILABLE", "no payment gateway is configured here")
    return billing


BillingDep = Annotated[BillingService, Depends(get_billing)]


def _own_order(billing: BillingService, account: str, order_id: str) -> Order:
    order = billing.orders.get(order_id)
    if order.account_ref != account:
        raise OrderNotFound(f"no order {order_id}")  # another's: as if absent
    return order


# -- prices -----------------------------------------------------------------------------------


@router.get("/prices")
def prices(_: AccountDep, billing: BillingDep) -> PriceListOut:
    """The price list in force: fees by CA, kind of application and validity."""
    with Session(billing.engine) as session:
        return PriceListOut.of(current_price_list(session, at=billing.clock()))


@router.post("/price-lists", status_code=status.HTTP_201_CREATED)
def publish(_: AdminDep, billing: BillingDep, body: PriceListIn) -> PriceListOut:
    """Publish the next price list version (existing orders keep their prices)."""
    now = billing.clock()
    prices = {PriceKey(p.ca_id, p.kind, p.years): parse_yuan(p.amount) for p in body.prices}
    with write_session(billing.engine) as session:
        published = publish_price_list(
            session,
            prices,
            effective_at=now if body.effective_at is None else body.effective_at,
            now=now,
            actor="admin",
            note=body.note,
        )
    return PriceListOut.of(published)


# -- orders and payment ---------------------------------------------------------------------


@router.post("/orders", status_code=status.HTTP_201_CREATED)
def create_order(account: AccountDep, billing: BillingDep, body: OrderIn) -> OrderOut:
    """The order of an application (the same application gets its existing order back);
    tagging it with an enterprise takes being one of its members."""
    if body.enterprise_ref is not None:
        enterprises.require_role(billing.engine, body.enterprise_ref, account, admin=False)
    order = billing.orders.create(
        application_id=body.application_id,
        account_ref=account,
        key=PriceKey(body.ca_id, body.kind, body.years),
        enterprise_ref=body.enterprise_ref,
    )
    return OrderOut.of(order)


@router.get("/orders/{order_id}")
def order_status(account: AccountDep, billing: BillingDep, order_id: _Id) -> OrderOut:
    """An order's state; a payment in progress is first checked with the gateway."""
    order = _own_order(billing, account, order_id)
    if order.state is OrderState.PAYING:
        order = billing.payments.reconcile(order_id)
    return OrderOut.of(order)


@router.post("/orders/{order_id}/pay")
def pay(account: AccountDep, billing: BillingDep, order_id: _Id) -> PaymentOut:
    """Start paying: the app opens ``pay_url``; the gateway notifies the node when paid."""
    _own_order(billing, account, order_id)
    started = billing.payments.start(order_id, actor=account)
    return PaymentOut(
        order=OrderOut.of(started.order), trade_no=started.trade_no, pay_url=started.pay_url
    )


@router.post("/applications/{application_id}/refund")
def refund(_: AdminDep, billing: BillingDep, application_id: _Id, body: RefundIn) -> OrderOut:
    """Refund the paid order of an application the CA rejected."""
    order = billing.payments.refund_rejected(application_id, actor="admin", reason=body.reason)
    return OrderOut.of(order)


@router.post("/notify", response_class=PlainTextResponse, include_in_schema=True)
async def notify(
    request: Request,
    billing: BillingDep,
    signature: Annotated[str, Header(alias="X-Gateway-Signature", max_length=200)],
) -> str:
    """The gateway's asynchronous notification: no key, but the gateway's signature. Answers
    ``success`` (the gateway stops retrying); any problem is a 4xx and it retries."""
    body = await request.body()
    await run_in_threadpool(billing.payments.handle_notification, body, signature)
    return "success"


# -- bills and invoices -----------------------------------------------------------------------


@router.get("/bills")
def bills(
    account: AccountDep,
    billing: BillingDep,
    enterprise: _Enterprise = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])] = None,
    state: OrderState | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> BillPageOut:
    """The account's (or an enterprise's) bills, newest first; month in China time."""
    found = billing.bills.list(
        owner_of(account, enterprise, billing.engine),
        month=month,
        state=state,
        page=page,
        page_size=page_size,
    )
    return BillPageOut.of(found)


@router.get("/bills/{order_id}")
def bill(
    account: AccountDep, billing: BillingDep, order_id: _Id, enterprise: _Enterprise = None
) -> BillDetailOut:
    return BillDetailOut.of_detail(
        billing.bills.detail(owner_of(account, enterprise, billing.engine), order_id)
    )


@router.get("/invoiceable")
def invoiceable(
    account: AccountDep, billing: BillingDep, enterprise: _Enterprise = None
) -> list[OrderOut]:
    """Paid orders not yet invoiced: what the invoice page lets the user pick."""
    return orders_out(billing.invoices.invoiceable(owner_of(account, enterprise, billing.engine)))


@router.post("/invoices", status_code=status.HTTP_201_CREATED)
def issue_invoice(account: AccountDep, billing: BillingDep, body: InvoiceIn) -> InvoiceOut:
    request = InvoiceRequest(tuple(body.order_ids), body.title, body.tax_number, body.email)
    owner = owner_of(account, body.enterprise_ref, billing.engine)
    return InvoiceOut.of(billing.invoices.issue(owner, request, actor=account))


@router.get("/invoices")
def invoices(
    account: AccountDep, billing: BillingDep, enterprise: _Enterprise = None
) -> list[InvoiceOut]:
    return [
        InvoiceOut.of(i)
        for i in billing.invoices.list(owner_of(account, enterprise, billing.engine))
    ]


@router.get("/invoices/{invoice_id}/pdf", response_class=Response)
def invoice_pdf(
    account: AccountDep, billing: BillingDep, invoice_id: _Id, enterprise: _Enterprise = None
) -> Response:
    pdf = billing.invoices.pdf(owner_of(account, enterprise, billing.engine), invoice_id)
    disposition = f'attachment; filename="{invoice_id}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


# -- bank cards -------------------------------------------------------------------------------


@router.post("/bank-cards", status_code=status.HTTP_201_CREATED)
def add_card(account: AccountDep, billing: BillingDep, body: CardIn) -> CardOut:
    card = billing.cards.add(
        account,
        holder_name=body.holder_name,
        card_number=body.card_number,
        phone=body.phone,
        sms_code=body.sms_code,
    )
    return CardOut.of(card)


@router.get("/bank-cards")
def cards(account: AccountDep, billing: BillingDep) -> list[CardOut]:
    return [CardOut.of(c) for c in billing.cards.list(account)]


@router.delete("/bank-cards/{card_id}", status_code=status.HTTP_204_NO_CONTENT)
def unbind_card(account: AccountDep, billing: BillingDep, card_id: _Id) -> None:
    billing.cards.unbind(account, card_id)
