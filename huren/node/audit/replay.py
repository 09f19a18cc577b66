"""The registry's whole state, rebuilt from its events since the deployment block.

``replay(backend, deployment)`` folds the typed event stream (``huren.registry.events``) into
a ``ReplayedState``: no SQL and no contract view is read, only logs, so the result depends on
the chain alone. Each record keeps the chain position (``EventMeta``) of the event(s) its
current value rests on, which is the evidence a difference report cites.

Speed. A replay of a busy registry is mostly CertificateRecorded: it is stored as the event
itself (the decoded event already is an immutable record with its evidence), revocations as
their events, so a certificate costs one dict entry and no object beyond the decoded event.
Logs are fetched in large block ranges (``DEFAULT_REPLAY_CHUNK``); the event stream decodes
them with its precomputed topic table. The cyclic garbage collector is paused while events
are folded: the state keeps every decoded event, and each collection would walk all of them
again (measured: a third of a 100,000-record replay); the events hold no reference cycles,
so reference counting alone frees what the replay drops.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from huren.registry.backend import ChainBackend
from huren.registry.client import ca_operator_role
from huren.registry.event_types import (
    AuthorizationGranted,
    AuthorizationRevoked,
    CaAccredited,
    CaSuspended,
    CertificateBound,
    CertificateRecorded,
    CertificateRevoked,
    CertificateUnbound,
    ChainEvent,
    EventMeta,
    MemberAdded,
    MemberRemoved,
    PlatformRegistered,
    PlatformRetired,
    ProposalCreated,
    ProposalExecuted,
    ProposalRejected,
    QuorumChanged,
    RoleGranted,
    RoleRevoked,
    VoteCast,
)
from huren.registry.events import EventStream
from huren.registry.types import CaStatus, Deployment, ProposalKind, ProposalStatus

__all__ = [
    "DEFAULT_QUORUM_PERCENT",
    "DEFAULT_REPLAY_CHUNK",
    "AuthorizationState",
    "BindingState",
    "CaState",
    "MemberState",
    "PlatformState",
    "Progress",
    "ProposalState",
    "ReplayedState",
    "Replayer",
    "VoteState",
    "collector_paused",
    "replay",
]

DEFAULT_REPLAY_CHUNK = 20_000  # blocks per get_logs request: few round trips, bounded memory
DEFAULT_QUORUM_PERCENT = 50  # Consortium's quorum before any QuorumChanged
Progress = Callable[[int, int], None]  # (blocks done, blocks in all)


@dataclass(slots=True)
class MemberState:
    name: str
    region_code: int
    index: int
    active: bool
    meta: EventMeta  # the event that last set the record


@dataclass(slots=True)
class CaState:
    name: str
    status: CaStatus
    index: int
    issuer_key_ids: tuple[bytes, ...]
    meta: EventMeta
    operators: dict[str, EventMeta] = field(default_factory=dict)  # account -> its RoleGranted


@dataclass(slots=True)
class PlatformState:
    center: str
    name: str
    active: bool
    meta: EventMeta


@dataclass(slots=True)
class ProposalState:
    kind: ProposalKind
    proposer: str
    expires_at: int
    payload: bytes
    status: ProposalStatus
    yes: int
    no: int
    meta: EventMeta


@dataclass(slots=True)
class VoteState:
    support: bool
    meta: EventMeta


@dataclass(slots=True)
class BindingState:
    bound: bool
    evidence_hash: bytes
    by: str
    meta: EventMeta


@dataclass(slots=True)
class AuthorizationState:
    enterprise_fingerprint: bytes
    rights: int  # 0 once revoked (the record stays, citing the revocation)
    by: str
    meta: EventMeta


@dataclass(slots=True)
class ReplayedState:
    """The registry as its events since ``deployment.block_number`` up to ``block_number``
    (whose hash is ``block_hash``) define it."""

    deployment: Deployment
    block_number: int = -1
    block_hash: bytes = b""
    events: int = 0
    members: dict[str, MemberState] = field(default_factory=dict)
    cas: dict[str, CaState] = field(default_factory=dict)
    platforms: dict[str, PlatformState] = field(default_factory=dict)
    proposals: dict[int, ProposalState] = field(default_factory=dict)
    votes: dict[tuple[int, str], VoteState] = field(default_factory=dict)
    quorum_percent: int = DEFAULT_QUORUM_PERCENT
    quorum_meta: EventMeta | None = None
    certificates: dict[bytes, CertificateRecorded] = field(default_factory=dict)
    revocations: dict[bytes, CertificateRevoked] = field(default_factory=dict)
    bindings: dict[tuple[bytes, str], BindingState] = field(default_factory=dict)
    authorizations: dict[tuple[bytes, str], AuthorizationState] = field(default_factory=dict)
    # Events that broke the contracts' own rules (a revocation of an unknown certificate,
    # say), described starting with the event's name: a correct chain has none.
    anomalies: list[tuple[str, EventMeta]] = field(default_factory=list)


class Replayer:
    """Folds events, in chain order, into a ``ReplayedState``."""

    def __init__(self, deployment: Deployment) -> None:
        self.state = ReplayedState(deployment)
        self._ca_of_role: dict[bytes, str] = {}
        self._handlers: dict[type[ChainEvent], Callable[[Any], None]] = {
            MemberAdded: self._member_added,
            MemberRemoved: self._member_removed,
            CaAccredited: self._ca_accredited,
            CaSuspended: self._ca_suspended,
            RoleGranted: self._role_granted,
            RoleRevoked: self._role_revoked,
            PlatformRegistered: self._platform_registered,
            PlatformRetired: self._platform_retired,
            QuorumChanged: self._quorum_changed,
            ProposalCreated: self._proposal_created,
            VoteCast: self._vote_cast,
            ProposalExecuted: self._proposal_executed,
            ProposalRejected: self._proposal_rejected,
            CertificateRevoked: self._certificate_revoked,
            CertificateBound: self._binding,
            CertificateUnbound: self._binding,
            AuthorizationGranted: self._authorization,
            AuthorizationRevoked: self._authorization,
        }

    def apply_all(self, events: Iterable[ChainEvent]) -> int:
        """Apply ``events``; how many there were. CertificateRecorded, the bulk of any
        registry, is handled inline (no handler call)."""
        certificates = self.state.certificates
        anomalies = self.state.anomalies
        handlers = self._handlers
        recorded = CertificateRecorded
        n = 0
        for event in events:
            n += 1
            if type(event) is recorded:
                fingerprint = event.fingerprint
                if fingerprint in certificates:
                    anomalies.append(("CertificateRecorded twice", event.meta))
                else:
                    certificates[fingerprint] = event
                continue
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
        self.state.events += n
        return n

    # -- consortium -------------------------------------------------------------------------

    def _member_added(self, e: MemberAdded) -> None:
        self.state.members[e.member] = MemberState(e.name, e.region_code, e.index, True, e.meta)

    def _member_removed(self, e: MemberRemoved) -> None:
        member = self.state.members.get(e.member)
        if member is None:
            self.state.anomalies.append(("MemberRemoved of no member", e.meta))
            return
        member.active, member.meta = False, e.meta

    def _ca_accredited(self, e: CaAccredited) -> None:
        role = ca_operator_role(e.ca_id)
        self._ca_of_role[role] = e.ca_id
        ca = self.state.cas.get(e.ca_id)
        if ca is None:
            self.state.cas[e.ca_id] = CaState(
                e.name, CaStatus.ACCREDITED, e.index, e.issuer_key_ids, e.meta
            )
            return
        ca.name, ca.status, ca.index = e.name, CaStatus.ACCREDITED, e.index
        ca.issuer_key_ids, ca.meta = e.issuer_key_ids, e.meta

    def _ca_suspended(self, e: CaSuspended) -> None:
        ca = self.state.cas.get(e.ca_id)
        if ca is None:
            self.state.anomalies.append(("CaSuspended of no CA", e.meta))
            return
        ca.status, ca.meta = CaStatus.SUSPENDED, e.meta

    def _role_granted(self, e: RoleGranted) -> None:
        ca_id = self._ca_of_role.get(e.role)
        if ca_id is not None:  # membership roles follow MemberAdded/MemberRemoved
            self.state.cas[ca_id].operators[e.account] = e.meta

    def _role_revoked(self, e: RoleRevoked) -> None:
        ca_id = self._ca_of_role.get(e.role)
        if ca_id is not None:
            self.state.cas[ca_id].operators.pop(e.account, None)

    def _platform_registered(self, e: PlatformRegistered) -> None:
        self.state.platforms[e.platform_id] = PlatformState(e.center, e.name, True, e.meta)

    def _platform_retired(self, e: PlatformRetired) -> None:
        platform = self.state.platforms.get(e.platform_id)
        if platform is None:
            self.state.anomalies.append(("PlatformRetired of no platform", e.meta))
            return
        platform.active, platform.meta = False, e.meta

    def _quorum_changed(self, e: QuorumChanged) -> None:
        self.state.quorum_percent, self.state.quorum_meta = e.quorum_percent, e.meta

    def _proposal_created(self, e: ProposalCreated) -> None:
        self.state.proposals[e.id] = ProposalState(
            e.kind, e.proposer, e.expires_at, e.payload, ProposalStatus.OPEN, 0, 0, e.meta
        )

    def _proposal(self, e: VoteCast | ProposalExecuted | ProposalRejected) -> ProposalState | None:
        proposal = self.state.proposals.get(e.id)
        if proposal is None:
            self.state.anomalies.append((f"{type(e).__name__} of unknown proposal {e.id}", e.meta))
        return proposal

    def _vote_cast(self, e: VoteCast) -> None:
        self.state.votes[(e.id, e.voter)] = VoteState(e.support, e.meta)
        proposal = self._proposal(e)
        if proposal is not None:
            proposal.yes, proposal.no, proposal.meta = e.yes, e.no, e.meta

    def _proposal_executed(self, e: ProposalExecuted) -> None:
        proposal = self._proposal(e)
        if proposal is not None:
            proposal.status, proposal.meta = ProposalStatus.EXECUTED, e.meta

    def _proposal_rejected(self, e: ProposalRejected) -> None:
        proposal = self._proposal(e)
        if proposal is not None:
            proposal.status, proposal.meta = ProposalStatus.REJECTED, e.meta

    # -- certificate registry ---------------------------------------------------------------

    def _certificate_revoked(self, e: CertificateRevoked) -> None:
        if e.fingerprint not in self.state.certificates:
            self.state.anomalies.append(("CertificateRevoked of no certificate", e.meta))
        elif e.fingerprint in self.state.revocations:
            self.state.anomalies.append(("CertificateRevoked twice", e.meta))
        else:
            self.state.revocations[e.fingerprint] = e

    def _binding(self, e: CertificateBound | CertificateUnbound) -> None:
        bound = isinstance(e, CertificateBound)
        state = BindingState(bound, e.evidence_hash, e.by, e.meta)
        self.state.bindings[(e.fingerprint, e.platform_id)] = state

    def _authorization(self, e: AuthorizationGranted | AuthorizationRevoked) -> None:
        rights = int(e.rights) if isinstance(e, AuthorizationGranted) else 0
        state = AuthorizationState(e.enterprise_fingerprint, rights, e.by, e.meta)
        self.state.authorizations[(e.staff_fingerprint, e.platform_id)] = state


def replay(
    backend: ChainBackend,
    deployment: Deployment,
    *,
    to_block: int | None = None,
    chunk_size: int = DEFAULT_REPLAY_CHUNK,
    progress: Progress | None = None,
) -> ReplayedState:
    """The state defined by the deployment's events from its deployment block up to
    ``to_block`` (default: the head as of this call), read ``chunk_size`` blocks at a time."""
    end = backend.block_number() if to_block is None else to_block
    start = deployment.block_number
    stream = EventStream(backend, deployment, chunk_size=chunk_size)
    replayer = Replayer(deployment)
    total = max(end - start + 1, 0)
    with collector_paused():
        for lo in range(start, end + 1, chunk_size):
            hi = min(lo + chunk_size - 1, end)
            replayer.apply_all(stream.events(lo, hi))
            if progress is not None:
                progress(hi - start + 1, total)
    state = replayer.state
    state.block_number = end
    state.block_hash = backend.block(end).hash if end >= 0 else b""
    return state


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (see the module docstring), restoring its state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
