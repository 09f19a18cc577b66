"""The console in a real browser (Debian's Chromium through Playwright) against a real node
serving HTTP: sign in, browse the consortium, look up an uploaded certificate, propose and
vote, and watch the chain-event feed update. Screenshots go to artifacts/screenshots/.

One node and one browser for the module; each test opens its own page with no cookies."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from playwright.sync_api import Page, expect

from huren.node import demo
from huren.registry.client import RegistryClient
from huren.registry.types import Scope
from tests.api.conftest import cert_input, fp, make_x509
from tests.support.browser import SCREENSHOTS, ServedNode, serve_node

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedNode]:
    with serve_node(tmp_path_factory.mktemp("console-node")) as served:
        yield served


def shot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def sign_in(page: Page, served: ServedNode, key: str, path: str = "/console/consortium") -> None:
    page.goto(served.url + path)
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("#key", key)
    page.click("#key-form button[type=submit]")
    expect(page).to_have_url(served.url + path)


def client_of(served: ServedNode, account: LocalAccount) -> RegistryClient:
    """A client of the node's own chain, writing as ``account`` (a CA operator, a center)."""
    node = served.node
    return RegistryClient(node.backend, node.deployment, account)


def test_sign_in_and_browse_the_consortium(page: Page, served: ServedNode) -> None:
    page.goto(served.url + "/console/consortium")
    expect(page).to_have_url(re.compile(r"/console/login\?next=%2Fconsole%2Fconsortium"))
    page.fill("#key", "not the key")
    page.click("#key-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("not valid")
    shot(page, "01-login-refused")
    page.fill("#key", served.admin_key)
    page.click("#key-form button[type=submit]")
    expect(page).to_have_url(served.url + "/console/consortium")
    expect(page.locator(".role")).to_have_text("center operator")
    members = page.locator("#members tbody tr")
    expect(members).to_have_count(len(demo.CENTERS))
    for center in demo.CENTERS:
        row = page.locator(f"#members tr:has-text('{center.name}')")
        expect(row).to_contain_text(str(center.region_code))
    for ca in demo.CAS:
        expect(page.locator(f"#cas tr[data-ca='{ca.ca_id}']")).to_contain_text("accredited")
    jiaxing = demo.center_account("jiaxing").address
    expect(page.locator(f"#platforms [data-center='{jiaxing}'] li")).to_have_count(2)
    expect(page.locator("#index-lag")).to_have_text("0")
    shot(page, "02-consortium")


def test_look_up_an_uploaded_certificate(page: Page, served: ServedNode, tmp_path: Path) -> None:
    der, pem = make_x509("嘉兴 bidder")
    jiaxing = demo.center_account("jiaxing").address
    zjca = client_of(served, demo.ca_operator_account("zjca"))
    fingerprint = hashlib.sha256(der).digest()
    tx = zjca.record_certificates(
        "zjca",
        demo.issuer_key_id("zjca"),
        [cert_input(fingerprint, scope=Scope.REGIONAL, center=jiaxing)],
    )
    served.wait_indexed(tx.block_number)
    (tmp_path / "bidder.pem").write_bytes(pem)

    sign_in(page, served, served.admin_key, "/console/certificates")
    page.set_input_files("#certificate-file", str(tmp_path / "bidder.pem"))
    page.click("#by-upload button[type=submit]")
    expect(page).to_have_url(re.compile(f"fingerprint={fingerprint.hex()}"))
    expect(page.locator("#record-status")).to_have_text("active")
    here = page.locator("#recognition tr[data-platform='jiaxing-ggzy']")
    expect(here).to_have_attribute("data-recognized", "yes")
    there = page.locator("#recognition tr[data-platform='nantong-ggzy']")
    expect(there).to_have_attribute("data-recognized", "no")
    expect(there.locator(".reasons")).to_have_text("OUT_OF_SCOPE")
    expect(page.locator("#evidence .tx")).to_have_text("0x" + tx.transaction_hash.hex())
    expect(page.locator("#inclusion-proof")).to_be_visible()
    shot(page, "03-certificate")


def test_propose_and_vote_with_confirmation(page: Page, served: ServedNode) -> None:
    nantong = client_of(served, demo.center_account("nantong"))
    theirs = nantong.propose_register_platform(
        "nantong-jsgc", demo.center_account("nantong").address, "南通市建设工程交易平台"
    )
    served.wait_indexed(theirs.block_number)
    sign_in(page, served, served.admin_key, "/console/proposals")
    row = page.locator(f"tr[data-proposal='{theirs.proposal_id}']")
    expect(row).to_have_attribute("data-status", "open")
    expect(row.locator(".yes")).to_have_text("1")
    row.locator("button.vote-yes").click()
    expect(page.locator("#confirm h1")).to_have_text(f"Vote yes on proposal #{theirs.proposal_id}?")
    shot(page, "04-confirm-vote")
    page.click("#confirm-button")
    expect(page.locator("#flash")).to_contain_text("now executed")
    row = page.locator(f"tr[data-proposal='{theirs.proposal_id}']")
    expect(row).to_have_attribute("data-status", "executed")
    expect(row.locator(".yes")).to_have_text("2")
    shot(page, "05-vote-counted")

    page.click("#new-proposal")
    page.select_option("#kind", "suspend_ca")
    expect(page.locator("#field-region_code")).to_be_hidden()
    page.fill("#field-ca_id", "ahca")
    page.click("#propose-form button[type=submit]")
    expect(page.locator("#confirm h1")).to_have_text("Propose suspend ca?")
    page.click("#confirm-button")
    expect(page.locator("#flash")).to_contain_text("sent (open)")
    mine = page.locator("tr[data-status='open']:has-text('suspend ca')")
    expect(mine.locator(".yes")).to_have_text("1")

    page.click("#new-proposal")
    page.select_option("#kind", "set_quorum")
    page.fill("#field-quorum_percent", "10")
    page.click("#propose-form button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("quorum_percent")
    shot(page, "06-proposal-refused")


def test_the_event_feed_shows_new_chain_events(page: Page, served: ServedNode) -> None:
    sign_in(page, served, served.admin_key, "/console/events")
    expect(page.locator("#events tr.event").first).to_be_visible()
    new = fp("live feed certificate")
    zjca = client_of(served, demo.ca_operator_account("zjca"))
    tx = zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(new)])
    top = page.locator("#events tbody tr.event").first
    expect(top).to_have_attribute("data-cursor", re.compile(rf"^{tx.block_number}\."))
    expect(top).to_have_attribute("data-event", "CertificateRecorded")
    expect(page.locator("#indexed-block")).to_have_text(str(tx.block_number))
    shot(page, "07-live-feed")
    page.context.clear_cookies()  # the session ends: the next poll sends the page to sign in
    expect(page).to_have_url(re.compile(r"/console/login\?next=%2Fconsole%2Fevents"))


def test_a_platform_reads_but_may_not_govern(page: Page, served: ServedNode) -> None:
    sign_in(page, served, served.platform_key, "/console/proposals")
    expect(page.locator(".role")).to_have_text("platform")
    zjca = client_of(served, demo.ca_operator_account("zjca"))
    tx = zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(fp("status"))])
    expect(page.locator("#indexed-block")).to_have_text(str(tx.block_number))  # polled
    expect(page.locator("#new-proposal")).to_have_count(0)
    expect(page.locator("button.vote-yes")).to_have_count(0)
    page.goto(served.url + "/console/proposals/new")
    expect(page.locator("#forbidden-reason")).to_contain_text("platform may not govern")
    shot(page, "08-platform-forbidden")
