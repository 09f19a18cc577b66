"""扫码生成投标文件 and 开标大厅扫码解密 end to end on the embedded chain: the bid tool asks,
a holder chooses its enterprise's encryption certificates and signs the choice, the tool
encrypts locally; the opening hall asks for the file's entries, either holder's phone answers
with its DH value sealed to the hall's ephemeral key, the hall decrypts locally."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from huren.bid_scan_client import (
    ChosenByHolder,
    ScanAnswerRefused,
    SealedAnswerDecapsulator,
    recipients_from,
)
from huren.device.errors import CosignerRefused, LocalStoreError
from huren.device.scan import ScannedRequest
from huren.node.bidfile import decrypt, encrypt
from huren.node.bidfile.header import read_header
from huren.node.cosigner.wire import b64e
from huren.node.scan import bid_wire
from tests.api.cosigner.support import PIN
from tests.api.scan_bid.conftest import PLATFORM, Holder, World

TENDER, TITLE = "JX-2026-118", "嘉兴港区道路工程 投标文件"
CONTENT = os.urandom(70_000)  # two 64 KiB chunks


class RecordingRandomness:
    """The system's randomness, keeping the content key so the test can look for it."""

    def __init__(self) -> None:
        self.content_key = b""

    def token(self, n: int) -> bytes:
        value = os.urandom(n)
        if n == 32:
            self.content_key = value
        return value

    def ephemeral_key(self) -> None:
        return None


def generate_by_scan(world: World, holder: Holder, recipients: list[str]) -> tuple[bytes, bytes]:
    """(bid file, content key): the tool asks, the holder chooses, the tool encrypts."""
    created = world.tool.create_encrypt(TENDER, TITLE)
    scanned = holder.phone.scan(created["payload"])
    assert f"tender {TENDER}" in scanned.describe()
    assert holder.bid.choose(scanned, pin=PIN, recipients=recipients)["status"] == "approved"
    view = world.tool.wait(created["request_id"], 0)
    chosen = recipients_from(view)
    assert sorted(r.fingerprint.hex() for r in chosen) == sorted(recipients)
    out, randomness = io.BytesIO(), RecordingRandomness()
    encrypt(
        io.BytesIO(CONTENT),
        out,
        chosen,
        platform_id=PLATFORM,
        policy=ChosenByHolder([r.fingerprint for r in chosen], PLATFORM),
        randomness=randomness,
    )
    return out.getvalue(), randomness.content_key


def decrypt_by_scan(
    world: World, holder: Holder, bid: bytes
) -> tuple[bytes, dict, ScannedRequest, SealedAnswerDecapsulator]:
    header = read_header(io.BytesIO(bid))
    created, hall = world.tool.create_decrypt(header, TENDER, TITLE)
    scanned = holder.phone.scan(created["payload"])
    assert "open the bid file of tender" in scanned.describe()
    assert holder.bid.decrypt(scanned, pin=PIN)["status"] == "approved"
    view = world.tool.wait(created["request_id"], 0)
    out, opened = io.BytesIO(), SealedAnswerDecapsulator(view, hall)
    decrypt(io.BytesIO(bid), out, opened)
    return out.getvalue(), view, scanned, opened


def test_generate_and_decrypt_by_scan_by_either_holder(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    alice, bob = world.alice, world.bob
    created = world.tool.create_encrypt(TENDER, TITLE)
    offered = alice.bid.candidates(alice.phone.scan(created["payload"]))
    # The enterprise's recognized encryption certificates: not the unrecorded one, not the
    # other enterprise's.
    assert {c.fingerprint for c in offered} == {alice.encryption_fp, bob.encryption_fp}
    assert [c.own for c in offered] == [True, False]

    bid, content_key = generate_by_scan(world, alice, [alice.encryption_fp, bob.encryption_fp])
    assert any(r["action"] == "encrypt" for r in alice.device.sessions())

    secrets, sealed = [content_key], []
    for holder in (alice, bob):
        plain, view, scanned, opened = decrypt_by_scan(world, holder, bid)
        assert plain == CONTENT
        assert view["fingerprint"] == holder.encryption_fp
        assert view["result"]["fingerprint"] == holder.encryption_fp
        # the co-signer recorded the decryption for this certificate
        assert any(
            r["operation"] == "decrypt" and r["fingerprint"] == holder.encryption_fp
            for r in holder.device.sessions()
        )
        # the sealed answer does not open without the hall's ephemeral key
        with pytest.raises(ScanAnswerRefused):
            SealedAnswerDecapsulator(view, X25519PrivateKey.generate())
        # replay: the request was answered
        with pytest.raises(CosignerRefused) as replay:
            holder.bid.decrypt(scanned, pin=PIN)
        assert replay.value.code == "SCAN_REQUEST_USED"
        entry = read_header(io.BytesIO(bid)).entry_for(bytes.fromhex(holder.encryption_fp))
        assert entry is not None
        secrets.append(opened.dh(entry.enc))  # the DH value the device sealed
        sealed.append(str(view["result"]["sealed"]).encode())

    # Neither the node's database nor its logs hold the content key or a DH value; the
    # sealed boxes are there (the scan reads the right file).
    stored = b"".join(p.read_bytes() for p in world.database.parent.glob(world.database.name + "*"))
    assert all(box in stored for box in sealed)
    assert len(content_key) == 32
    for secret in secrets:
        for needle in (secret, secret.hex().encode(), b64e(secret).encode()):
            assert needle not in stored
            assert needle.decode("latin-1") not in caplog.text


def test_the_holder_may_choose_only_its_own_certificate_by_default(world: World) -> None:
    bid, _ = generate_by_scan(world, world.bob, [world.bob.encryption_fp])
    assert decrypt_by_scan(world, world.bob, bid)[0] == CONTENT
    # alice is not a recipient: her phone says so before any co-signer round
    header = read_header(io.BytesIO(bid))
    created, _ = world.tool.create_decrypt(header, TENDER, TITLE)
    scanned = world.alice.phone.scan(created["payload"])
    with pytest.raises(LocalStoreError, match="not encrypted to a certificate of this device"):
        world.alice.bid.decrypt(scanned, pin=PIN)
    # and the node refuses her certificate for this file
    refused = _post_decryption(world, created, world.alice.encryption_der)
    assert refused.status_code == 422 and refused.json()["code"] == "INVALID_SCAN_REQUEST"


def test_default_choice_is_the_devices_own(world: World) -> None:
    created = world.tool.create_encrypt(TENDER, TITLE)
    scanned = world.alice.phone.scan(created["payload"])
    assert world.alice.bid.choose(scanned, pin=PIN)["status"] == "approved"
    chosen = recipients_from(world.tool.wait(created["request_id"], 0))
    assert [r.fingerprint.hex() for r in chosen] == [world.alice.encryption_fp]


def test_deny(world: World) -> None:
    created = world.tool.create_encrypt(TENDER, TITLE)
    scanned = world.alice.phone.scan(created["payload"])
    assert world.alice.phone.deny(scanned)["status"] == "denied"
    view = world.tool.wait(created["request_id"], 0)
    assert view["status"] == "denied"
    with pytest.raises(ScanAnswerRefused, match="denied"):
        recipients_from(view)


def test_expired(world: World) -> None:
    bid, _ = generate_by_scan(world, world.alice, [world.alice.encryption_fp])
    header = read_header(io.BytesIO(bid))
    created, _ = world.tool.create_decrypt(header, TENDER, TITLE)
    scanned = world.alice.phone.scan(created["payload"])
    world.clock.now += 301
    with pytest.raises(CosignerRefused) as late:
        world.alice.bid.decrypt(scanned, pin=PIN)
    assert late.value.code == "SCAN_REQUEST_EXPIRED"
    assert world.tool.wait(created["request_id"], 0)["status"] == "expired"


def _signed_choice(world: World, created: dict, recipients: list[bytes]) -> dict:
    """What a (modified) phone would post: a correct signature over this choice."""
    import hashlib

    alice = world.alice
    enrolment_id, signer = alice.phone.choose_certificate(None, None)
    message = bid_wire.choice_message(
        PLATFORM,
        created["request_id"],
        TENDER,
        created["expires_at"],
        [hashlib.sha256(der).digest() for der in recipients],
    )
    signature = alice.device.sign(
        enrolment_id, message, pin=PIN, platform=PLATFORM, action="encrypt", fingerprint=signer
    )
    return {
        "nonce": _nonce(created),
        "certificate": b64e(alice.signing_der),
        "fingerprint": signer,
        "signature": b64e(signature),
        "recipients": [b64e(der) for der in recipients],
    }


def _nonce(created: dict) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(created["payload"]).query)["n"][0]


def _post_decryption(world: World, created: dict, der: bytes):  # type: ignore[no-untyped-def]
    import hashlib

    return world.env.http.post(
        f"/v1/scan/device/requests/{created['request_id']}/decryption",
        json={
            "nonce": _nonce(created),
            "certificate": b64e(der),
            "fingerprint": hashlib.sha256(der).hexdigest(),
            "device_public_key": "11" * 32,
            "sealed": "22" * 48,
        },
    )


def test_a_recipient_not_recognized_or_of_another_enterprise_is_refused(world: World) -> None:
    created = world.tool.create_encrypt(TENDER, TITLE)
    path = f"/v1/scan/device/requests/{created['request_id']}/recipients"
    own = world.alice.encryption_der
    refused = world.env.http.post(
        path, json=_signed_choice(world, created, [own, world.unrecorded_der])
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "SCAN_CERTIFICATE_NOT_RECOGNIZED"
    foreign = world.env.http.post(
        path, json=_signed_choice(world, created, [own, world.foreign_der])
    )
    assert foreign.status_code == 403 and foreign.json()["code"] == "SCAN_BIND_MISMATCH"
    # a signature over another choice than the one posted
    body = _signed_choice(world, created, [own])
    body["recipients"].append(b64e(world.bob.encryption_der))
    forged = world.env.http.post(path, json=body)
    assert forged.status_code == 422 and forged.json()["code"] == "SCAN_SIGNATURE_INVALID"
    # the device refuses to choose what the node does not offer
    scanned = world.alice.phone.scan(created["payload"])
    import hashlib

    with pytest.raises(LocalStoreError, match="not offered"):
        world.alice.bid.choose(
            scanned, pin=PIN, recipients=[hashlib.sha256(world.unrecorded_der).hexdigest()]
        )
    # refusals leave the request pending: the right choice still goes through
    assert world.tool.wait(created["request_id"], 0)["status"] == "pending"
    ok = world.env.http.post(path, json=_signed_choice(world, created, [own]))
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = world.env.http.post(path, json=_signed_choice(world, created, [own]))
    assert again.status_code == 409 and again.json()["code"] == "SCAN_REQUEST_USED"


def test_the_generic_answer_and_wrong_routes_are_refused(world: World) -> None:
    created = world.tool.create_encrypt(TENDER, TITLE)
    answer = world.env.http.post(
        f"/v1/scan/device/requests/{created['request_id']}/answer",
        json={
            "nonce": _nonce(created),
            "decision": "approve",
            "signature": b64e(bytes(64)),
            "certificate": b64e(world.alice.signing_der),
        },
    )
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_SCAN_REQUEST"
    wrong = _post_decryption(world, created, world.alice.encryption_der)
    assert wrong.status_code == 422 and "not decrypt" in wrong.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"tender_id": "JX 1", "title": "t"},
        {"tender_id": "JX-1", "title": ""},
        {"tender_id": "JX-1", "title": "a\nb"},
        {"tender_id": "JX-1", "title": "t", "extra": 1},
    ],
)
def test_bad_encrypt_params_are_refused(world: World, params: dict) -> None:
    response = world.env.http.post(
        "/v1/scan/requests",
        json={"action": "encrypt", "params": params},
        headers=world.env.headers(PLATFORM),
    )
    assert response.status_code == 422 and response.json()["code"] == "INVALID_SCAN_REQUEST"


def test_bad_decrypt_params_are_refused(world: World) -> None:
    entry = {"fingerprint": "ab" * 32, "enc": "cd" * 32}
    good = {
        "tender_id": "JX-1",
        "title": "t",
        "file_id": "00" * 16,
        "recipients": [entry],
        "hall_public_key": "ef" * 32,
    }
    for change in (
        {"recipients": []},
        {"recipients": [entry, entry]},
        {"hall_public_key": "00" * 32},
        {"file_id": "zz"},
        {"recipients": [{"fingerprint": "ab" * 32}]},
    ):
        response = world.env.http.post(
            "/v1/scan/requests",
            json={"action": "decrypt", "params": {**good, **change}},
            headers=world.env.headers(PLATFORM),
        )
        assert response.status_code == 422, change


def test_seal_round_trip_and_tamper(tmp_path: Path) -> None:
    hall = X25519PrivateKey.generate()
    hall_public = hall.public_key().public_bytes_raw()
    aad = bid_wire.decrypt_aad(PLATFORM, "r" * 32, bytes(32), bytes(range(32)))
    device_public, box = bid_wire.seal_to_hall(hall_public, b"secret" * 5, aad)
    assert bid_wire.open_from_device(hall, device_public, box, aad) == b"secret" * 5
    with pytest.raises(bid_wire.SealOpenFailed):
        bid_wire.open_from_device(hall, device_public, box, aad + b"x")
    with pytest.raises(bid_wire.SealOpenFailed):
        bid_wire.open_from_device(hall, device_public, bytes([box[0] ^ 1]) + box[1:], aad)


def test_the_pki_directory_lists_an_enterprises_signed_encryption_certificates(
    world: World,
) -> None:
    """The node's default EncryptionDirectory reads what its CAs issued: encryption
    certificates with DER, signed or later, whose subject names the USCC."""
    from sqlmodel import Session

    from huren.node.db.pki_tables import IssuanceState, PkiIssuedCertificate
    from huren.node.scan.bid_answers import PkiDirectory
    from huren.registry.types import KeyUsage
    from tests.api.scan.conftest import USCC

    engine = world.env.services.engine
    rows = [
        ("a1", KeyUsage.ENCRYPTION, IssuanceState.COMMITTED, USCC, world.alice.encryption_der),
        ("a2", KeyUsage.ENCRYPTION, IssuanceState.RESERVED, USCC, None),
        ("a3", KeyUsage.SIGNING, IssuanceState.COMMITTED, USCC, world.alice.signing_der),
        ("a4", KeyUsage.ENCRYPTION, IssuanceState.SIGNED, "91330100MA27XL0E2Y", world.foreign_der),
    ]
    with Session(engine) as session:
        for serial, usage, state, uscc, der in rows:
            subject = f'{{"kind": "enterprise", "name": "e", "uscc": "{uscc}"}}'
            session.add(
                PkiIssuedCertificate(
                    serial=f"test-{serial}",
                    ca_id="zjca",
                    issuer_key_id=bytes(32),
                    request_id=f"bid-scan-test-{serial}",
                    state=state,
                    approved_by="test",
                    subject=subject,
                    public_key=b"",
                    kind=1,
                    usage=int(usage),
                    scope=1,
                    holder=bytes(32),
                    not_before=0,
                    not_after=1,
                    created_at=0,
                    der=der,
                )
            )
        session.commit()
    try:
        assert PkiDirectory(engine).encryption_certificates(USCC) == [world.alice.encryption_der]
    finally:
        with Session(engine) as session:
            for serial, *_ in rows:
                row = session.get(PkiIssuedCertificate, f"test-{serial}")
                session.delete(row)
            session.commit()


def test_a_decrypt_answer_needs_a_certificate_recognized_for_decrypt(world: World) -> None:
    import hashlib

    entries = [
        {"fingerprint": hashlib.sha256(der).hexdigest(), "enc": "cd" * 32}
        for der in (world.unrecorded_der, world.alice.encryption_der)
    ]
    params = {
        "tender_id": TENDER,
        "title": TITLE,
        "file_id": "00" * 16,
        "recipients": entries,
        "hall_public_key": X25519PrivateKey.generate().public_key().public_bytes_raw().hex(),
    }
    response = world.env.http.post(
        "/v1/scan/requests",
        json={"action": "decrypt", "params": params},
        headers=world.env.headers(PLATFORM),
    )
    created = response.json()
    refused = _post_decryption(world, created, world.unrecorded_der)
    assert (
        refused.status_code == 403 and refused.json()["code"] == "SCAN_CERTIFICATE_NOT_RECOGNIZED"
    )
    assert world.tool.wait(created["request_id"], 0)["status"] == "pending"
    # a recognized recipient's answer is recorded (the node cannot tell a box from noise)
    ok = _post_decryption(world, created, world.alice.encryption_der)
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    view = world.tool.wait(created["request_id"], 0)
    assert view["fingerprint"] == world.alice.encryption_fp
