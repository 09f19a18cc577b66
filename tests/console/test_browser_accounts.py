"""The console's account sign-in, auditor and CA operator pages in a real browser (Debian's
Chromium through Playwright) against a real dev node serving HTTP: the center operator
grants roles on the Roles page; an auditor (registered through the SMS simulator) signs in
with phone + password, runs a replay and reads its report with the plots and its JSON; a CA
operator signs in with an SMS code, sees its CA's certificates and CRL, and not another
CA's. Screenshots go to artifacts/screenshots/ (``11-`` onwards).

One node and one browser for the module; each test opens its own page with no cookies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from playwright.sync_api import Page, expect
from sqlalchemy import delete
from sqlmodel import col

from huren.node import demo
from huren.node.console_audit import AuditRunner
from huren.node.console_roles import ConsoleRoleService
from huren.node.db.accounts_tables import RateLimitHit
from huren.node.db.engine import write_session
from huren.node.pki.request import IssuanceRequest
from huren.registry.backend import ChainBackend
from huren.registry.client import RegistryClient
from huren.registry.types import CertificateKind, KeyUsage, RevocationReason, Scope
from tests.api.conftest import cert_input, fp
from tests.console.test_browser import shot, sign_in
from tests.node.audit.test_console_audit import GatedBackend
from tests.node.pki.conftest import ENTERPRISE
from tests.support.browser import ServedNode, serve_node

pytestmark = pytest.mark.browser

AUDITOR, CA_OPERATOR = "13800138301", "13800138302"
PASSWORD = "auditor's long password"


@dataclass(frozen=True)
class People:
    auditor: str
    ca_operator: str


def latest_code(served: ServedNode, phone: str) -> str:
    """The newest code the dev node's simulated SMS gateway delivered to ``phone``."""
    outbox = httpx.get(f"{served.url}/v1/dev/sms-outbox", params={"phone": phone}, timeout=10)
    outbox.raise_for_status()
    found = re.search(r"\d{6}", outbox.json()[0]["text"])
    assert found is not None
    return found[0]


def register(served: ServedNode, phone: str, password: str | None) -> None:
    """What the app does: an SMS code, a login that registers, a first password."""
    with httpx.Client(base_url=served.url, timeout=10) as http:
        http.post("/v1/auth/sms-codes", json={"phone": phone}).raise_for_status()
        code = latest_code(served, phone)
        login = http.post("/v1/auth/login/sms", json={"phone": phone, "code": code})
        login.raise_for_status()
        if password is not None:
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            body = {"new_password": password}
            http.put("/v1/account/password", json=body, headers=headers).raise_for_status()
    # The gateway allows one code a minute per phone; a sign-in by code follows at once.
    with write_session(served.node.engine) as session:
        session.execute(delete(RateLimitHit).where(col(RateLimitHit.key) == f"sms:phone:{phone}"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    with serve_node(tmp_path_factory.mktemp("console-accounts-node")) as served:
        yield served


@pytest.fixture(scope="module")
def people(served: ServedNode) -> People:
    zjca = RegistryClient(served.node.backend, served.node.deployment,
                          demo.ca_operator_account("zjca"))  # fmt: skip
    issued = [fp(f"console-accounts-{i}") for i in range(3)]
    zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(f) for f in issued])
    zjca.revoke_certificate(issued[0], RevocationReason.KEY_COMPROMISE)
    # one issued by the node's own CA (it has a serial, so its revocation is on the CRL)
    pki = served.node.pki
    assert pki is not None
    request = IssuanceRequest(
        request_id="console-accounts-1", approved_by="reviewer", ca_id="zjca",
        subject=ENTERPRISE, kind=CertificateKind.ENTERPRISE, usage=KeyUsage.SIGNING,
        public_key=ed25519.Ed25519PrivateKey.generate().public_key(), validity_years=1,
        scope=Scope.ALLIANCE, holder=fp("console-accounts-holder"),
    )  # fmt: skip
    leaf = pki.issuance.issue(request)
    assert leaf.fingerprint is not None
    pki.issuance.revoke(leaf.fingerprint, RevocationReason.SUPERSEDED)
    served.wait_indexed(served.node.backend.block_number())  # replays go to the index's block
    register(served, AUDITOR, PASSWORD)
    register(served, CA_OPERATOR, None)
    return People(AUDITOR, CA_OPERATOR)


@pytest.fixture
def granted(served: ServedNode, people: People) -> People:
    """The grants the Roles page test makes (granting again answers the same grant)."""
    roles = ConsoleRoleService(served.node.engine)
    roles.grant(people.auditor, "auditor", None, "node-admin")
    roles.grant(people.ca_operator, "ca-operator", "zjca", "node-admin")
    return people


def test_the_center_operator_grants_roles(page: Page, served: ServedNode, people: People) -> None:
    sign_in(page, served, served.admin_key, "/console/roles")
    page.fill("#grant-phone", people.auditor)
    page.select_option("#grant-role", "auditor")
    page.click("#grant-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text(f"{people.auditor} is auditor")
    page.fill("#grant-phone", people.ca_operator)
    page.select_option("#grant-role", "ca-operator")
    page.select_option("#grant-ca", "zjca")
    page.click("#grant-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text("CA operator of zjca")
    page.fill("#grant-phone", "13900139997")
    page.select_option("#grant-role", "auditor")
    page.click("#grant-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text("no account has the phone")
    expect(page.locator("#grants tbody tr")).to_have_count(2)
    shot(page, "11-roles-granted")


def test_an_auditor_runs_a_replay_and_reads_the_report(
    page: Page, served: ServedNode, granted: People
) -> None:
    page.goto(served.url + "/console/audit")
    expect(page).to_have_url(re.compile(r"/console/login\?next=%2Fconsole%2Faudit"))
    page.fill("#phone", granted.auditor)
    page.fill("#password", "not the password")
    page.click("#sign-in-password")
    expect(page.locator("#login-error")).to_contain_text("wrong phone or password")
    page.fill("#password", PASSWORD)
    page.click("#sign-in-password")
    expect(page).to_have_url(served.url + "/console/audit")
    expect(page.locator(".role")).to_have_text("auditor")
    expect(page.locator("header nav")).not_to_contain_text("Roles")
    shot(page, "12-auditor-replays")
    # the run waits at the chain head until the page has shown it running: the page's
    # script polls the progress and reloads to the report when the run ends
    app = served.app
    assert app is not None
    real: AuditRunner = app.state.console_audit
    gated = GatedBackend(served.node.backend)
    app.state.console_audit = AuditRunner(
        served.node.engine, cast(ChainBackend, gated), served.node.deployment
    )
    try:
        page.click("#start-replay button[type=submit]")
        expect(page).to_have_url(re.compile(r"/console/audit/runs/\d+$"))
        expect(page.locator("#run-progress")).to_contain_text("replay")
        shot(page, "13-replay-running")
        gated.gate.set()
        expect(page.locator("#verdict")).to_contain_text("Clean", timeout=60_000)
    finally:
        gated.gate.set()
        app.state.console_audit = real
    expect(page.locator("#plots svg")).to_have_count(3)
    expect(page.locator("#sources")).to_contain_text("node index")
    shot(page, "13-replay-report-plots")
    with page.expect_download() as download:
        page.click("#download-json")
    report = json.loads(download.value.path().read_text())
    assert report["format"] == "huren-audit-replay/1" and report["clean"] is True
    page.click("text=All replays")
    expect(page.locator("#runs tbody tr").first).to_contain_text("clean")
    page.goto(served.url + "/console/ca/zjca")
    expect(page.locator("#forbidden-reason")).to_be_visible()


def test_a_ca_operator_signs_in_by_sms_and_sees_only_its_ca(
    page: Page, served: ServedNode, granted: People
) -> None:
    page.goto(served.url + "/console/ca")
    page.fill("#phone", granted.ca_operator)
    page.click("#send-code")
    expect(page.locator("#login-info")).to_contain_text("A code is on its way")
    page.fill("#code", latest_code(served, granted.ca_operator))
    page.click("#sign-in-code")
    expect(page).to_have_url(served.url + "/console/ca")
    expect(page.locator(".role")).to_have_text("CA operator")
    expect(page.locator("#ca-list tbody tr")).to_have_count(1)
    page.click("#ca-list a:has-text('zjca')")
    expect(page).to_have_url(served.url + "/console/ca/zjca")
    expect(page.locator("#ca-certificates tr[data-cert]")).to_have_count(2)
    expect(page.locator("#crl-number")).to_have_text(re.compile(r"^\d+$"))
    # both revocations are on chain; the CRL lists the one with a serial (issued here)
    expect(page.locator("#crl-revoked")).to_have_text("1")
    expect(page.locator("#revoked tbody tr")).to_have_count(2)
    expect(page.locator("#recorded")).to_contain_text("4 in all")
    shot(page, "14-ca-operator-zjca")
    with page.expect_download() as download:
        page.click("tr[data-cert='root'] a:has-text('PEM')")
    assert download.value.path().read_text().startswith("-----BEGIN CERTIFICATE-----")
    page.goto(served.url + "/console/ca/jsca")
    expect(page.locator("#forbidden-reason")).to_contain_text("CA operator may not")
    shot(page, "15-ca-operator-refused-jsca")
    page.goto(served.url + "/console/audit")
    expect(page.locator("#forbidden-reason")).to_be_visible()
