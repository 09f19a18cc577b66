"""The co-signer end to end over the real ASGI app, with the device SDK as the phone:
enrol, sign (cryptography verifies), decrypt an HPKE message, PIN lock and unlock, replay
refusal, recognition refusal, nothing secret at rest or on the wire, operation records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlmodel import Session, col, select

from huren.device.pin import open_share, stretch
from huren.node import demo
from huren.node.audit.oplog import Operation, OperationLog, verify_operation_log
from huren.node.cosigner import at_rest
from huren.node.cosigner.wire import b64d
from huren.node.db.cosigner_tables import CosignerEnrolment, CosignerOperation
from huren.node.keysplit.decrypt import x25519_public_key
from huren.node.keysplit.group import encode_scalar
from huren.node.keysplit.keys import KeyPackage
from huren.registry.types import Scope
from tests.api.conftest import ApiEnv
from tests.api.cosigner.conftest import World
from tests.api.cosigner.support import (
    HOLDER,
    PIN,
    RECOVERY,
    issue_and_record,
    refused,
    tapped_device,
    ticket,
)


def _group_key(world: World, enrolment_id: str) -> bytes:
    return bytes(world.device.store.load(enrolment_id).public.group_public_key)


def test_a_signature_made_with_the_co_signer_verifies_as_plain_ed25519(world: World) -> None:
    message = hashlib.sha256(b"bid file 2026-0042").digest()
    signature = world.device.sign(world.signing_id, message, pin=PIN, platform="alliance")
    public = Ed25519PublicKey.from_public_bytes(_group_key(world, world.signing_id))
    public.verify(signature, message)  # raises if it does not verify
    with pytest.raises(InvalidSignature):
        public.verify(signature, message + b"x")


def test_an_hpke_message_to_the_split_key_opens_on_the_device(world: World) -> None:
    stored = world.device.store.load(world.encryption_id)
    recipient = X25519PublicKey.from_public_bytes(x25519_public_key(stored.public))
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    sealed = suite.encrypt(b"content key of bid 42", recipient, info=b"bid")
    opened = world.device.decrypt(
        world.encryption_id, sealed, pin=PIN, platform="alliance", info=b"bid"
    )
    assert opened == b"content key of bid 42"
    with refused("INVALID_COSIGNER_REQUEST"):  # an encryption key does not sign
        world.device.sign(world.encryption_id, b"x" * 32, pin=PIN, platform="alliance")


def test_five_wrong_pins_lock_the_key_until_identity_is_verified(
    env: ApiEnv, tmp_path: Path, world: World
) -> None:
    device, _ = tapped_device(env, tmp_path / "phone", world.clock)
    enrolled = device.enrol(ticket(env, HOLDER + "-lock", RECOVERY.public_key), PIN)
    der = issue_and_record(env, enrolled.enrolment_id, enrolled.public, "signing")
    device.add_certificate(enrolled.enrolment_id, der)
    digest = bytes(32)
    for remaining in (4, 3, 2, 1):
        with refused(f"PIN_PROOF_FAILED: wrong PIN; {remaining} tries left") as failed:
            device.sign(enrolled.enrolment_id, digest, pin="000000", platform="alliance")
        assert failed.value.problem["remaining_tries"] == remaining
    device.sign(enrolled.enrolment_id, digest, pin=PIN, platform="alliance")  # resets the count
    for _ in range(4):
        with refused("PIN_PROOF_FAILED"):
            device.sign(enrolled.enrolment_id, digest, pin="000000", platform="alliance")
    with refused("KEY_LOCKED"):
        device.sign(enrolled.enrolment_id, digest, pin="000000", platform="alliance")
    with refused("KEY_LOCKED"):  # the right PIN no longer helps: no sixth guess
        device.sign(enrolled.enrolment_id, digest, pin=PIN, platform="alliance")
    [info] = device.enrolments()
    assert info["locked"] is True and info["pin_failures"] == 5

    unlocked = env.http.post(
        f"/v1/cosigner/enrolments/{enrolled.enrolment_id}/unlock",
        json={"verified_by": "alipay-face"},
        headers=env.headers(),
    )
    assert unlocked.status_code == 204, unlocked.text
    device.sign(enrolled.enrolment_id, digest, pin=PIN, platform="alliance")
    results = [s["result"] for s in device.sessions() if s["enrolment_id"] == enrolled.enrolment_id]
    assert results.count("PIN_PROOF_FAILED") == 8 and results.count("KEY_LOCKED") == 2
    assert "unlock" in [s["operation"] for s in device.sessions()]


def test_a_replayed_request_and_a_stale_one_arerefused(world: World) -> None:
    world.device.devices()
    original = world.tap.requests[-1]
    replay = world.env.http.build_request(
        original.method, str(original.url), headers=original.headers, content=original.content
    )
    response = world.env.http.send(replay)
    assert response.status_code == 409 and response.json()["code"] == "REQUEST_REPLAYED"

    world.clock.now += 3600  # the device's clock an hour behind the co-signer's
    try:
        late = world.device.client.clock
        world.device.client.clock = lambda: late() - 3600
        with refused("DEVICE_AUTH_FAILED"):
            world.device.devices()
    finally:
        world.device.client.clock = late
        world.clock.now -= 3600


def test_a_tampered_body_fails_the_device_signature(world: World) -> None:
    world.device.devices()
    original = world.tap.requests[-1]
    forged = world.env.http.build_request(
        "POST",
        "/v1/cosigner/decryptions",
        headers={**original.headers, "Content-Type": "application/json"},
        content=json.dumps(
            {
                "enrolment_id": world.encryption_id,
                "fingerprint": "00" * 32,
                "platform": "alliance",
                "request": "AAAA",
            }
        ).encode(),
    )
    answer = world.env.http.send(forged).json()
    assert answer["code"] == "DEVICE_AUTH_FAILED", answer["detail"]


def test_certificates_not_bound_or_not_recognized_at_the_platform_arerefused(
    env: ApiEnv, tmp_path: Path, world: World
) -> None:
    device, _ = tapped_device(env, tmp_path / "phone", world.clock)
    enrolled = device.enrol(ticket(env, HOLDER + "-scope", RECOVERY.public_key), PIN)
    foreign = world.device.store.load(world.signing_id).certificates[0]
    with refused("CERTIFICATE_NOT_BOUND"):  # before issuance only enrolment is allowed
        device.sign(
            enrolled.enrolment_id, bytes(32), pin=PIN, platform="alliance", fingerprint=foreign
        )
    nantong = demo.center_account("nantong").address
    der = issue_and_record(
        env, enrolled.enrolment_id, enrolled.public, "signing", scope=Scope.REGIONAL, center=nantong
    )
    device.add_certificate(enrolled.enrolment_id, der)
    with refused("CERTIFICATE_NOT_RECOGNIZED.*OUT_OF_SCOPE") as scope:
        device.sign(enrolled.enrolment_id, bytes(32), pin=PIN, platform="jiaxing-ggzy")
    assert scope.value.problem["reasons"] == ["OUT_OF_SCOPE"]
    with refused("CERTIFICATE_NOT_RECOGNIZED.*UNKNOWN_PLATFORM"):
        device.sign(enrolled.enrolment_id, bytes(32), pin=PIN, platform="no-such-platform")
    records = [s for s in device.sessions() if s["result"] == "CERTIFICATE_NOT_RECOGNIZED"]
    assert {s["platform"] for s in records} == {"jiaxing-ggzy", "no-such-platform"}


def test_a_ticket_enrols_once(env: ApiEnv, tmp_path: Path, world: World) -> None:
    once = ticket(env, HOLDER, RECOVERY.public_key)
    world.device.enrol(once, PIN)
    with refused("ENROLMENT_TICKET_REFUSED"):
        world.device.enrol(once, PIN)
    other, _ = tapped_device(env, tmp_path / "other-phone", world.clock)
    with refused("ENROLMENT_TICKET_REFUSED"):
        other.enrol(once[:-2] + "AA", PIN)
    with refused("HOLDER_MISMATCH"):  # a device serves one holder
        world.device.enrol(ticket(env, "account:someone-else", RECOVERY.public_key), PIN)


def test_the_device_never_sends_its_share_nor_anything_of_its_pin(world: World) -> None:
    stored = world.device.store.load(world.signing_id)
    stretched = stretch(PIN, stored.salt, stored.params)
    unwrap = next(
        b64d(r.json()["unwrap_secret"]) for r in world.tap.responses if "unwrap_secret" in r.text
    )
    secrets_of_device: list[bytes] = [stretched, PIN.encode()]
    for enrolment in world.device.store.enrolments():
        shared = enrolment.enrolment_id in (world.signing_id, world.encryption_id)
        if shared:
            key = _open(world, enrolment.enrolment_id, stretched_of(enrolment))
            secrets_of_device.append(encode_scalar(key.secret_share))
    assert len(secrets_of_device) == 4 and unwrap
    assert len(world.tap.requests) > 10
    seen_public = b"".join(
        b64d(json.loads(r.content)["pin_public_key"])
        for r in world.tap.requests
        if b"pin_public_key" in r.content
    )
    assert seen_public  # the scan below does see what the device sends
    for request in world.tap.requests:
        blobs = [request.content, str(request.headers).encode()]
        if request.content:
            for value in json.loads(request.content).values():
                try:
                    blobs.append(b64d(str(value)))
                except Exception:
                    blobs.append(str(value).encode())
        for secret in secrets_of_device:
            assert not any(secret in blob for blob in blobs), request.url


def stretched_of(enrolment: object) -> bytes:
    return stretch(PIN, enrolment.salt, enrolment.params)  # type: ignore[attr-defined]


def _open(world: World, enrolment_id: str, stretched: bytes) -> KeyPackage:
    with Session(world.env.services.engine) as session:
        row = session.get(CosignerEnrolment, enrolment_id)
        assert row is not None
        unwrap = at_rest.open_sealed(
            at_rest.DEV_KEK, at_rest.UNWRAP, enrolment_id, row.epoch, row.sealed_unwrap
        )
    return open_share(
        stretched, unwrap, enrolment_id, world.device.store.load(enrolment_id).sealed_share
    )


def test_the_co_signer_database_reveals_no_share(world: World) -> None:
    engine = world.env.services.engine
    with Session(engine) as session:
        rows = session.exec(select(CosignerEnrolment)).all()
    secrets_at_rest = []
    for row in rows:
        share = at_rest.open_sealed(
            at_rest.DEV_KEK, at_rest.SHARE, row.enrolment_id, row.epoch, row.sealed_share
        )
        secrets_at_rest.append(encode_scalar(KeyPackage.from_bytes(share).secret_share))
        secrets_at_rest.append(
            at_rest.open_sealed(
                at_rest.DEV_KEK, at_rest.UNWRAP, row.enrolment_id, row.epoch, row.sealed_unwrap
            )
        )
    device_shares = [
        encode_scalar(_open(world, e, stretched_of(world.device.store.load(e))).secret_share)
        for e in (world.signing_id, world.encryption_id)
    ]
    path = Path(str(engine.url.database))
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert len(secrets_at_rest) >= 4
    assert all(row.sealed_share in stored for row in rows)  # the scan sees what is stored
    for secret in [*secrets_at_rest, *device_shares]:
        assert secret not in stored
    # A sealed share moved to another enrolment's row does not open there.
    with pytest.raises(at_rest.AtRestError):
        at_rest.open_sealed(
            at_rest.DEV_KEK,
            at_rest.SHARE,
            rows[1].enrolment_id,
            rows[0].epoch,
            rows[0].sealed_share,
        )


def test_every_operation_is_recorded(world: World) -> None:
    message = b"login challenge 7f3a"
    world.device.sign(world.signing_id, message, pin=PIN, platform="jiaxing-ggzy", action="login")
    with Session(world.env.services.engine) as session:
        rows = session.exec(
            select(CosignerOperation)
            .where(col(CosignerOperation.enrolment_id) == world.signing_id)
            .order_by(col(CosignerOperation.id))
        ).all()
    last = rows[-1]
    assert (last.operation, last.result, last.action) == ("sign", "ok", "login")
    assert last.platform_id == "jiaxing-ggzy" and last.holder == HOLDER
    assert last.digest == hashlib.sha256(message).digest()
    assert last.fingerprint == hashlib.sha256(world.signing_der).digest()
    assert last.device_id == world.device.device_id and last.at == world.clock.now
    assert {"enrol_start", "enrol", "bind_certificate", "sign_commit", "sign"} <= {
        r.operation for r in rows
    }
    sessions = world.device.sessions(limit=5)
    assert sessions[0]["operation"] == "sign" and sessions[0]["digest"] == last.digest.hex()


def test_change_pin_reseals_and_rotates_the_proof(
    env: ApiEnv, tmp_path: Path, world: World
) -> None:
    device, _ = tapped_device(env, tmp_path / "phone", world.clock)
    enrolled = device.enrol(ticket(env, HOLDER + "-pin", RECOVERY.public_key), PIN)
    device.add_certificate(
        enrolled.enrolment_id,
        issue_and_record(env, enrolled.enrolment_id, enrolled.public, "signing"),
    )
    device.change_pin(enrolled.enrolment_id, PIN, "135791")
    with refused("PIN_PROOF_FAILED"):
        device.sign(enrolled.enrolment_id, bytes(32), pin=PIN, platform="alliance")
    signature = device.sign(enrolled.enrolment_id, bytes(32), pin="135791", platform="alliance")
    Ed25519PublicKey.from_public_bytes(bytes(enrolled.public.group_public_key)).verify(
        signature, bytes(32)
    )


def test_a_lost_phone_is_revoked_from_another_device_of_the_holder(
    env: ApiEnv, tmp_path: Path, world: World
) -> None:
    lost, _ = tapped_device(env, tmp_path / "lost", world.clock)
    lost.enrol(ticket(env, HOLDER, RECOVERY.public_key), PIN)
    assert {d["device_id"] for d in world.device.devices()} >= {lost.device_id}
    stranger, _ = tapped_device(env, tmp_path / "stranger", world.clock)
    strangers_key = stranger.enrol(ticket(env, "account:stranger", RECOVERY.public_key), PIN)
    with refused("UNKNOWN_DEVICE"):  # only the holder's own devices
        stranger.revoke_device(lost.device_id, enrolment_id=strangers_key.enrolment_id, pin=PIN)
    with refused("PIN_PROOF_FAILED"):  # the phone alone (without the PIN) revokes nothing
        world.device.revoke_device(lost.device_id, enrolment_id=world.signing_id, pin="000000")
    revoked = world.device.revoke_device(lost.device_id, enrolment_id=world.signing_id, pin=PIN)
    assert revoked["revoked_at"] == world.clock.now
    with refused("DEVICE_AUTH_FAILED"):
        lost.enrolments()


def test_listings_show_several_certificates_on_one_device(world: World) -> None:
    device = next(d for d in world.device.devices() if d["device_id"] == world.device.device_id)
    assert device["revoked_at"] is None
    keys = {e["enrolment_id"]: e for e in world.device.enrolments()}
    assert keys[world.signing_id]["fingerprints"] == [hashlib.sha256(world.signing_der).hexdigest()]
    assert keys[world.encryption_id]["purpose"] == "encryption"
    assert keys[world.encryption_id]["fingerprints"] == [
        hashlib.sha256(world.encryption_der).hexdigest()
    ]


def test_completed_operations_are_traced_in_the_operation_log(world: World) -> None:
    """Signing (a login challenge, a document) and decrypting with the co-signer append to
    the node's hash-chained operation log (操作追溯) in the same transaction; refusals and
    round one do not."""
    fingerprint = hashlib.sha256(world.signing_der).digest().hex()
    with world.env.services.engine.connect() as conn:
        before = len(OperationLog.rows(conn))
    world.device.sign(world.signing_id, b"challenge", pin=PIN, platform="alliance", action="login")
    world.device.sign(world.signing_id, b"contract", pin=PIN, platform="alliance", action="seal")
    with refused("PIN_PROOF_FAILED"):
        world.device.sign(world.signing_id, b"refused", pin="000000", platform="alliance")
    with world.env.services.engine.connect() as conn:
        rows = OperationLog.rows(conn)[before:]
        verify_operation_log(OperationLog.rows(conn), [])  # the chain holds
    assert [(r.record.operation, r.record.subject, r.record.platform) for r in rows] == [
        (Operation.LOGIN, fingerprint, "alliance"),
        (Operation.SEAL, fingerprint, "alliance"),
    ]
    assert rows[1].record.digest == hashlib.sha256(b"contract").digest()
    assert rows[0].record.actor == HOLDER
