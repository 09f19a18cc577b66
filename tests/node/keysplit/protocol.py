"""Runs keysplit protocols between party objects the way the services will: every message
is serialized, delivered only to its addressee (or broadcast when public), and parsed there.
Each party's inbox records the bytes it was given, so tests can show what it never saw."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from huren.node.keysplit.dkg import (
    DkgCommitment,
    DkgParameters,
    DkgParticipant,
    DkgSecretShare,
    RecoveryEnvelope,
    RoundTwoMessage,
    SealedDkgShare,
    enrolment_parameters,
    recovery_reshare_parameters,
)
from huren.node.keysplit.frost import SignatureShare, SigningCommitment, SigningPackage
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY, KeyPackage
from huren.node.keysplit.sealing import RecoveryKey
from huren.node.keysplit.signer import Coordinator, SignerParty


@dataclass
class Network:
    inbox: dict[int, list[bytes]] = field(default_factory=lambda: defaultdict(list))

    def broadcast(
        self, messages: Sequence[DkgCommitment], to: Sequence[int]
    ) -> list[DkgCommitment]:
        wire = [m.to_bytes() for m in messages]
        for party in to:
            self.inbox[party].extend(wire)
        return [DkgCommitment.from_bytes(w) for w in wire]

    def deliver(self, messages: Sequence[RoundTwoMessage], to: int) -> list[RoundTwoMessage]:
        parsed: list[RoundTwoMessage] = []
        for message in messages:
            if message.receiver != to:
                continue
            wire = message.to_bytes()
            self.inbox[to].append(wire)
            if isinstance(message, DkgSecretShare):
                parsed.append(DkgSecretShare.from_bytes(wire))
            else:
                parsed.append(SealedDkgShare.from_bytes(wire))
        return parsed


@dataclass
class Enrolment:
    params: DkgParameters
    device: KeyPackage
    cosigner: KeyPackage
    envelope: RecoveryEnvelope
    network: Network


def enrol(recovery_key: RecoveryKey) -> Enrolment:
    """Device and co-signer generate a key; the recovery share goes into a sealed envelope."""
    params = enrolment_parameters(os.urandom(16), recovery_key.public_key)
    net = Network()
    device = DkgParticipant(params, DEVICE)
    cosigner = DkgParticipant(params, COSIGNER)
    commitments = [device.round1(), cosigner.round1()]
    device.receive_commitments(net.broadcast(commitments, [DEVICE]))
    cosigner.receive_commitments(net.broadcast(commitments, [COSIGNER]))
    shares = [*device.round2(), *cosigner.round2()]
    device_key = device.finish(net.deliver(shares, DEVICE))
    cosigner_key = cosigner.finish(net.deliver(shares, COSIGNER))
    sealed = tuple(s for s in shares if isinstance(s, SealedDkgShare))
    envelope = RecoveryEnvelope(params, RECOVERY, tuple(commitments), sealed)
    return Enrolment(params, device_key, cosigner_key, envelope, net)


@dataclass
class Reshare:
    device: KeyPackage
    cosigner: KeyPackage
    recovery: KeyPackage
    network: Network


def reshare(cosigner: KeyPackage, recovery: KeyPackage, recovery_key: RecoveryKey) -> Reshare:
    """Certificate recovery: co-signer and recovery deal; a new device only receives."""
    params = recovery_reshare_parameters(os.urandom(16), cosigner.public, recovery_key.public_key)
    net = Network()
    parties = {
        DEVICE: DkgParticipant(params, DEVICE),
        COSIGNER: DkgParticipant(params, COSIGNER, previous_share=cosigner),
        RECOVERY: DkgParticipant(
            params, RECOVERY, previous_share=recovery, recovery_key=recovery_key
        ),
    }
    commitments = [parties[COSIGNER].round1(), parties[RECOVERY].round1()]
    for identifier, party in parties.items():
        party.receive_commitments(net.broadcast(commitments, [identifier]))
    shares = [*parties[COSIGNER].round2(), *parties[RECOVERY].round2()]
    keys = {i: p.finish(net.deliver(shares, i)) for i, p in parties.items()}
    return Reshare(keys[DEVICE], keys[COSIGNER], keys[RECOVERY], net)


def sign(keys: Sequence[KeyPackage], message: bytes) -> bytes:
    """A full two-round signing with the first key's public package as coordinator's view."""
    signers = [SignerParty(k) for k in keys]
    coordinator = Coordinator(keys[0].public)
    commitments = [SigningCommitment.from_bytes(s.commit().to_bytes()) for s in signers]
    package = coordinator.signing_package(message, commitments)
    wire = package.to_bytes()
    shares = [
        SignatureShare.from_bytes(s.sign(SigningPackage.from_bytes(wire)).to_bytes())
        for s in signers
    ]
    return coordinator.aggregate(package, shares)
