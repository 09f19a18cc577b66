"""Distributed key generation and resharing without a trusted dealer (Pedersen DKG).

One protocol serves both: each *dealer* picks a random polynomial of degree t-1, broadcasts
commitments to its coefficients with a Schnorr proof of possession of the constant term
(FROST paper, KeyGen round 1), then sends every *participant* its evaluation (round 2). Each
participant checks what it receives against the commitments and adds it up. The group key is
the sum of the constant-term commitments; nobody ever holds the whole key.

* Key generation (epoch 0): the constant terms are random. huren's dealers are the device and
  the co-signer; the recovery participant is offline, so its evaluations are sealed to the
  recovery public key and kept in a :class:`RecoveryEnvelope` until the recovery holder opens
  it. With two dealers neither knows the key.
* Resharing (epoch e+1): the dealers are t holders of the previous epoch; dealer j's constant
  term is λ_j·s_j, its commitment must equal λ_j·Y_j (Y_j its old verifying share), so the new
  polynomial has the same secret and the group key does not change. The new shares lie on a
  fresh polynomial: shares of the old epoch no longer combine with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from huren.node.keysplit.codec import Kind, Reader, Writer
from huren.node.keysplit.dkg_messages import (
    DkgCommitment,
    DkgParameters,
    DkgSecretShare,
    RoundTwoMessage,
    SealedDkgShare,
)
from huren.node.keysplit.errors import (
    EpochMismatch,
    InvalidParticipants,
    InvalidProof,
    MalformedMessage,
    ProtocolStateError,
)
from huren.node.keysplit.group import (
    L,
    Point,
    RandomBytes,
    add,
    base_mul,
    decode_scalar,
    encode_point,
    encode_scalar,
    h_dkg,
    mul,
    random_scalar,
    sum_points,
    system_random,
)
from huren.node.keysplit.keys import (
    COSIGNER,
    DEVICE,
    RECOVERY,
    KeyPackage,
    PublicKeyPackage,
    commit_polynomial,
    evaluate_commitment,
    evaluate_polynomial,
    lagrange_coefficient,
    verify_share,
)
from huren.node.keysplit.sealing import RecoveryKey, seal

SHARE_PURPOSE = b"huren-keysplit-dkg-share"
__all__ = [
    "DkgCommitment",
    "DkgParameters",
    "DkgParticipant",
    "DkgSecretShare",
    "RecoveryEnvelope",
    "RoundTwoMessage",
    "SealedDkgShare",
    "enrolment_parameters",
    "public_key_package",
    "recovery_reshare_parameters",
    "verify_commitment",
]


def _share_context(session: bytes, sender: int, receiver: int) -> bytes:
    return session + sender.to_bytes(2, "big") + receiver.to_bytes(2, "big")


def _proof_challenge(session: bytes, sender: int, constant: Point, proof_r: Point) -> int:
    return h_dkg(session + encode_scalar(sender) + encode_point(constant) + encode_point(proof_r))


def verify_commitment(params: DkgParameters, message: DkgCommitment) -> None:
    """Check a dealer's round-one message: session, shape, proof, and (reshare) its a_0."""
    if message.session != params.digest:
        raise EpochMismatch("commitment belongs to another DKG session")
    if message.sender not in params.dealers:
        raise InvalidParticipants(f"participant {message.sender} is not a dealer")
    if len(message.commitments) != params.threshold:
        raise MalformedMessage(f"a dealer commits to {params.threshold} coefficients")
    constant = message.commitments[0]
    challenge = _proof_challenge(message.session, message.sender, constant, message.proof_r)
    if message.proof_mu == 0 or base_mul(message.proof_mu) != add(
        message.proof_r, mul(challenge, constant)
    ):
        raise InvalidProof(f"proof of possession of dealer {message.sender} does not verify")
    if params.previous is not None:
        expected = mul(
            lagrange_coefficient(message.sender, params.dealers),
            params.previous.verifying_share(message.sender),
        )
        if constant != expected:
            raise InvalidProof(f"dealer {message.sender} does not reshare its old share")


def public_key_package(
    params: DkgParameters, commitments: Sequence[DkgCommitment]
) -> PublicKeyPackage:
    """The public outcome, computable by anyone from the (verified) round-one broadcasts."""
    by_sender = {m.sender: m for m in commitments}
    if tuple(sorted(by_sender)) != params.dealers or len(by_sender) != len(commitments):
        raise InvalidParticipants("need exactly one commitment from every dealer")
    group_key = sum_points([m.commitments[0] for m in commitments])
    if params.previous is not None and group_key != params.previous.group_public_key:
        raise InvalidProof("reshare commitments do not add up to the group key")
    return PublicKeyPackage(
        threshold=params.threshold,
        epoch=params.epoch,
        group_public_key=group_key,
        verifying_shares=tuple(
            (i, sum_points([evaluate_commitment(m.commitments, i) for m in commitments]))
            for i in params.participants
        ),
    )


@dataclass
class DkgParticipant:
    """One party's side of a DKG or reshare session (dealer, receiver, or both).

    ``previous_share`` is the party's share of the old epoch (resharing dealers only);
    ``recovery_key`` opens shares sealed to this participant.
    """

    params: DkgParameters
    identifier: int
    previous_share: KeyPackage | None = None
    recovery_key: RecoveryKey | None = None
    random_bytes: RandomBytes = system_random
    _coefficients: list[int] | None = field(default=None, init=False, repr=False)
    _commitments: dict[int, DkgCommitment] | None = field(default=None, init=False, repr=False)
    _own_share: int | None = field(default=None, init=False, repr=False)
    _own_commitments: tuple[Point, ...] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        p = self.params
        if self.identifier not in p.dealers and self.identifier not in p.participants:
            raise InvalidParticipants(f"{self.identifier} has no role in this session")
        if self.is_dealer:
            constant = random_scalar(self.random_bytes)
            if p.previous is not None:
                old = self.previous_share
                if old is None or old.identifier != self.identifier:
                    raise ProtocolStateError("a resharing dealer needs its own old share")
                if old.public != p.previous:
                    raise EpochMismatch("old share belongs to another key set or epoch")
                constant = lagrange_coefficient(self.identifier, p.dealers) * old.secret_share % L
            randoms = [random_scalar(self.random_bytes) for _ in range(p.threshold - 1)]
            self._coefficients = [constant, *randoms]

    @property
    def is_dealer(self) -> bool:
        return self.identifier in self.params.dealers

    def round1(self) -> DkgCommitment:
        if self._coefficients is None:
            raise ProtocolStateError("only a dealer that has not sent its shares commits")
        session = self.params.digest
        commitments = commit_polynomial(self._coefficients)
        self._own_commitments = commitments
        k = random_scalar(self.random_bytes)
        proof_r = base_mul(k)
        challenge = _proof_challenge(session, self.identifier, commitments[0], proof_r)
        mu = (k + self._coefficients[0] * challenge) % L
        return DkgCommitment(session, self.identifier, commitments, proof_r, mu)

    def receive_commitments(self, commitments: Sequence[DkgCommitment]) -> PublicKeyPackage:
        """Verify every dealer's broadcast; returns the public outcome of the session."""
        for message in commitments:
            verify_commitment(self.params, message)
            if message.sender == self.identifier and message.commitments != self._own_commitments:
                raise InvalidProof("the broadcast carries commitments this dealer did not make")
        public = public_key_package(self.params, commitments)
        self._commitments = {m.sender: m for m in commitments}
        return public

    def round2(self) -> tuple[RoundTwoMessage, ...]:
        """This dealer's evaluations for every other participant; then its polynomial is erased."""
        if self._coefficients is None or self._own_commitments is None or self._commitments is None:
            raise ProtocolStateError("round two needs round one done and all commitments checked")
        coefficients, self._coefficients = self._coefficients, None
        session = self.params.digest
        out: list[RoundTwoMessage] = []
        for receiver in self.params.participants:
            value = evaluate_polynomial(coefficients, receiver)
            if receiver == self.identifier:
                self._own_share = value
                continue
            sealed_to = self.params.sealed_key_of(receiver)
            if sealed_to is None:
                out.append(DkgSecretShare(session, self.identifier, receiver, value))
            else:
                context = _share_context(session, self.identifier, receiver)
                ciphertext = seal(sealed_to, SHARE_PURPOSE, context, encode_scalar(value))
                out.append(SealedDkgShare(session, self.identifier, receiver, ciphertext))
        return tuple(out)

    def _open(self, message: RoundTwoMessage) -> int:
        if message.session != self.params.digest:
            raise EpochMismatch("share belongs to another DKG session")
        if message.receiver != self.identifier or message.sender not in self.params.dealers:
            raise InvalidParticipants("share is not from a dealer to this participant")
        if isinstance(message, DkgSecretShare):
            return message.share
        if self.recovery_key is None:
            raise ProtocolStateError("a sealed share needs the recovery key to open")
        context = _share_context(message.session, message.sender, message.receiver)
        return decode_scalar(self.recovery_key.open(message.ciphertext, SHARE_PURPOSE, context))

    def finish(self, received: Sequence[RoundTwoMessage]) -> KeyPackage:
        """Verify each dealer's share against its commitments and add them up."""
        if self._commitments is None:
            raise ProtocolStateError("commitments must be received before shares")
        if self.identifier not in self.params.participants:
            raise ProtocolStateError("only participants receive shares")
        if self.is_dealer and self._own_share is None:
            raise ProtocolStateError("a dealer sends its own shares before finishing")
        values = {m.sender: self._open(m) for m in received}
        expected = set(self.params.dealers) - {self.identifier}
        if len(values) != len(received) or set(values) != expected:
            raise InvalidParticipants("need exactly one share from every other dealer")
        if self._own_share is not None:
            values[self.identifier] = self._own_share
        for sender, value in values.items():
            verify_share(self.identifier, value, self._commitments[sender].commitments)
        public = public_key_package(self.params, list(self._commitments.values()))
        self._own_share = None
        return KeyPackage(self.identifier, sum(values.values()) % L, public)


@dataclass(frozen=True)
class RecoveryEnvelope:
    """What is kept for an offline participant: the session's public broadcasts and the
    shares sealed to it. Opening it needs the recovery private key; it holds nothing else."""

    params: DkgParameters
    receiver: int
    commitments: tuple[DkgCommitment, ...]
    sealed_shares: tuple[SealedDkgShare, ...]

    def open(self, recovery_key: RecoveryKey) -> KeyPackage:
        participant = DkgParticipant(self.params, self.receiver, recovery_key=recovery_key)
        participant.receive_commitments(self.commitments)
        return participant.finish(self.sealed_shares)

    def to_bytes(self) -> bytes:
        w = Writer(Kind.RECOVERY_ENVELOPE).variable(self.params.to_bytes()).u16(self.receiver)
        w.u16(len(self.commitments))
        for commitment in self.commitments:
            w.variable(commitment.to_bytes())
        w.u16(len(self.sealed_shares))
        for share in self.sealed_shares:
            w.variable(share.to_bytes())
        return w.finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> RecoveryEnvelope:
        r = Reader(data, Kind.RECOVERY_ENVELOPE)
        params, receiver = DkgParameters.from_bytes(r.variable()), r.u16()
        commitments = tuple(DkgCommitment.from_bytes(r.variable()) for _ in range(r.u16()))
        sealed = tuple(SealedDkgShare.from_bytes(r.variable()) for _ in range(r.u16()))
        r.end()
        return cls(params, receiver, commitments, sealed)


def enrolment_parameters(session_id: bytes, recovery_public_key: bytes) -> DkgParameters:
    """huren's key generation: device and co-signer deal, recovery receives sealed shares."""
    return DkgParameters(
        session_id=session_id,
        threshold=2,
        participants=(DEVICE, COSIGNER, RECOVERY),
        dealers=(DEVICE, COSIGNER),
        sealed_recipients=((RECOVERY, recovery_public_key),),
    )


def recovery_reshare_parameters(
    session_id: bytes, previous: PublicKeyPackage, recovery_public_key: bytes
) -> DkgParameters:
    """Certificate recovery: co-signer and recovery reshare; a new device gets a fresh share."""
    return DkgParameters(
        session_id=session_id,
        threshold=previous.threshold,
        participants=(DEVICE, COSIGNER, RECOVERY),
        dealers=(COSIGNER, RECOVERY),
        sealed_recipients=((RECOVERY, recovery_public_key),),
        previous=previous,
    )
