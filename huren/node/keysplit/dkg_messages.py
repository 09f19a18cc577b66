"""The messages of the DKG and resharing protocol (see :mod:`huren.node.keysplit.dkg`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from huren.node.keysplit.codec import Kind, Reader, Writer
from huren.node.keysplit.errors import InvalidParticipants
from huren.node.keysplit.group import Point
from huren.node.keysplit.keys import PublicKeyPackage, check_identifiers
from huren.node.keysplit.sealing import check_recovery_public_key


@dataclass(frozen=True)
class DkgParameters:
    """What all parties agree on before round one; its digest binds every message."""

    session_id: bytes
    threshold: int
    participants: tuple[int, ...]
    dealers: tuple[int, ...]
    sealed_recipients: tuple[tuple[int, bytes], ...] = ()
    previous: PublicKeyPackage | None = None

    def __post_init__(self) -> None:
        if not 16 <= len(self.session_id) <= 64:
            raise InvalidParticipants("session id must be 16 to 64 bytes")
        if check_identifiers(self.participants, at_least=self.threshold) != self.participants:
            raise InvalidParticipants("participants must be sorted")
        if check_identifiers(self.dealers, at_least=2) != self.dealers:
            raise InvalidParticipants("dealers must be sorted")
        if self.threshold < 2:
            raise InvalidParticipants("threshold must be at least 2")
        for identifier, public_key in self.sealed_recipients:
            if identifier not in self.participants:
                raise InvalidParticipants(f"sealed recipient {identifier} is not a participant")
            check_recovery_public_key(public_key)
        check_identifiers(i for i, _ in self.sealed_recipients)
        if self.previous is not None:
            if not set(self.dealers) <= set(self.previous.identifiers):
                raise InvalidParticipants("reshare dealers must hold shares of the old epoch")
            if len(self.dealers) < self.previous.threshold:
                raise InvalidParticipants("reshare needs at least threshold old holders")

    @property
    def epoch(self) -> int:
        return 0 if self.previous is None else self.previous.epoch + 1

    @property
    def digest(self) -> bytes:
        return hashlib.sha512(self.to_bytes()).digest()[:32]

    def sealed_key_of(self, identifier: int) -> bytes | None:
        return dict(self.sealed_recipients).get(identifier)

    def to_bytes(self) -> bytes:
        w = Writer(Kind.DKG_PARAMETERS).variable(self.session_id).u16(self.threshold)
        for ids in (self.participants, self.dealers):
            w.u16(len(ids))
            for identifier in ids:
                w.u16(identifier)
        w.u16(len(self.sealed_recipients))
        for identifier, public_key in self.sealed_recipients:
            w.u16(identifier).fixed(public_key)
        w.variable(b"" if self.previous is None else self.previous.to_bytes())
        return w.finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> DkgParameters:
        r = Reader(data, Kind.DKG_PARAMETERS)
        session_id, threshold = r.variable(), r.u16()
        participants = tuple(r.u16() for _ in range(r.u16()))
        dealers = tuple(r.u16() for _ in range(r.u16()))
        sealed = tuple((r.u16(), r.fixed(32)) for _ in range(r.u16()))
        previous_bytes = r.variable()
        r.end()
        previous = PublicKeyPackage.from_bytes(previous_bytes) if previous_bytes else None
        return cls(session_id, threshold, participants, dealers, sealed, previous)


@dataclass(frozen=True)
class DkgCommitment:
    """Round one broadcast: coefficient commitments and a proof of possession of a_0."""

    session: bytes
    sender: int
    commitments: tuple[Point, ...]
    proof_r: Point
    proof_mu: int

    def to_bytes(self) -> bytes:
        w = Writer(Kind.DKG_COMMITMENT).fixed(self.session).u16(self.sender)
        w.u16(len(self.commitments))
        for commitment in self.commitments:
            w.point(commitment)
        return w.point(self.proof_r).scalar(self.proof_mu).finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> DkgCommitment:
        r = Reader(data, Kind.DKG_COMMITMENT)
        session, sender = r.fixed(32), r.u16()
        commitments = tuple(r.point() for _ in range(r.u16()))
        message = cls(session, sender, commitments, r.point(), r.scalar())
        r.end()
        return message


@dataclass(frozen=True, repr=False)
class DkgSecretShare:
    """Round two, to an online participant over a confidential channel: f_sender(receiver)."""

    session: bytes
    sender: int
    receiver: int
    share: int

    def __repr__(self) -> str:
        return f"DkgSecretShare(sender={self.sender}, receiver={self.receiver}, <secret>)"

    def to_bytes(self) -> bytes:
        w = Writer(Kind.DKG_SECRET_SHARE).fixed(self.session).u16(self.sender)
        return w.u16(self.receiver).scalar(self.share).finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> DkgSecretShare:
        r = Reader(data, Kind.DKG_SECRET_SHARE)
        message = cls(r.fixed(32), r.u16(), r.u16(), r.scalar())
        r.end()
        return message


@dataclass(frozen=True)
class SealedDkgShare:
    """Round two, to a sealed (offline) participant: f_sender(receiver) sealed to its key."""

    session: bytes
    sender: int
    receiver: int
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        w = Writer(Kind.SEALED_DKG_SHARE).fixed(self.session).u16(self.sender)
        return w.u16(self.receiver).variable(self.ciphertext).finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedDkgShare:
        r = Reader(data, Kind.SEALED_DKG_SHARE)
        message = cls(r.fixed(32), r.u16(), r.u16(), r.variable())
        r.end()
        return message


RoundTwoMessage = DkgSecretShare | SealedDkgShare
