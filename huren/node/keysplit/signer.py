"""The parties of a signing: a signer holding one share, and the coordinator.

A signer's nonces never leave it: :class:`SigningNonces` has no serialization, and the
:class:`NonceStore` hands each pair out once, erasing it before the share is computed, so a
second request naming the same commitment is refused even if the first one failed halfway.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from huren.node.keysplit.errors import EpochMismatch, InvalidParticipants, NonceReuse
from huren.node.keysplit.frost import (
    SignatureShare,
    SigningCommitment,
    SigningPackage,
    aggregate,
    nonce_generate,
    sign_share,
)
from huren.node.keysplit.group import RandomBytes, base_mul, encode_point, system_random
from huren.node.keysplit.keys import KeyPackage, PublicKeyPackage


@dataclass(frozen=True, repr=False)
class SigningNonces:
    hiding: int
    binding: int
    commitment: SigningCommitment

    def __repr__(self) -> str:
        return f"SigningNonces(identifier={self.commitment.identifier}, <secret>)"


class NonceStore:
    """Outstanding nonce pairs of one signer, keyed by their public commitment.

    At most ``capacity`` pairs are kept; the oldest is dropped first (its commitment then
    cannot be used, which is safe: it was never used either).
    """

    def __init__(self, capacity: int = 64) -> None:
        self._capacity = capacity
        self._pending: OrderedDict[bytes, SigningNonces] = OrderedDict()

    @staticmethod
    def _key(commitment: SigningCommitment) -> bytes:
        return encode_point(commitment.hiding) + encode_point(commitment.binding)

    def put(self, nonces: SigningNonces) -> None:
        self._pending[self._key(nonces.commitment)] = nonces
        while len(self._pending) > self._capacity:
            self._pending.popitem(last=False)

    def take(self, commitment: SigningCommitment) -> SigningNonces:
        """Remove and return the nonces of ``commitment``; a second take raises NonceReuse."""
        nonces = self._pending.pop(self._key(commitment), None)
        if nonces is None or nonces.commitment != commitment:
            raise NonceReuse("no unused nonces for this commitment (used, expired or unknown)")
        return nonces

    def __len__(self) -> int:
        return len(self._pending)


class SignerParty:
    """One share holder: round one (commit) and round two (sign) of RFC 9591 §5."""

    def __init__(
        self,
        key_package: KeyPackage,
        *,
        random_bytes: RandomBytes = system_random,
        nonce_store: NonceStore | None = None,
    ) -> None:
        self._key = key_package
        self._random_bytes = random_bytes
        self._nonces = nonce_store if nonce_store is not None else NonceStore()

    @property
    def identifier(self) -> int:
        return self._key.identifier

    @property
    def public(self) -> PublicKeyPackage:
        return self._key.public

    def commit(self) -> SigningCommitment:
        """§5.1: fresh hiding and binding nonces; only their commitments leave the party."""
        secret = self._key.secret_share
        hiding = nonce_generate(secret, self._random_bytes)
        binding = nonce_generate(secret, self._random_bytes)
        commitment = SigningCommitment(
            self._key.identifier, self._key.epoch, base_mul(hiding), base_mul(binding)
        )
        self._nonces.put(SigningNonces(hiding, binding, commitment))
        return commitment

    def sign(self, package: SigningPackage) -> SignatureShare:
        """§5.2 with the RFC's input checks; the nonces are erased before anything else."""
        if package.epoch != self._key.epoch:
            raise EpochMismatch(f"package epoch {package.epoch}, share epoch {self._key.epoch}")
        own = package.commitment_of(self._key.identifier)
        nonces = self._nonces.take(own)
        if len(package.commitments) < self._key.public.threshold:
            raise InvalidParticipants("fewer signers than the threshold")
        known = set(self._key.public.identifiers)
        if not set(package.identifiers) <= known:
            raise InvalidParticipants("package names participants outside the key set")
        share = sign_share(
            self._key.identifier,
            self._key.secret_share,
            self._key.group_public_key,
            nonces.hiding,
            nonces.binding,
            package,
        )
        return SignatureShare(self._key.identifier, self._key.epoch, share)


class Coordinator:
    """Builds signing packages and aggregates shares; holds only public data."""

    def __init__(self, public: PublicKeyPackage) -> None:
        self._public = public

    def signing_package(
        self, message: bytes, commitments: Sequence[SigningCommitment]
    ) -> SigningPackage:
        ordered = tuple(sorted(commitments, key=lambda c: c.identifier))
        if len(ordered) < self._public.threshold:
            raise InvalidParticipants(f"need {self._public.threshold} signers, got {len(ordered)}")
        for commitment in ordered:
            self._public.verifying_share(commitment.identifier)
            if commitment.epoch != self._public.epoch:
                raise EpochMismatch(
                    f"commitment of epoch {commitment.epoch}, key epoch {self._public.epoch}"
                )
        return SigningPackage(self._public.epoch, bytes(message), ordered)

    def aggregate(self, package: SigningPackage, shares: Sequence[SignatureShare]) -> bytes:
        """The Ed25519 signature, verified; a bad share is named (InvalidSignatureShare)."""
        return aggregate(package, shares, self._public)
