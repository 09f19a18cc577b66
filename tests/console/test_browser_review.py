"""The CA review queue and the certificate page's inclusion proof in a real browser (Debian's
Chromium through Playwright) against a real dev node serving HTTP.

Review: two applicants apply to zjca through the API as the app does (SMS login, identity
by the CFCA simulator, a claim with its licence image and stamped form, a personal
application); zjca's operator signs in with phone + password, opens the queue, sees the
licence image, rejects the claim with a reason and approves the other; the review API then
shows the states with the operator's account as the reviewer. Another CA's queue is a 403.

Proof: a certificate recorded after the latest checkpoint shows "not yet anchored"; once the
node anchors, its page shows the proof, the browser verifies the audit path (WebCrypto), the
downloaded proof verifies against the chain alone. Screenshots ``21-`` to ``26-``."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import delete
from sqlmodel import col

from huren.node import demo
from huren.node.audit.checkpoints import AnchorPolicy, latest
from huren.node.audit.proof_errors import UnknownLeaf
from huren.node.audit.proofs import InclusionProof
from huren.node.audit.verify import verify_inclusion_on_chain
from huren.node.console_roles import ConsoleRoleService
from huren.node.db.accounts_tables import RateLimitHit
from huren.node.db.engine import write_session
from huren.registry.client import RegistryClient
from huren.registry.client_anchor import CheckpointKind
from tests.api.conftest import cert_input, fp
from tests.console.test_browser import shot
from tests.support.browser import ServedNode, serve_node

pytestmark = pytest.mark.browser

OPERATOR, OTHER_OPERATOR = "13800138401", "13800138402"
ALICE = ("13800138403", "张三", "11010519491231002X")  # GB 11643-1999's example ID
BOB = ("13800138404", "李四", "440524188001010014")
PASSWORD = "the reviewer's long password"
ENTERPRISE, USCC = "嘉兴市某某建设有限公司", "91350100M000100Y43"
WAIT_S = 30.0


def wait_until(what: str, done: Callable[[], bool]) -> None:
    """Poll ``done`` (a node's background thread does the work), bounded."""
    deadline = time.monotonic() + WAIT_S
    pause = threading.Event()
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {WAIT_S}s")
        pause.wait(0.05)


def login(served: ServedNode, http: httpx.Client, phone: str) -> dict[str, str]:
    """An SMS login as the app does it (registers the account); its bearer header."""
    http.post("/v1/auth/sms-codes", json={"phone": phone}).raise_for_status()
    outbox = http.get("/v1/dev/sms-outbox", params={"phone": phone}).json()
    code = re.search(r"\d{6}", outbox[0]["text"])
    assert code is not None
    signed = http.post("/v1/auth/login/sms", json={"phone": phone, "code": code[0]})
    signed.raise_for_status()
    with write_session(served.node.engine) as session:  # one code a minute per phone
        session.execute(delete(RateLimitHit).where(col(RateLimitHit.key) == f"sms:phone:{phone}"))
    return {"Authorization": f"Bearer {signed.json()['access_token']}"}


def applicant(served: ServedNode, http: httpx.Client, who: tuple[str, str, str]) -> dict[str, str]:
    headers = login(served, http, who[0])
    verified = http.post(
        "/v1/identity/cfca", json={"name": who[1], "id_number": who[2]}, headers=headers
    )
    assert verified.status_code == 201, verified.text
    return headers


def licence_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (240, 160), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def apply(served: ServedNode) -> tuple[str, str]:
    """Alice's claim (licence and form attached) and Bob's personal application, submitted
    to zjca in that order."""
    with httpx.Client(base_url=served.url, timeout=30) as http:
        alice, bob = applicant(served, http, ALICE), applicant(served, http, BOB)
        body = {"kind": "claim_enterprise", "ca_id": "zjca", "platform_id": "jiaxing-ggzy",
                "validity_years": 1, "enterprise_name": ENTERPRISE, "uscc": USCC,
                "person_name": ALICE[1], "id_number": ALICE[2]}  # fmt: skip
        created = http.post("/v1/applications", json=body, headers=alice)
        assert created.status_code == 201, created.text
        claim_id = created.json()["id"]
        form = http.get(f"/v1/applications/{claim_id}/form.pdf", headers=alice).content
        for kind, data, media in (
            ("business_licence", licence_png(), "image/png"),
            ("application_form", form, "application/pdf"),
        ):
            put = http.put(f"/v1/applications/{claim_id}/attachments/{kind}", content=data,
                           headers={**alice, "Content-Type": media})  # fmt: skip
            assert put.status_code == 200, put.text
        http.post(f"/v1/applications/{claim_id}/submit", headers=alice).raise_for_status()
        body = {"kind": "personal", "ca_id": "zjca", "platform_id": "jiaxing-ggzy",
                "validity_years": 1, "person_name": BOB[1], "id_number": BOB[2]}  # fmt: skip
        created = http.post("/v1/applications", json=body, headers=bob)
        assert created.status_code == 201, created.text
        personal_id = created.json()["id"]
        http.post(f"/v1/applications/{personal_id}/submit", headers=bob).raise_for_status()
    return claim_id, personal_id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    with serve_node(tmp_path_factory.mktemp("console-review-node")) as served:
        yield served


def operator_account(served: ServedNode, phone: str, ca_id: str) -> str:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        headers = login(served, http, phone)
        body = {"new_password": PASSWORD}
        http.put("/v1/account/password", json=body, headers=headers).raise_for_status()
    grant = ConsoleRoleService(served.node.engine).grant(phone, "ca-operator", ca_id, "node-admin")
    return grant.account_id


def account_sign_in(page: Page, served: ServedNode, phone: str, path: str) -> None:
    page.goto(served.url + path)
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("#sign-in-password")
    expect(page).to_have_url(served.url + path)


def test_a_ca_operator_rejects_and_approves_in_the_browser(page: Page, served: ServedNode) -> None:
    claim_id, personal_id = apply(served)
    operator_id = operator_account(served, OPERATOR, "zjca")
    operator_account(served, OTHER_OPERATOR, "jsca")

    account_sign_in(page, served, OPERATOR, "/console/review")
    expect(page.locator(".role")).to_have_text("CA operator")
    expect(page.locator("tr[data-ca='zjca'] .waiting")).to_have_text("2")
    page.click("tr[data-ca='zjca'] a")
    expect(page).to_have_url(served.url + "/console/ca/zjca/review")
    rows = page.locator("#review-queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-application", claim_id)  # oldest first
    expect(rows.nth(1)).to_have_attribute("data-application", personal_id)
    shot(page, "21-review-queue")

    page.click(f"a:has-text('{claim_id}')")
    expect(page.locator("#application-state")).to_have_text("submitted")
    licence = page.locator("#licence img")
    expect(licence).to_be_visible()
    wait_until("the licence image loads", lambda: licence.evaluate("i => i.complete"))
    assert licence.evaluate("i => i.naturalWidth") == 240  # the applicant's image, decoded
    with page.expect_download() as download:
        page.click("#form-link")
    assert download.value.path().read_bytes().startswith(b"%PDF-")
    expect(page.locator("#history tr[data-action='submit']")).to_have_count(1)
    page.fill("#reject-reason", "营业执照不清晰，请重新上传")
    shot(page, "22-review-application-reject")
    page.click("#reject")
    expect(page).to_have_url(served.url + "/console/ca/zjca/review")
    expect(page.locator("#flash")).to_contain_text("rejected: 营业执照不清晰")
    expect(rows).to_have_count(1)

    page.click(f"a:has-text('{personal_id}')")
    expect(page.locator("#attachments")).to_contain_text("carries no attachment")
    page.click("#approve")
    expect(page.locator("#flash")).to_contain_text(f"Application {personal_id} approved")
    expect(page.locator("#queue-empty")).to_be_visible()
    shot(page, "23-review-queue-done")

    page.goto(served.url + "/console/ca/jsca/review")
    expect(page.locator("#forbidden-reason")).to_contain_text("may not review-applications")

    # the review API shows the decisions, made by the signed-in account
    reviewer = f"ca:zjca:account:{operator_id}"
    admin = {"Authorization": f"Bearer {served.admin_key}"}
    with httpx.Client(base_url=served.url, timeout=30, headers=admin) as http:
        claim = http.get(f"/v1/ca/zjca/applications/{claim_id}").json()
        assert claim["state"] == "rejected" and claim["reason"] == "营业执照不清晰，请重新上传"
        assert claim["history"][-1]["actor"] == reviewer
        other = http.get(f"/v1/ca/zjca/applications/{personal_id}").json()
        assert other["state"] == "approved"
        assert other["history"][-1]["actor"] == reviewer
        assert http.get("/v1/ca/zjca/applications").json() == []

    # the other CA's operator sees nothing of zjca's
    page.context.clear_cookies()
    account_sign_in(page, served, OTHER_OPERATOR, "/console/review")
    expect(page.locator("#review-cas")).not_to_contain_text("zjca")
    page.goto(served.url + f"/console/ca/zjca/review/{claim_id}")
    expect(page.locator("#forbidden-reason")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(ENTERPRISE)


def _latest_size(served: ServedNode) -> int:
    with served.node.engine.connect() as conn:
        found = latest(conn, CheckpointKind.CERTIFICATE_TREE)
    return 0 if found is None else found.size


def test_the_lookup_page_shows_and_verifies_the_inclusion_proof(
    page: Page, served: ServedNode, tmp_path: Path
) -> None:
    audit = served.node.audit
    assert audit is not None
    zjca = RegistryClient(served.node.backend, served.node.deployment,
                          demo.ca_operator_account("zjca"))  # fmt: skip
    # a first checkpoint (the node anchors as soon as its tree has records and none is)
    first = fp("console-proof-first")
    zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(first)])
    wait_until("a first checkpoint", lambda: _latest_size(served) > 0)
    anchored = _latest_size(served)
    # a record after it: the default policy (1000 records or an hour) holds it back
    pending = fp("console-proof-pending")
    result = zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(pending)])
    served.wait_indexed(result.block_number)

    page.goto(f"{served.url}/console/certificates?fingerprint={pending.hex()}")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("#key", served.platform_key)  # a platform may look certificates up too
    page.click("#key-form button[type=submit]")
    section = page.locator("#inclusion-proof")
    expect(section).to_have_attribute("data-status", re.compile("not-in-tree|not-anchored"))
    wait_until("the tree takes the record in", lambda: _tree_has(served, pending))
    page.reload()
    expect(section).to_have_attribute("data-status", "not-anchored")
    expect(page.locator("#proof-not-anchored")).to_contain_text("Not yet in an anchored checkpoint")
    expect(page.locator("#proof-not-anchored")).to_contain_text(
        f"covers the first {anchored} records"
    )
    shot(page, "24-proof-not-anchored")

    audit.policy = AnchorPolicy(every_records=1)  # the next round anchors it
    wait_until("the record anchored", lambda: _latest_size(served) > anchored)
    page.reload()
    expect(section).to_have_attribute("data-status", "proven")
    expect(page.locator("#node-check")).to_have_attribute("data-ok", "yes")
    page.click("#verify-in-browser")
    expect(page.locator("#browser-verify-result")).to_contain_text("VERIFIED in this browser")
    expect(page.locator("#verify-command")).to_contain_text("huren audit verify-proof proof-")
    shot(page, "25-proof-verified")
    with page.expect_download() as download:
        page.click("#proof-download")
    saved = tmp_path / "proof.json"
    download.value.save_as(saved)
    proof = InclusionProof.from_json(json.loads(saved.read_text()))
    assert proof.fingerprint == pending and proof.tree_size > anchored
    verified = verify_inclusion_on_chain(proof, served.node.backend, served.node.deployment)
    assert verified.checkpoint.size == proof.tree_size

    # a path tampered with in the page fails the browser's check
    page.evaluate(
        "() => { const li = document.querySelector('#audit-path li');"
        " if (li) li.dataset.hash = '0x' + '11'.repeat(32);"
        " else document.getElementById('proof').dataset.root = '0x' + '22'.repeat(32); }"
    )
    page.click("#verify-in-browser")
    expect(page.locator("#browser-verify-result")).to_contain_text("FAILED")
    shot(page, "26-proof-tampered-in-page")


def _tree_has(served: ServedNode, fingerprint: bytes) -> bool:
    audit = served.node.audit
    assert audit is not None
    with served.node.engine.connect() as conn:
        try:
            audit.tree.leaf(conn, fingerprint)
        except UnknownLeaf:  # until the audit thread's next round
            return False
    return True
