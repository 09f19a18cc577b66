"""FROST(Ed25519, SHA-512), RFC 9591: the two signing rounds and aggregation.

The functions follow the RFC's names and steps (§4 helpers, §5 rounds); the message classes
are what travels between the coordinator (the device) and the signers, as versioned bytes.
The aggregate is an ordinary RFC 8032 Ed25519 signature under the group public key.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from huren.node.keysplit.codec import Kind, Reader, Writer
from huren.node.keysplit.errors import (
    EpochMismatch,
    InvalidParticipants,
    InvalidSignature,
    InvalidSignatureShare,
)
from huren.node.keysplit.group import (
    L,
    Point,
    RandomBytes,
    add,
    base_mul_or_identity,
    encode_point,
    encode_scalar,
    h1,
    h2,
    h3,
    h4,
    h5,
    mul,
    sum_points,
)
from huren.node.keysplit.keys import (
    PublicKeyPackage,
    check_identifier,
    check_identifiers,
    lagrange_coefficient,
)

MAX_MESSAGE = 1 << 20


@dataclass(frozen=True)
class SigningCommitment:
    """Round-one output of one signer: commitments to its hiding and binding nonces."""

    identifier: int
    epoch: int
    hiding: Point
    binding: Point

    def __post_init__(self) -> None:
        check_identifier(self.identifier)
        encode_point(self.hiding)
        encode_point(self.binding)

    def to_bytes(self) -> bytes:
        w = Writer(Kind.SIGNING_COMMITMENT).u16(self.identifier).u32(self.epoch)
        return w.point(self.hiding).point(self.binding).finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> SigningCommitment:
        r = Reader(data, Kind.SIGNING_COMMITMENT)
        commitment = cls(r.u16(), r.u32(), r.point(), r.point())
        r.end()
        return commitment


@dataclass(frozen=True)
class SigningPackage:
    """What the coordinator sends every chosen signer: the message and all commitments."""

    epoch: int
    message: bytes
    commitments: tuple[SigningCommitment, ...]

    def __post_init__(self) -> None:
        ids = check_identifiers((c.identifier for c in self.commitments), at_least=2)
        if ids != self.identifiers:
            raise InvalidParticipants("commitments must be sorted by identifier")
        if any(c.epoch != self.epoch for c in self.commitments):
            raise EpochMismatch("commitments from different share epochs")
        if len(self.message) > MAX_MESSAGE:
            raise InvalidParticipants("message too long")

    @property
    def identifiers(self) -> tuple[int, ...]:
        return tuple(c.identifier for c in self.commitments)

    def commitment_of(self, identifier: int) -> SigningCommitment:
        for commitment in self.commitments:
            if commitment.identifier == identifier:
                return commitment
        raise InvalidParticipants(f"participant {identifier} has no commitment in the package")

    def to_bytes(self) -> bytes:
        w = Writer(Kind.SIGNING_PACKAGE).u32(self.epoch).variable(self.message)
        w.u16(len(self.commitments))
        for commitment in self.commitments:
            w.variable(commitment.to_bytes())
        return w.finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> SigningPackage:
        r = Reader(data, Kind.SIGNING_PACKAGE)
        epoch, message = r.u32(), r.variable()
        commitments = tuple(SigningCommitment.from_bytes(r.variable()) for _ in range(r.u16()))
        r.end()
        return cls(epoch, message, commitments)


@dataclass(frozen=True)
class SignatureShare:
    identifier: int
    epoch: int
    share: int

    def __post_init__(self) -> None:
        check_identifier(self.identifier)
        encode_scalar(self.share)

    def to_bytes(self) -> bytes:
        w = Writer(Kind.SIGNATURE_SHARE).u16(self.identifier).u32(self.epoch)
        return w.scalar(self.share).finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> SignatureShare:
        r = Reader(data, Kind.SIGNATURE_SHARE)
        share = cls(r.u16(), r.u32(), r.scalar())
        r.end()
        return share


# -- RFC 9591 §4 helpers ---------------------------------------------------------------------


def nonce_generate(secret: int, random_bytes: RandomBytes) -> int:
    """§4.1: H3(random_bytes(32) || SerializeScalar(secret))."""
    return h3(random_bytes(32) + encode_scalar(secret))


def encode_group_commitment_list(commitments: Sequence[SigningCommitment]) -> bytes:
    """§4.3."""
    return b"".join(
        encode_scalar(c.identifier) + encode_point(c.hiding) + encode_point(c.binding)
        for c in commitments
    )


def _rho_input_prefix(group_public_key: Point, package: SigningPackage) -> bytes:
    return (
        encode_point(group_public_key)
        + h4(package.message)
        + h5(encode_group_commitment_list(package.commitments))
    )


def binding_factor_input(
    group_public_key: Point, package: SigningPackage, identifier: int
) -> bytes:
    """§4.4's rho_input for one participant (exposed for the RFC vector)."""
    return _rho_input_prefix(group_public_key, package) + encode_scalar(identifier)


def compute_binding_factors(group_public_key: Point, package: SigningPackage) -> dict[int, int]:
    """§4.4: one binding factor per participant."""
    prefix = _rho_input_prefix(group_public_key, package)
    return {i: h1(prefix + encode_scalar(i)) for i in package.identifiers}


def compute_group_commitment(package: SigningPackage, binding_factors: Mapping[int, int]) -> Point:
    """§4.5: Σ D_i + ρ_i E_i; the identity is refused when it is serialized."""
    return sum_points(
        [add(c.hiding, mul(binding_factors[c.identifier], c.binding)) for c in package.commitments]
    )


def compute_challenge(group_commitment: Point, group_public_key: Point, message: bytes) -> int:
    """§4.6: H2(R || PK || msg), exactly Ed25519's challenge."""
    return h2(encode_point(group_commitment) + encode_point(group_public_key) + message)


@functools.lru_cache(maxsize=16)  # small: a package may carry up to 1 MiB of message
def _binding_and_group_commitment(
    group_public_key: Point, package: SigningPackage
) -> tuple[tuple[tuple[int, int], ...], Point]:
    # The device is both a signer and the coordinator and needs these twice per signature;
    # both are pure functions of immutable inputs, so computing them once is safe.
    factors = compute_binding_factors(group_public_key, package)
    return tuple(factors.items()), compute_group_commitment(package, factors)


def binding_and_group_commitment(
    group_public_key: Point, package: SigningPackage
) -> tuple[dict[int, int], Point]:
    factors, commitment = _binding_and_group_commitment(group_public_key, package)
    return dict(factors), commitment


# -- RFC 9591 §5.2 and §5.3 ------------------------------------------------------------------


def sign_share(
    identifier: int,
    secret_share: int,
    group_public_key: Point,
    hiding_nonce: int,
    binding_nonce: int,
    package: SigningPackage,
) -> int:
    """§5.2: z_i = d_i + e_i ρ_i + λ_i s_i c."""
    binding_factors, group_commitment = binding_and_group_commitment(group_public_key, package)
    lambda_i = lagrange_coefficient(identifier, package.identifiers)
    challenge = compute_challenge(group_commitment, group_public_key, package.message)
    return (
        hiding_nonce
        + binding_nonce * binding_factors[identifier]
        + lambda_i * secret_share * challenge
    ) % L


def verify_signature_share(
    share: SignatureShare,
    verifying_share: Point,
    package: SigningPackage,
    group_public_key: Point,
    binding_factors: Mapping[int, int],
    group_commitment: Point,
) -> None:
    """§5.4: z_i B == D_i + ρ_i E_i + (c λ_i) PK_i; raises :class:`InvalidSignatureShare`."""
    commitment = package.commitment_of(share.identifier)
    commitment_share = add(
        commitment.hiding, mul(binding_factors[share.identifier], commitment.binding)
    )
    challenge = compute_challenge(group_commitment, group_public_key, package.message)
    lambda_i = lagrange_coefficient(share.identifier, package.identifiers)
    left = base_mul_or_identity(share.share)
    right = add(commitment_share, mul(challenge * lambda_i % L, verifying_share))
    if left != right:
        raise InvalidSignatureShare(f"signature share of participant {share.identifier} is bad")


def aggregate(
    package: SigningPackage,
    shares: Sequence[SignatureShare],
    public: PublicKeyPackage,
    *,
    verify_shares: bool = True,
) -> bytes:
    """§5.3: R || Σ z_i, verified as an ordinary Ed25519 signature before it is returned.

    As §5.3 advises, shares are checked one by one (§5.4) only when the aggregate fails, to
    name the bad signer (:class:`InvalidSignatureShare`): a valid aggregate implies valid
    shares, and the per-share checks would cost more than the rest of the signing together.
    ``verify_shares=False`` returns the sum unchecked; it exists only so tests can show that
    an unchecked bad share yields a signature that ordinary verifiers reject.
    """
    if package.epoch != public.epoch:
        raise EpochMismatch(f"package epoch {package.epoch} != key epoch {public.epoch}")
    if len(package.commitments) < public.threshold:
        raise InvalidParticipants(
            f"need {public.threshold} signers, got {len(package.commitments)}"
        )
    by_id = {s.identifier: s for s in shares}
    if len(by_id) != len(shares) or tuple(sorted(by_id)) != package.identifiers:
        raise InvalidParticipants("need exactly one share from each signer in the package")
    for share in shares:
        if share.epoch != public.epoch:
            raise EpochMismatch(f"share of epoch {share.epoch}, key epoch {public.epoch}")
    binding_factors, group_commitment = binding_and_group_commitment(
        public.group_public_key, package
    )
    z = sum(s.share for s in shares) % L
    signature = encode_point(group_commitment) + encode_scalar(z)
    if not verify_shares:
        return signature
    try:
        verify_signature(public.group_public_key, package.message, signature)
    except InvalidSignature:
        for share in shares:
            verify_signature_share(
                share,
                public.verifying_share(share.identifier),
                package,
                public.group_public_key,
                binding_factors,
                group_commitment,
            )
        raise
    return signature


def verify_signature(group_public_key: Point, message: bytes, signature: bytes) -> None:
    """Ordinary Ed25519 verification (libsodium); raises :class:`InvalidSignature`."""
    try:
        VerifyKey(encode_point(group_public_key)).verify(message, signature)
    except (BadSignatureError, ValueError) as error:
        raise InvalidSignature("signature does not verify under the group key") from error
