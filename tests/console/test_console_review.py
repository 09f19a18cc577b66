"""The CA review queue over HTTP (test client), on a dev node with the demo CAs and the
application API: a CA operator of zjca sees zjca's submitted applications oldest first,
opens one with its licence image and form served through the console, rejects with a reason
and approves, and the API then shows the states, with the operator's account recorded as the
reviewer. Everyone else (a CA operator of jsca, an auditor, the center operator, a platform,
nobody) is refused; forged forms are refused; an empty reason, an application decided
meanwhile and an unknown one come back as messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from huren.api.console.roles import Role
from huren.node.console_roles import ConsoleRoleService
from tests.api.applications.conftest import (  # noqa: F401
    ADMIN_KEY,
    ALICE,
    BOB,
    AppApi,
    _db_template,
    api,
    png_bytes,
)
from tests.api.applications.test_flow import attach_all, claim
from tests.console.conftest import csrf_of, sign_in
from tests.node.conftest import _seeded_template, seeded  # noqa: F401

PASSWORD = "a long reviewer password"
ZJCA_OPERATOR, JSCA_OPERATOR, AUDITOR = "13800138301", "13800138302", "13800138303"


def personal(api: AppApi, headers: dict[str, str], who: tuple[str, str, str]) -> str:  # noqa: F811
    body = {
        "kind": "personal",
        "ca_id": "zjca",
        "platform_id": "jiaxing-ggzy",
        "validity_years": 1,
        "person_name": who[1],
        "id_number": who[2],
    }
    created = api.http.post("/v1/applications", json=body, headers=headers)
    assert created.status_code == 201, created.text
    app_id: str = created.json()["id"]
    submitted = api.http.post(f"/v1/applications/{app_id}/submit", headers=headers)
    assert submitted.json()["state"] == "submitted", submitted.text
    return app_id


def console_account(api: AppApi, phone: str, role: str, ca_id: str | None) -> str:  # noqa: F811
    """An account with a password, granted ``role``; its id."""
    api.login(phone)  # registers the account (an SMS login, as the app does)
    roles: ConsoleRoleService = api.http.app.state.console_roles  # type: ignore[attr-defined]
    granted = roles.grant(phone, role, ca_id, "test")
    api.node.account_services.accounts.set_password(granted.account_id, PASSWORD)
    return granted.account_id


def account_client(api: AppApi, phone: str) -> TestClient:  # noqa: F811
    client = TestClient(api.http.app)
    form = client.get("/console/login")
    body = {"action": "password", "phone": phone, "password": PASSWORD, "as": "",
            "csrf": csrf_of(form.text), "next": ""}  # fmt: skip
    signed = client.post("/console/login/account", data=body, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return client


@dataclass
class Review:
    api: AppApi
    claim_id: str  # Alice's claim: licence and form attached
    personal_id: str  # Bob's personal application: no attachments
    operator_id: str  # the zjca operator's account
    operator: TestClient
    others: dict[str, TestClient]  # signed-in sessions that may not review zjca
    anonymous: TestClient


@pytest.fixture
def review(api: AppApi) -> Review:  # noqa: F811
    alice, bob = api.person(ALICE), api.person(BOB)
    claim_id = claim(api, alice)["id"]
    attach_all(api, alice, claim_id)
    assert api.http.post(f"/v1/applications/{claim_id}/submit", headers=alice).status_code == 200
    api.clock.advance(5)
    personal_id = personal(api, bob, BOB)
    operator_id = console_account(api, ZJCA_OPERATOR, Role.CA_OPERATOR.value, "zjca")
    console_account(api, JSCA_OPERATOR, Role.CA_OPERATOR.value, "jsca")
    console_account(api, AUDITOR, Role.AUDITOR.value, None)
    center, platform = TestClient(api.http.app), TestClient(api.http.app)
    assert sign_in(center, ADMIN_KEY).status_code == 303
    demo_key = api.http.post(
        "/v1/platform-keys", json={"platform": "jiaxing-ggzy"}, headers=api.admin()
    )
    assert demo_key.status_code == 201, demo_key.text
    assert sign_in(platform, demo_key.json()["key"]).status_code == 303
    others = {
        "jsca operator": account_client(api, JSCA_OPERATOR),
        "auditor": account_client(api, AUDITOR),
        "center operator": center,
        "platform": platform,
    }
    return Review(
        api,
        claim_id,
        personal_id,
        operator_id,
        account_client(api, ZJCA_OPERATOR),
        others,
        TestClient(api.http.app),
    )


def post_form(client: TestClient, page: str, action: str, **fields: str) -> httpx.Response:
    """Send the form at ``action`` with the CSRF token of ``page`` (as the browser would)."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf": token, **fields}, follow_redirects=False)


def api_state(api: AppApi, app_id: str) -> dict[str, Any]:  # noqa: F811
    got = api.http.get(f"/v1/ca/zjca/applications/{app_id}", headers=api.admin())
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def test_the_operator_reviews_its_queue(review: Review) -> None:
    app_api, op = review.api, review.operator
    home = op.get("/console/review")
    assert home.status_code == 200
    assert re.search(r'data-ca="zjca">.*?<td class="waiting">2</td>', home.text, re.S)
    nav = home.text.split('<nav aria-label="main">', 1)[1].split("</nav>", 1)[0]
    assert 'href="/console/review"' in nav

    assert 'id="review-link"' in op.get("/console/ca/zjca").text  # from the CA's page
    queue = op.get("/console/ca/zjca/review")
    assert queue.status_code == 200
    order = re.findall(r'<tr data-application="([0-9a-f]{16})">', queue.text)
    assert order == [review.claim_id, review.personal_id]  # oldest first
    assert "嘉兴市某某建设有限公司" in queue.text
    assert '<a href="/console/review" aria-current="page">' in queue.text  # not "CAs"
    assert 'aria-current="page"' not in queue.text.replace('/console/review" aria-cur', "")

    page = f"/console/ca/zjca/review/{review.claim_id}"
    detail = op.get(page)
    assert detail.status_code == 200
    assert 'id="licence"' in detail.text and 'id="form-link"' in detail.text
    assert '<tr data-action="submit">' in detail.text  # the history
    licence = op.get(f"{page}/attachments/business_licence")
    assert licence.status_code == 200 and licence.content == png_bytes()
    assert licence.headers["content-type"] == "image/png"
    assert licence.headers["content-disposition"].startswith("inline")
    assert "sandbox" in licence.headers["content-security-policy"]
    form = op.get(f"{page}/attachments/application_form")
    assert form.status_code == 200 and form.content.startswith(b"%PDF-")
    assert form.headers["content-disposition"].startswith("attachment")

    # an empty reason comes back to the page with the service's code; nothing changed
    empty = post_form(op, page, f"{page}/reject", reason="   ")
    assert empty.status_code == 422 and "INVALID_APPLICATION" in empty.text
    assert api_state(app_api, review.claim_id)["state"] == "submitted"

    rejected = post_form(op, page, f"{page}/reject", reason="营业执照不清晰")
    assert rejected.status_code == 303
    assert rejected.headers["location"] == "/console/ca/zjca/review"
    after = op.get("/console/ca/zjca/review")
    assert "rejected: 营业执照不清晰" in after.text
    assert re.findall(r'<tr data-application="([0-9a-f]{16})">', after.text) == [review.personal_id]

    other = f"/console/ca/zjca/review/{review.personal_id}"
    assert "carries no attachment" in op.get(other).text
    approved = post_form(op, other, f"{other}/approve")
    assert approved.status_code == 303
    assert 'id="queue-empty"' in op.get("/console/ca/zjca/review").text

    # the API shows the states, with the signed-in account as the reviewer
    reviewer = f"ca:zjca:account:{review.operator_id}"
    claim_state = api_state(app_api, review.claim_id)
    assert claim_state["state"] == "rejected" and claim_state["reason"] == "营业执照不清晰"
    assert claim_state["history"][-1]["actor"] == reviewer
    personal_state = api_state(app_api, review.personal_id)
    assert personal_state["state"] in {"approved", "paid"}  # a free one is paid at once
    assert any(t["action"] == "ca_approve" and t["actor"] == reviewer
               for t in personal_state["history"])  # fmt: skip

    # deciding again: the page says why (the state forbids it), the state stays
    again = post_form(op, page, f"{page}/approve")
    assert again.status_code == 409 and "ILLEGAL_TRANSITION" in again.text
    assert 'id="not-reviewable"' in again.text
    assert api_state(app_api, review.claim_id)["state"] == "rejected"


def test_unknown_applications_and_forged_forms(review: Review) -> None:
    op = review.operator
    missing = op.get("/console/ca/zjca/review/0123456789abcdef")
    assert missing.status_code == 404 and "APPLICATION_NOT_FOUND" in missing.text
    gone = op.get("/console/ca/zjca/review/0123456789abcdef/attachments/business_licence")
    assert gone.status_code == 404
    none_attached = op.get(
        f"/console/ca/zjca/review/{review.personal_id}/attachments/business_licence"
    )
    assert none_attached.status_code == 422  # ATTACHMENT_MISSING
    page = f"/console/ca/zjca/review/{review.claim_id}"
    for fields in ({}, {"csrf": "forged"}):
        forged = op.post(f"{page}/approve", data=fields, follow_redirects=False)
        assert forged.status_code == 403
    other_session = csrf_of(review.others["jsca operator"].get("/console/consortium").text)
    forged = op.post(f"{page}/approve", data={"csrf": other_session}, follow_redirects=False)
    assert forged.status_code == 403
    assert api_state(review.api, review.claim_id)["state"] == "submitted"


def test_nobody_else_sees_or_decides_the_queue(review: Review) -> None:
    page = f"/console/ca/zjca/review/{review.claim_id}"
    gets = ("/console/review", "/console/ca/zjca/review", page,
            f"{page}/attachments/business_licence")  # fmt: skip
    for who, client in review.others.items():
        for path in gets:
            if who == "jsca operator" and path == "/console/review":
                continue  # its own list (jsca's queue), checked below
            response = client.get(path)
            assert response.status_code == 403, (who, path)
            assert "嘉兴市某某建设有限公司" not in response.text
        token = csrf_of(client.get("/console/consortium").text)
        for action in ("approve", "reject"):
            sent = client.post(f"{page}/{action}", data={"csrf": token, "reason": "x"},
                               follow_redirects=False)  # fmt: skip
            assert sent.status_code == 403, (who, action)
    own = review.others["jsca operator"].get("/console/review")
    assert own.status_code == 200 and 'data-ca="jsca"' in own.text and "zjca" not in own.text
    assert review.others["jsca operator"].get("/console/ca/jsca/review").status_code == 200
    # the zjca operator, in turn, not jsca's
    assert review.operator.get("/console/ca/jsca/review").status_code == 403
    for path in gets:
        response = review.anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login?next=")
    sent = review.anonymous.post(f"{page}/approve", data={"csrf": "x"}, follow_redirects=False)
    assert sent.status_code == 303
    assert api_state(review.api, review.claim_id)["state"] == "submitted"


def test_a_revoked_grant_takes_the_queue_away(review: Review) -> None:
    roles: ConsoleRoleService = review.api.http.app.state.console_roles  # type: ignore[attr-defined]
    grant = next(g for g in roles.grants() if g.account_id == review.operator_id)
    assert review.operator.get("/console/ca/zjca/review").status_code == 200
    roles.revoke(grant.id)
    after = review.operator.get("/console/ca/zjca/review", follow_redirects=False)
    assert after.status_code == 303  # its only role is gone: the session ended
