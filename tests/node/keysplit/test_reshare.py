"""Certificate recovery: co-signer and recovery reshare, a new device gets a fresh share,
the group key stays, and shares of the old epoch no longer combine with the new ones."""

from __future__ import annotations

import itertools
import os

import cryptography.exceptions
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from huren.node.keysplit.dkg import DkgParticipant, recovery_reshare_parameters
from huren.node.keysplit.errors import (
    EpochMismatch,
    InvalidProof,
    InvalidShare,
    InvalidSignature,
    InvalidSignatureShare,
    ProtocolStateError,
)
from huren.node.keysplit.frost import aggregate, verify_signature
from huren.node.keysplit.group import encode_point, encode_scalar, random_scalar
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY, KeyPackage, PublicKeyPackage
from huren.node.keysplit.sealing import (
    RecoveryKey,
    open_key_package,
    seal_key_package,
)
from huren.node.keysplit.signer import Coordinator, SignerParty
from tests.node.keysplit.protocol import Enrolment, Reshare, enrol, reshare, sign


@pytest.fixture(scope="module")
def recovery_key() -> RecoveryKey:
    return RecoveryKey.generate()


@pytest.fixture(scope="module")
def before(recovery_key: RecoveryKey) -> Enrolment:
    return enrol(recovery_key)


@pytest.fixture(scope="module")
def old_recovery(before: Enrolment, recovery_key: RecoveryKey) -> KeyPackage:
    # At rest the recovery share is sealed; the recovery holder opens it for the reshare.
    opened = before.envelope.open(recovery_key)
    sealed = seal_key_package(opened, recovery_key.public_key)
    assert encode_scalar(opened.secret_share) not in sealed
    return open_key_package(
        sealed, recovery_key, encode_point(opened.group_public_key), RECOVERY, opened.epoch
    )


@pytest.fixture(scope="module")
def after(before: Enrolment, old_recovery: KeyPackage, recovery_key: RecoveryKey) -> Reshare:
    return reshare(before.cosigner, old_recovery, recovery_key)


def test_new_set_signs_under_the_same_group_key(before: Enrolment, after: Reshare) -> None:
    assert after.device.group_public_key == before.device.group_public_key
    assert after.device.epoch == before.device.epoch + 1
    keys = [after.device, after.cosigner, after.recovery]
    for pair in itertools.combinations(keys, 2):
        signature = sign(list(pair), b"after recovery")
        Ed25519PublicKey.from_public_bytes(encode_point(after.device.group_public_key)).verify(
            signature, b"after recovery"
        )


def test_every_share_is_fresh(before: Enrolment, old_recovery: KeyPackage, after: Reshare) -> None:
    old = {before.device.secret_share, before.cosigner.secret_share, old_recovery.secret_share}
    new = {after.device.secret_share, after.cosigner.secret_share, after.recovery.secret_share}
    assert not old & new


def test_old_device_share_with_new_cosigner_share_is_refused(
    before: Enrolment, after: Reshare
) -> None:
    with pytest.raises(EpochMismatch):
        sign([before.device, after.cosigner], b"stolen phone")
    old_device = SignerParty(before.device)
    new_cosigner = SignerParty(after.cosigner)
    with pytest.raises(EpochMismatch):
        Coordinator(after.cosigner.public).signing_package(
            b"m", [old_device.commit(), new_cosigner.commit()]
        )


def forge(identifier: int, secret: int, public: PublicKeyPackage) -> KeyPackage:
    """A share that does not belong to ``public``, bypassing KeyPackage's own check."""
    forged = object.__new__(KeyPackage)
    object.__setattr__(forged, "identifier", identifier)
    object.__setattr__(forged, "secret_share", secret)
    object.__setattr__(forged, "public", public)
    return forged


def relabel(key: KeyPackage, public: PublicKeyPackage) -> KeyPackage:
    """An old share dressed up as the new epoch."""
    return forge(key.identifier, key.secret_share, public)


@pytest.mark.parametrize("old_holder", ["device", "recovery"])
def test_old_share_relabelled_as_new_does_not_sign(
    before: Enrolment, old_recovery: KeyPackage, after: Reshare, old_holder: str
) -> None:
    old = before.device if old_holder == "device" else old_recovery
    with pytest.raises(InvalidShare):
        KeyPackage(old.identifier, old.secret_share, after.cosigner.public)
    forged = relabel(old, after.cosigner.public)
    signers = [SignerParty(forged), SignerParty(after.cosigner)]
    coordinator = Coordinator(after.cosigner.public)
    package = coordinator.signing_package(b"m", [s.commit() for s in signers])
    shares = [s.sign(package) for s in signers]
    with pytest.raises(InvalidSignatureShare):
        coordinator.aggregate(package, shares)
    signature = aggregate(package, shares, after.cosigner.public, verify_shares=False)
    with pytest.raises(InvalidSignature):
        verify_signature(after.cosigner.group_public_key, b"m", signature)
    with pytest.raises(cryptography.exceptions.InvalidSignature):
        Ed25519PublicKey.from_public_bytes(encode_point(after.cosigner.group_public_key)).verify(
            signature, b"m"
        )


def test_reshare_needs_the_dealers_real_old_shares(
    before: Enrolment, old_recovery: KeyPackage, recovery_key: RecoveryKey
) -> None:
    params = recovery_reshare_parameters(
        os.urandom(16), before.cosigner.public, recovery_key.public_key
    )
    with pytest.raises(ProtocolStateError):
        DkgParticipant(params, COSIGNER)  # a dealer without its old share
    with pytest.raises(ProtocolStateError):
        DkgParticipant(params, COSIGNER, previous_share=before.device)
    # A dealer that commits to a fresh secret instead of its old share is caught: its
    # constant term is not λ_j·Y_j, so the group key would change.
    cosigner = DkgParticipant(params, COSIGNER, previous_share=before.cosigner)
    recovery = DkgParticipant(
        params, RECOVERY, previous_share=old_recovery, recovery_key=recovery_key
    )
    # A dealer that deals a fresh secret instead of its old share (with a valid proof of
    # possession of that fresh secret) is caught: its constant term is not λ_j·Y_j.
    impostor = forge(COSIGNER, random_scalar(), before.cosigner.public)
    rogue = DkgParticipant(params, COSIGNER, previous_share=impostor).round1()
    fresh = DkgParticipant(params, DEVICE)
    with pytest.raises(InvalidProof, match="does not reshare"):
        fresh.receive_commitments([rogue, recovery.round1()])
    fresh.receive_commitments([cosigner.round1(), recovery.round1()])


def test_reshare_of_a_stale_epoch_is_refused(
    before: Enrolment, after: Reshare, recovery_key: RecoveryKey
) -> None:
    params = recovery_reshare_parameters(
        os.urandom(16), after.cosigner.public, recovery_key.public_key
    )
    with pytest.raises(EpochMismatch):
        DkgParticipant(params, COSIGNER, previous_share=before.cosigner)
