"""The demo platform's scan pages in a real browser (Debian's Chromium through Playwright)
against a served dev node, the device SDK approving or denying on the "phone": scan to log
in, an expired code refreshed, a denial, scan to sign a document, scan to seal a PDF and
download it (pyHanko finds the seal intact and trusted), scan to open a bid file at an opening
and download the plaintext. Screenshots 31-39 and 40-42 go to artifacts/screenshots/.

The phone reads the code's payload from the page (the QR's ``data-payload``: the same text
the QR encodes). The node's scan service is built here with the served URL (the device
checks that a code names the node it talks to) and a clock the expiry test moves forward."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from playwright.sync_api import BrowserContext, Page, expect

from huren.bid_scan_client import ChosenByHolder
from huren.device.bid_scan import BidScanDevice
from huren.device.pin import TEST_PARAMS
from huren.device.scan import ScanDevice
from huren.device.sdk import Device
from huren.node import demo
from huren.node.bidfile import Recipient, encrypt
from huren.node.cosigner.wire import b64e
from huren.node.esign import verify_seals
from huren.node.keysplit.decrypt import x25519_public_key
from huren.node.keysplit.sealing import RecoveryKey
from huren.node.scan.keys import scan_key_of
from huren.node.scan.service import ScanService
from huren.registry.client import RegistryClient
from huren.registry.types import KeyUsage
from tests.api.conftest import cert_input
from tests.api.cosigner.support import PIN
from tests.api.scan.conftest import ENTERPRISE, ROOT, USCC, enterprise_certificate
from tests.api.scan_bid.conftest import encryption_certificate
from tests.node.esign.conftest import minimal_pdf
from tests.support.browser import ServedNode, serve_node

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TIMEOUT_MS = 15_000
SITE = "/platform/alliance"


@dataclass
class ShiftedClock:
    """Wall-clock seconds plus a shift the expiry test adds to."""

    shift: int = 0

    def __call__(self) -> int:
        return int(time.time()) + self.shift


@dataclass
class Phone:
    scan: ScanDevice
    der: bytes

    def approve(self, payload: str) -> None:
        self.scan.approve(self.scan.scan(payload), pin=PIN)

    def deny(self, payload: str) -> None:
        self.scan.deny(self.scan.scan(payload))


@dataclass
class Platform:
    served: ServedNode
    scan: ScanService
    clock: ShiftedClock
    phone: Phone


def _phone(served: ServedNode, home: Path) -> tuple[Phone, httpx.Client]:
    """A device whose signing key has an enterprise certificate bound at the co-signer,
    recorded on chain by zjca and indexed (as tests/api/scan set one up)."""
    http = httpx.Client(base_url=served.url, timeout=30.0)
    admin = {"Authorization": f"Bearer {served.admin_key}"}
    recovery = RecoveryKey.generate().public_key
    issued = http.post(
        "/v1/cosigner/tickets",
        json={"holder": "account:platform-pages", "recovery_public_key": b64e(recovery)},
        headers=admin,
    )
    issued.raise_for_status()
    device = Device(home, http, pin_params=TEST_PARAMS)
    stored = device.enrol(issued.json()["ticket"], PIN)
    der = enterprise_certificate(stored.public)
    http.post(
        f"/v1/cosigner/enrolments/{stored.enrolment_id}/certificates",
        json={"certificate": b64e(der)},
        headers=admin,
    ).raise_for_status()
    node = served.node
    zjca = RegistryClient(node.backend, node.deployment, demo.ca_operator_account("zjca"))
    tx = zjca.record_certificates(
        "zjca",
        demo.issuer_key_id("zjca"),
        [cert_input(hashlib.sha256(der).digest(), usage=KeyUsage.SIGNING)],
    )
    served.wait_indexed(tx.block_number)
    device.add_certificate(stored.enrolment_id, der)
    return Phone(ScanDevice(device), der), http


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with serve_node(tmp_path_factory.mktemp("platform-node")) as served:
        assert served.app is not None
        clock = ShiftedClock()
        scan = ScanService(
            served.node.engine,
            scan_key_of("dev", None),
            served.url,
            clock=clock,
            index_cache=served.app.state.index_cache,
            chain_of=lambda _: [ROOT],
        )
        served.app.state.scan = scan
        phone, http = _phone(served, tmp_path_factory.mktemp("phone"))
        try:
            yield Platform(served, scan, clock, phone)
        finally:
            http.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    browser.clear_cookies()
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    page.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def shot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def _code_shown(page: Page) -> str:
    """The payload of the QR on the page, once the QR image has loaded."""
    qr = page.locator("#qr")
    expect(qr).to_be_visible()
    expect(page.locator("#scan")).to_have_attribute("data-state", "pending")
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0")
    payload = qr.get_attribute("data-payload")
    assert payload is not None and payload.startswith(platform_url_prefix(page))
    return payload


def platform_url_prefix(page: Page) -> str:
    return re.sub(r"^(https?://[^/]+).*$", r"\1", page.url) + "/scan?v=1&p=alliance&"


def test_scan_to_log_in(page: Page, platform: Platform) -> None:
    page.goto(platform.served.url + SITE + "/")
    expect(page.locator("#signed-out")).to_be_visible()
    page.click("#to-login")
    payload = _code_shown(page)
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^[0-2]:[0-5]\d$"))
    assert platform.served.platform_key not in page.content()
    shot(page, "31-platform-scan-login")
    platform.phone.approve(payload)
    expect(page).to_have_url(platform.served.url + SITE + "/")  # signed in by itself
    expect(page.locator("#who-enterprise")).to_have_text(ENTERPRISE)
    expect(page.locator("#who-uscc")).to_have_text(USCC)
    fingerprint = hashlib.sha256(platform.phone.der).hexdigest()
    expect(page.locator("#who-fingerprint")).to_have_text(fingerprint)
    assert platform.served.platform_key not in page.content()
    shot(page, "32-platform-signed-in")
    page.click("#logout")
    expect(page.locator("#signed-out")).to_be_visible()


def test_an_expired_code_is_refreshed(page: Page, platform: Platform) -> None:
    page.goto(platform.served.url + SITE + "/login")
    old = _code_shown(page)
    platform.clock.shift += 121  # past the login's two minutes
    platform.scan.notify()  # the page's waiting stream re-reads at once
    expect(page.locator("#scan")).to_have_attribute("data-state", "expired")
    expect(page.locator("#scan-status")).to_contain_text("expired")
    shot(page, "33-platform-code-expired")
    page.click("#refresh")
    new = _code_shown(page)
    assert new != old
    shot(page, "34-platform-code-refreshed")
    platform.phone.approve(new)  # the new code works
    expect(page.locator("#signed-in")).to_be_visible()


def test_a_denial_is_shown(page: Page, platform: Platform) -> None:
    page.goto(platform.served.url + SITE + "/login")
    platform.phone.deny(_code_shown(page))
    expect(page.locator("#scan")).to_have_attribute("data-state", "denied")
    expect(page.locator("#scan-status")).to_contain_text("Denied")
    expect(page.locator("#refresh")).to_be_visible()
    shot(page, "35-platform-login-denied")


def test_scan_to_sign_a_document(page: Page, platform: Platform, tmp_path: Path) -> None:
    document = tmp_path / "bid.txt"
    document.write_bytes("投标文件：嘉兴示例建设有限公司".encode() * 50)
    page.goto(platform.served.url + SITE + "/sign")
    page.fill("#title", "投标文件")
    page.set_input_files("#document", str(document))
    page.click("#sign-form button[type=submit]")
    digest = hashlib.sha256(document.read_bytes()).digest()
    expect(page.locator("#digest")).to_have_text(digest.hex())
    payload = _code_shown(page)
    shot(page, "36-platform-scan-sign")
    platform.phone.approve(payload)
    expect(page.locator("#signature")).to_be_visible()
    signature = base64.b64decode(page.locator("#signature").inner_text())
    key = x509.load_der_x509_certificate(platform.phone.der).public_key()
    key.verify(signature, digest)  # type: ignore[union-attr,call-arg]
    expect(page.locator("#signer-enterprise")).to_have_text(ENTERPRISE)
    shot(page, "37-platform-signed")


def test_scan_to_seal_a_pdf_and_download_it(page: Page, platform: Platform, tmp_path: Path) -> None:
    pdf = minimal_pdf()
    (tmp_path / "bid.pdf").write_bytes(pdf)
    page.goto(platform.served.url + SITE + "/seal")
    page.set_input_files("#document", str(tmp_path / "bid.pdf"))
    page.fill("#title", "投标函")
    page.click("#seal-form button[type=submit]")
    expect(page.locator("#pdf-digest")).to_have_text(hashlib.sha256(pdf).hexdigest())
    payload = _code_shown(page)
    shot(page, "38-platform-scan-seal")
    platform.phone.approve(payload)
    expect(page.locator("#download")).to_be_visible()
    shot(page, "39-platform-sealed")
    with page.expect_download() as started:
        page.click("#download")
    sealed = Path(started.value.path()).read_bytes()
    assert sealed.startswith(pdf)
    expect(page.locator("#sealed-digest")).to_have_text(hashlib.sha256(sealed).hexdigest())
    # pyHanko's validator runs its own event loop: not on Playwright's thread
    with ThreadPoolExecutor(1) as pool:
        reports = pool.submit(verify_seals, sealed, [ROOT], at=dt.datetime.now(dt.UTC)).result()
    (report,) = reports
    assert report.intact and report.trusted
    assert report.signer_fingerprint_sha256 == hashlib.sha256(platform.phone.der).hexdigest()


def der_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _encryption_certificate(served: ServedNode, phone: Phone) -> bytes:
    """The phone's second key, for decryption (split with the co-signer), with an
    encryption certificate bound, recorded on chain by zjca and indexed."""
    device = phone.scan.device
    admin = {"Authorization": f"Bearer {served.admin_key}"}
    with httpx.Client(base_url=served.url, timeout=30.0) as http:
        issued = http.post(
            "/v1/cosigner/tickets",
            json={
                "holder": "account:platform-pages",
                "recovery_public_key": b64e(RecoveryKey.generate().public_key),
            },
            headers=admin,
        )
        issued.raise_for_status()
        stored = device.enrol(issued.json()["ticket"], PIN, purpose="encryption")
        der = encryption_certificate(x25519_public_key(stored.public), "opening hall bidder")
        http.post(
            f"/v1/cosigner/enrolments/{stored.enrolment_id}/certificates",
            json={"certificate": b64e(der)},
            headers=admin,
        ).raise_for_status()
    node = served.node
    zjca = RegistryClient(node.backend, node.deployment, demo.ca_operator_account("zjca"))
    tx = zjca.record_certificates(
        "zjca",
        demo.issuer_key_id("zjca"),
        [cert_input(hashlib.sha256(der).digest(), usage=KeyUsage.ENCRYPTION)],
    )
    served.wait_indexed(tx.block_number)
    device.add_certificate(stored.enrolment_id, der)
    return der


def test_scan_to_open_a_bid_file_and_download_it(
    page: Page, platform: Platform, tmp_path: Path
) -> None:
    der = _encryption_certificate(platform.served, platform.phone)
    recipient = Recipient.from_certificate(der)
    content = "投标文件（商务标）：嘉兴示例建设有限公司 报价 1,234,567.00 元\n".encode() * 3000
    sealed = io.BytesIO()
    encrypt(
        io.BytesIO(content),
        sealed,
        [recipient],
        platform_id="alliance",
        policy=ChosenByHolder([recipient.fingerprint], "alliance"),
    )
    (tmp_path / "投标文件.hbf").write_bytes(sealed.getvalue())
    page.goto(platform.served.url + SITE + "/decrypt")
    page.set_input_files("#document", str(tmp_path / "投标文件.hbf"))
    page.fill("#tender", "JX-2026-118")
    page.fill("#title", "嘉兴港区道路工程 开标")
    shot(page, "40-platform-decrypt-upload")
    page.click("#decrypt-form button[type=submit]")
    expect(page.locator("#tender")).to_have_text("JX-2026-118")
    payload = _code_shown(page)
    assert platform.served.platform_key not in page.content()
    shot(page, "41-platform-scan-decrypt")
    bid = BidScanDevice(platform.phone.scan)
    assert bid.decrypt(bid.phone.scan(payload), pin=PIN)["status"] == "approved"
    expect(page.locator("#download")).to_be_visible()
    expect(page.locator("#plain-digest")).to_have_text(hashlib.sha256(content).hexdigest())
    expect(page.locator("#signer")).to_have_attribute("data-fingerprint", der_fingerprint(der))
    shot(page, "42-platform-decrypted")
    with page.expect_download() as started:
        page.click("#download")
    assert Path(started.value.path()).read_bytes() == content
    assert started.value.suggested_filename == "投标文件"
