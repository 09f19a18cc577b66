"""Signing sessions: the PIN once, then sign requests pushed by the platform (no QR) are
received and confirmed (by the user, or automatically), until the session ends or expires."""

from __future__ import annotations

import hashlib

import pytest

from huren.device.errors import CosignerRefused
from huren.device.sessions import SigningSession, list_sessions
from tests.api.cosigner.support import PIN
from tests.api.scan.conftest import World


def _push(world: World, title: str, fingerprint: str) -> dict:
    response = world.env.http.post(
        "/v1/scan/requests",
        json={
            "action": "sign",
            "params": {"digest_sha256": hashlib.sha256(title.encode()).hexdigest(), "title": title},
            "session_fingerprint": fingerprint,
        },
        headers=world.env.headers("alliance"),
    )
    return {"http": response.status_code, **response.json()}


def _state(world: World, fingerprint: str) -> dict:
    response = world.env.http.get(
        f"/v1/scan/sessions/{fingerprint}", headers=world.env.headers("alliance")
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_session_with_auto_confirm(world: World) -> None:
    fingerprint = hashlib.sha256(world.der).hexdigest()
    session = SigningSession.start(world.phone, pin=PIN, platform="alliance", auto_confirm=True)
    assert _state(world, fingerprint)["state"] == "active"
    pushed = [_push(world, f"doc {i}", fingerprint) for i in range(2)]
    assert all(p["http"] == 201 and p["session_id"] == session.session_id for p in pushed)
    assert _state(world, fingerprint)["pending"] == 2
    report = session.run()  # no PIN, no question
    assert sorted(report.approved) == sorted(p["request_id"] for p in pushed)
    for p in pushed:
        status = world.status(p["request_id"])
        assert status["status"] == "approved"
    assert _state(world, fingerprint)["pending"] == 0
    # the co-signer recorded the session and its PIN-less rounds
    records = world.device.sessions()
    assert any(r["operation"] == "session_start" for r in records)
    session.end()
    assert _state(world, fingerprint)["state"] == "ended"
    # ended: the platform cannot push, the device cannot sign without the PIN any more
    assert _push(world, "late", fingerprint)["code"] == "SCAN_SESSION_STATE"
    with pytest.raises(CosignerRefused, match="SIGNING_SESSION_REFUSED"):
        session.sign(b"\x01" * 32)
    with pytest.raises(CosignerRefused, match="SIGNING_SESSION_REFUSED"):
        session.end()


def test_a_session_without_auto_confirm_asks(world: World) -> None:
    fingerprint = hashlib.sha256(world.der).hexdigest()
    session = SigningSession.start(world.phone, pin=PIN, platform="alliance")
    yes = _push(world, "approve me", fingerprint)
    no = _push(world, "deny me", fingerprint)
    asked: list[str] = []

    def confirm(request) -> bool:  # type: ignore[no-untyped-def]
        asked.append(request.content["title"])
        return request.content["title"] == "approve me"

    report = session.run(confirm)
    assert asked == ["approve me", "deny me"]
    assert report.approved == [yes["request_id"]] and report.denied == [no["request_id"]]
    assert world.status(yes["request_id"])["status"] == "approved"
    assert world.status(no["request_id"])["status"] == "denied"
    assert session.session_id in {s["session_id"] for s in list_sessions(world.phone)}
    # another process joins the session with the PIN once
    joined = SigningSession.open(world.phone, session.session_id, pin=PIN)
    signature = joined.sign(hashlib.sha256(b"x").digest())
    assert len(signature) == 64
    session.end()


def test_a_session_expires_and_is_bounded(world: World) -> None:
    fingerprint = hashlib.sha256(world.der).hexdigest()
    with pytest.raises(CosignerRefused, match="VALIDATION_FAILED"):
        SigningSession.start(world.phone, pin=PIN, platform="alliance", ttl_s=9 * 3600)
    with pytest.raises(CosignerRefused, match="PIN_PROOF_FAILED"):
        SigningSession.start(world.phone, pin="000000", platform="alliance")
    session = SigningSession.start(world.phone, pin=PIN, platform="alliance", ttl_s=60)
    # a session is for signing at its platform only: no login, no other platform
    with pytest.raises(CosignerRefused, match="SIGNING_SESSION_REFUSED"):
        session.sign(b"\x02" * 32, action="login")
    world.clock.now += 60
    try:
        assert _state(world, fingerprint)["state"] == "expired"
        with pytest.raises(CosignerRefused, match="SIGNING_SESSION_REFUSED"):
            session.sign(b"\x01" * 32)
        assert _push(world, "late", fingerprint)["code"] == "SCAN_SESSION_STATE"
        with pytest.raises(CosignerRefused, match="SCAN_SESSION_STATE"):
            session.pending()
    finally:
        world.clock.now -= 60
    # a login cannot be pushed into a session at all
    response = world.env.http.post(
        "/v1/scan/requests",
        json={"action": "login", "session_fingerprint": fingerprint},
        headers=world.env.headers("alliance"),
    )
    assert response.status_code == 422
