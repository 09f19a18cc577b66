"""The demo platform's scan pages through the test client: a login signs the browser in as
the certificate's enterprise; pages are bound to their browser and platform; expiry, refresh,
denial and refusals; sign and seal; no platform key ever reaches the browser."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
from cryptography import x509
from fastapi.testclient import TestClient

from huren.api.platform_site.site import (
    BROWSER_COOKIE,
    LOGIN_COMPLETE_S,
    SESSION_COOKIE,
    TOKEN_GRACE_S,
    PlatformSite,
)
from huren.node import demo, platform_keys
from huren.node.db.engine import write_session
from tests.api.conftest import NOW
from tests.api.cosigner.support import PIN
from tests.api.platform_pages.conftest import csrf_of, open_page, payload_of
from tests.api.scan.conftest import ENTERPRISE, USCC, World
from tests.node.esign.conftest import minimal_pdf


def _code(response: httpx.Response) -> str | None:
    found = re.search(r'data-code="([A-Z_]+)"', response.text)
    return None if found is None else found[1]


def _login_page(browser: TestClient) -> tuple[str, httpx.Response]:
    return open_page(browser, browser.get("/platform/alliance/login", follow_redirects=False))


def test_scan_to_log_in_signs_the_browser_in(world: World, browser: TestClient) -> None:
    path, page = _login_page(browser)
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "<script>" not in page.text and 'id="qr"' in page.text
    qr = browser.get(path + "/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert browser.get(path + "/status").json()["status"] == "pending"
    complete_early = browser.post(path + "/complete", data={"csrf": csrf_of(page.text)})
    assert complete_early.status_code == 409 and _code(complete_early) == "LOGIN_NOT_APPROVED"

    scanned = world.phone.scan(payload_of(page.text))
    assert scanned.action == "login" and scanned.platform_id == "alliance"
    world.phone.approve(scanned, pin=PIN)
    status = browser.get(path + "/status").json()
    assert status["status"] == "approved"
    fingerprint = hashlib.sha256(world.der).hexdigest()
    assert status["signer"]["enterprise"] == ENTERPRISE
    assert status["signer"]["uscc"] == USCC and status["signer"]["fingerprint"] == fingerprint

    approved = browser.get(path)
    assert 'data-state="approved"' in approved.text and "data-autosubmit" in approved.text
    assert browser.post(path + "/complete", data={}).status_code == 403  # no form token
    done = browser.post(
        path + "/complete", data={"csrf": csrf_of(approved.text)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/platform/alliance/"
    assert "httponly" in done.headers["set-cookie"].lower()
    home = browser.get("/platform/alliance/")
    assert 'id="signed-in"' in home.text
    for shown in (ENTERPRISE, USCC, fingerprint):
        assert shown in home.text

    out = browser.post("/platform/alliance/logout", data={"csrf": csrf_of(home.text)})
    assert 'id="signed-out"' in out.text
    again = browser.post(path + "/complete", data={"csrf": csrf_of(approved.text)})
    assert again.status_code == 409 and _code(again) == "LOGIN_USED"  # the form resent


def test_an_approved_login_is_completed_soon_or_never(world: World, browser: TestClient) -> None:
    path, page = _login_page(browser)
    world.phone.approve(world.phone.scan(payload_of(page.text)), pin=PIN)
    world.clock.now += LOGIN_COMPLETE_S + 1
    late = browser.post(path + "/complete", data={"csrf": csrf_of(page.text)})
    assert late.status_code == 409 and _code(late) == "LOGIN_USED"
    assert SESSION_COOKIE not in browser.cookies


def test_a_page_is_its_browsers_and_its_platforms(world: World, browser: TestClient) -> None:
    path, _ = _login_page(browser)
    stranger = TestClient(world.env.http.app)
    for suffix in ("", "/status", "/qr.svg", "/events"):
        refused = stranger.get(path + suffix)
        assert refused.status_code == 403, suffix
    assert "OTHER_BROWSER" in stranger.get(path).text
    # the same token under a platform the site does not act for, or tampered with
    other = path.replace("/platform/alliance/", "/platform/jiaxing-ggzy/")
    assert browser.get(other).status_code == 404
    token = path.rsplit("/", 1)[1]
    body, mac = token.split(".")
    tampered = f"/platform/alliance/pages/{body[:-2]}AA.{mac}"
    assert _code(browser.get(tampered)) == "UNKNOWN_PAGE"
    # a copied browser cookie makes another client that browser: the cookie is the binding
    stranger.cookies.set(BROWSER_COOKIE, browser.cookies[BROWSER_COOKIE], path="/platform")
    assert stranger.get(path).status_code == 200


def test_the_site_acts_for_its_platform_only(world: World, browser: TestClient) -> None:
    for path in ("/platform/jiaxing-ggzy/login", "/platform/nantong-ggzy/", "/platform/NOPE/"):
        response = browser.get(path, follow_redirects=False)
        assert response.status_code == 404 and _code(response) == "UNKNOWN_PLATFORM", path


def test_an_expired_code_is_refreshed(world: World, browser: TestClient) -> None:
    path, page = _login_page(browser)
    payload = payload_of(page.text)
    expires_at = int(re.search(r'data-expires-at="(\d+)"', page.text)[1])  # type: ignore[index]
    world.clock.now = expires_at + 1  # the module's clock only moves forward
    expired = browser.get(path)
    assert 'data-state="expired"' in expired.text and 'id="refresh"' in expired.text
    assert browser.get(path + "/status").json()["status"] == "expired"
    refreshed = browser.post(
        path + "/refresh", data={"csrf": csrf_of(expired.text)}, follow_redirects=False
    )
    new_path, new_page = open_page(browser, refreshed)
    assert new_path != path and payload_of(new_page.text) != payload
    assert 'data-state="pending"' in new_page.text
    world.clock.now = expires_at + TOKEN_GRACE_S + 2
    assert _code(browser.get(path)) == "UNKNOWN_PAGE"  # past its grace
    assert browser.get(new_path).status_code == 200  # the new page is younger


def test_a_denial_is_shown_and_can_be_retried(world: World, browser: TestClient) -> None:
    path, page = _login_page(browser)
    world.phone.deny(world.phone.scan(payload_of(page.text)))
    denied = browser.get(path)
    assert 'data-state="denied"' in denied.text and "Denied" in denied.text
    refused = browser.post(path + "/complete", data={"csrf": csrf_of(denied.text)})
    assert _code(refused) == "LOGIN_NOT_APPROVED"
    assert browser.post(path + "/refresh", data={"csrf": "forged"}).status_code == 403


def test_sign_an_uploaded_documents_digest(world: World, browser: TestClient) -> None:
    form = browser.get("/platform/alliance/sign")
    document = "投标文件 v1".encode() * 100
    started = browser.post(
        "/platform/alliance/sign",
        data={"csrf": csrf_of(form.text), "title": "投标文件"},
        files={"document": ("bid.txt", document, "text/plain")},
        follow_redirects=False,
    )
    path, page = open_page(browser, started)
    digest = hashlib.sha256(document).digest()
    assert digest.hex() in page.text
    world.phone.approve(world.phone.scan(payload_of(page.text)), pin=PIN)
    signed = browser.get(path)
    found = re.search(r'id="signature">([^<]+)<', signed.text)
    assert found is not None
    key = x509.load_der_x509_certificate(world.der).public_key()
    key.verify(base64.b64decode(found[1]), digest)  # type: ignore[union-attr,call-arg]


def test_a_bad_sign_form_is_shown_again(world: World, browser: TestClient) -> None:
    form = browser.get("/platform/alliance/sign")
    bad = browser.post(
        "/platform/alliance/sign",
        data={"csrf": csrf_of(form.text), "title": "t", "digest_sha256": "zz"},
    )
    assert bad.status_code == 422 and 'id="form-error"' in bad.text
    forged = browser.post("/platform/alliance/sign", data={"csrf": "x", "digest_sha256": "ab"})
    assert forged.status_code == 403 and _code(forged) == "FORM_REFUSED"


def test_seal_a_pdf_and_download_it(world: World, browser: TestClient) -> None:
    form = browser.get("/platform/alliance/seal")
    pdf = minimal_pdf()
    started = browser.post(
        "/platform/alliance/seal",
        data={"csrf": csrf_of(form.text), "title": "投标函", "page": "0", "x": "300", "y": "80"},
        files={"document": ("bid.pdf", pdf, "application/pdf")},
        follow_redirects=False,
    )
    path, page = open_page(browser, started)
    assert hashlib.sha256(pdf).hexdigest() in page.text
    assert browser.get(path + "/document").status_code == 404  # not sealed yet
    # a refreshed seal page asks for the same PDF
    refreshed_path, refreshed = open_page(
        browser,
        browser.post(path + "/refresh", data={"csrf": csrf_of(page.text)}, follow_redirects=False),
    )
    assert hashlib.sha256(pdf).hexdigest() in refreshed.text
    world.phone.approve(world.phone.scan(payload_of(refreshed.text)), pin=PIN)
    sealed_page = browser.get(refreshed_path)
    assert 'id="download"' in sealed_page.text
    download = browser.get(refreshed_path + "/document")
    assert download.status_code == 200 and download.content.startswith(pdf)
    assert "attachment" in download.headers["content-disposition"]
    assert hashlib.sha256(download.content).hexdigest() in sealed_page.text
    stranger = TestClient(world.env.http.app).get(refreshed_path + "/document")
    assert stranger.status_code == 403 and _code(stranger) == "OTHER_BROWSER"


def test_no_platform_key_reaches_the_browser(world: World, browser: TestClient) -> None:
    keys = list(world.env.keys.values())
    seen = [
        browser.get("/platform/alliance/"),
        browser.get("/platform/alliance/sign"),
        browser.get("/platform/alliance/seal"),
        browser.get("/platform-static/platform.js"),
    ]
    path, page = _login_page(browser)
    seen += [page, browser.get(path + "/status"), browser.get(path + "/qr.svg")]
    for response in seen:
        assert response.status_code == 200
        text = response.text + str(response.headers)
        assert not any(key in text for key in keys)
        assert "hrk_" not in text
    assert SESSION_COOKIE not in str(browser.cookies)


def test_pages_are_off_without_the_site(world: World, browser: TestClient) -> None:
    app = world.env.http.app
    site = app.state.platform_site  # type: ignore[attr-defined]
    app.state.platform_site = None  # type: ignore[attr-defined]
    try:
        response = browser.get("/platform/alliance/login", follow_redirects=False)
        assert response.status_code == 404
    finally:
        app.state.platform_site = site  # type: ignore[attr-defined]


def test_a_revoked_key_stops_the_site_acting(
    world: World, site: PlatformSite, browser: TestClient
) -> None:
    engine = world.env.services.engine
    center = demo.center_account("jiaxing").address
    with write_session(engine) as session:
        issued = platform_keys.issue_key(session, "jiaxing-ggzy", center=center, now=NOW)
    site.add_key(issued.key)
    page = browser.get("/platform/jiaxing-ggzy/login", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith(
        "/platform/jiaxing-ggzy/pages/"
    )
    alliance_path, _ = _login_page(browser)  # alliance's page under jiaxing-ggzy: no page
    moved = alliance_path.replace("/platform/alliance/", "/platform/jiaxing-ggzy/")
    assert _code(browser.get(moved)) == "UNKNOWN_PAGE"
    with write_session(engine) as session:
        platform_keys.revoke_key(session, issued.info.key_id, now=NOW + 1)
    gone = browser.get("/platform/jiaxing-ggzy/login", follow_redirects=False)
    assert gone.status_code == 404 and _code(gone) == "UNKNOWN_PLATFORM"
