"""Scan-to-act end to end: a platform creates a request, a real enrolled device scans the
node-signed payload, approves with a co-signed signature (or denies), the node checks the
answer and the platform reads it (long-poll, events)."""

from __future__ import annotations

import hashlib
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from huren.device.errors import CosignerRefused
from huren.node.cosigner.wire import b64d, b64e
from huren.node.scan import wire
from huren.node.scan.errors import PayloadInvalid, ScanExpired
from tests.api.cosigner.support import PIN
from tests.api.scan.conftest import ENTERPRISE, USCC, World

DIGEST = hashlib.sha256(b"tender document 2026-118").hexdigest()


def _verify(status: dict, message: bytes) -> None:
    """What a platform does with an approval: the signature under the certificate's key."""
    certificate = x509.load_pem_x509_certificate(status["certificate_chain_pem"].encode())
    key = certificate.public_key()
    assert isinstance(key, Ed25519PublicKey)
    key.verify(b64d(status["signature"]), message)  # raises if it does not verify


def test_login_by_scan(world: World) -> None:
    created = world.create("login")
    assert created["status"] == "pending"
    assert created["expires_at"] - created["created_at"] == 120
    assert created["payload"].startswith("http://testserver/scan?v=1&")
    scanned = world.phone.scan(created["payload"])
    assert scanned.action == "login" and scanned.platform_id == "alliance"
    assert "login at platform alliance" in scanned.describe()
    answer = world.phone.approve(scanned, pin=PIN)
    assert answer["status"] == "approved"
    status = world.status(created["request_id"])
    assert status["status"] == "approved"
    assert status["fingerprint"] == hashlib.sha256(world.der).hexdigest()
    message = wire.login_message(
        "alliance", created["request_id"], created["content"]["challenge"], created["expires_at"]
    )
    _verify(status, message)
    # the co-signer recorded the login signing for the platform
    records = world.device.sessions()
    assert any(r["action"] == "login" and r["platform"] == "alliance" for r in records)


def test_sign_by_scan_with_bind(world: World) -> None:
    created = world.create(
        "sign",
        params={"digest_sha256": DIGEST, "title": "投标文件 2026-118"},
        bind_name=ENTERPRISE,
        bind_uscc=USCC,
    )
    scanned = world.phone.scan(created["payload"])
    assert scanned.message == bytes.fromhex(DIGEST)
    assert "投标文件 2026-118" in scanned.describe()
    world.phone.approve(scanned, pin=PIN)
    status = world.status(created["request_id"])
    assert status["status"] == "approved"
    _verify(status, bytes.fromhex(DIGEST))


def test_deny(world: World) -> None:
    created = world.create("login")
    scanned = world.phone.scan(created["payload"])
    assert world.phone.deny(scanned)["status"] == "denied"
    status = world.status(created["request_id"])
    assert status["status"] == "denied" and status["signature"] is None


def test_expired_code_and_challenge(world: World) -> None:
    created = world.create("login")
    scanned = world.phone.scan(created["payload"])
    world.clock.now += 121
    try:
        with pytest.raises(ScanExpired):
            world.phone.scan(created["payload"])  # the device checks the expiry itself
        with pytest.raises(CosignerRefused, match="SCAN_REQUEST_EXPIRED"):
            world.phone.send_approval(scanned, b"\0" * 64, hashlib.sha256(world.der).hexdigest())
        assert world.status(created["request_id"])["status"] == "expired"
    finally:
        world.clock.now -= 121


def test_replayed_answer_is_refused(world: World) -> None:
    created = world.create("login")
    scanned = world.phone.scan(created["payload"])
    world.phone.approve(scanned, pin=PIN)
    with pytest.raises(CosignerRefused, match="SCAN_REQUEST_USED"):
        world.phone.deny(scanned)
    status = world.status(created["request_id"])
    with pytest.raises(CosignerRefused, match="SCAN_REQUEST_USED"):
        world.phone.send_approval(
            scanned, b64d(status["signature"]), hashlib.sha256(world.der).hexdigest()
        )
    with pytest.raises(CosignerRefused, match="SCAN_REQUEST_USED"):
        world.phone.scan(created["payload"])


def test_a_signature_for_another_request_does_not_verify(world: World) -> None:
    first = world.create("login")
    scanned = world.phone.scan(first["payload"])
    enrolment, fingerprint = world.phone.choose_certificate(None, None)
    signature = world.device.sign(
        enrolment, scanned.message, pin=PIN, platform="alliance", action="login"
    )
    second = world.phone.scan(world.create("login")["payload"])
    with pytest.raises(CosignerRefused, match="SCAN_SIGNATURE_INVALID"):
        world.phone.send_approval(second, signature, fingerprint)
    assert world.phone.send_approval(scanned, signature, fingerprint)["status"] == "approved"


def test_wrong_platform(world: World) -> None:
    created = world.create("login")
    other = world.env.http.get(
        f"/v1/scan/requests/{created['request_id']}", headers=world.env.headers("jiaxing-ggzy")
    )
    assert other.status_code == 404 and other.json()["code"] == "UNKNOWN_SCAN_REQUEST"
    # a payload whose platform was changed no longer carries the node's signature
    parts = urlsplit(created["payload"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["p"] = "jiaxing-ggzy"
    forged = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"
    with pytest.raises(PayloadInvalid):
        world.phone.scan(forged)
    admin = world.env.http.post(
        "/v1/scan/requests", json={"action": "login"}, headers=world.env.headers()
    )
    assert admin.status_code == 403 and admin.json()["code"] == "PLATFORM_ONLY"


def test_bind_mismatch(world: World) -> None:
    created = world.create(
        "sign",
        params={"digest_sha256": DIGEST, "title": "t"},
        bind_name="另一家公司",
        bind_uscc=USCC,
    )
    scanned = world.phone.scan(created["payload"])
    with pytest.raises(CosignerRefused, match="SCAN_BIND_MISMATCH"):
        world.phone.approve(scanned, pin=PIN)
    assert world.status(created["request_id"])["status"] == "pending"  # may still be denied
    world.phone.deny(scanned)


def test_not_recognized_certificate(world: World) -> None:
    """A certificate the chain does not know: the node refuses it with the reasons (the
    co-signer would refuse to sign with it too, tested in tests/api/cosigner)."""
    from nacl.signing import SigningKey

    from tests.api.scan.conftest import enterprise_certificate_for_key

    key = SigningKey.generate()
    der = enterprise_certificate_for_key(bytes(key.verify_key))
    created = world.create("login")
    scanned = world.phone.scan(created["payload"])
    response = world.env.http.post(
        f"/v1/scan/device/requests/{created['request_id']}/answer",
        json={
            "nonce": scanned.payload.nonce,
            "decision": "approve",
            "signature": b64e(key.sign(scanned.message).signature),
            "certificate": b64e(der),
        },
    )
    assert response.status_code == 403
    problem = response.json()
    assert problem["code"] == "SCAN_CERTIFICATE_NOT_RECOGNIZED" and problem["reasons"]


def test_long_poll_wakes_on_the_answer(world: World) -> None:
    created = world.create("login")
    scanned = world.phone.scan(created["payload"])
    pending = world.status(created["request_id"], wait=0)
    assert pending["status"] == "pending"
    got: dict = {}
    started = threading.Event()

    def poll() -> None:
        started.set()
        got.update(world.status(created["request_id"], wait=20))

    thread = threading.Thread(target=poll)
    thread.start()
    started.wait()
    world.phone.deny(scanned)  # the condition wakes the waiter long before 20 s
    thread.join(timeout=15)
    assert not thread.is_alive() and got["status"] == "denied"


def test_events_stream_until_final(world: World) -> None:
    created = world.create("login")
    scanned = world.phone.scan(created["payload"])
    world.phone.deny(scanned)
    with world.env.http.stream(
        "GET",
        f"/v1/scan/requests/{created['request_id']}/events",
        headers=world.env.headers("alliance"),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    assert text.startswith("event: status\ndata: ") and '"status":"denied"' in text


def test_qr_images(world: World) -> None:
    created = world.create("login")
    png = world.env.http.get(
        f"/v1/scan/requests/{created['request_id']}/qr.png", headers=world.env.headers("alliance")
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = world.env.http.get(
        f"/v1/scan/requests/{created['request_id']}/qr.svg", headers=world.env.headers("alliance")
    )
    assert svg.status_code == 200 and b"<svg" in svg.content
    key = world.env.http.get("/v1/scan/node-key").json()
    assert b64d(key["public_key"]) == world.scan.node_public_key


def test_events_report_a_change_while_streaming(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stream starts pending; an answer from another thread ends it with the change."""
    created = world.create("login")
    scanned = world.phone.scan(created["payload"])
    waiting = threading.Event()
    original = world.scan.wait

    def wait(platform: str, request_id: str, timeout_s: float):  # type: ignore[no-untyped-def]
        waiting.set()  # the stream sent its first event and waits for a change
        return original(platform, request_id, timeout_s)

    monkeypatch.setattr(world.scan, "wait", wait)

    def answer() -> None:
        waiting.wait(timeout=10)
        world.phone.deny(scanned)

    thread = threading.Thread(target=answer)
    thread.start()
    with world.env.http.stream(
        "GET",
        f"/v1/scan/requests/{created['request_id']}/events",
        headers=world.env.headers("alliance"),
    ) as response:
        text = "".join(response.iter_text())
    thread.join(timeout=10)
    events = [e for e in text.split("\n\n") if e.startswith("event: status")]
    assert len(events) == 2
    assert '"status":"pending"' in events[0] and '"status":"denied"' in events[1]
