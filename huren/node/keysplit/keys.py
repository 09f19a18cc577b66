"""Shares and public keys of a 2-of-3 (generally t-of-n) Ed25519 key, and Shamir helpers.

A :class:`KeyPackage` is what one party stores: its identifier, its secret share and the
public data it signs under. A :class:`PublicKeyPackage` is what everybody may know: the group
public key (the ordinary Ed25519 key in the certificate) and each party's verifying share.
``epoch`` counts reshares: shares of different epochs never combine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from huren.node.keysplit.codec import Kind, Reader, Writer
from huren.node.keysplit.errors import EpochMismatch, InvalidParticipants, InvalidShare
from huren.node.keysplit.group import (
    IDENTITY,
    L,
    Point,
    add,
    base_mul,
    encode_point,
    inverse,
    mul,
    sum_points,
)

MAX_IDENTIFIER = 0xFFFF

# Roles of the huren 2-of-3 key (identifiers are the x-coordinates of the shares).
DEVICE = 1
COSIGNER = 2
RECOVERY = 3


def check_identifier(identifier: int) -> int:
    if not isinstance(identifier, int) or not 1 <= identifier <= MAX_IDENTIFIER:
        raise InvalidParticipants(f"identifier must be in 1..{MAX_IDENTIFIER}: {identifier!r}")
    return identifier


def check_identifiers(identifiers: Iterable[int], *, at_least: int = 1) -> tuple[int, ...]:
    """Validated, duplicate-free identifiers in ascending order."""
    ids = [check_identifier(i) for i in identifiers]
    if len(set(ids)) != len(ids):
        raise InvalidParticipants("duplicate identifiers")
    if len(ids) < at_least:
        raise InvalidParticipants(f"need at least {at_least} participants, got {len(ids)}")
    return tuple(sorted(ids))


def lagrange_coefficient(identifier: int, identifiers: Sequence[int], at: int = 0) -> int:
    """λ_i(at) over ``identifiers`` (RFC 9591 §4.2 for ``at = 0``)."""
    if identifier not in identifiers:
        raise InvalidParticipants(f"identifier {identifier} is not among {list(identifiers)}")
    if len(set(identifiers)) != len(identifiers):
        raise InvalidParticipants("duplicate identifiers")
    numerator = 1
    denominator = 1
    for other in identifiers:
        if other == identifier:
            continue
        numerator = numerator * (at - other) % L
        denominator = denominator * (identifier - other) % L
    return numerator * inverse(denominator) % L


def evaluate_polynomial(coefficients: Sequence[int], x: int) -> int:
    """f(x) for f = coefficients[0] + coefficients[1] x + ... (Horner, mod L)."""
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * x + coefficient) % L
    return value


def commit_polynomial(coefficients: Sequence[int]) -> tuple[Point, ...]:
    return tuple(base_mul(c) for c in coefficients)


def evaluate_commitment(commitments: Sequence[Point], x: int) -> Point:
    """g^{f(x)} from the coefficient commitments, without knowing f."""
    total = IDENTITY
    power = 1
    for commitment in commitments:
        total = add(total, mul(power, commitment))
        power = power * x % L
    return total


def verify_share(identifier: int, share: int, commitments: Sequence[Point]) -> None:
    """Feldman check g^{share} == Π C_k^{i^k}; raises :class:`InvalidShare`."""
    if share == 0 or base_mul(share) != evaluate_commitment(commitments, identifier):
        raise InvalidShare(f"share for participant {identifier} does not match commitments")


@dataclass(frozen=True)
class PublicKeyPackage:
    threshold: int
    epoch: int
    group_public_key: Point
    verifying_shares: tuple[tuple[int, Point], ...]

    def __post_init__(self) -> None:
        ids = check_identifiers(
            (i for i, _ in self.verifying_shares), at_least=max(self.threshold, 2)
        )
        if ids != tuple(i for i, _ in self.verifying_shares):
            raise InvalidParticipants("verifying shares must be sorted by identifier")
        if not 2 <= self.threshold <= len(ids):
            raise InvalidParticipants("threshold must be at least 2 and at most the share count")
        if not 0 <= self.epoch <= 0xFFFFFFFF:
            raise InvalidParticipants("epoch out of range")
        # All verifying shares must lie on one degree t-1 polynomial whose value at 0 is the
        # group key; otherwise some subsets would sign under a different key.
        basis = ids[: self.threshold]
        shares = dict(self.verifying_shares)
        for target in (0, *ids[self.threshold :]):
            value = sum_points(
                [mul(lagrange_coefficient(i, basis, at=target), shares[i]) for i in basis]
            )
            expected = self.group_public_key if target == 0 else shares[target]
            if value != expected:
                raise InvalidShare("verifying shares are inconsistent with the group key")

    def verifying_share(self, identifier: int) -> Point:
        for i, share in self.verifying_shares:
            if i == identifier:
                return share
        raise InvalidParticipants(f"no verifying share for participant {identifier}")

    @property
    def identifiers(self) -> tuple[int, ...]:
        return tuple(i for i, _ in self.verifying_shares)

    def to_bytes(self) -> bytes:
        w = Writer(Kind.PUBLIC_KEY_PACKAGE).u16(self.threshold).u32(self.epoch)
        w.point(self.group_public_key).u16(len(self.verifying_shares))
        for identifier, share in self.verifying_shares:
            w.u16(identifier).point(share)
        return w.finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicKeyPackage:
        r = Reader(data, Kind.PUBLIC_KEY_PACKAGE)
        threshold, epoch, group_key = r.u16(), r.u32(), r.point()
        shares = tuple((r.u16(), r.point()) for _ in range(r.u16()))
        r.end()
        return cls(threshold, epoch, group_key, shares)


@dataclass(frozen=True, repr=False)
class KeyPackage:
    """One party's share. Never serialized except to be sealed or encrypted at rest."""

    identifier: int
    secret_share: int
    public: PublicKeyPackage

    def __post_init__(self) -> None:
        check_identifier(self.identifier)
        if not 0 < self.secret_share < L:
            raise InvalidShare("secret share must be a non-zero scalar below the group order")
        if base_mul(self.secret_share) != self.public.verifying_share(self.identifier):
            raise InvalidShare("secret share does not match its verifying share")

    def __repr__(self) -> str:  # never print the share
        return (
            f"KeyPackage(identifier={self.identifier}, epoch={self.public.epoch}, "
            f"group_public_key={encode_point(self.public.group_public_key).hex()})"
        )

    @property
    def verifying_share(self) -> Point:
        return self.public.verifying_share(self.identifier)

    @property
    def group_public_key(self) -> Point:
        return self.public.group_public_key

    @property
    def epoch(self) -> int:
        return self.public.epoch

    def to_bytes(self) -> bytes:
        w = Writer(Kind.KEY_PACKAGE).u16(self.identifier).scalar(self.secret_share)
        return w.variable(self.public.to_bytes()).finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyPackage:
        r = Reader(data, Kind.KEY_PACKAGE)
        identifier, share = r.u16(), r.nonzero_scalar()
        public = PublicKeyPackage.from_bytes(r.variable())
        r.end()
        return cls(identifier, share, public)


def same_key_set(a: PublicKeyPackage, b: PublicKeyPackage) -> None:
    if a.group_public_key != b.group_public_key:
        raise EpochMismatch("pieces belong to different group keys")
    if a.epoch != b.epoch:
        raise EpochMismatch(f"shares of epoch {a.epoch} and epoch {b.epoch} do not combine")
