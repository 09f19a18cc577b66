"""Trusted-dealer key generation (RFC 9591 Appendix C), for test vectors and tests only.

The dealer holds the whole key, which huren never allows in production: keys are made with
the distributed key generation in :mod:`huren.node.keysplit.dkg`. This module exists so the
RFC's test vector (dealer polynomial → participant shares) can be reproduced exactly, and so
tests can build a key whose whole scalar they know.
"""

from __future__ import annotations

from collections.abc import Sequence

from huren.node.keysplit.errors import InvalidParticipants, InvalidScalar
from huren.node.keysplit.group import L, RandomBytes, base_mul, random_scalar, system_random
from huren.node.keysplit.keys import (
    KeyPackage,
    PublicKeyPackage,
    commit_polynomial,
    evaluate_commitment,
    evaluate_polynomial,
)


def split_secret(
    secret: int,
    coefficients: Sequence[int],
    max_participants: int,
    min_participants: int,
    *,
    epoch: int = 0,
) -> tuple[KeyPackage, ...]:
    """RFC 9591 ``secret_share_shard``: shares f(1..n) of f = secret + Σ coefficients."""
    if not 0 < secret < L:
        raise InvalidScalar("secret must be a non-zero scalar below the group order")
    if len(coefficients) != min_participants - 1:
        raise InvalidParticipants("need MIN_PARTICIPANTS - 1 random coefficients")
    if not 2 <= min_participants <= max_participants:
        raise InvalidParticipants("need 2 <= MIN_PARTICIPANTS <= MAX_PARTICIPANTS")
    polynomial = [secret, *coefficients]
    commitments = commit_polynomial(polynomial)
    public = PublicKeyPackage(
        threshold=min_participants,
        epoch=epoch,
        group_public_key=base_mul(secret),
        verifying_shares=tuple(
            (i, evaluate_commitment(commitments, i)) for i in range(1, max_participants + 1)
        ),
    )
    return tuple(
        KeyPackage(i, evaluate_polynomial(polynomial, i), public)
        for i in range(1, max_participants + 1)
    )


def trusted_dealer_keygen(
    max_participants: int = 3,
    min_participants: int = 2,
    *,
    secret: int | None = None,
    random_bytes: RandomBytes = system_random,
) -> tuple[KeyPackage, ...]:
    secret = random_scalar(random_bytes) if secret is None else secret
    coefficients = [random_scalar(random_bytes) for _ in range(min_participants - 1)]
    return split_secret(secret, coefficients, max_participants, min_participants)
