"""The seams between applications, billing and accounts, over the API: a CA rejection after
payment refunds through billing (and a refund timeout leaves the application paid until the
retry); a refused payment leaves the application approved and may be retried; an order made
by hand on other terms pays for nothing; a bank card is bound with an account SMS code."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from huren.node.billing.gateway_sim import Outcome
from huren.node.db.billing_tables import OrderRow
from tests.api.applications.conftest import ALICE, AppApi, Keys, problem
from tests.api.applications.test_flow import attach_all, claim, messages, review


def approved_claim(api: AppApi, headers: dict[str, str]) -> str:
    app_id: str = claim(api, headers)["id"]
    attach_all(api, headers, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=headers).status_code == 200
    assert review(api, app_id).status_code == 200
    return app_id


def order_state(api: AppApi, app_id: str) -> str:
    with Session(api.node.engine) as session:
        row = session.exec(select(OrderRow).where(OrderRow.application_id == app_id)).one()
        return row.state


def test_a_ca_rejection_after_payment_refunds_through_billing(api: AppApi) -> None:
    alice = api.person(ALICE)
    app_id = approved_claim(api, alice)
    api.node.gateway.script(Outcome.REFUND_TIMEOUT)
    started = api.start_payment(alice, app_id)
    assert [r.text for r in api.deliver()] == ["success"]
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "paid"

    # The gateway's refund answer is lost: the application stays paid, nothing half-done.
    problem(review(api, app_id, reject="材料存疑"), 504, "REFUND_PENDING")
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "paid"
    assert order_state(api, app_id) == "paid"

    # The CA rejects again: the gateway refunds once (same refund number), the order is
    # refunded, the application final with the reason, the applicant told.
    rejected = review(api, app_id, reject="材料存疑")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "refunded" and rejected.json()["reason"] == "材料存疑"
    assert order_state(api, app_id) == "refunded"
    refunds = api.node.gateway.refunds_of(started["trade_no"])
    assert refunds == {f"{started['order_id']}-refund"}
    assert "application_rejected" in messages(api, alice)
    history = api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["history"]
    assert [h["to_state"] for h in history][-2:] == ["paid", "refunded"]

    # Final: no download, no second payment, no second rejection; no certificate.
    keys = Keys.new()
    download = api.http.post(
        f"/v1/applications/{app_id}/download", json=keys.body(app_id), headers=alice
    )
    problem(download, 404, "APPLICATION_NOT_FOUND")
    url = f"/v1/applications/{app_id}/payment"
    problem(api.http.post(url, headers=alice), 409, "ILLEGAL_TRANSITION")
    problem(review(api, app_id, reject="again"), 409, "ILLEGAL_TRANSITION")
    assert api.http.get("/v1/holder/certificates", headers=alice).json() == []


def test_a_refused_payment_leaves_the_application_approved_and_may_be_retried(
    api: AppApi,
) -> None:
    alice = api.person(ALICE)
    app_id = approved_claim(api, alice)
    api.node.gateway.script(Outcome.FAIL)
    first = api.start_payment(alice, app_id)
    assert [r.text for r in api.deliver()] == ["success"]  # acknowledged: a failed payment
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "approved"
    assert order_state(api, app_id) == "failed"
    second = api.start_payment(alice, app_id)  # the next attempt (default: succeeds)
    assert second["order_id"] == first["order_id"]
    assert (first["trade_no"], second["trade_no"]) == (
        f"{first['order_id']}-1",
        f"{first['order_id']}-2",
    )
    assert [r.text for r in api.deliver()] == ["success"]
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "paid"
    assert order_state(api, app_id) == "paid"


def test_a_forged_notification_pays_nothing(api: AppApi) -> None:
    alice = api.person(ALICE)
    app_id = approved_claim(api, alice)
    api.node.gateway.script(Outcome.FORGED)
    api.start_payment(alice, app_id)
    [answer] = api.deliver()
    problem(answer, 401, "INVALID_NOTIFICATION_SIGNATURE")
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "approved"


def test_an_order_on_other_terms_pays_for_nothing(api: AppApi) -> None:
    """Someone orders their claim through /v1/billing/orders as a (cheaper) renewal and pays:
    the money is recorded, the application is not paid, and its own payment is refused."""
    alice = api.person(ALICE)
    app_id = approved_claim(api, alice)
    body = {"application_id": app_id, "ca_id": "zjca", "kind": "renewal", "years": 1}
    order = api.http.post("/v1/billing/orders", json=body, headers=alice)
    assert order.status_code == 201, order.text
    order_id = order.json()["order_id"]
    assert api.http.post(f"/v1/billing/orders/{order_id}/pay", headers=alice).status_code == 200
    assert [r.text for r in api.deliver()] == ["success"]
    assert order_state(api, app_id) == "paid"
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "approved"
    keys = Keys.new()
    download = api.http.post(
        f"/v1/applications/{app_id}/download", json=keys.body(app_id), headers=alice
    )
    problem(download, 402, "NOT_PAID")
    url = f"/v1/applications/{app_id}/payment"
    problem(api.http.post(url, headers=alice), 409, "INVALID_ORDER_STATE")


def test_a_bank_card_is_bound_with_an_account_sms_code(api: AppApi) -> None:
    alice = api.person(ALICE)
    reserved = "13900139000"  # the card's reserved phone, not the account's
    card = "6222021234567890128"  # ICBC BIN, Luhn-valid
    body = {"holder_name": ALICE[1], "card_number": card, "phone": reserved, "sms_code": "000000"}
    problem(
        api.http.post("/v1/billing/bank-cards", json=body, headers=alice), 422, "SMS_CODE_REJECTED"
    )

    sent = api.http.post(
        "/v1/auth/sms-codes", json={"phone": reserved, "purpose": "bind_bank_card"}
    )
    assert sent.status_code == 202, sent.text
    outbox = api.http.get("/v1/dev/sms-outbox", params={"phone": reserved}).json()
    assert "绑定银行卡" in outbox[0]["text"]
    found = re.search(r"\d{6}", outbox[0]["text"])
    assert found is not None
    code = found.group()
    wrong = "000000" if code != "000000" else "111111"
    body["sms_code"] = wrong
    problem(
        api.http.post("/v1/billing/bank-cards", json=body, headers=alice), 422, "SMS_CODE_REJECTED"
    )

    body["sms_code"] = code
    bound = api.http.post("/v1/billing/bank-cards", json=body, headers=alice)
    assert bound.status_code == 201, bound.text
    assert bound.json()["bank_code"] == "ICBC"
    listed = api.http.get("/v1/billing/bank-cards", headers=alice).json()
    assert [c["card_id"] for c in listed] == [bound.json()["card_id"]]

    # Single use; and a login code for the same phone does not bind a card.
    api.http.delete(f"/v1/billing/bank-cards/{bound.json()['card_id']}", headers=alice)
    problem(
        api.http.post("/v1/billing/bank-cards", json=body, headers=alice), 422, "SMS_CODE_REJECTED"
    )
    api.clock.advance(61)
    login = api.http.post("/v1/auth/sms-codes", json={"phone": reserved, "purpose": "login"})
    assert login.status_code == 202
    text = api.http.get("/v1/dev/sms-outbox", params={"phone": reserved}).json()[0]["text"]
    login_code = re.search(r"\d{6}", text)
    assert login_code is not None and "登录" in text
    body["sms_code"] = login_code.group()
    problem(
        api.http.post("/v1/billing/bank-cards", json=body, headers=alice), 422, "SMS_CODE_REJECTED"
    )
