"""The world of the split-key recovery tests: an application node (``AppApi``) with a
co-signer and a simulated recovery holder installed, an account whose identity is verified,
and its old phone holding a signing and an encryption key whose certificates are bound at
the co-signer and recorded on the embedded chain by zjca."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from huren.device.pin import TEST_PARAMS
from huren.device.sdk import Device
from huren.node import demo
from huren.node.cosigner import at_rest
from huren.node.cosigner.recovery_agent import RecoveryAuthorizer, SimulatedRecoveryAgent
from huren.node.cosigner.service import CosignerService
from huren.node.cosigner.wire import b64e
from huren.node.db.cosigner_tables import CosignerEnrolment
from huren.node.keysplit.keys import KeyPackage
from huren.node.keysplit.sealing import RecoveryKey
from huren.registry.client import RegistryClient
from huren.registry.types import KeyUsage
from tests.api.applications.conftest import ALICE, AppApi, png_bytes
from tests.api.applications.test_flow import review
from tests.api.conftest import cert_input
from tests.api.cosigner.support import certificate_for

PIN = "246810"
NEW_PIN = "135790"
RECOVERY = RecoveryKey.generate()
PLATFORM = "jiaxing-ggzy"  # the application's platform
SIGN_AT = "alliance"  # where the certificate is used (alliance scope)


@dataclass
class RecoveryWorld:
    api: AppApi
    cosigner: CosignerService
    agent: SimulatedRecoveryAgent
    alice: dict[str, str]
    account_id: str
    old: Device
    signing_id: str
    encryption_id: str
    signing_der: bytes
    encryption_der: bytes

    @property
    def signing_fp(self) -> str:
        return hashlib.sha256(self.signing_der).hexdigest()

    @property
    def encryption_fp(self) -> str:
        return hashlib.sha256(self.encryption_der).hexdigest()

    def device(self, home: Path) -> Device:
        http = httpx.Client(transport=self.api.http._transport, base_url="http://testserver")
        return Device(home, http, pin_params=TEST_PARAMS, clock=self.api.clock)

    def start_body(self, **changes: Any) -> dict[str, Any]:
        policy = self.api.http.get("/v1/recoveries/policy").json()
        body: dict[str, Any] = {
            "fingerprint": self.signing_fp,
            "encryption_fingerprint": self.encryption_fp,
            "platform_id": PLATFORM,
            "policy_version": policy["version"],
            "policy_acknowledged": True,
            "identity": {"method": "cfca", "name": ALICE[1], "id_number": ALICE[2]},
        }
        body.update(changes)
        return body


def _ticket(api: AppApi, holder: str) -> str:
    response = api.http.post(
        "/v1/cosigner/tickets",
        json={"holder": holder, "recovery_public_key": b64e(RECOVERY.public_key)},
        headers=api.admin(),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["ticket"])


def _bind_and_record(api: AppApi, enrolment_id: str, der: bytes, usage: KeyUsage) -> None:
    bound = api.http.post(
        f"/v1/cosigner/enrolments/{enrolment_id}/certificates",
        json={"certificate": b64e(der)},
        headers=api.admin(),
    )
    assert bound.status_code == 201, bound.text
    zjca = RegistryClient(
        api.node.backend, api.node.client.deployment, demo.ca_operator_account("zjca")
    )
    fingerprint = hashlib.sha256(der).digest()
    zjca.record_certificates(
        "zjca", demo.issuer_key_id("zjca"), [cert_input(fingerprint, usage=usage)]
    )
    api.index()


def build_world(api: AppApi, tmp: Path) -> RecoveryWorld:
    app = api.http.app
    cosigner = CosignerService(
        api.node.engine,
        at_rest.DEV_KEK,
        clock=lambda: int(api.clock()),
        index_cache=app.state.index_cache,  # type: ignore[attr-defined]
    )
    app.state.cosigner = cosigner  # type: ignore[attr-defined]
    agent = SimulatedRecoveryAgent(
        authorizer=RecoveryAuthorizer(at_rest.DEV_KEK).public_key, keys=[RECOVERY]
    )
    app.state.recovery_agent = agent  # type: ignore[attr-defined]
    alice = api.person(ALICE)
    account_id = str(api.http.get("/v1/account", headers=alice).json()["id"])
    holder = f"account:{account_id}"
    http = httpx.Client(transport=api.http._transport, base_url="http://testserver")
    old = Device(tmp / "old-phone", http, pin_params=TEST_PARAMS, clock=api.clock)
    signing = old.enrol(_ticket(api, holder), PIN, recovery_public_key=RECOVERY.public_key)
    encryption = old.enrol(_ticket(api, holder), PIN, purpose="encryption")
    signing_der = certificate_for(signing.public, "signing", "alice signing")
    encryption_der = certificate_for(encryption.public, "encryption", "alice encryption")
    _bind_and_record(api, signing.enrolment_id, signing_der, KeyUsage.SIGNING)
    _bind_and_record(api, encryption.enrolment_id, encryption_der, KeyUsage.ENCRYPTION)
    old.add_certificate(signing.enrolment_id, signing_der)
    old.add_certificate(encryption.enrolment_id, encryption_der)
    return RecoveryWorld(
        api,
        cosigner,
        agent,
        alice,
        account_id,
        old,
        signing.enrolment_id,
        encryption.enrolment_id,
        signing_der,
        encryption_der,
    )


def approved_and_paid(world: RecoveryWorld) -> str:
    api, alice = world.api, world.alice
    started = api.http.post("/v1/recoveries", json=world.start_body(), headers=alice)
    assert started.status_code == 201, started.text
    app_id = str(started.json()["application"]["id"])
    put = api.http.put(
        f"/v1/applications/{app_id}/attachments/application_form",
        content=png_bytes(),
        headers={**alice, "Content-Type": "image/png"},
    )
    assert put.status_code == 200, put.text
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    assert review(api, app_id).status_code == 200
    api.pay(alice, app_id)
    return app_id


def cosigner_key(world: RecoveryWorld, enrolment_id: str) -> KeyPackage:
    with Session(world.api.node.engine) as session:
        row = session.get(CosignerEnrolment, enrolment_id)
        assert row is not None
        return world.cosigner._key(row)
