"""The co-signer's rounds refuse what does not follow them: round two only for what round
one named, once, and in time; enrolment messages that do not parse, or come too late."""

from __future__ import annotations

from pathlib import Path

from nacl.signing import SigningKey

from huren.device.pin import open_share, pin_key, stretch
from huren.node.cosigner.wire import b64d, b64e
from huren.node.keysplit.frost import SigningCommitment, SigningPackage
from huren.node.keysplit.keys import KeyPackage
from huren.node.keysplit.signer import Coordinator, SignerParty
from tests.api.conftest import ApiEnv
from tests.api.cosigner.conftest import World
from tests.api.cosigner.support import (
    HOLDER,
    PIN,
    RECOVERY,
    refused,
    tapped_device,
    ticket,
)


def test_round_two_signs_only_what_round_one_named_and_only_once(world: World) -> None:
    device, enrolment_id = world.device, world.signing_id
    stored = device.store.load(enrolment_id)
    stretched = stretch(PIN, stored.salt, stored.params)
    fingerprint = stored.certificates[0]

    def round_one(message: bytes) -> tuple[str, SigningPackage, KeyPackage]:
        started = device.client.call(
            "POST",
            "/v1/cosigner/signings",
            {
                "enrolment_id": enrolment_id,
                "fingerprint": fingerprint,
                "platform": "alliance",
                "action": "sign",
                "message": b64e(message),
            },
            pin_key=pin_key(stretched),
        )
        key = open_share(
            stretched, b64d(started["unwrap_secret"]), enrolment_id, stored.sealed_share
        )
        theirs = SigningCommitment.from_bytes(b64d(started["commitment"]))
        package = Coordinator(key.public).signing_package(
            message, [SignerParty(key).commit(), theirs]
        )
        return started["signing_id"], package, key

    def round_two(signing_id: str, package: SigningPackage) -> object:
        return device.client.call(
            "POST",
            f"/v1/cosigner/signings/{signing_id}/share",
            {"package": b64e(package.to_bytes())},
        )

    signing_id, package, _ = round_one(b"pay 100")
    other = SigningPackage(package.epoch, b"pay 100000", package.commitments)
    with refused("INVALID_COSIGNER_REQUEST"):
        round_two(signing_id, other)
    with refused("UNKNOWN_SIGNING"):  # a refused round two used the signing up
        round_two(signing_id, package)

    signing_id, package, _ = round_one(b"pay 100")
    round_two(signing_id, package)
    with refused("UNKNOWN_SIGNING"):
        round_two(signing_id, package)

    signing_id, package, _ = round_one(b"pay 100")
    world.clock.now += 300  # round two after the signing expired
    try:
        with refused("UNKNOWN_SIGNING"):
            round_two(signing_id, package)
    finally:
        world.clock.now -= 300

    signing_id, package, _ = round_one(b"pay 100")
    real = device.client.device_key
    device.client.device_key = SigningKey.generate()  # someone else, naming this device
    try:
        with refused("DEVICE_AUTH_FAILED"):
            round_two(signing_id, package)
    finally:
        device.client.device_key = real
    round_two(signing_id, package)  # the forgery did not use the signing up


def test_enrolment_rounds_refuse_garbage_and_expire(
    env: ApiEnv, tmp_path: Path, world: World
) -> None:
    device, _ = tapped_device(env, tmp_path / "phone", world.clock)
    issued = ticket(env, HOLDER + "-rounds", RECOVERY.public_key)
    body = {"ticket": issued, "device_public_key": b64e(device.client.device_public_key)}

    def start() -> str:
        return str(device.client.call("POST", "/v1/cosigner/enrolments", body)["enrolment_id"])

    def finish(enrolment_id: str) -> object:
        junk = b64e(b"\x01\x07" + bytes(40))
        return device.client.call(
            "POST",
            f"/v1/cosigner/enrolments/{enrolment_id}/finish",
            {
                "commitment": junk,
                "secret_share": junk,
                "sealed_share": junk,
                "pin_public_key": b64e(device.client.device_public_key),
            },
        )

    with refused("MALFORMED_MESSAGE"):  # keysplit's refusal, mapped to problem JSON
        finish(start())
    enrolment_id = start()
    world.clock.now += 601
    try:
        with refused("ENROLMENT_STATE"):
            finish(enrolment_id)
    finally:
        world.clock.now -= 601
    device.enrol(issued, PIN)  # the ticket is still good: nothing finished with it
