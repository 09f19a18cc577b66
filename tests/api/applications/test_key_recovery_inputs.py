"""Bad input to split-key recovery: starting one (policy, identity again at a provider,
certificates not the caller's) and redeeming its ticket on a device; each a 4xx with its
code, and nothing started or changed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from huren.device import pin as pins
from huren.device.errors import CosignerRefused
from huren.device.recovery import recover
from huren.node.cosigner.wire import b64e
from huren.node.keysplit.sealing import RecoveryKey
from huren.node.ports import PortRefused
from tests.api.applications.conftest import BOB, AppApi, problem
from tests.api.applications.recovery_support import (
    NEW_PIN,
    PIN,
    RecoveryWorld,
    approved_and_paid,
    build_world,
    cosigner_key,
)


@pytest.fixture
def world(api: AppApi, tmp_path: Path) -> RecoveryWorld:
    return build_world(api, tmp_path)


def test_recovery_refusals(world: RecoveryWorld, api: AppApi) -> None:
    alice = world.alice
    url = "/v1/recoveries"
    problem(
        api.http.post(url, json=world.start_body(policy_acknowledged=False), headers=alice),
        422,
        "RECOVERY_POLICY_NOT_ACKNOWLEDGED",
    )
    problem(
        api.http.post(url, json=world.start_body(policy_version="2020-1"), headers=alice),
        409,
        "RECOVERY_POLICY_OUTDATED",
    )
    wrong = {"method": "cfca", "name": BOB[1], "id_number": BOB[2]}
    problem(
        api.http.post(url, json=world.start_body(identity=wrong), headers=alice),
        403,
        "IDENTITY_MISMATCH",
    )
    problem(
        api.http.post(url, json=world.start_body(fingerprint="ab" * 32), headers=alice),
        404,
        "RECOVERABLE_CERTIFICATE_NOT_FOUND",
    )
    swapped = world.start_body(
        fingerprint=world.encryption_fp, encryption_fingerprint=world.signing_fp
    )
    problem(
        api.http.post(url, json=swapped, headers=alice), 404, "RECOVERABLE_CERTIFICATE_NOT_FOUND"
    )
    bank = {"method": "bank_card", "name": "张三", "id_number": "11010519491231002X"}
    problem(
        api.http.post(url, json=world.start_body(identity=bank), headers=alice),
        422,
        "INVALID_APPLICATION",
    )
    # A fresh verification, not the stored flag: the provider refusing now refuses.
    identity = api.node.account_services.identity
    ports = identity.ports

    class Refusing:
        def verify(self, name: str, id_number: str) -> str:
            raise PortRefused("cfca", "id_revoked", "the ID card was reported lost")

    identity.ports = dataclasses.replace(ports, cfca=Refusing())
    try:
        problem(
            api.http.post(url, json=world.start_body(), headers=alice), 422, "IDENTITY_REJECTED"
        )
    finally:
        identity.ports = ports
    # Someone else's certificate is not theirs to recover.
    bob = api.person(BOB)
    bob_body = world.start_body(identity={"method": "cfca", "name": BOB[1], "id_number": BOB[2]})
    problem(
        api.http.post(url, json=bob_body, headers=bob), 404, "RECOVERABLE_CERTIFICATE_NOT_FOUND"
    )
    problem(api.http.get(f"{url}/0123456789abcdef", headers=alice), 404, "APPLICATION_NOT_FOUND")
    problem(api.http.post(url, json={"fingerprint": "zz"}, headers=alice), 422, "VALIDATION_FAILED")
    assert api.http.post(url, json=world.start_body()).status_code == 401
    # Nothing was started by any refusal.
    assert api.http.get("/v1/applications?state=all", headers=alice).json() == []


def test_bad_reshare_requests_are_4xx_with_codes_and_change_nothing(
    world: RecoveryWorld, tmp_path: Path
) -> None:
    api = world.api
    app_id = approved_and_paid(world)
    ticket = api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=world.alice).json()
    new = world.device(tmp_path / "new-phone")
    pin_key = b64e(bytes(pins.pin_key(b"\x01" * 32).verify_key))

    def body(**changes: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "ticket": ticket["ticket"],
            "device_public_key": b64e(new.client.device_public_key),
            "transport_public_key": b64e(RecoveryKey.generate().public_key),
            "pin_keys": [
                {"enrolment_id": e, "pin_public_key": pin_key} for e in ticket["enrolment_ids"]
            ],
        }
        values.update(changes)
        return values

    one_key = [{"enrolment_id": ticket["enrolment_ids"][0], "pin_public_key": pin_key}]
    twice = [one_key[0], one_key[0]]
    cases: list[tuple[dict[str, Any], int, str]] = [
        (body(transport_public_key=b64e(b"\x09" * 31)), 422, "INVALID_COSIGNER_REQUEST"),
        (body(transport_public_key="not base64!"), 422, "INVALID_COSIGNER_REQUEST"),
        (body(pin_keys=one_key), 422, "INVALID_COSIGNER_REQUEST"),
        (body(pin_keys=twice), 422, "INVALID_COSIGNER_REQUEST"),
        (body(ticket="hrt_nonsense"), 403, "RECOVERY_TICKET_REFUSED"),
        (body(device_public_key=b64e(b"\x02" * 32)), 422, "INVALID_COSIGNER_REQUEST"),
        (body(device_public_key=b64e(_other_device_key())), 401, "DEVICE_AUTH_FAILED"),
        (body(extra=1), 422, "VALIDATION_FAILED"),
        (body(pin_keys=[]), 422, "VALIDATION_FAILED"),
    ]
    for sent, status, code in cases:
        with pytest.raises(CosignerRefused) as refused:
            new.client.call("POST", "/v1/cosigner/recoveries", sent)
        assert (refused.value.status, refused.value.code) == (status, code), sent
    # Another holder's device cannot redeem the ticket.
    bob = api.person(BOB)
    bob_id = str(api.http.get("/v1/account", headers=bob).json()["id"])
    other = world.device(tmp_path / "bobs-phone")
    other.enrol(_enrolment_ticket(api, f"account:{bob_id}"), PIN)
    with pytest.raises(CosignerRefused, match="HOLDER_MISMATCH"):
        recover(other, ticket["ticket"], ticket["enrolment_ids"], NEW_PIN)
    assert cosigner_key(world, world.signing_id).epoch == 0
    recovered = recover(new, ticket["ticket"], ticket["enrolment_ids"], NEW_PIN)
    assert [r.public.epoch for r in recovered] == [1, 1]


def _enrolment_ticket(api: AppApi, holder: str) -> str:
    response = api.http.post(
        "/v1/cosigner/tickets",
        json={"holder": holder, "recovery_public_key": b64e(RecoveryKey.generate().public_key)},
        headers=api.admin(),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["ticket"])


def _other_device_key() -> bytes:
    """A valid Ed25519 public key that is not the calling device's."""
    return Ed25519PrivateKey.generate().public_key().public_bytes_raw()
