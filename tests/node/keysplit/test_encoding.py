"""Scalars below the order, points in the prime-order group, and versioned message bytes.

The small-order points are the eight torsion points of edwards25519 (as listed in libsodium's
blocklist and the "Taming the many EdDSAs" paper); they are built here from their defining
coordinates, not copied.
"""

from __future__ import annotations

import re

import pytest
from nacl import bindings as sodium

from huren.node.keysplit import errors as keysplit_errors
from huren.node.keysplit.codec import FORMAT_VERSION, Kind
from huren.node.keysplit.dealer import trusted_dealer_keygen
from huren.node.keysplit.errors import (
    InvalidPoint,
    InvalidScalar,
    InvalidShare,
    KeysplitError,
    MalformedMessage,
)
from huren.node.keysplit.frost import SignatureShare, SigningCommitment, SigningPackage
from huren.node.keysplit.group import (
    IDENTITY,
    L,
    P,
    base_mul,
    decode_point,
    decode_scalar,
    encode_point,
    mul,
    u_to_edwards,
)
from huren.node.keysplit.keys import KeyPackage, PublicKeyPackage
from huren.node.keysplit.signer import SignerParty

KEYS = trusted_dealer_keygen()


def y_point(y: int, sign: int = 0) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


SQRT_M1 = pow(2, (P - 1) // 4, P)
SMALL_ORDER = [
    y_point(1),  # identity
    y_point(P - 1),  # order 2: (0, -1)
    y_point(0),  # order 4: (±sqrt(-1), 0)
    y_point(0, 1),
]
NON_CANONICAL = [
    y_point(P),  # y = p ≡ 0
    y_point(P + 1),  # y = p + 1 ≡ 1
    y_point(1, 1),  # x = 0 with the sign bit set
]


@pytest.mark.parametrize("encoding", SMALL_ORDER + NON_CANONICAL + [y_point(2), bytes(31)])
def test_bad_points_are_refused(encoding: bytes) -> None:
    with pytest.raises(InvalidPoint):
        decode_point(encoding)


def test_mixed_order_point_is_refused() -> None:
    # B + T for an order-2 T lies on the curve but outside the prime-order group.
    mixed = sodium.crypto_core_ed25519_add(base_mul(1), y_point(P - 1))
    with pytest.raises(InvalidPoint):
        decode_point(mixed)
    with pytest.raises(InvalidPoint):
        encode_point(IDENTITY)


@pytest.mark.parametrize("value", [L, L + 1, 2**255 - 1, 2**256 - 1])
def test_scalars_at_or_above_the_order_are_refused(value: int) -> None:
    # libsodium would silently drop bit 255 (and not reduce), so this must be refused here.
    with pytest.raises(InvalidScalar):
        decode_scalar(value.to_bytes(32, "little"))
    with pytest.raises(InvalidScalar):
        mul(value, base_mul(1))


def test_one_exception_root_with_distinct_codes() -> None:
    errors = [
        e
        for e in vars(keysplit_errors).values()
        if isinstance(e, type) and issubclass(e, Exception)
    ]
    assert all(issubclass(e, KeysplitError) for e in errors)
    codes = [e.code for e in errors]
    assert len(set(codes)) == len(codes) == len(errors) > 10
    assert all(
        re.fullmatch(r"[A-Z][A-Z_]+", c) and 400 <= e.status < 500
        for e, c in zip(errors, codes, strict=True)
    )


def test_round_trips() -> None:
    party = SignerParty(KEYS[0])
    commitment = party.commit()
    package = SigningPackage(0, b"digest", (commitment, SignerParty(KEYS[1]).commit()))
    share = SignatureShare(1, 0, 12345)
    assert SigningCommitment.from_bytes(commitment.to_bytes()) == commitment
    assert SigningPackage.from_bytes(package.to_bytes()) == package
    assert SignatureShare.from_bytes(share.to_bytes()) == share
    assert PublicKeyPackage.from_bytes(KEYS[0].public.to_bytes()) == KEYS[0].public
    assert KeyPackage.from_bytes(KEYS[2].to_bytes()) == KEYS[2]
    assert "secret" not in repr(KEYS[2]) and str(KEYS[2].secret_share) not in repr(KEYS[2])


def test_malformed_messages_are_refused() -> None:
    wire = SignerParty(KEYS[0]).commit().to_bytes()
    with pytest.raises(MalformedMessage, match="version"):
        SigningCommitment.from_bytes(bytes([FORMAT_VERSION + 1]) + wire[1:])
    with pytest.raises(MalformedMessage, match="expected"):
        SignatureShare.from_bytes(wire)  # a commitment is not a signature share
    with pytest.raises(MalformedMessage, match="truncated"):
        SigningCommitment.from_bytes(wire[:-1])
    with pytest.raises(MalformedMessage, match="trailing"):
        SigningCommitment.from_bytes(wire + b"\0")
    with pytest.raises(MalformedMessage):
        SigningCommitment.from_bytes(b"")


def test_bad_fields_inside_messages_keep_their_type() -> None:
    header = bytes([FORMAT_VERSION, Kind.SIGNATURE_SHARE])
    with pytest.raises(InvalidScalar):
        SignatureShare.from_bytes(header + b"\0\1" + b"\0\0\0\0" + L.to_bytes(32, "little"))
    commitment_header = bytes([FORMAT_VERSION, Kind.SIGNING_COMMITMENT]) + b"\0\1\0\0\0\0"
    for bad in SMALL_ORDER:
        with pytest.raises(InvalidPoint):
            SigningCommitment.from_bytes(commitment_header + bad + encode_point(base_mul(5)))


def test_key_package_must_match_its_verifying_share() -> None:
    with pytest.raises(InvalidShare):
        KeyPackage(1, KEYS[1].secret_share, KEYS[0].public)
    tampered = bytearray(KEYS[0].to_bytes())
    tampered[4] ^= 1  # inside the secret share
    with pytest.raises(KeysplitError):
        KeyPackage.from_bytes(bytes(tampered))


def test_inconsistent_public_package_is_refused() -> None:
    public = KEYS[0].public
    shares = list(public.verifying_shares)
    shares[2] = (3, base_mul(7))
    with pytest.raises(InvalidShare):
        PublicKeyPackage(public.threshold, public.epoch, public.group_public_key, tuple(shares))


def test_x25519_values_outside_the_group_are_refused() -> None:
    with pytest.raises(InvalidPoint):
        u_to_edwards(bytes(32))  # u = 0: order 2
    with pytest.raises(InvalidPoint):
        u_to_edwards((P - 1).to_bytes(32, "little"))  # u = -1: no Edwards point
    with pytest.raises(InvalidPoint):
        u_to_edwards(P.to_bytes(32, "little"))  # non-canonical
    with pytest.raises(InvalidPoint):
        u_to_edwards((1).to_bytes(32, "little"))  # u = 1: y = 0, order 4
    u9 = (9).to_bytes(32, "little")
    assert u_to_edwards(u9) == base_mul(1)  # X25519's base point is Ed25519's (sign bit 0)
