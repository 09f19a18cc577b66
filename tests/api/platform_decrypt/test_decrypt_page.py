"""扫码解密 on the demo platform through the test client, over the bid scan tests' world (two
holders with split encryption keys, recognized): upload a bid file, the recipient's phone
approves, the site opens the sealed answer with its own key and offers the plaintext to that
browser only; refusals for a file that is no bid file, too large, not the phone's, damaged;
the hall's private key never reaches a response and is forgotten once used."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi.testclient import TestClient

from huren.api.platform_site.decrypt import DecryptDesk
from huren.api.platform_site.site import PlatformSite
from huren.bid_scan_client import ChosenByHolder
from huren.device.errors import LocalStoreError
from huren.node.bidfile import Recipient, encrypt
from huren.node.bidfile.header import DEFAULT_CHUNK_SIZE
from tests.api.cosigner.support import PIN
from tests.api.platform_pages.conftest import csrf_of, open_page, payload_of
from tests.api.scan_bid.conftest import PLATFORM, Holder, World, world  # noqa: F401

SITE = f"/platform/{PLATFORM}"
TENDER = "JX-2026-118"
CONTENT = os.urandom(DEFAULT_CHUNK_SIZE * 2 + 999)  # three chunks


@pytest.fixture(scope="module")
def site(world: World) -> Iterator[PlatformSite]:  # noqa: F811
    """The app's site acting for alliance with its key, on the world's clock."""
    found: PlatformSite = world.env.http.app.state.platform_site  # type: ignore[attr-defined]
    found.add_key(world.env.keys[PLATFORM])
    clock = found.clock
    found.clock = world.clock
    yield found
    found.clock = clock


@pytest.fixture
def browser(world: World, site: PlatformSite) -> TestClient:  # noqa: F811
    return TestClient(world.env.http.app)


@pytest.fixture
def desk(world: World) -> Iterator[DecryptDesk]:  # noqa: F811
    found: DecryptDesk = world.env.http.app.state.platform_decrypt_desk  # type: ignore[attr-defined]
    limit = found.max_bytes
    yield found
    found.max_bytes = limit


def bid_file(*holders: Holder, content: bytes = CONTENT) -> bytes:
    recipients = [Recipient.from_certificate(h.encryption_der) for h in holders]
    out = io.BytesIO()
    policy = ChosenByHolder([r.fingerprint for r in recipients], PLATFORM)
    encrypt(io.BytesIO(content), out, recipients, platform_id=PLATFORM, policy=policy)
    return out.getvalue()


def upload(browser: TestClient, data: bytes, name: str = "投标文件.hbf") -> httpx.Response:
    form = browser.get(SITE + "/decrypt")
    assert form.status_code == 200
    return browser.post(
        SITE + "/decrypt",
        data={"csrf": csrf_of(form.text), "tender_id": TENDER, "title": "开标 · 第一标段"},
        files={"document": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def _code(response: httpx.Response) -> str | None:
    found = re.search(r'data-code="([A-Z_]+)"', response.text)
    return None if found is None else found[1]


def _request_id(world: World, page: httpx.Response) -> str:  # noqa: F811
    found = re.search(r"[?&]r=([0-9a-f]{32})&", payload_of(page.text))
    assert found is not None
    return found[1]


def test_upload_scan_and_download_the_plaintext(
    world: World,  # noqa: F811
    browser: TestClient,
    desk: DecryptDesk,
) -> None:
    bid = bid_file(world.alice, world.bob)
    path, page = open_page(browser, upload(browser, bid))
    assert TENDER in page.text and 'id="file-id"' in page.text
    assert browser.get(path + "/plaintext").status_code == 404  # not approved yet
    job = desk.job(_request_id(world, page))
    assert job is not None and job.hall_key is not None
    hall_private = job.hall_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    scanned = world.bob.phone.scan(payload_of(page.text))
    assert world.bob.bid.decrypt(scanned, pin=PIN)["status"] == "approved"
    done = browser.get(path)
    assert done.status_code == 200 and 'id="download"' in done.text
    assert f'data-fingerprint="{world.bob.encryption_fp}"' in done.text  # who opened it
    download = browser.get(path + "/plaintext")
    assert download.status_code == 200 and download.content == CONTENT
    assert "attachment" in download.headers["content-disposition"]
    assert download.headers["cache-control"] == "no-store"
    assert job.hall_key is None  # forgotten once the answer was opened
    assert browser.get(path + "/plaintext").content == CONTENT  # again, same browser
    # another browser gets neither the page nor the file
    stranger = TestClient(world.env.http.app)
    for url in (path, path + "/plaintext", path + "/status"):
        refused = stranger.get(url)
        assert refused.status_code == 403 and "OTHER_BROWSER" in refused.text
        assert CONTENT[:64] not in refused.content
    # the hall key in no response the browser got
    seen = [page, done, download, browser.get(path + "/status"), browser.get(path + "/qr.svg")]
    seen.append(browser.get(path + "/events"))
    for response in seen:
        for form in (hall_private.hex(), hall_private.hex().upper()):
            assert form not in response.text
        assert hall_private not in response.content
    # an opened page offers no new code
    assert 'id="refresh"' not in done.text


def test_a_refreshed_page_asks_again_with_a_new_hall_key(
    world: World,  # noqa: F811
    browser: TestClient,
    desk: DecryptDesk,
) -> None:
    path, page = open_page(browser, upload(browser, bid_file(world.alice)))
    old = desk.job(_request_id(world, page))
    assert old is not None
    old_key = old.hall_key
    new_path, new_page = open_page(
        browser,
        browser.post(path + "/refresh", data={"csrf": csrf_of(page.text)}, follow_redirects=False),
    )
    assert new_path != path and old.hall_key is None
    new = desk.job(_request_id(world, new_page))
    assert new is not None and new.hall_key is not None and new.hall_key is not old_key
    assert new.path == old.path  # the same upload
    scanned = world.alice.phone.scan(payload_of(new_page.text))
    assert world.alice.bid.decrypt(scanned, pin=PIN)["status"] == "approved"
    assert browser.get(new_path + "/plaintext").content == CONTENT
    # the old page's file moved to the new page
    assert browser.post(path + "/refresh", data={"csrf": csrf_of(page.text)}).status_code == 409


def test_a_denied_page_forgets_its_key(
    world: World,  # noqa: F811
    browser: TestClient,
    desk: DecryptDesk,
) -> None:
    path, page = open_page(browser, upload(browser, bid_file(world.alice)))
    job = desk.job(_request_id(world, page))
    world.alice.phone.deny(world.alice.phone.scan(payload_of(page.text)))
    denied = browser.get(path)
    assert "Denied" in denied.text and 'id="refresh"' in denied.text
    assert job is not None and job.hall_key is None
    assert browser.get(path + "/plaintext").status_code == 404


def test_a_file_not_for_this_phone_is_refused_on_the_phone(
    world: World,  # noqa: F811
    browser: TestClient,
) -> None:
    path, page = open_page(browser, upload(browser, bid_file(world.bob)))
    with pytest.raises(LocalStoreError, match="not encrypted to a certificate of this device"):
        world.alice.bid.decrypt(world.alice.phone.scan(payload_of(page.text)), pin=PIN)
    assert 'data-state="pending"' in browser.get(path).text


def test_a_damaged_file_offers_no_plaintext(
    world: World,  # noqa: F811
    browser: TestClient,
    desk: DecryptDesk,
) -> None:
    bid = bytearray(bid_file(world.alice))
    bid[-40] ^= 1  # the last chunk changed: the header still reads
    path, page = open_page(browser, upload(browser, bytes(bid)))
    scanned = world.alice.phone.scan(payload_of(page.text))
    assert world.alice.bid.decrypt(scanned, pin=PIN)["status"] == "approved"
    shown = browser.get(path)
    assert _code(shown) == "CHUNK_AUTHENTICATION_FAILED" and 'id="download"' not in shown.text
    refused = browser.get(path + "/plaintext")
    assert refused.status_code == 422 and _code(refused) == "CHUNK_AUTHENTICATION_FAILED"
    job = desk.job(_request_id(world, page))
    assert job is not None and job.plaintext is None  # the authenticated prefix was deleted
    assert job.hall_key is None


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.7\n" + b"x" * 500, "bid.pdf"),
        (b"", "empty.hbf"),
        (b"HBF", "short.hbf"),
    ],
)
def test_not_a_bid_file_is_refused(
    world: World,  # noqa: F811
    browser: TestClient,
    data: bytes,
    name: str,
) -> None:
    refused = upload(browser, data, name)
    assert refused.status_code == 422 and _code(refused) == "NOT_A_BID_FILE"
    assert 'id="decrypt-form"' in refused.text


def test_a_file_too_large_is_refused(
    world: World,  # noqa: F811
    browser: TestClient,
    desk: DecryptDesk,
) -> None:
    desk.max_bytes = 100_000
    bid = bid_file(world.alice, content=os.urandom(150_000))
    refused = upload(browser, bid)
    assert refused.status_code == 413 and _code(refused) == "FILE_TOO_LARGE"
    # a body past the limit is refused before it is read (declared) and as it is read (not)
    form = browser.get(SITE + "/decrypt")
    body = b"-" * 300_000
    declared = browser.post(
        SITE + "/decrypt", content=body, headers={"content-type": "multipart/form-data; b=x"}
    )
    assert declared.status_code == 413 and _code(declared) == "FILE_TOO_LARGE"

    def chunks() -> Iterator[bytes]:
        yield from (body[i : i + 65536] for i in range(0, len(body), 65536))

    streamed = browser.post(
        SITE + "/decrypt",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert streamed.status_code == 413 and _code(streamed) == "FILE_TOO_LARGE"
    assert form.status_code == 200


def test_forms_and_missing_files_are_refused(
    world: World,  # noqa: F811
    browser: TestClient,
) -> None:
    form = browser.get(SITE + "/decrypt")
    bid = bid_file(world.alice)
    forged = browser.post(
        SITE + "/decrypt",
        data={"csrf": "x" * 43, "tender_id": TENDER},
        files={"document": ("bid.hbf", bid, "application/octet-stream")},
    )
    assert forged.status_code == 403 and _code(forged) == "FORM_REFUSED"
    no_file = browser.post(
        SITE + "/decrypt", data={"csrf": csrf_of(form.text), "tender_id": TENDER}
    )
    assert no_file.status_code == 422 and _code(no_file) == "NO_FILE"
    bad_tender = browser.post(
        SITE + "/decrypt",
        data={"csrf": csrf_of(form.text), "tender_id": "no spaces allowed"},
        files={"document": ("bid.hbf", bid, "application/octet-stream")},
    )
    assert bad_tender.status_code == 422 and _code(bad_tender) == "INVALID_SCAN_REQUEST"
    assert browser.get("/platform/nowhere/decrypt").status_code == 404


def test_only_the_decrypt_upload_may_send_a_body_past_1_mib() -> None:
    from huren.api.app import MAX_BODY_BYTES, body_limit
    from huren.api.platform_site.decrypt import MAX_BID_UPLOAD

    assert body_limit("/platform/alliance/decrypt") == MAX_BID_UPLOAD + 64 * 1024
    for path in (
        "/platform/alliance/seal",
        "/v1/platform/alliance/decrypt",
        "/platform/a/b/decrypt",
    ):
        assert body_limit(path) == MAX_BODY_BYTES
