"""Distributed key generation: device and co-signer deal, recovery gets a sealed share."""

from __future__ import annotations

import itertools
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from huren.node.keysplit.codec import Kind
from huren.node.keysplit.dkg import (
    DkgCommitment,
    DkgParameters,
    DkgParticipant,
    DkgSecretShare,
    RecoveryEnvelope,
    SealedDkgShare,
    enrolment_parameters,
)
from huren.node.keysplit.errors import (
    EpochMismatch,
    InvalidParticipants,
    InvalidProof,
    InvalidShare,
    MalformedMessage,
    ProtocolStateError,
    SealError,
)
from huren.node.keysplit.group import L, base_mul, encode_point, encode_scalar
from huren.node.keysplit.keys import COSIGNER, DEVICE, RECOVERY, lagrange_coefficient
from huren.node.keysplit.sealing import RecoveryKey
from tests.node.keysplit.protocol import Enrolment, enrol, sign


@pytest.fixture(scope="module")
def recovery_key() -> RecoveryKey:
    return RecoveryKey.generate()


@pytest.fixture(scope="module")
def enrolled(recovery_key: RecoveryKey) -> Enrolment:
    return enrol(recovery_key)


def whole_secret(a_id: int, a: int, b_id: int, b: int) -> int:
    ids = [a_id, b_id]
    return (lagrange_coefficient(a_id, ids) * a + lagrange_coefficient(b_id, ids) * b) % L


def test_any_two_of_three_sign_under_the_group_key(
    enrolled: Enrolment, recovery_key: RecoveryKey
) -> None:
    recovery = RecoveryEnvelope.from_bytes(enrolled.envelope.to_bytes()).open(recovery_key)
    keys = {DEVICE: enrolled.device, COSIGNER: enrolled.cosigner, RECOVERY: recovery}
    assert len({k.public for k in keys.values()}) == 1
    group_key = enrolled.device.group_public_key
    for a, b in itertools.combinations(keys, 2):
        message = f"bid {a}{b}".encode()
        signature = sign([keys[a], keys[b]], message)
        Ed25519PublicKey.from_public_bytes(encode_point(group_key)).verify(signature, message)


def test_cosigner_never_receives_the_device_share(enrolled: Enrolment) -> None:
    device_share = encode_scalar(enrolled.device.secret_share)
    secret = whole_secret(
        DEVICE, enrolled.device.secret_share, COSIGNER, enrolled.cosigner.secret_share
    )
    assert base_mul(secret) == enrolled.device.group_public_key  # the test, not a party
    received = enrolled.network.inbox[COSIGNER]
    assert received  # it did take part
    for wire in received:
        assert device_share not in wire
        assert encode_scalar(secret) not in wire
    # What it received: the two public broadcasts and one evaluation addressed to it.
    kinds = sorted(w[1] for w in received)
    assert kinds == [Kind.DKG_COMMITMENT, Kind.DKG_COMMITMENT, Kind.DKG_SECRET_SHARE]
    share = DkgSecretShare.from_bytes(next(w for w in received if w[1] == Kind.DKG_SECRET_SHARE))
    assert (share.sender, share.receiver) == (DEVICE, COSIGNER)
    # Neither dealer knows the key: the co-signer's own view never contains it either.
    assert enrolled.cosigner.secret_share != secret
    assert enrolled.device.secret_share != secret


def test_recovery_envelope_holds_only_ciphertext(
    enrolled: Enrolment, recovery_key: RecoveryKey
) -> None:
    wire = enrolled.envelope.to_bytes()
    recovery = enrolled.envelope.open(recovery_key)
    assert encode_scalar(recovery.secret_share) not in wire
    with pytest.raises(SealError):
        enrolled.envelope.open(RecoveryKey.generate())


def test_one_share_is_not_the_key(enrolled: Enrolment) -> None:
    for key in (enrolled.device, enrolled.cosigner):
        assert base_mul(key.secret_share) != key.group_public_key
    with pytest.raises(InvalidParticipants):
        sign([enrolled.device], b"alone")


def dealers(recovery_key: RecoveryKey) -> tuple[DkgParticipant, DkgParticipant]:
    params = enrolment_parameters(os.urandom(16), recovery_key.public_key)
    return DkgParticipant(params, DEVICE), DkgParticipant(params, COSIGNER)


def test_forged_proof_of_possession_is_refused(recovery_key: RecoveryKey) -> None:
    device, cosigner = dealers(recovery_key)
    honest = cosigner.round1()
    forged = DkgCommitment(
        honest.session, honest.sender, honest.commitments, honest.proof_r, (honest.proof_mu + 1) % L
    )
    with pytest.raises(InvalidProof):
        device.receive_commitments([device.round1(), forged])
    # A commitment copied from another dealer does not prove possession for this sender.
    copied = DkgCommitment(
        honest.session, DEVICE, honest.commitments, honest.proof_r, honest.proof_mu
    )
    with pytest.raises(InvalidProof):
        cosigner.receive_commitments([copied, honest])


def test_share_not_matching_commitments_is_refused(recovery_key: RecoveryKey) -> None:
    device, cosigner = dealers(recovery_key)
    commitments = [device.round1(), cosigner.round1()]
    device.receive_commitments(commitments)
    cosigner.receive_commitments(commitments)
    device.round2()
    honest = next(
        m for m in cosigner.round2() if m.receiver == DEVICE and isinstance(m, DkgSecretShare)
    )
    tampered = DkgSecretShare(honest.session, honest.sender, honest.receiver, honest.share + 1)
    with pytest.raises(InvalidShare):
        device.finish([tampered])


def test_protocol_order_and_session_binding(recovery_key: RecoveryKey) -> None:
    device, cosigner = dealers(recovery_key)
    with pytest.raises(ProtocolStateError):
        device.round2()  # shares only after every commitment is verified
    _, other_cosigner = dealers(recovery_key)
    with pytest.raises(EpochMismatch):
        device.receive_commitments([device.round1(), other_cosigner.round1()])
    with pytest.raises(InvalidParticipants):
        device.receive_commitments([device.round1()])  # the co-signer's is missing
    commitments = [device.round1(), cosigner.round1()]
    device.receive_commitments(commitments)
    cosigner.receive_commitments(commitments)
    device.round2()
    with pytest.raises(ProtocolStateError):
        device.round2()  # the polynomial was erased after its one use
    shares = cosigner.round2()
    sealed = next(m for m in shares if isinstance(m, SealedDkgShare))
    misaddressed = SealedDkgShare(sealed.session, sealed.sender, DEVICE, sealed.ciphertext)
    with pytest.raises(ProtocolStateError):
        device.finish([misaddressed])  # the device has no recovery key
    with pytest.raises(InvalidParticipants):
        device.finish([sealed])  # addressed to recovery, not to the device
    with pytest.raises(InvalidParticipants):
        device.finish([])


def test_sealed_share_cannot_be_replayed_to_another_session(recovery_key: RecoveryKey) -> None:
    device, cosigner = dealers(recovery_key)
    commitments = [device.round1(), cosigner.round1()]
    for party in (device, cosigner):
        party.receive_commitments(commitments)
    sealed = [m for m in [*device.round2(), *cosigner.round2()] if isinstance(m, SealedDkgShare)]
    envelope = RecoveryEnvelope(device.params, RECOVERY, tuple(commitments), tuple(sealed))
    envelope.open(recovery_key)
    # Same ciphertext relabelled as coming from the other dealer: the sealed context differs.
    swapped = tuple(
        SealedDkgShare(s.session, s.sender, s.receiver, o.ciphertext)
        for s, o in zip(sealed, reversed(sealed), strict=True)
    )
    with pytest.raises(SealError):
        RecoveryEnvelope(device.params, RECOVERY, tuple(commitments), swapped).open(recovery_key)


def test_dkg_messages_round_trip_as_bytes(enrolled: Enrolment) -> None:
    params = enrolled.params
    assert DkgParameters.from_bytes(params.to_bytes()) == params
    for commitment in enrolled.envelope.commitments:
        assert DkgCommitment.from_bytes(commitment.to_bytes()) == commitment
    for sealed in enrolled.envelope.sealed_shares:
        assert SealedDkgShare.from_bytes(sealed.to_bytes()) == sealed
    assert RecoveryEnvelope.from_bytes(enrolled.envelope.to_bytes()) == enrolled.envelope
    with pytest.raises(MalformedMessage):
        DkgCommitment.from_bytes(params.to_bytes())


def test_bad_parameters_are_refused(recovery_key: RecoveryKey) -> None:
    good = enrolment_parameters(os.urandom(16), recovery_key.public_key)
    with pytest.raises(InvalidParticipants):
        DkgParameters(b"short", 2, good.participants, good.dealers, good.sealed_recipients)
    with pytest.raises(InvalidParticipants):  # one dealer would know the whole key
        DkgParameters(good.session_id, 2, good.participants, (DEVICE,))
    with pytest.raises(InvalidParticipants):
        DkgParameters(good.session_id, 4, good.participants, good.dealers)
    with pytest.raises(InvalidParticipants):
        DkgParameters(good.session_id, 2, (1, 1, 2), good.dealers)
    with pytest.raises(SealError):
        DkgParameters(good.session_id, 2, good.participants, good.dealers, ((3, bytes(32)),))
    with pytest.raises(InvalidParticipants):
        DkgParticipant(good, 9)


def test_dealer_refuses_a_broadcast_with_commitments_it_did_not_make(
    recovery_key: RecoveryKey,
) -> None:
    device, cosigner = dealers(recovery_key)
    _, impostor = dealers(recovery_key)
    mine = cosigner.round1()
    # A validly proven commitment for the co-signer's identifier, but not the co-signer's own.
    replaced = DkgParticipant(cosigner.params, COSIGNER, random_bytes=os.urandom).round1()
    assert replaced.commitments != mine.commitments
    with pytest.raises(InvalidProof, match="did not make"):
        cosigner.receive_commitments([device.round1(), replaced])
    with pytest.raises(ProtocolStateError):
        impostor.round2()


@settings(max_examples=8, deadline=None)
@given(
    pair=st.sampled_from(list(itertools.combinations([DEVICE, COSIGNER, RECOVERY], 2))),
    message=st.binary(max_size=100),
)
def test_every_fresh_key_signs_with_any_two(pair: tuple[int, int], message: bytes) -> None:
    recovery_key = RecoveryKey.generate()
    enrolment = enrol(recovery_key)
    keys = {
        DEVICE: enrolment.device,
        COSIGNER: enrolment.cosigner,
        RECOVERY: enrolment.envelope.open(recovery_key),
    }
    signature = sign([keys[pair[0]], keys[pair[1]]], message)
    public = encode_point(enrolment.device.group_public_key)
    Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
