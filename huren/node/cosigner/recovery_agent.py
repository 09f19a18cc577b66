"""The offline recovery holder as a port (:class:`RecoveryAgent`), the node's authorization
of one reshare (:class:`RecoveryAuthorization`, signed by the node's recovery authorizer key)
and a deterministic dev simulator (:class:`SimulatedRecoveryAgent`).

The recovery holder keeps the recovery private key offline (an HSM, a vault). It opens its
share — the enrolment's :class:`~huren.node.keysplit.dkg.RecoveryEnvelope` at epoch 0, the
resealed ``KeyPackage`` after a reshare — only for a reshare the node authorized after the
CA approved a recovery (and it was paid): the authorization names the recovery, the
enrolment, the group key, the old epoch and the reshare session's parameters digest, and is
signed by the node's authorizer key, whose public half the holder was given. Its three steps
follow the reshare: commit (round one), deal (round two, after every dealer's commitment is
checked), finish (take the co-signer's share, seal its own new share to the recovery key).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from huren.node.cosigner.errors import CosignerError
from huren.node.keysplit.dkg import (
    DkgCommitment,
    DkgParameters,
    DkgParticipant,
    DkgSecretShare,
    RecoveryEnvelope,
    SealedDkgShare,
)
from huren.node.keysplit.errors import KeysplitError
from huren.node.keysplit.keys import RECOVERY, KeyPackage
from huren.node.keysplit.sealing import RecoveryKey, open_key_package, seal_key_package

__all__ = [
    "DEV_RECOVERY_KEY",
    "RecoveryAgent",
    "RecoveryAgentRefused",
    "RecoveryAgentUnavailable",
    "RecoveryAuthorization",
    "RecoveryAuthorizer",
    "RecoveryMaterial",
    "SimulatedRecoveryAgent",
]

_LABEL = b"huren recovery authorization v1\n"
# dev only, like the co-signer's dev KEK: the dev node's recovery holder simulator holds it.
DEV_RECOVERY_KEY = RecoveryKey(
    hashlib.sha256(b"huren dev recovery key (public, dev only)").digest()
)


class RecoveryAgentUnavailable(CosignerError):
    """The recovery holder cannot be reached (offline, timed out): try again later."""

    status = 503
    code = "RECOVERY_AGENT_UNAVAILABLE"


class RecoveryAgentRefused(CosignerError):
    """The recovery holder refused: the authorization, the session or its share is wrong."""

    status = 502
    code = "RECOVERY_AGENT_REFUSED"


@dataclass(frozen=True, slots=True)
class RecoveryAuthorization:
    """What the node asks the recovery holder to reshare, and why."""

    recovery_id: str  # the approved recovery application
    enrolment_id: str
    group_public_key: bytes
    old_epoch: int
    session: bytes  # the reshare parameters' digest
    signature: bytes = b""

    def message(self) -> bytes:
        return _LABEL + b"\n".join(
            (
                self.recovery_id.encode(),
                self.enrolment_id.encode(),
                self.group_public_key.hex().encode(),
                str(self.old_epoch).encode(),
                self.session.hex().encode(),
            )
        )


class RecoveryAuthorizer:
    """The node's key that signs reshare authorizations (derived from the co-signer's KEK, so
    a node has it without another secret; its public half is given to the recovery holder)."""

    def __init__(self, kek: bytes) -> None:
        seed = HKDF(SHA256(), 32, None, b"huren-recovery-authorizer-v1").derive(kek)
        self._key = Ed25519PrivateKey.from_private_bytes(seed)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def authorize(self, unsigned: RecoveryAuthorization) -> RecoveryAuthorization:
        signature = self._key.sign(unsigned.message())
        return RecoveryAuthorization(
            unsigned.recovery_id,
            unsigned.enrolment_id,
            unsigned.group_public_key,
            unsigned.old_epoch,
            unsigned.session,
            signature,
        )


@dataclass(frozen=True, slots=True)
class RecoveryMaterial:
    """The recovery holder's sealed share as the node keeps it: the enrolment envelope
    (epoch 0) or the resealed ``KeyPackage`` (after a reshare)."""

    epoch: int
    envelope: bytes | None = None
    sealed_key_package: bytes | None = None


class RecoveryAgent(Protocol):
    """The offline recovery holder, one reshare session at a time per session digest."""

    def commit(
        self, authorization: RecoveryAuthorization, parameters: bytes, material: RecoveryMaterial
    ) -> bytes:
        """Check the authorization, open the old share, deal: its ``DkgCommitment``."""
        ...

    def deal(self, session: bytes, commitments: Sequence[bytes]) -> Sequence[bytes]:
        """Check every dealer's commitment; its round-two messages (sealed where sealed)."""
        ...

    def finish(self, session: bytes, shares: Sequence[bytes]) -> bytes:
        """Take the other dealer's share; its new ``KeyPackage`` sealed to the recovery key."""
        ...


@dataclass
class _Session:
    participant: DkgParticipant
    recovery_key: RecoveryKey


@dataclass
class SimulatedRecoveryAgent:
    """A recovery holder in process, behaving as the real one: it holds recovery keys, trusts
    one authorizer key, refuses unsigned or mismatched authorizations, a session used twice,
    and can be made ``offline`` (every call: unavailable) or to fail at one ``fail_at`` step
    (``"commit"``, ``"deal"``, ``"finish"``: a timeout)."""

    authorizer: Ed25519PublicKey
    keys: Sequence[RecoveryKey] = (DEV_RECOVERY_KEY,)
    offline: bool = False
    fail_at: str | None = None
    _sessions: dict[bytes, _Session] = field(default_factory=dict, repr=False)
    _used: set[bytes] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _reachable(self, step: str) -> None:
        if self.offline:
            raise RecoveryAgentUnavailable("the recovery holder is offline")
        if self.fail_at == step:
            self.fail_at = None  # one failure, as a timeout would be
            raise RecoveryAgentUnavailable(f"the recovery holder timed out ({step})")

    def commit(
        self, authorization: RecoveryAuthorization, parameters: bytes, material: RecoveryMaterial
    ) -> bytes:
        self._reachable("commit")
        try:
            self.authorizer.verify(authorization.signature, authorization.message())
        except InvalidSignature:
            raise RecoveryAgentRefused("the reshare is not authorized by the node") from None
        try:
            params = DkgParameters.from_bytes(parameters)
            if params.digest != authorization.session or params.previous is None:
                raise RecoveryAgentRefused("the authorization is for another reshare")
            previous = params.previous
            if (
                bytes(previous.group_public_key) != authorization.group_public_key
                or previous.epoch != authorization.old_epoch
                or material.epoch != previous.epoch
            ):
                raise RecoveryAgentRefused("the authorization names another key or epoch")
            recovery_key = self._key_for(params.sealed_key_of(RECOVERY))
            old = self._open(material, recovery_key, authorization)
            if old.public != previous:
                raise RecoveryAgentRefused("the stored share is not of this key and epoch")
            with self._lock:
                if params.digest in self._used:
                    raise RecoveryAgentRefused("this reshare session was used already")
                self._used.add(params.digest)
            participant = DkgParticipant(
                params, RECOVERY, previous_share=old, recovery_key=recovery_key
            )
            commitment = participant.round1()
        except KeysplitError as error:
            raise RecoveryAgentRefused(f"cannot deal: {error}") from error
        with self._lock:
            self._sessions[params.digest] = _Session(participant, recovery_key)
        return commitment.to_bytes()

    def deal(self, session: bytes, commitments: Sequence[bytes]) -> Sequence[bytes]:
        self._reachable("deal")
        state = self._session(session, take=False)
        try:
            state.participant.receive_commitments(
                [DkgCommitment.from_bytes(c) for c in commitments]
            )
            return [m.to_bytes() for m in state.participant.round2()]
        except KeysplitError as error:
            self._session(session, take=True)
            raise RecoveryAgentRefused(f"the reshare's commitments do not check: {error}") from None

    def finish(self, session: bytes, shares: Sequence[bytes]) -> bytes:
        self._reachable("finish")
        state = self._session(session, take=True)
        try:
            received = [_round_two(s) for s in shares]
            key = state.participant.finish(received)
        except KeysplitError as error:
            raise RecoveryAgentRefused(f"the co-signer's share does not check: {error}") from None
        return seal_key_package(key, state.recovery_key.public_key)

    def _key_for(self, public_key: bytes | None) -> RecoveryKey:
        for key in self.keys:
            if key.public_key == public_key:
                return key
        raise RecoveryAgentRefused("this recovery holder does not hold that recovery key")

    @staticmethod
    def _open(
        material: RecoveryMaterial, key: RecoveryKey, authorization: RecoveryAuthorization
    ) -> KeyPackage:
        if material.sealed_key_package is not None:
            return open_key_package(
                material.sealed_key_package,
                key,
                authorization.group_public_key,
                RECOVERY,
                material.epoch,
            )
        if material.envelope is None:
            raise RecoveryAgentRefused("no sealed share was handed over")
        return RecoveryEnvelope.from_bytes(material.envelope).open(key)

    def _session(self, session: bytes, *, take: bool) -> _Session:
        with self._lock:
            state = self._sessions.pop(session, None) if take else self._sessions.get(session)
        if state is None:
            raise RecoveryAgentRefused("no reshare session in progress with this digest")
        return state


def _round_two(data: bytes) -> DkgSecretShare | SealedDkgShare:
    try:
        return DkgSecretShare.from_bytes(data)
    except KeysplitError:
        return SealedDkgShare.from_bytes(data)
