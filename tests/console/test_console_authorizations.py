"""The CA's authorization requests in the console (test client) on the enterprise dev node
(embedded chain, demo CAs): Alice's enterprise asks, with sealed letters, that Bob's staff
certificate act at jiaxing-ggzy; the zjca operator sees the requests oldest first (and their
count on /console/review), reads one (enterprise, staff member and certificate, platform,
rights, the sealed letter's facts, the history), rejects one with a reason and approves the
other: the service shows them rejected and granted with the signed-in account as the
reviewer, and recognition on chain follows the grant. Nobody else may see or decide them.

The application review page's extra sections are here too: an enterprise change's chosen
certificates (on the same node) and a split-key recovery's evidence (the recovery world of
the API tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from huren.api.console.roles import Role
from huren.node.enterprises.authorization_model import AuthorizationChain, AuthorizationState
from huren.node.recognition import recognize
from huren.registry.backend import ChainUnavailable
from huren.registry.types import Reason, Right
from tests.api.applications.conftest import (  # noqa: F401
    ADMIN_KEY,
    ALICE,
    BOB,
    AppApi,
    _db_template,
    api,
)
from tests.api.applications.recovery_support import build_world
from tests.api.applications.test_flow import attach_all
from tests.api.enterprises.conftest import Admin, EntApi, Held, ent  # noqa: F401
from tests.api.enterprises.test_authorizations import PLATFORM, _ask
from tests.console.conftest import csrf_of, sign_in
from tests.console.test_console_review import (
    AUDITOR,
    JSCA_OPERATOR,
    ZJCA_OPERATOR,
    account_client,
    console_account,
    post_form,
)
from tests.node.conftest import _seeded_template, seeded  # noqa: F401

QUEUE = "/console/ca/zjca/authorizations"
ROW = re.compile(r'<tr data-request="([0-9a-f]{16})">')


def _asked(ent_api: EntApi, admin: Admin, staff: Held, rights: Right) -> str:
    asked = _ask(ent_api, admin, staff, rights)
    assert asked.status_code == 201, asked.text
    request_id: str = asked.json()[0]["id"]
    return request_id


def _state(ent_api: EntApi, request_id: str) -> tuple[str, str | None, str | None]:
    services = ent_api.node.enterprises
    assert services is not None
    view = services.authorizations.ca_detail("zjca", request_id)
    return view.state, view.reviewed_by, view.reason


def _recognized(ent_api: EntApi, fingerprint: bytes, action: Right) -> bool:
    ent_api.index()
    with Session(ent_api.node.engine) as session:
        answer = recognize(session, fingerprint, PLATFORM, action, int(ent_api.clock()))
    assert answer.recognized or answer.reasons & Reason.NOT_AUTHORIZED, answer.reasons
    return answer.recognized


class World:
    def __init__(self, ent_api: EntApi) -> None:
        self.api = ent_api
        self.admin = ent_api.claim_enterprise(ALICE)
        _, self.staff = ent_api.join(self.admin, BOB)
        # Two requests for Bob's certificate can't wait at once on one platform: the first
        # is asked, rejected below, then the second is asked.
        self.operator_id = console_account(ent_api, ZJCA_OPERATOR, Role.CA_OPERATOR.value, "zjca")
        self.operator = account_client(ent_api, ZJCA_OPERATOR)


@pytest.fixture
def world(ent: EntApi) -> World:  # noqa: F811
    return World(ent)


def test_the_operator_rejects_then_grants_and_recognition_follows(world: World) -> None:
    ent_api, op, staff = world.api, world.operator, world.staff
    assert not _recognized(ent_api, staff.signing_fingerprint, Right.SIGN)
    first = _asked(ent_api, world.admin, staff, Right.SIGN | Right.DECRYPT)

    home = op.get("/console/review")
    assert home.status_code == 200
    assert re.search(
        r'data-ca="zjca">.*?href="/console/ca/zjca/authorizations">1 waiting', home.text, re.S
    )
    queue = op.get(QUEUE)
    assert queue.status_code == 200 and ROW.findall(queue.text) == [first]
    assert "嘉兴市某某建设有限公司" in queue.text and BOB[1] in queue.text

    page = f"{QUEUE}/{first}"
    detail = op.get(page)
    assert detail.status_code == 200
    text = detail.text
    assert re.search(r'id="enterprise">嘉兴市某某建设有限公司 <span class="mono">91', text)
    assert f'id="staff">{BOB[1]} <' in text
    assert staff.signing_fingerprint.hex() in text and staff.encryption_fingerprint.hex() in text
    assert re.search(r'id="rights">sign, decrypt<', text)
    assert f'id="letter-sealed-by">account:{world.admin.account_id}<' in text
    sealing = world.admin.certificate.signing_fingerprint.hex()
    assert f'id="letter-certificate" href="/console/certificates?fingerprint={sealing}"' in text
    assert "authorization_grant" in text  # the statement as sealed
    assert "authorization change" in text  # the history: the request was logged
    assert 'id="approve-form"' in text and 'id="reject-form"' in text
    assert '<a href="/console/review" aria-current="page">' in text  # the Review entry's

    # an empty reason comes back with the service's code; nothing changed
    empty = post_form(op, page, f"{page}/reject", reason="  ")
    assert empty.status_code == 422 and "INVALID_AUTHORIZATION" in empty.text
    assert _state(ent_api, first)[0] == AuthorizationState.PENDING
    rejected = post_form(op, page, f"{page}/reject", reason="授权书与营业执照不符")
    assert rejected.status_code == 303 and rejected.headers["location"] == QUEUE
    after = op.get(QUEUE)
    assert (
        "rejected: 授权书与营业执照不符" in after.text and 'id="authorizations-empty"' in after.text
    )
    reviewer = f"ca:zjca:account:{world.operator_id}"
    assert _state(ent_api, first) == ("rejected", reviewer, "授权书与营业执照不符")
    again = post_form(op, page, f"{page}/approve")
    assert again.status_code == 409 and "ILLEGAL_AUTHORIZATION_STATE" in again.text
    assert 'id="not-decidable"' in again.text

    ent_api.clock.advance(5)
    second = _asked(ent_api, world.admin, staff, Right.SIGN | Right.DECRYPT)
    page = f"{QUEUE}/{second}"
    approved = post_form(op, page, f"{page}/approve")
    assert approved.status_code == 303, approved.text
    assert f"Authorization {second} granted." in op.get(QUEUE).text
    assert _state(ent_api, second)[:2] == ("granted", reviewer)
    assert _recognized(ent_api, staff.signing_fingerprint, Right.SIGN)
    assert _recognized(ent_api, staff.encryption_fingerprint, Right.DECRYPT)
    assert not _recognized(ent_api, staff.signing_fingerprint, Right.LOGIN)
    done = op.get(page)
    assert 'id="not-decidable"' in done.text and "Grant transactions" in done.text
    assert re.search(
        r'href="/console/ca/zjca/authorizations">0 waiting', op.get("/console/review").text
    )


def test_nobody_else_sees_or_decides_them(world: World) -> None:
    ent_api = world.api
    request_id = _asked(ent_api, world.admin, world.staff, Right.SIGN)
    console_account(ent_api, JSCA_OPERATOR, Role.CA_OPERATOR.value, "jsca")
    console_account(ent_api, AUDITOR, Role.AUDITOR.value, None)
    center, platform = TestClient(ent_api.http.app), TestClient(ent_api.http.app)
    assert sign_in(center, ADMIN_KEY).status_code == 303
    body = {"platform": PLATFORM}
    key = ent_api.http.post("/v1/platform-keys", json=body, headers=ent_api.admin())
    assert key.status_code == 201, key.text
    assert sign_in(platform, key.json()["key"]).status_code == 303
    others = {
        "jsca operator": account_client(ent_api, JSCA_OPERATOR),
        "auditor": account_client(ent_api, AUDITOR),
        "center operator": center,
        "platform": platform,
    }
    page = f"{QUEUE}/{request_id}"
    for who, client in others.items():
        for path in (QUEUE, page):
            response = client.get(path)
            assert response.status_code == 403, (who, path)
            assert "嘉兴市某某建设有限公司" not in response.text
        token = csrf_of(client.get("/console/consortium").text)
        for action in ("approve", "reject"):
            sent = client.post(f"{page}/{action}", data={"csrf": token, "reason": "x"},
                               follow_redirects=False)  # fmt: skip
            assert sent.status_code == 403, (who, action)
    assert others["jsca operator"].get("/console/ca/jsca/authorizations").status_code == 200
    assert world.operator.get("/console/ca/jsca/authorizations").status_code == 403
    anonymous = TestClient(ent_api.http.app)
    for path in (QUEUE, page):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login?next=")
    sent = anonymous.post(f"{page}/approve", data={"csrf": "x"}, follow_redirects=False)
    assert sent.status_code == 303
    # forged forms, an unknown request
    op = world.operator
    for fields in ({}, {"csrf": "forged"}):
        assert op.post(f"{page}/approve", data=fields, follow_redirects=False).status_code == 403
    missing = op.get(f"{QUEUE}/0123456789abcdef")
    assert missing.status_code == 404 and "AUTHORIZATION_NOT_FOUND" in missing.text
    assert _state(ent_api, request_id)[0] == "pending"


def test_an_enterprise_change_shows_its_chosen_certificates(world: World) -> None:
    ent_api, alice = world.api, world.admin.headers
    admin_fp = world.admin.certificate.signing_fingerprint.hex()
    bob_fp = world.staff.signing_fingerprint.hex()
    body = {"ca_id": "zjca", "platform_id": PLATFORM, "validity_years": 1,
            "enterprise_uscc": world.admin.uscc, "new_name": "嘉兴市某某建设集团有限公司",
            "certificates": [admin_fp, bob_fp]}  # fmt: skip
    made = ent_api.http.post("/v1/enterprise-change", json=body, headers=alice)
    assert made.status_code == 201, made.text
    app_id = made.json()["application"]["id"]
    attach_all(ent_api, alice, app_id)
    assert ent_api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    page = world.operator.get(f"/console/ca/zjca/review/{app_id}")
    assert page.status_code == 200
    section = page.text.split('id="change-choices"', 1)[1].split("</section>", 1)[0]
    assert "嘉兴市某某建设集团有限公司" in section
    rows = re.findall(r'<tr data-fingerprint="([0-9a-f]{64})">(.*?)</tr>', section, re.S)
    assert [fp for fp, _ in rows] == [admin_fp, bob_fp]
    assert "enterprise signing" in rows[0][1] and "staff signing" in rows[1][1]
    assert f"account:{world.admin.account_id}" in rows[0][1]
    assert f"account:{ent_api.account_id(BOB[0])}" in rows[1][1]
    assert 'id="recovery-evidence"' not in page.text


def test_a_recovery_shows_its_evidence(api: AppApi, tmp_path: Path) -> None:  # noqa: F811
    recovery = build_world(api, tmp_path)
    started = api.http.post("/v1/recoveries", json=recovery.start_body(), headers=recovery.alice)
    assert started.status_code == 201, started.text
    app_id = started.json()["application"]["id"]
    ca_id = started.json()["application"]["ca_id"]
    console_account(api, ZJCA_OPERATOR, Role.CA_OPERATOR.value, ca_id)
    page = account_client(api, ZJCA_OPERATOR).get(f"/console/ca/{ca_id}/review/{app_id}")
    assert page.status_code == 200
    evidence = api.http.get(f"/v1/ca/{ca_id}/applications/{app_id}/recovery", headers=api.admin())
    assert evidence.status_code == 200, evidence.text
    facts = evidence.json()
    section = page.text.split('id="recovery-evidence"', 1)[1].split("</section>", 1)[0]
    assert f'id="recovery-policy">{facts["policy_version"]}<' in section
    assert facts["identity_method"] in section and facts["identity_reference"] in section
    assert f'id="recovery-old-device">{facts["old_device_id"]}<' in section
    for key in facts["keys"]:
        assert key["enrolment_id"] in section and key["fingerprint"] in section
    assert {k["fingerprint"] for k in facts["keys"]} == {
        recovery.signing_fp,
        recovery.encryption_fp,
    }
    assert 'id="change-choices"' not in page.text


class Switchable:
    """The node's authorization chain, down (every write and read refused) while ``down``;
    while ``lose_answers``, a grant lands but the node hears nothing back."""

    def __init__(self, chain: AuthorizationChain) -> None:
        self.chain, self.down, self.lose_answers = chain, False, False

    def _check(self) -> None:
        if self.down:
            raise ChainUnavailable("the chain is down")

    def grant(self, ca_id: str, staff: bytes, platform_id: str, enterprise: bytes,
              rights: Right) -> bytes:  # fmt: skip
        self._check()
        sent = self.chain.grant(ca_id, staff, platform_id, enterprise, rights)
        if self.lose_answers:  # the grant landed, its answer did not come back
            raise ChainUnavailable("no answer")
        return sent

    def revoke(self, ca_id: str, staff: bytes, platform_id: str) -> bytes | None:
        self._check()
        return self.chain.revoke(ca_id, staff, platform_id)

    def holding(self, ca_id: str, staff: bytes, platform_id: str) -> tuple[bytes, Right] | None:
        self._check()
        return self.chain.holding(ca_id, staff, platform_id)


def _stuck(world: World, chain: Switchable, rights: Right) -> str:
    """A request whose approval the chain missed: ``granting``."""
    request_id = _asked(world.api, world.admin, world.staff, rights)
    page = f"{QUEUE}/{request_id}"
    chain.down = True
    down = post_form(world.operator, page, f"{page}/approve")
    assert down.status_code == 503 and "CHAIN_UNAVAILABLE" in down.text
    assert _state(world.api, request_id)[0] == "granting"
    return request_id


def test_a_grant_the_chain_missed_waits_as_granting_then_is_sent_or_rejected(
    world: World,
) -> None:
    ent_api, op = world.api, world.operator
    services = ent_api.node.enterprises
    assert services is not None
    chain = Switchable(services.authorizations.chain)
    services.authorizations.chain = chain
    signing = world.staff.signing_fingerprint

    first = _stuck(world, chain, Right.SIGN)
    page = f"{QUEUE}/{first}"
    queue = op.get(QUEUE)
    assert ROW.findall(queue.text) == [first] and "granting" in queue.text
    waiting = op.get(page)
    assert "sends it again" in waiting.text and 'id="reject-granting"' in waiting.text
    # the chain still down: rejecting cannot read it, nothing changes
    down = post_form(op, page, f"{page}/reject", reason="太迟")
    assert down.status_code == 503 and "CHAIN_UNAVAILABLE" in down.text
    assert _state(ent_api, first)[0] == "granting"
    chain.down = False
    again = post_form(op, page, f"{page}/approve")
    assert again.status_code == 303, again.text
    assert _state(ent_api, first)[0] == "granted"
    assert _recognized(ent_api, signing, Right.SIGN)

    # a second request (login too) stuck the same way, then rejected: the node reads the
    # chain, finds the grant absent, records the rejection; the first grant stands
    ent_api.clock.advance(5)
    second = _stuck(world, chain, Right.SIGN | Right.LOGIN)
    chain.down = False
    page = f"{QUEUE}/{second}"
    rejected = post_form(op, page, f"{page}/reject", reason="不再需要登录")
    assert rejected.status_code == 303, rejected.text
    assert "rejected: 不再需要登录" in op.get(QUEUE).text
    assert _state(ent_api, second)[0] == "rejected"
    assert _state(ent_api, first)[0] == "granted"
    assert _recognized(ent_api, signing, Right.SIGN)
    assert not _recognized(ent_api, signing, Right.LOGIN)


def test_rejecting_a_grant_that_landed_records_it_granted(world: World) -> None:
    ent_api, op = world.api, world.operator
    services = ent_api.node.enterprises
    assert services is not None
    chain = Switchable(services.authorizations.chain)
    services.authorizations.chain = chain
    request_id = _asked(ent_api, world.admin, world.staff, Right.SIGN)
    page = f"{QUEUE}/{request_id}"
    chain.lose_answers = True
    lost = post_form(op, page, f"{page}/approve")
    assert lost.status_code == 503 and "CHAIN_UNAVAILABLE" in lost.text
    assert _state(ent_api, request_id)[0] == "granting"
    chain.lose_answers = False
    rejected = post_form(op, page, f"{page}/reject", reason="撤回")
    assert rejected.status_code == 303, rejected.text
    assert "was granted on chain already: recorded granted." in op.get(QUEUE).text
    assert _state(ent_api, request_id)[0] == "granted"
    assert _recognized(ent_api, world.staff.signing_fingerprint, Right.SIGN)
