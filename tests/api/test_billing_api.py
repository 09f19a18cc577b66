"""The billing API over the dev simulators: account tokens, prices, orders
and payment with signed notifications, bills, invoices with their PDF, bank cards, and each
refusal as a problem with a stable code and nothing half-written."""

from __future__ import annotations

import io
import itertools
import re
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader

from huren.api import problems
from huren.api.routers import billing
from huren.node import enterprises
from huren.node.billing.bank_sim import SimulatedBank
from huren.node.billing.cards import SMS_PURPOSE_BIND_CARD
from huren.node.billing.gateway_sim import Outcome, SimulatedGateway
from huren.node.billing.service import BillingService
from huren.node.db.engine import write_session
from huren.node.enterprises import Role
from tests.api.conftest import ApiEnv
from tests.node.billing.test_cards import ICBC_CARD, PHONE

USCC = "91350100M000100Y43"
OTHER_USCC = "91110000802100433B"  # a second well-formed USCC (GB 32100 check digit holds)
_PHONES = itertools.count(1)


class Caller:
    def __init__(self, env: ApiEnv) -> None:
        """A person signed in through the SMS simulator (a fresh phone each)."""
        self.env = env
        phone = f"1391{next(_PHONES):07d}"
        sent = env.http.post("/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
        assert sent.status_code == 202, sent.text
        outbox = env.http.get("/v1/dev/sms-outbox", params={"phone": phone}).json()
        code = re.search(r"\d{6}", outbox[0]["text"])
        assert code is not None
        login = env.http.post("/v1/auth/login/sms", json={"phone": phone, "code": code.group()})
        assert login.status_code == 200, login.text
        self.account: str = login.json()["account"]["id"]
        self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    @property
    def billing(self) -> BillingService:
        billing: BillingService = self.env.http.app.state.billing  # type: ignore[attr-defined]
        return billing

    @property
    def gateway(self) -> SimulatedGateway:
        assert isinstance(self.billing.gateway, SimulatedGateway)
        return self.billing.gateway

    def enterprise(self, role: Role = Role.ADMIN, uscc: str = USCC) -> str:
        """The id of an enterprise this person belongs to with ``role``."""
        with write_session(self.env.services.engine) as session:
            ent = enterprises.ensure_enterprise(session, "测试企业有限公司", uscc, now=1)
            enterprises.set_member(session, ent.id, self.account, role, now=1)
            return ent.id

    def get(self, path: str, **params: Any) -> Any:
        return self.env.http.get(f"/v1/billing{path}", headers=self.headers, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.env.http.post(f"/v1/billing{path}", headers=self.headers, json=body)

    def order(self, **fields: Any) -> dict[str, Any]:
        body = {"application_id": f"app-{uuid.uuid4().hex[:8]}", "ca_id": "zjca", "kind": "new",
                "years": 1, **fields}  # fmt: skip
        response = self.post("/orders", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def deliver(self) -> list[Any]:
        return [
            self.env.http.post(
                "/v1/billing/notify",
                content=note.body,
                headers={"X-Gateway-Signature": note.signature},
            )
            for note in self.gateway.take_outbox()
        ]

    def paid_order(self, **fields: Any) -> dict[str, Any]:
        order = self.order(**fields)
        assert self.post(f"/orders/{order['order_id']}/pay").status_code == 200
        assert [r.text for r in self.deliver()] == ["success"]
        return order


def problem_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    code: str = response.json()["code"]
    return code


def test_an_account_token_is_required_and_admin_routes_want_the_admin_key(env: ApiEnv) -> None:
    assert problem_code(env.http.get("/v1/billing/prices"), 401) == "UNAUTHENTICATED"
    admin_key = env.http.get("/v1/billing/prices", headers=env.headers())
    assert problem_code(admin_key, 401) == "INVALID_TOKEN"
    platform = env.http.get("/v1/billing/prices", headers=env.headers("alliance"))
    assert problem_code(platform, 401) == "INVALID_TOKEN"
    person = Caller(env)
    refund = env.http.post(
        "/v1/billing/applications/app-1/refund", headers=person.headers, json={"reason": "r"}
    )
    assert problem_code(refund, 401) == "INVALID_PLATFORM_KEY"  # a token is no admin key


def test_prices_and_a_new_version(env: ApiEnv) -> None:
    caller = Caller(env)
    prices = caller.get("/prices").json()
    first = next(
        p for p in prices["prices"] if (p["ca_id"], p["kind"], p["years"]) == ("ahca", "new", 1)
    )
    assert (first["amount_fen"], first["amount"]) == (26000, "260.00")
    order = caller.order(ca_id="ahca")
    body = {"prices": [{"ca_id": "ahca", "kind": "new", "years": 1, "amount": "120.50"}]}
    published = env.http.post("/v1/billing/price-lists", headers=env.headers(), json=body)
    assert published.status_code == 201 and published.json()["prices"][0]["amount_fen"] == 12050
    assert caller.get(f"/orders/{order['order_id']}").json()["amount_fen"] == 26000
    assert caller.order(ca_id="ahca")["amount_fen"] == 12050
    body["prices"][0]["amount"] = "1.005"
    bad = env.http.post("/v1/billing/price-lists", headers=env.headers(), json=body)
    assert problem_code(bad, 422) == "INVALID_AMOUNT"
    keys = ("ca_id", "kind", "years", "amount")
    restore = {"prices": [{k: p[k] for k in keys} for p in prices["prices"]]}
    assert env.http.post("/v1/billing/price-lists", headers=env.headers(), json=restore).is_success


def test_order_pay_notify_and_status(env: ApiEnv) -> None:
    caller = Caller(env)
    order = caller.order(enterprise_ref=caller.enterprise(Role.STAFF))
    assert (order["state"], order["amount"]) == ("created", "300.00")
    again = caller.post(
        "/orders", {k: order[k] for k in ("application_id", "ca_id", "kind", "years")}
    )
    assert again.json()["order_id"] == order["order_id"]  # idempotent per application
    pay = caller.post(f"/orders/{order['order_id']}/pay")
    assert pay.json()["pay_url"].startswith("simpay://")
    assert not caller.billing.orders.is_paid(order["application_id"])
    responses = caller.deliver()
    assert [(r.status_code, r.text) for r in responses] == [(200, "success")]
    assert caller.get(f"/orders/{order['order_id']}").json()["state"] == "paid"
    assert caller.billing.orders.is_paid(order["application_id"])
    assert problem_code(caller.post(f"/orders/{order['order_id']}/pay"), 409) == "ALREADY_PAID"
    stranger = Caller(env).get(f"/orders/{order['order_id']}")
    assert problem_code(stranger, 404) == "ORDER_NOT_FOUND"


def test_duplicate_notification_is_acknowledged_and_changes_nothing(env: ApiEnv) -> None:
    caller = Caller(env)
    caller.gateway.script(Outcome.DUPLICATE)
    order = caller.order()
    caller.post(f"/orders/{order['order_id']}/pay")
    assert [r.text for r in caller.deliver()] == ["success", "success"]
    detail = caller.get(f"/bills/{order['order_id']}").json()
    assert [e["action"] for e in detail["events"]] == ["created", "payment_started", "paid"]


def test_bad_notifications_are_refused(env: ApiEnv) -> None:
    caller = Caller(env)
    caller.gateway.script(Outcome.FORGED)
    forged = caller.order()
    caller.post(f"/orders/{forged['order_id']}/pay")
    (response,) = caller.deliver()
    assert problem_code(response, 401) == "INVALID_NOTIFICATION_SIGNATURE"
    caller.gateway.script(Outcome.WRONG_AMOUNT)
    short = caller.order()
    caller.post(f"/orders/{short['order_id']}/pay")
    (response,) = caller.deliver()
    assert problem_code(response, 422) == "AMOUNT_MISMATCH"
    assert caller.get(f"/orders/{short['order_id']}").json()["state"] == "paid"  # by query
    missing = env.http.post("/v1/billing/notify", content=b"{}")
    assert problem_code(missing, 422) == "VALIDATION_FAILED"


def test_gateway_timeout_then_status_resolves(env: ApiEnv) -> None:
    caller = Caller(env)
    caller.gateway.script(Outcome.TIMEOUT_PAID)
    order = caller.order()
    assert problem_code(caller.post(f"/orders/{order['order_id']}/pay"), 504) == "GATEWAY_TIMEOUT"
    assert caller.get(f"/orders/{order['order_id']}").json()["state"] == "paid"


def test_refund_after_rejection(env: ApiEnv) -> None:
    caller = Caller(env)
    order = caller.paid_order()
    path = f"/v1/billing/applications/{order['application_id']}/refund"
    refunded = env.http.post(path, headers=env.headers(), json={"reason": "CA rejected"})
    assert refunded.json()["state"] == "refunded"
    assert not caller.billing.orders.is_paid(order["application_id"])


def test_bills_filters_and_pages(env: ApiEnv) -> None:
    caller = Caller(env)
    ent = caller.enterprise()
    earlier = caller.get("/bills", enterprise=ent).json()["total"]  # the module's other tests
    orders = [caller.paid_order(enterprise_ref=ent) for _ in range(3)]
    caller.order()
    page = caller.get("/bills", page_size=2, state="paid").json()
    assert (page["total"], len(page["items"])) == (3, 2)
    assert caller.get("/bills", month="2000-01").json()["total"] == 0
    assert caller.get("/bills", enterprise=ent).json()["total"] == earlier + 3
    assert problem_code(caller.get("/bills", month="2026-13"), 422) == "INVALID_BILL_QUERY"
    detail = caller.get(f"/bills/{orders[0]['order_id']}").json()
    assert [p["state"] for p in detail["payments"]] == ["succeeded"]


def test_invoices(env: ApiEnv) -> None:
    caller = Caller(env)
    a, b = caller.paid_order(), caller.paid_order(years=2)
    picked = [o["order_id"] for o in caller.get("/invoiceable").json()]
    assert sorted(picked) == sorted([a["order_id"], b["order_id"]])
    body = {"order_ids": picked, "title": "某某科技有限公司", "tax_number": USCC,
            "email": "finance@example.com"}  # fmt: skip
    bad_tax = caller.post("/invoices", {**body, "tax_number": "91350100M000100Y44"})
    assert problem_code(bad_tax, 422) == "INVALID_TAX_NUMBER"
    issued = caller.post("/invoices", body)
    assert issued.status_code == 201 and issued.json()["total"] == "860.00"
    assert problem_code(caller.post("/invoices", body), 409) == "ALREADY_INVOICED"
    invoice_id = issued.json()["invoice_id"]
    pdf = caller.get(f"/invoices/{invoice_id}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    PdfFileReader(io.BytesIO(pdf.content))  # strict parse
    assert [i["invoice_id"] for i in caller.get("/invoices").json()] == [invoice_id]
    assert problem_code(Caller(env).get(f"/invoices/{invoice_id}/pdf"), 404) == "INVOICE_NOT_FOUND"
    unpaid = caller.order()
    refused = caller.post("/invoices", {**body, "order_ids": [unpaid["order_id"]]})
    assert problem_code(refused, 409) == "ORDER_NOT_INVOICEABLE"


@pytest.mark.parametrize(
    ("card", "code"),
    [(ICBC_CARD[:-1] + str((int(ICBC_CARD[-1]) + 1) % 10), "INVALID_CARD_NUMBER"),
     ("4111111111111111", "UNSUPPORTED_BANK")],
)  # fmt: skip
def test_bank_card_refusals(env: ApiEnv, card: str, code: str) -> None:
    caller = Caller(env)
    sms = caller.billing.sms.issue(PHONE, SMS_PURPOSE_BIND_CARD)  # type: ignore[attr-defined]
    body = {"holder_name": "张三", "card_number": card, "phone": PHONE, "sms_code": sms}
    assert problem_code(caller.post("/bank-cards", body), 422) == code
    assert caller.get("/bank-cards").json() == []


def test_bank_cards(env: ApiEnv) -> None:
    caller = Caller(env)
    body = {"holder_name": "张三", "card_number": ICBC_CARD, "phone": PHONE, "sms_code": "000000"}
    assert problem_code(caller.post("/bank-cards", body), 422) == "SMS_CODE_REJECTED"
    body["sms_code"] = caller.billing.sms.issue(PHONE, SMS_PURPOSE_BIND_CARD)  # type: ignore[attr-defined]
    added = caller.post("/bank-cards", body)
    assert added.status_code == 201, added.text
    card = added.json()
    assert (card["bank_code"], card["masked_number"]) == (
        "ICBC",
        "622202*********" + ICBC_CARD[-4:],
    )
    assert caller.get("/bank-cards").json() == [card]
    bank = caller.billing.bank
    assert isinstance(bank, SimulatedBank)
    unbind = env.http.delete(f"/v1/billing/bank-cards/{card['card_id']}", headers=caller.headers)
    assert unbind.status_code == 204
    assert caller.get("/bank-cards").json() == []
    again = env.http.delete(f"/v1/billing/bank-cards/{card['card_id']}", headers=caller.headers)
    assert problem_code(again, 404) == "CARD_NOT_FOUND"


def test_a_pending_payment_is_not_started_twice(env: ApiEnv) -> None:
    caller = Caller(env)
    caller.gateway.script(Outcome.ABANDON)
    order = caller.order()
    assert caller.post(f"/orders/{order['order_id']}/pay").status_code == 200
    again = caller.post(f"/orders/{order['order_id']}/pay")
    assert problem_code(again, 409) == "PAYMENT_IN_PROGRESS"
    bad = caller.post(
        "/orders", {"application_id": "x", "ca_id": "nope", "kind": "new", "years": 1}
    )
    assert problem_code(bad, 404) == "PRICE_NOT_FOUND"
    four_years = {"application_id": "y", "ca_id": "zjca", "kind": "new", "years": 4}
    refused = caller.post("/orders", four_years)
    assert problem_code(refused, 422) == "VALIDATION_FAILED"
    assert refused.json()["errors"][0]["loc"] == ["body", "years"]


def test_outside_dev_billing_without_a_gateway_answers_503(env: ApiEnv) -> None:
    """A production node with no payment gateway wired in never falls back to the
    simulators."""
    app = FastAPI()
    problems.install(app)
    node = SimpleNamespace(settings=SimpleNamespace(env="prod"), engine=env.services.engine)
    billing.install(app, node)  # type: ignore[arg-type]
    assert app.state.billing is None
    app.include_router(billing.router)
    app.state.account_services = env.http.app.state.account_services
    prices = TestClient(app).get("/v1/billing/prices", headers=Caller(env).headers)
    assert problem_code(prices, 503) == "BILLING_UNAVAILABLE"


def test_an_enterprises_bills_are_its_admins(env: ApiEnv) -> None:
    """Only the enterprise's admin sees its bills and invoices; only a member tags an order
    with it."""
    admin, staff, stranger = Caller(env), Caller(env), Caller(env)
    ent = admin.enterprise(uscc=OTHER_USCC)
    staff.enterprise(Role.STAFF, uscc=OTHER_USCC)
    staff.paid_order(enterprise_ref=ent)
    assert admin.get("/bills", enterprise=ent).json()["total"] == 1
    assert problem_code(staff.get("/bills", enterprise=ent), 403) == "NOT_ENTERPRISE_ADMIN"
    assert problem_code(stranger.get("/invoices", enterprise=ent), 403) == "NOT_ENTERPRISE_MEMBER"
    body = {"application_id": "app-x", "ca_id": "zjca", "kind": "new", "years": 1}
    tagged = stranger.post("/orders", {**body, "enterprise_ref": ent})
    assert problem_code(tagged, 403) == "NOT_ENTERPRISE_MEMBER"
