"""Split X25519 decryption: the encryption key is a scalar shared 2-of-3 like a signing key.

Given a sender's ephemeral X25519 value ``enc`` (a u-coordinate), each share holder maps it to
the Edwards point E and returns D_i = s_i·E with a proof that log_B(Y_i) = log_E(D_i), where
Y_i is its public verifying share. The combiner (the device) checks the proofs, adds
λ_i·D_i = s·E and maps back to u: that is X25519(sk, enc), the Diffie-Hellman value a sender
computed as X25519(e, pk). The holders see only ``enc``: never the ciphertext, the DH value or
the content key it protects.

The X25519 public key is u(Y) for the group key Y = s·B. Senders use any X25519 (or HPKE
DHKEM(X25519)) implementation: X25519(e, u(s·B)) = u(clamp(e)·s·B) = u(s·E).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from huren.node.keysplit.codec import Kind, Reader, Writer
from huren.node.keysplit.errors import EpochMismatch, InvalidParticipants, InvalidProof
from huren.node.keysplit.group import (
    POINT_SIZE,
    L,
    Point,
    RandomBytes,
    base_mul,
    base_mul_or_identity,
    edwards_to_u,
    encode_point,
    encode_scalar,
    h_dleq,
    mul,
    random_scalar,
    sub,
    sum_points,
    system_random,
    u_to_edwards,
)
from huren.node.keysplit.keys import (
    KeyPackage,
    PublicKeyPackage,
    check_identifier,
    lagrange_coefficient,
)


def x25519_public_key(public: PublicKeyPackage) -> bytes:
    """The ordinary X25519 public key of a split encryption key (goes in the certificate)."""
    return edwards_to_u(public.group_public_key)


@dataclass(frozen=True)
class DecryptionRequest:
    """What a share holder is asked: which key (group key, epoch) and the sender's ``enc``."""

    group_public_key: Point
    epoch: int
    enc: bytes
    ephemeral_point: Point = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        encode_point(self.group_public_key)
        # Refuses small-order, mixed-order and non-canonical values; kept to validate once.
        object.__setattr__(self, "ephemeral_point", u_to_edwards(self.enc))

    def to_bytes(self) -> bytes:
        w = Writer(Kind.DECRYPTION_REQUEST).point(self.group_public_key).u32(self.epoch)
        return w.fixed(self.enc).finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> DecryptionRequest:
        r = Reader(data, Kind.DECRYPTION_REQUEST)
        request = cls(r.point(), r.u32(), r.fixed(POINT_SIZE))
        r.end()
        return request


@dataclass(frozen=True)
class DecryptionShare:
    """D_i = s_i·E and a Chaum-Pedersen proof (challenge, response) that it used s_i."""

    identifier: int
    epoch: int
    partial: Point
    challenge: int
    response: int

    def __post_init__(self) -> None:
        check_identifier(self.identifier)
        encode_point(self.partial)
        encode_scalar(self.challenge)
        encode_scalar(self.response)

    def to_bytes(self) -> bytes:
        w = Writer(Kind.DECRYPTION_SHARE).u16(self.identifier).u32(self.epoch)
        return w.point(self.partial).scalar(self.challenge).scalar(self.response).finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> DecryptionShare:
        r = Reader(data, Kind.DECRYPTION_SHARE)
        share = cls(r.u16(), r.u32(), r.point(), r.scalar(), r.scalar())
        r.end()
        return share


def _dleq_challenge(
    request: DecryptionRequest,
    identifier: int,
    verifying_share: Point,
    partial: Point,
    commitment_base: Point,
    commitment_ephemeral: Point,
) -> int:
    return h_dleq(
        request.to_bytes()
        + encode_scalar(identifier)
        + encode_point(verifying_share)
        + encode_point(partial)
        + encode_point(commitment_base)
        + encode_point(commitment_ephemeral)
    )


def decryption_share(
    key: KeyPackage, request: DecryptionRequest, random_bytes: RandomBytes = system_random
) -> DecryptionShare:
    """A share holder's answer; it learns nothing but ``enc``."""
    if request.group_public_key != key.group_public_key:
        raise EpochMismatch("request names another encryption key")
    if request.epoch != key.epoch:
        raise EpochMismatch(f"request epoch {request.epoch}, share epoch {key.epoch}")
    ephemeral = request.ephemeral_point
    partial = mul(key.secret_share, ephemeral)
    k = random_scalar(random_bytes)
    challenge = _dleq_challenge(
        request, key.identifier, key.verifying_share, partial, base_mul(k), mul(k, ephemeral)
    )
    response = (k + challenge * key.secret_share) % L
    return DecryptionShare(key.identifier, key.epoch, partial, challenge, response)


def verify_decryption_share(
    share: DecryptionShare, public: PublicKeyPackage, request: DecryptionRequest
) -> None:
    """Check the proof: z·B - c·Y_i and z·E - c·D_i must hash back to c."""
    if share.epoch != public.epoch:
        raise EpochMismatch(f"decryption share of epoch {share.epoch}, key epoch {public.epoch}")
    verifying_share = public.verifying_share(share.identifier)
    ephemeral = request.ephemeral_point
    commitment_base = sub(
        base_mul_or_identity(share.response), mul(share.challenge, verifying_share)
    )
    commitment_ephemeral = sub(mul(share.response, ephemeral), mul(share.challenge, share.partial))
    expected = _dleq_challenge(
        request,
        share.identifier,
        verifying_share,
        share.partial,
        commitment_base,
        commitment_ephemeral,
    )
    if expected != share.challenge:
        raise InvalidProof(f"decryption share of participant {share.identifier} is bad")


def combine_decryption_shares(
    public: PublicKeyPackage,
    request: DecryptionRequest,
    shares: Sequence[DecryptionShare],
    *,
    own_key: KeyPackage | None = None,
) -> bytes:
    """X25519(sk, enc) from at least ``threshold`` shares (the device runs this).

    Every share in ``shares`` must carry a valid proof. ``own_key`` lets the combiner add its
    own share directly (s_i·E, no proof to make or check: it trusts itself).
    """
    if request.group_public_key != public.group_public_key:
        raise EpochMismatch("request names another encryption key")
    if request.epoch != public.epoch:
        raise EpochMismatch(f"request epoch {request.epoch}, key epoch {public.epoch}")
    ephemeral = request.ephemeral_point
    partials: dict[int, Point] = {}
    for share in shares:
        if share.identifier in partials:
            raise InvalidParticipants(f"two decryption shares of participant {share.identifier}")
        verify_decryption_share(share, public, request)
        partials[share.identifier] = share.partial
    identifiers = list(partials)
    if own_key is not None:
        if own_key.public != public:
            raise EpochMismatch("own share belongs to another key set or epoch")
        if own_key.identifier in partials:
            raise InvalidParticipants(f"two decryption shares of participant {own_key.identifier}")
        identifiers.append(own_key.identifier)
    if len(identifiers) < public.threshold:
        raise InvalidParticipants(
            f"need {public.threshold} decryption shares, got {len(identifiers)}"
        )
    weighted = [mul(lagrange_coefficient(i, identifiers), d) for i, d in partials.items()]
    if own_key is not None:  # (λ_i s_i)·E: one multiplication instead of two
        own_weight = lagrange_coefficient(own_key.identifier, identifiers) * own_key.secret_share
        weighted.append(mul(own_weight % L, ephemeral))
    return edwards_to_u(sum_points(weighted))
