"""Split X25519 decryption against ordinary X25519 and HPKE from ``cryptography``."""

from __future__ import annotations

import itertools
import os

import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl import bindings as sodium

from huren.node.keysplit.dealer import split_secret
from huren.node.keysplit.decrypt import (
    DecryptionRequest,
    DecryptionShare,
    combine_decryption_shares,
    decryption_share,
    x25519_public_key,
)
from huren.node.keysplit.errors import (
    DecryptionFailed,
    EpochMismatch,
    InvalidParticipants,
    InvalidPoint,
    InvalidProof,
)
from huren.node.keysplit.group import (
    L,
    P,
    Point,
    base_mul,
    edwards_to_u,
    mul,
    random_scalar,
)
from huren.node.keysplit.hpke import Aead, open_with_dh
from huren.node.keysplit.keys import COSIGNER, DEVICE, KeyPackage, lagrange_coefficient
from huren.node.keysplit.sealing import RecoveryKey
from tests.node.keysplit.protocol import enrol, reshare


def clamp(raw: bytes) -> int:
    k = bytearray(raw)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    return int.from_bytes(k, "little")


def dealer_encryption_key() -> tuple[X25519PrivateKey, tuple[KeyPackage, ...]]:
    """A whole X25519 key (test only) and shares of the same scalar.

    X25519 clamps its private key, so the test takes an already clamped key k; the group
    acts through k mod L (every point involved is in the prime-order group).
    """
    k = clamp(os.urandom(32))
    whole = X25519PrivateKey.from_private_bytes(k.to_bytes(32, "little"))
    return whole, split_secret(k % L, [random_scalar()], 3, 2)


WHOLE, SHARES = dealer_encryption_key()
PUBLIC_KEY = X25519PublicKey.from_public_bytes(x25519_public_key(SHARES[0].public))


def request_for(keys: KeyPackage, enc: bytes) -> DecryptionRequest:
    return DecryptionRequest(keys.group_public_key, keys.epoch, enc)


def split_dh(keys: tuple[KeyPackage, ...], enc: bytes) -> bytes:
    request = DecryptionRequest.from_bytes(request_for(keys[0], enc).to_bytes())
    shares = [DecryptionShare.from_bytes(decryption_share(k, request).to_bytes()) for k in keys]
    return combine_decryption_shares(keys[0].public, request, shares)


def test_public_key_matches_the_whole_key() -> None:
    assert x25519_public_key(SHARES[0].public) == WHOLE.public_key().public_bytes_raw()


@settings(max_examples=15, deadline=None)
@given(
    pair=st.sampled_from(list(itertools.combinations(SHARES, 2))),
    seed=st.binary(min_size=32, max_size=32),
)
def test_any_two_shares_compute_x25519_with_the_whole_key(
    pair: tuple[KeyPackage, KeyPackage], seed: bytes
) -> None:
    ephemeral = X25519PrivateKey.from_private_bytes(seed)
    enc = ephemeral.public_key().public_bytes_raw()
    sender_side = ephemeral.exchange(PUBLIC_KEY)
    assert split_dh(pair, enc) == WHOLE.exchange(ephemeral.public_key()) == sender_side


def test_dkg_key_opens_hpke_from_cryptography() -> None:
    recovery_key = RecoveryKey.generate()
    enrolment = enrol(recovery_key)
    recovery = enrolment.envelope.open(recovery_key)
    public = x25519_public_key(enrolment.device.public)
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    message = suite.encrypt(b"content key", X25519PublicKey.from_public_bytes(public), info=b"bid")
    enc = message[:32]
    for pair in [(enrolment.device, enrolment.cosigner), (enrolment.device, recovery)]:
        dh = split_dh(pair, enc)
        opened = open_with_dh(message, dh, public, aead=Aead.AES_256_GCM, info=b"bid")
        assert opened == b"content key"
    with pytest.raises(DecryptionFailed):
        open_with_dh(message, dh, public, aead=Aead.AES_256_GCM, info=b"other")

    # After certificate recovery the same public key still decrypts with the new shares.
    after = reshare(enrolment.cosigner, recovery, recovery_key)
    dh = split_dh((after.device, after.cosigner), enc)
    assert open_with_dh(message, dh, public, aead=Aead.AES_256_GCM, info=b"bid") == b"content key"


@pytest.mark.parametrize("aead", list(Aead))
def test_every_aead(aead: Aead) -> None:
    suite_aead = {
        Aead.AES_128_GCM: hpke.AEAD.AES_128_GCM,
        Aead.AES_256_GCM: hpke.AEAD.AES_256_GCM,
        Aead.CHACHA20_POLY1305: hpke.AEAD.CHACHA20_POLY1305,
    }[aead]
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, suite_aead)
    message = suite.encrypt(b"k" * 32, PUBLIC_KEY)
    dh = split_dh(SHARES[:2], message[:32])
    assert open_with_dh(message, dh, PUBLIC_KEY.public_bytes_raw(), aead=aead) == b"k" * 32


def test_cosigner_alone_learns_nothing_it_could_open() -> None:
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    message = suite.encrypt(b"content key", PUBLIC_KEY)
    request = request_for(SHARES[1], message[:32])
    wire = request.to_bytes()
    assert message[32:] not in wire  # it is sent enc only, never the ciphertext
    partial = decryption_share(SHARES[COSIGNER - 1], request)
    # Whatever weight the co-signer gives its own partial, the result is not the DH value.
    for others in ([DEVICE], [3], [DEVICE, 3]):
        ids = sorted([COSIGNER, *others])
        weighted = mul(lagrange_coefficient(COSIGNER, ids), partial.partial)
        for guess in (edwards_to_u(partial.partial), edwards_to_u(weighted)):
            with pytest.raises(DecryptionFailed):
                open_with_dh(message, guess, PUBLIC_KEY.public_bytes_raw(), aead=Aead.AES_256_GCM)
    with pytest.raises(InvalidParticipants):
        combine_decryption_shares(SHARES[0].public, request, [partial])
    with pytest.raises(InvalidParticipants):
        combine_decryption_shares(SHARES[0].public, request, [partial, partial])


def test_bad_partial_is_caught_by_its_proof() -> None:
    enc = X25519PrivateKey.generate().public_key().public_bytes_raw()
    request = request_for(SHARES[0], enc)
    good = decryption_share(SHARES[0], request)
    honest = decryption_share(SHARES[1], request)
    for bad in (
        DecryptionShare(2, 0, base_mul(7), honest.challenge, honest.response),
        DecryptionShare(2, 0, honest.partial, honest.challenge, (honest.response + 1) % L),
        DecryptionShare(2, 0, good.partial, good.challenge, good.response),  # someone else's
    ):
        with pytest.raises(InvalidProof):
            combine_decryption_shares(SHARES[0].public, request, [good, bad])
    other_request = request_for(
        SHARES[0], X25519PrivateKey.generate().public_key().public_bytes_raw()
    )
    with pytest.raises(InvalidProof):  # a proof for another enc does not carry over
        combine_decryption_shares(SHARES[0].public, other_request, [good, honest])


def test_request_for_another_key_or_epoch_is_refused() -> None:
    enc = X25519PrivateKey.generate().public_key().public_bytes_raw()
    _, other = dealer_encryption_key()
    with pytest.raises(EpochMismatch):
        decryption_share(SHARES[0], request_for(other[0], enc))
    with pytest.raises(EpochMismatch):
        decryption_share(SHARES[0], DecryptionRequest(SHARES[0].group_public_key, 1, enc))


# u = 0 (order 2), u = 1 (order 4), u = -1 (no Edwards point), and the two order-8 values
# from libsodium's X25519 blocklist (their order is checked here, not assumed).
ORDER_EIGHT_U = [
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
]
SMALL_ORDER_U = [0, 1, P - 1, *(int.from_bytes(bytes.fromhex(h), "little") for h in ORDER_EIGHT_U)]


@pytest.mark.parametrize("u", ORDER_EIGHT_U)
def test_blocklisted_values_have_order_eight(u: str) -> None:
    value = int.from_bytes(bytes.fromhex(u), "little")
    y = ((value - 1) * pow(value + 1, -1, P) % P).to_bytes(32, "little")
    multiples = [y]
    for _ in range(3):
        multiples.append(sodium.crypto_core_ed25519_add(multiples[-1], multiples[-1]))
    identity = bytes([1]) + bytes(31)
    assert multiples[3] == identity and multiples[2] != identity


@pytest.mark.parametrize("u", [*SMALL_ORDER_U, P, P + 1, 2**255 - 1])
def test_small_order_and_non_canonical_enc_is_refused(u: int) -> None:
    with pytest.raises(InvalidPoint):
        request_for(SHARES[0], (u % 2**256).to_bytes(32, "little"))


def test_mixed_order_enc_is_refused() -> None:
    # u of B + T (T of order 2): on the curve but outside the prime-order group; a share
    # multiplied onto it would leak the share's parity.
    order_two = (P - 1).to_bytes(32, "little")
    mixed = sodium.crypto_core_ed25519_add(base_mul(random_scalar()), order_two)
    with pytest.raises(InvalidPoint):
        request_for(SHARES[0], edwards_to_u(Point(mixed)))


def test_device_adds_its_own_share_without_a_proof() -> None:
    ephemeral = X25519PrivateKey.generate()
    enc = ephemeral.public_key().public_bytes_raw()
    request = request_for(SHARES[0], enc)
    remote = decryption_share(SHARES[COSIGNER - 1], request)
    device = SHARES[DEVICE - 1]
    dh = combine_decryption_shares(device.public, request, [remote], own_key=device)
    assert dh == WHOLE.exchange(ephemeral.public_key())
    with pytest.raises(InvalidParticipants):
        combine_decryption_shares(device.public, request, [], own_key=device)
    with pytest.raises(InvalidParticipants):
        own_again = decryption_share(device, request)
        combine_decryption_shares(device.public, request, [own_again], own_key=device)
    _, other = dealer_encryption_key()
    with pytest.raises(EpochMismatch):
        combine_decryption_shares(device.public, request, [remote], own_key=other[0])
