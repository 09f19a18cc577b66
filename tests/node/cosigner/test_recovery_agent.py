"""The simulated recovery holder behaves as the real one must: it deals only for a reshare
the node authorized (signed, naming this session, key and epoch), once per session, only
with a recovery key it holds, and it can be offline or time out. With a good authorization
the co-signer and it reshare to the same group key at the next epoch (keysplit's own
protocol; docs/cosigner.md, *Recovery*)."""

from __future__ import annotations

import os

import pytest

from huren.node.cosigner import at_rest
from huren.node.cosigner.recovery_agent import (
    RecoveryAgentRefused,
    RecoveryAgentUnavailable,
    RecoveryAuthorization,
    RecoveryAuthorizer,
    RecoveryMaterial,
    SimulatedRecoveryAgent,
)
from huren.node.cosigner.reshare import device_reshare_parameters
from huren.node.keysplit.dkg import (
    DkgCommitment,
    DkgParameters,
    DkgParticipant,
    DkgSecretShare,
    SealedDkgShare,
)
from huren.node.keysplit.errors import KeysplitError
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY
from huren.node.keysplit.sealing import RecoveryKey, open_key_package
from huren.node.keysplit.signer import Coordinator, SignerParty
from tests.node.keysplit.protocol import Enrolment, enrol

AUTHORIZER = RecoveryAuthorizer(at_rest.DEV_KEK)
RECOVERY_KEY = RecoveryKey.generate()


@pytest.fixture(scope="module")
def enrolled() -> Enrolment:
    return enrol(RECOVERY_KEY)


def _setup(
    enrolled: Enrolment, *, key: RecoveryKey = RECOVERY_KEY
) -> tuple[SimulatedRecoveryAgent, RecoveryKey, bytes, RecoveryAuthorization, RecoveryMaterial]:
    agent = SimulatedRecoveryAgent(authorizer=AUTHORIZER.public_key, keys=[RECOVERY_KEY])
    transport = RecoveryKey.generate()
    params = device_reshare_parameters(
        os.urandom(16), enrolled.cosigner.public, key.public_key, transport.public_key
    )
    unsigned = RecoveryAuthorization(
        "0123456789abcdef", "e" * 32, bytes(enrolled.cosigner.group_public_key), 0, params.digest
    )
    material = RecoveryMaterial(0, envelope=enrolled.envelope.to_bytes())
    return agent, transport, params.to_bytes(), unsigned, material


def test_the_agent_reshares_an_authorized_session_once(enrolled: Enrolment) -> None:
    agent, transport, raw, unsigned, material = _setup(enrolled)
    params = DkgParameters.from_bytes(raw)
    authorization = AUTHORIZER.authorize(unsigned)
    cosigner = DkgParticipant(params, COSIGNER, previous_share=enrolled.cosigner)
    commitments = [
        cosigner.round1(),
        DkgCommitment.from_bytes(agent.commit(authorization, raw, material)),
    ]
    with pytest.raises(RecoveryAgentRefused, match="used already"):
        agent.commit(authorization, raw, material)
    cosigner.receive_commitments(commitments)
    from_agent = list(agent.deal(params.digest, [c.to_bytes() for c in commitments]))
    ours = cosigner.round2()
    new_cosigner = cosigner.finish(
        [m for m in (_parse(b) for b in from_agent) if m.receiver == COSIGNER]
    )
    sealed = agent.finish(params.digest, [m.to_bytes() for m in ours if m.receiver == RECOVERY])
    new_recovery = open_key_package(
        sealed, RECOVERY_KEY, bytes(enrolled.cosigner.group_public_key), RECOVERY, 1
    )
    device = DkgParticipant(params, DEVICE, recovery_key=transport)
    device.receive_commitments(commitments)
    for_device = [m for m in (*ours, *(_parse(b) for b in from_agent)) if m.receiver == DEVICE]
    assert all(isinstance(m, SealedDkgShare) for m in for_device)
    new_device = device.finish(for_device)
    assert new_device.group_public_key == enrolled.cosigner.group_public_key
    for pair in ((new_device, new_cosigner), (new_device, new_recovery)):
        signers = [SignerParty(k) for k in pair]
        coordinator = Coordinator(new_cosigner.public)
        package = coordinator.signing_package(b"m", [s.commit() for s in signers])
        coordinator.aggregate(package, [s.sign(package) for s in signers])  # verifies
    with pytest.raises(RecoveryAgentRefused, match="no reshare session"):
        agent.finish(params.digest, [])


def test_the_agent_refuses_what_the_node_did_not_authorize(enrolled: Enrolment) -> None:
    agent, _, raw, unsigned, material = _setup(enrolled)
    with pytest.raises(RecoveryAgentRefused, match="not authorized"):
        agent.commit(unsigned, raw, material)  # unsigned
    forged = RecoveryAuthorizer(os.urandom(32)).authorize(unsigned)
    with pytest.raises(RecoveryAgentRefused, match="not authorized"):
        agent.commit(forged, raw, material)
    other_session = AUTHORIZER.authorize(
        RecoveryAuthorization(
            unsigned.recovery_id,
            unsigned.enrolment_id,
            unsigned.group_public_key,
            unsigned.old_epoch,
            os.urandom(32),
        )
    )
    with pytest.raises(RecoveryAgentRefused, match="another reshare"):
        agent.commit(other_session, raw, material)
    wrong_epoch = AUTHORIZER.authorize(
        RecoveryAuthorization(
            unsigned.recovery_id,
            unsigned.enrolment_id,
            unsigned.group_public_key,
            1,
            unsigned.session,
        )
    )
    with pytest.raises(RecoveryAgentRefused, match="another key or epoch"):
        agent.commit(wrong_epoch, raw, material)
    with pytest.raises(RecoveryAgentRefused, match="no sealed share"):
        agent.commit(AUTHORIZER.authorize(unsigned), raw, RecoveryMaterial(0))


def test_the_agent_holds_only_its_own_recovery_keys(enrolled: Enrolment) -> None:
    agent, _, raw, unsigned, material = _setup(enrolled, key=RecoveryKey.generate())
    with pytest.raises(RecoveryAgentRefused, match="does not hold"):
        agent.commit(AUTHORIZER.authorize(unsigned), raw, material)


def test_the_agent_offline_or_timing_out_is_unavailable(enrolled: Enrolment) -> None:
    agent, _, raw, unsigned, material = _setup(enrolled)
    agent.offline = True
    with pytest.raises(RecoveryAgentUnavailable, match="offline"):
        agent.commit(AUTHORIZER.authorize(unsigned), raw, material)
    agent.offline, agent.fail_at = False, "commit"
    with pytest.raises(RecoveryAgentUnavailable, match="timed out"):
        agent.commit(AUTHORIZER.authorize(unsigned), raw, material)
    agent.commit(AUTHORIZER.authorize(unsigned), raw, material)  # one failure, then it answers


def _parse(data: bytes) -> DkgSecretShare | SealedDkgShare:
    try:
        return DkgSecretShare.from_bytes(data)
    except KeysplitError:
        return SealedDkgShare.from_bytes(data)
