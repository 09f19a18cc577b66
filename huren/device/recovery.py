"""Recovering split keys on a new device (证书找回): redeem the recovery ticket the holder's
account received once the recovery was approved (and paid), and finish the reshare as its
receiving participant.

The device makes a transport key (X25519) for this one call and forgets it afterwards: the
co-signer and the recovery holder seal their evaluations for the device to it, so the
co-signer relays the recovery holder's piece without being able to read it. The device
checks the parameters (huren's 2-of-3, co-signer and recovery dealing, its pieces sealed to
its transport key, the next epoch of the same group key), verifies every dealer's
commitment and piece, and seals the new share under the new PIN. The certificates stay the
same; their fingerprints come back with the answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from huren.device import pin as pins
from huren.device.errors import ProtocolViolation
from huren.device.sdk import API, Device
from huren.device.store import StoredEnrolment
from huren.node.cosigner.wire import b64d, b64e
from huren.node.keysplit.dkg import DkgCommitment, DkgParameters, DkgParticipant, SealedDkgShare
from huren.node.keysplit.errors import KeysplitError
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY
from huren.node.keysplit.sealing import RecoveryKey

__all__ = ["recover"]


def recover(
    device: Device,
    ticket: str,
    enrolment_ids: Sequence[str],
    pin: str,
    *,
    label: str = "",
    expected_group_keys: dict[str, bytes] | None = None,
) -> list[StoredEnrolment]:
    """Take over the keys ``enrolment_ids`` of an approved recovery onto this device, with a
    new ``pin``. ``expected_group_keys`` (enrolment id → group key, e.g. from the
    certificate) is checked when given."""
    pins.check_pin(pin)
    transport = RecoveryKey.generate()
    stretched: dict[str, tuple[bytes, bytes]] = {}
    for enrolment_id in enrolment_ids:
        salt = pins.new_salt()
        stretched[enrolment_id] = (salt, pins.stretch(pin, salt, device.pin_params))
    answer = device.client.call(
        "POST",
        f"{API}/recoveries",
        {
            "ticket": ticket,
            "device_public_key": b64e(device.client.device_public_key),
            "transport_public_key": b64e(transport.public_key),
            "pin_keys": [
                {
                    "enrolment_id": enrolment_id,
                    "pin_public_key": b64e(bytes(pins.pin_key(s).verify_key)),
                }
                for enrolment_id, (_, s) in stretched.items()
            ],
            "device_label": label,
        },
    )
    out = []
    for key_answer in answer["keys"]:
        enrolment_id = str(key_answer["enrolment_id"])
        if enrolment_id not in stretched:
            raise ProtocolViolation("the co-signer reshared a key that was not asked for")
        params = DkgParameters.from_bytes(b64d(key_answer["parameters"]))
        _check_parameters(params, transport.public_key)
        expected = (expected_group_keys or {}).get(enrolment_id)
        assert params.previous is not None
        if expected is not None and bytes(params.previous.group_public_key) != expected:
            raise ProtocolViolation("the reshare is of another key than the certificate's")
        try:
            participant = DkgParticipant(params, DEVICE, recovery_key=transport)
            public = participant.receive_commitments(
                [DkgCommitment.from_bytes(b64d(c)) for c in key_answer["commitments"]]
            )
            key = participant.finish(
                [SealedDkgShare.from_bytes(b64d(s)) for s in key_answer["sealed_shares"]]
            )
        except KeysplitError as error:
            raise ProtocolViolation(f"the reshare does not check: {error}") from error
        if public.to_bytes() != b64d(key_answer["public_key_package"]):
            raise ProtocolViolation("the co-signer reports another public key package")
        salt, s = stretched[enrolment_id]
        unwrap = b64d(key_answer["unwrap_secret"], size=32)
        stored = StoredEnrolment(
            enrolment_id=enrolment_id,
            purpose=str(key_answer["purpose"]),
            public_package=public.to_bytes(),
            salt=salt,
            params=device.pin_params,
            sealed_share=pins.seal_share(s, unwrap, enrolment_id, key),
            certificates=[str(f) for f in key_answer["fingerprints"]],
        )
        device.store.save(stored)
        out.append(stored)
    if {s.enrolment_id for s in out} != set(stretched):
        raise ProtocolViolation("the co-signer did not reshare every key asked for")
    return out


def _check_parameters(params: DkgParameters, transport_public_key: bytes) -> None:
    """A reshare of huren's 2-of-3: co-signer and recovery deal, this device's pieces sealed
    to its transport key, the epoch after the old one."""
    sealed = dict(params.sealed_recipients)
    if (
        params.threshold != 2
        or params.participants != (DEVICE, COSIGNER, RECOVERY)
        or params.dealers != (COSIGNER, RECOVERY)
        or set(sealed) != {DEVICE, RECOVERY}
        or sealed[DEVICE] != transport_public_key
        or params.previous is None
    ):
        raise ProtocolViolation("the co-signer proposes other reshare parameters")
