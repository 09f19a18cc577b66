"""Recovery of a split-key certificate on a new phone (证书找回), end to end on the embedded
chain: enrol and bind, sign on the old phone, the recovery application (policy, identity
again, form, CA review with a rejection, payment), the reshare onto the new phone, and what
the old phone's share is worth afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from huren import cli_device_recovery
from huren.cli import app as cli_app
from huren.device import pin as pins
from huren.device.errors import CosignerRefused
from huren.device.recovery import recover
from huren.node.audit.oplog import Operation
from huren.node.cosigner import at_rest
from huren.node.db.audit_tables import OperationLogEntry
from huren.node.db.cosigner_tables import CosignerEnrolment, CosignerOperation
from huren.node.keysplit.decrypt import x25519_public_key
from huren.node.keysplit.errors import EpochMismatch, InvalidShare, InvalidSignatureShare
from huren.node.keysplit.frost import aggregate
from huren.node.keysplit.group import encode_scalar
from huren.node.keysplit.keys import KeyPackage
from huren.node.keysplit.signer import Coordinator, SignerParty
from tests.api.applications.conftest import AppApi, Keys, png_bytes, problem
from tests.api.applications.recovery_support import (
    NEW_PIN,
    PIN,
    SIGN_AT,
    RecoveryWorld,
    approved_and_paid,
    build_world,
    cosigner_key,
)
from tests.api.applications.test_flow import review
from tests.node.keysplit.test_reshare import relabel


@pytest.fixture
def world(api: AppApi, tmp_path: Path) -> RecoveryWorld:
    return build_world(api, tmp_path)


def _key_of(world: RecoveryWorld, enrolment_id: str, pin: str, device_home: Any) -> KeyPackage:
    """A device's share as its owner opens it (the test reads the unwrap secret at rest)."""
    stored = device_home.store.load(enrolment_id)
    with Session(world.api.node.engine) as session:
        row = session.get(CosignerEnrolment, enrolment_id)
        assert row is not None
        unwrap = at_rest.open_sealed(
            at_rest.DEV_KEK, at_rest.UNWRAP, enrolment_id, row.epoch, row.sealed_unwrap
        )
    stretched = pins.stretch(pin, stored.salt, stored.params)
    return pins.open_share(stretched, unwrap, enrolment_id, stored.sealed_share)


def test_recovery_on_a_new_phone(world: RecoveryWorld, tmp_path: Path) -> None:
    api, alice, old = world.api, world.alice, world.old
    signing_key = Ed25519PublicKey.from_public_bytes(
        bytes(old.store.load(world.signing_id).public.group_public_key)
    )
    before = old.sign(world.signing_id, b"bid v1", pin=PIN, platform=SIGN_AT)
    signing_key.verify(before, b"bid v1")
    old_share = _key_of(world, world.signing_id, PIN, old)
    for _ in range(5):  # the thief's guesses lock the key
        with pytest.raises(CosignerRefused):
            old.sign(world.signing_id, b"x", pin="000000", platform=SIGN_AT)
    with pytest.raises(CosignerRefused, match="KEY_LOCKED"):
        old.sign(world.signing_id, b"x", pin=PIN, platform=SIGN_AT)

    policy = api.http.get("/v1/recoveries/policy").json()
    assert policy["sha256"] == hashlib.sha256(policy["text"].encode()).hexdigest()
    candidates = api.http.get("/v1/recoveries/candidates", headers=alice).json()
    assert {(c["fingerprint"], c["purpose"]) for c in candidates} == {
        (world.signing_fp, "signing"),
        (world.encryption_fp, "encryption"),
    }

    # The application: policy, identity again, the form, the CA's review (a rejection first).
    started = api.http.post("/v1/recoveries", json=world.start_body(), headers=alice)
    assert started.status_code == 201, started.text
    recovery = started.json()
    app_id = recovery["application"]["id"]
    assert recovery["application"]["kind"] == "recovery"
    assert recovery["application"]["state"] == "draft"
    assert recovery["policy_version"] == policy["version"]
    assert recovery["identity_method"] == "cfca"
    assert [k["purpose"] for k in recovery["keys"]] == ["signing", "encryption"]
    problem(
        api.http.post("/v1/recoveries", json=world.start_body(), headers=alice),
        409,
        "RECOVERY_IN_PROGRESS",
    )
    problem(
        api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=alice), 409, "RECOVERY_NOT_READY"
    )
    problem(
        api.http.post(f"/v1/applications/{app_id}/submit", headers=alice),
        422,
        "ATTACHMENT_MISSING",
    )
    put = api.http.put(
        f"/v1/applications/{app_id}/attachments/application_form",
        content=png_bytes(),
        headers={**alice, "Content-Type": "image/png"},
    )
    assert put.status_code == 200, put.text
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    queue = api.http.get("/v1/ca/zjca/applications", headers=api.admin()).json()
    assert app_id in [a["id"] for a in queue]
    evidence = api.http.get(f"/v1/ca/zjca/applications/{app_id}/recovery", headers=api.admin())
    assert evidence.status_code == 200, evidence.text
    assert evidence.json()["identity_method"] == "cfca"
    assert evidence.json()["identity_reference"]  # the provider's, from the fresh check
    assert evidence.json()["old_device_id"] == old.device_id
    problem(
        api.http.get(f"/v1/ca/jsca/applications/{app_id}/recovery", headers=api.admin()),
        404,
        "APPLICATION_NOT_FOUND",
    )
    assert review(api, app_id, reject="申领书未盖章").status_code == 200
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "rejected"
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    assert review(api, app_id).status_code == 200
    problem(
        api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=alice), 409, "RECOVERY_NOT_READY"
    )
    paid = api.pay(alice, app_id)
    assert paid["fee_fen"] > 0  # billing prices a recovery (as a new pair, 1 year)
    problem(
        api.http.post(
            f"/v1/applications/{app_id}/download", json=Keys.new().body(app_id), headers=alice
        ),
        409,
        "SPLIT_KEY_RECOVERY",
    )
    issued = api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=alice)
    assert issued.status_code == 201, issued.text
    ticket = issued.json()
    assert ticket["enrolment_ids"] == [world.signing_id, world.encryption_id]

    # The new phone: a bad ticket, the old phone itself, the recovery holder offline.
    new = world.device(tmp_path / "new-phone")
    ids = ticket["enrolment_ids"]
    with pytest.raises(CosignerRefused, match="RECOVERY_TICKET_REFUSED"):
        recover(new, ticket["ticket"][:-4] + "AAAA", ids, NEW_PIN)
    with pytest.raises(CosignerRefused, match="INVALID_COSIGNER_REQUEST"):
        recover(old, ticket["ticket"], ids, NEW_PIN)
    world.agent.offline = True
    with pytest.raises(CosignerRefused, match="RECOVERY_AGENT_UNAVAILABLE"):
        recover(new, ticket["ticket"], ids, NEW_PIN)
    world.agent.offline = False
    world.agent.fail_at = "finish"  # a timeout after the agent dealt: nothing is kept
    with pytest.raises(CosignerRefused, match="RECOVERY_AGENT_UNAVAILABLE"):
        recover(new, ticket["ticket"], ids, NEW_PIN)
    assert cosigner_key(world, world.signing_id).epoch == 0

    recovered = recover(new, ticket["ticket"], ids, NEW_PIN, label="new phone")
    assert [r.enrolment_id for r in recovered] == ids
    assert all(r.public.epoch == 1 for r in recovered)
    assert recovered[0].certificates == [world.signing_fp]

    # The same public key signs; the lock is gone with the old epoch.
    after = new.sign(world.signing_id, b"bid v2", pin=NEW_PIN, platform=SIGN_AT)
    signing_key.verify(after, b"bid v2")
    keys = {k["enrolment_id"]: k for k in new.enrolments()}
    assert keys[world.signing_id]["locked"] is False
    assert keys[world.signing_id]["pin_failures"] == 0
    assert keys[world.signing_id]["epoch"] == 1
    # The encryption key came along: a message to the unchanged certificate key opens.
    x25519 = X25519PublicKey.from_public_bytes(
        x25519_public_key(new.store.load(world.encryption_id).public)
    )
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    sealed = suite.encrypt(b"tender", x25519, info=b"")
    assert new.decrypt(world.encryption_id, sealed, pin=NEW_PIN, platform=SIGN_AT) == b"tender"

    # The old phone is revoked, and its share is useless with the new co-signer share.
    with pytest.raises(CosignerRefused, match="DEVICE_AUTH_FAILED"):
        old.sign(world.signing_id, b"stolen", pin=PIN, platform=SIGN_AT)
    new_cosigner = cosigner_key(world, world.signing_id)
    coordinator = Coordinator(new_cosigner.public)
    with pytest.raises(EpochMismatch):
        coordinator.signing_package(
            b"m", [SignerParty(old_share).commit(), SignerParty(new_cosigner).commit()]
        )
    with pytest.raises(InvalidShare):
        KeyPackage(old_share.identifier, old_share.secret_share, new_cosigner.public)
    signers = [SignerParty(relabel(old_share, new_cosigner.public)), SignerParty(new_cosigner)]
    package = coordinator.signing_package(b"m", [s.commit() for s in signers])
    shares = [s.sign(package) for s in signers]
    with pytest.raises(InvalidSignatureShare):
        coordinator.aggregate(package, shares)
    forged = aggregate(package, shares, new_cosigner.public, verify_shares=False)
    with pytest.raises(InvalidSignature):
        signing_key.verify(forged, b"m")

    # The co-signer never had the new device share; the application is completed.
    new_share = _key_of(world, world.signing_id, NEW_PIN, new)
    assert new_share.secret_share != old_share.secret_share
    secret = encode_scalar(new_share.secret_share)
    db = Path(str(api.node.engine.url.database)).read_bytes()
    assert secret not in db
    done = api.http.get(f"/v1/recoveries/{app_id}", headers=alice).json()
    assert done["application"]["state"] == "downloaded"
    assert done["new_device_id"] == new.device_id
    assert done["completed_at"] is not None
    with pytest.raises(CosignerRefused, match="RECOVERY_TICKET_REFUSED"):
        recover(world.device(tmp_path / "third"), ticket["ticket"], ids, NEW_PIN)
    problem(
        api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=alice), 409, "RECOVERY_NOT_READY"
    )

    # Every step recorded at the co-signer and in the operation log.
    with Session(api.node.engine) as session:
        operations = session.exec(
            select(CosignerOperation.operation, CosignerOperation.result).where(
                col(CosignerOperation.operation).in_(
                    ["recovery_request", "recovery_ticket", "recover", "recovery_reshare"]
                )
                | (col(CosignerOperation.operation) == "revoke_device")
            )
        ).all()
        traced = session.exec(
            select(OperationLogEntry).where(
                col(OperationLogEntry.operation) == Operation.RECOVERY.value
            )
        ).all()
    ok = [op for op, result in operations if result == "ok"]
    assert sorted(ok) == sorted(
        ["recovery_request", "recovery_ticket", "recover", "revoke_device"]
        + ["recovery_reshare"] * 2
    )
    assert ("recover", "RECOVERY_TICKET_REFUSED") in operations
    assert ("recover", "RECOVERY_AGENT_UNAVAILABLE") in operations
    assert len(traced) == 5  # request, ticket, the old device revoked, two reshares
    assert {t.subject for t in traced} >= {world.signing_fp, world.encryption_fp}


def test_recovery_rejected_after_payment_is_refunded_and_gives_no_ticket(
    world: RecoveryWorld,
) -> None:
    api, alice = world.api, world.alice
    app_id = approved_and_paid(world)
    assert review(api, app_id, reject="身份存疑").status_code == 200
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "refunded"
    problem(
        api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=alice), 409, "RECOVERY_NOT_READY"
    )
    # A new recovery may start: the refunded one is no longer in progress.
    again = api.http.post("/v1/recoveries", json=world.start_body(), headers=alice)
    assert again.status_code == 201, again.text


def test_a_second_recovery_reshares_from_the_resealed_recovery_share(
    world: RecoveryWorld, tmp_path: Path
) -> None:
    """After one reshare the recovery holder's share is the resealed KeyPackage, not the
    envelope: a second lost phone is recovered from it (epoch 2)."""
    api = world.api
    app_id = approved_and_paid(world)
    ticket = api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=world.alice).json()
    first = world.device(tmp_path / "second-phone")
    recover(first, ticket["ticket"], ticket["enrolment_ids"], NEW_PIN)
    app_id = approved_and_paid(world)
    ticket = api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=world.alice).json()
    second = world.device(tmp_path / "third-phone")
    recovered = recover(second, ticket["ticket"], ticket["enrolment_ids"], PIN)
    assert [r.public.epoch for r in recovered] == [2, 2]
    signature = second.sign(world.signing_id, b"bid v3", pin=PIN, platform=SIGN_AT)
    Ed25519PublicKey.from_public_bytes(bytes(recovered[0].public.group_public_key)).verify(
        signature, b"bid v3"
    )
    with pytest.raises(CosignerRefused, match="DEVICE_AUTH_FAILED"):
        first.sign(world.signing_id, b"x", pin=NEW_PIN, platform=SIGN_AT)


def test_huren_device_recover_on_a_new_device_home(
    world: RecoveryWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = world.api
    app_id = approved_and_paid(world)
    ticket = api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=world.alice).json()
    home = tmp_path / "cli-phone"
    monkeypatch.setattr(cli_device_recovery, "_device", lambda h, server: world.device(h))
    enrolments = [arg for e in ticket["enrolment_ids"] for arg in ("--enrolment", e)]
    args = ["device", "recover", "--ticket", ticket["ticket"], *enrolments, "--home", str(home)]
    result = CliRunner().invoke(cli_app, args, env={"HUREN_DEVICE_PIN": NEW_PIN})
    assert result.exit_code == 0, result.output
    assert f"enrolment {world.signing_id} (signing) recovered at epoch 1" in result.output
    assert world.signing_fp in result.output
    new = world.device(home)
    signature = new.sign(world.signing_id, b"from the cli", pin=NEW_PIN, platform=SIGN_AT)
    public = new.store.load(world.signing_id).public
    Ed25519PublicKey.from_public_bytes(bytes(public.group_public_key)).verify(
        signature, b"from the cli"
    )
    again = CliRunner().invoke(cli_app, args, env={"HUREN_DEVICE_PIN": NEW_PIN})
    assert again.exit_code == 1
    assert "RECOVERY_TICKET_REFUSED" in again.output


def test_recovery_on_sqlite_and_postgresql(api_any_db: AppApi, tmp_path: Path) -> None:
    """The reshare's one transaction (row locks, the operation log's sequence, the
    application's moves) on both databases."""
    world = build_world(api_any_db, tmp_path)
    app_id = approved_and_paid(world)
    ticket = api_any_db.http.post(f"/v1/recoveries/{app_id}/ticket", headers=world.alice).json()
    new = world.device(tmp_path / "new-phone")
    recovered = recover(new, ticket["ticket"], ticket["enrolment_ids"], NEW_PIN)
    assert [r.public.epoch for r in recovered] == [1, 1]
    signature = new.sign(world.signing_id, b"bid", pin=NEW_PIN, platform=SIGN_AT)
    Ed25519PublicKey.from_public_bytes(bytes(recovered[0].public.group_public_key)).verify(
        signature, b"bid"
    )
    with pytest.raises(CosignerRefused, match="DEVICE_AUTH_FAILED"):
        world.old.sign(world.signing_id, b"bid", pin=PIN, platform=SIGN_AT)
    done = api_any_db.http.get(f"/v1/recoveries/{app_id}", headers=world.alice).json()
    assert done["application"]["state"] == "downloaded"
