"""Two-round signing between party objects: nonces single use, epochs and inputs checked."""

from __future__ import annotations

import itertools

import nacl.signing
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from huren.node.keysplit.dealer import trusted_dealer_keygen
from huren.node.keysplit.errors import (
    EpochMismatch,
    InvalidParticipants,
    InvalidSignature,
    InvalidSignatureShare,
    NonceReuse,
)
from huren.node.keysplit.frost import (
    SignatureShare,
    SigningPackage,
    aggregate,
    compute_challenge,
    verify_signature,
)
from huren.node.keysplit.group import L, base_mul, encode_point, encode_scalar, random_scalar
from huren.node.keysplit.keys import KeyPackage
from huren.node.keysplit.signer import Coordinator, NonceStore, SignerParty
from tests.node.keysplit.protocol import sign

KEYS = trusted_dealer_keygen()  # signing tests do not need a DKG; test_dkg covers that
PAIRS = list(itertools.combinations(KEYS, 2))


def verify_everywhere(key: KeyPackage, message: bytes, signature: bytes) -> None:
    public = encode_point(key.group_public_key)
    Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    nacl.signing.VerifyKey(public).verify(message, signature)


@settings(max_examples=20, deadline=None)
@given(pair=st.sampled_from(PAIRS), message=st.binary(max_size=200))
def test_any_two_shares_sign_any_message(
    pair: tuple[KeyPackage, KeyPackage], message: bytes
) -> None:
    verify_everywhere(pair[0], message, sign(list(pair), message))


def test_all_three_sign_too() -> None:
    verify_everywhere(KEYS[0], b"three", sign(list(KEYS), b"three"))


def test_signing_twice_with_one_commitment_is_refused() -> None:
    device, cosigner = SignerParty(KEYS[0]), SignerParty(KEYS[1])
    coordinator = Coordinator(KEYS[0].public)
    package = coordinator.signing_package(b"pay", [device.commit(), cosigner.commit()])
    first = cosigner.sign(package)
    with pytest.raises(NonceReuse):
        cosigner.sign(package)
    # Not even for another message: the commitment is spent.
    other = SigningPackage(package.epoch, b"pay twice", package.commitments)
    with pytest.raises(NonceReuse):
        cosigner.sign(other)
    coordinator.aggregate(package, [device.sign(package), first])


def test_nonce_is_burnt_even_when_signing_fails() -> None:
    device, cosigner = SignerParty(KEYS[0]), SignerParty(KEYS[1])
    stranger = SignerParty(trusted_dealer_keygen(4, 2)[3])  # identifier 4: not in our key set
    commitments = (device.commit(), cosigner.commit())
    with pytest.raises(InvalidParticipants):
        cosigner.sign(SigningPackage(0, b"x", (*commitments, stranger.commit())))
    with pytest.raises(NonceReuse):
        cosigner.sign(SigningPackage(0, b"x", commitments))


def test_nonce_store_forgets_the_oldest_beyond_capacity() -> None:
    store = NonceStore(capacity=2)
    party = SignerParty(KEYS[1], nonce_store=store)
    first = party.commit()
    party.commit()
    party.commit()
    assert len(store) == 2
    package = SigningPackage(0, b"m", (SignerParty(KEYS[0]).commit(), first))
    with pytest.raises(NonceReuse):
        party.sign(package)


def test_one_share_alone_cannot_sign() -> None:
    alone = SignerParty(KEYS[0])
    with pytest.raises(InvalidParticipants):
        Coordinator(KEYS[0].public).signing_package(b"m", [alone.commit()])
    # Doing the Schnorr algebra with a share as if it were the key gives no valid signature.
    nonce = random_scalar()
    commitment = base_mul(nonce)
    challenge = compute_challenge(commitment, KEYS[0].group_public_key, b"m")
    z = (nonce + challenge * KEYS[0].secret_share) % L
    with pytest.raises(InvalidSignature):
        verify_signature(
            KEYS[0].group_public_key, b"m", encode_point(commitment) + encode_scalar(z)
        )


def test_bad_signature_share_is_named_and_would_not_verify() -> None:
    device, cosigner = SignerParty(KEYS[0]), SignerParty(KEYS[1])
    coordinator = Coordinator(KEYS[0].public)
    package = coordinator.signing_package(b"m", [device.commit(), cosigner.commit()])
    good = device.sign(package)
    bad = SignatureShare(2, 0, (cosigner.sign(package).share + 1) % L)
    with pytest.raises(InvalidSignatureShare, match="participant 2"):
        coordinator.aggregate(package, [good, bad])
    forged = aggregate(package, [good, bad], KEYS[0].public, verify_shares=False)
    with pytest.raises(InvalidSignature):
        verify_signature(KEYS[0].group_public_key, b"m", forged)


def test_coordinator_refuses_shares_that_do_not_match_the_package() -> None:
    device, cosigner = SignerParty(KEYS[0]), SignerParty(KEYS[1])
    coordinator = Coordinator(KEYS[0].public)
    package = coordinator.signing_package(b"m", [device.commit(), cosigner.commit()])
    share = device.sign(package)
    with pytest.raises(InvalidParticipants):
        coordinator.aggregate(package, [share])
    with pytest.raises(InvalidParticipants):
        coordinator.aggregate(package, [share, share])


def test_other_key_set_commitment_is_refused() -> None:
    other = trusted_dealer_keygen()
    signer = SignerParty(KEYS[0])
    package = Coordinator(other[0].public).signing_package(
        b"m", [SignerParty(other[1]).commit(), SignerParty(other[2]).commit()]
    )
    with pytest.raises(InvalidParticipants):
        signer.sign(package)  # its own commitment is not in the package


def test_epoch_is_checked_on_both_sides() -> None:
    device = SignerParty(KEYS[0])
    commitment = device.commit()
    with pytest.raises(EpochMismatch):
        SigningPackage(1, b"m", (commitment, SignerParty(KEYS[1]).commit()))
    shifted = [
        type(commitment)(c.identifier, 1, c.hiding, c.binding)
        for c in (commitment, SignerParty(KEYS[1]).commit())
    ]
    with pytest.raises(EpochMismatch):
        device.sign(SigningPackage(1, b"m", tuple(shifted)))
    with pytest.raises(EpochMismatch):
        Coordinator(KEYS[0].public).signing_package(b"m", shifted)


def test_nonces_have_no_wire_form() -> None:
    store = NonceStore()
    party = SignerParty(KEYS[0], nonce_store=store)
    commitment = party.commit()
    nonces = store.take(commitment)
    assert not hasattr(nonces, "to_bytes")
    assert str(nonces.hiding) not in repr(nonces) and str(nonces.binding) not in repr(nonces)
    assert len(store) == 0
