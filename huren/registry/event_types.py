"""Typed events of Consortium and CertificateRegistry (decoded by ``huren.registry.events``).

Field names and order follow the Solidity declarations (snake_case); ``events`` checks that
against the committed ABIs when it builds its decoder table, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from huren.registry.types import (
    CertificateKind,
    KeyUsage,
    ProposalAction,
    ProposalKind,
    RevocationReason,
    Right,
    Scope,
)

__all__ = [
    "EVENT_TYPES",
    "AuthorizationGranted",
    "AuthorizationRevoked",
    "CaAccredited",
    "CaSuspended",
    "CertificateBound",
    "CertificateRecorded",
    "CertificateRevoked",
    "CertificateUnbound",
    "ChainEvent",
    "EventMeta",
    "MemberAdded",
    "MemberRemoved",
    "PlatformRegistered",
    "PlatformRetired",
    "ProposalCreated",
    "ProposalExecuted",
    "ProposalRejected",
    "QuorumChanged",
    "RoleAdminChanged",
    "RoleGranted",
    "RoleRevoked",
    "VoteCast",
]


@dataclass(frozen=True, slots=True)
class EventMeta:
    """Where a log sits: ``(block_number, log_index)`` orders events; ``address`` is the
    emitting contract (checksummed)."""

    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    address: str


@dataclass(frozen=True, slots=True)
class ChainEvent:
    meta: EventMeta


# -- Consortium ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberAdded(ChainEvent):
    member: str
    index: int
    name: str
    region_code: int


@dataclass(frozen=True, slots=True)
class MemberRemoved(ChainEvent):
    member: str


@dataclass(frozen=True, slots=True)
class CaAccredited(ChainEvent):
    ca_id: str
    index: int
    name: str
    operators: tuple[str, ...]  # operators added by this accreditation, not all of them
    issuer_key_ids: tuple[bytes, ...]  # the complete list, replacing earlier ones


@dataclass(frozen=True, slots=True)
class CaSuspended(ChainEvent):
    ca_id: str


@dataclass(frozen=True, slots=True)
class PlatformRegistered(ChainEvent):
    platform_id: str
    center: str
    name: str


@dataclass(frozen=True, slots=True)
class PlatformRetired(ChainEvent):
    platform_id: str


@dataclass(frozen=True, slots=True)
class QuorumChanged(ChainEvent):
    previous_percent: int
    quorum_percent: int


@dataclass(frozen=True, slots=True)
class ProposalCreated(ChainEvent):
    id: int
    kind: ProposalKind
    proposer: str
    expires_at: int
    payload: bytes

    @property
    def action(self) -> ProposalAction:
        """What the proposal does (``payload`` decoded by ``kind``)."""
        from huren.registry.abi import decode_proposal_action

        return decode_proposal_action(self.kind, self.payload)


@dataclass(frozen=True, slots=True)
class VoteCast(ChainEvent):
    id: int
    voter: str
    support: bool
    yes: int  # tally after this vote, current members only
    no: int


@dataclass(frozen=True, slots=True)
class ProposalExecuted(ChainEvent):
    id: int


@dataclass(frozen=True, slots=True)
class ProposalRejected(ChainEvent):
    id: int


@dataclass(frozen=True, slots=True)
class RoleGranted(ChainEvent):
    role: bytes
    account: str
    sender: str


@dataclass(frozen=True, slots=True)
class RoleRevoked(ChainEvent):
    role: bytes
    account: str
    sender: str


@dataclass(frozen=True, slots=True)
class RoleAdminChanged(ChainEvent):
    role: bytes
    previous_admin_role: bytes
    new_admin_role: bytes


# -- CertificateRegistry ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertificateRecorded(ChainEvent):
    fingerprint: bytes
    ca_id: str
    holder: bytes
    issuer_key_id: bytes
    predecessor: bytes | None
    kind: CertificateKind
    usage: KeyUsage
    scope: Scope
    center: str | None
    not_before: int
    not_after: int


@dataclass(frozen=True, slots=True)
class CertificateRevoked(ChainEvent):
    fingerprint: bytes
    ca_id: str
    reason: RevocationReason
    revoked_at: int
    by: str


@dataclass(frozen=True, slots=True)
class CertificateBound(ChainEvent):
    fingerprint: bytes
    platform_id: str
    evidence_hash: bytes
    by: str


@dataclass(frozen=True, slots=True)
class CertificateUnbound(ChainEvent):
    fingerprint: bytes
    platform_id: str
    evidence_hash: bytes
    by: str


@dataclass(frozen=True, slots=True)
class AuthorizationGranted(ChainEvent):
    staff_fingerprint: bytes
    platform_id: str
    enterprise_fingerprint: bytes
    rights: Right
    by: str


@dataclass(frozen=True, slots=True)
class AuthorizationRevoked(ChainEvent):
    staff_fingerprint: bytes
    platform_id: str
    enterprise_fingerprint: bytes
    by: str


EVENT_TYPES: tuple[type[ChainEvent], ...] = (
    MemberAdded,
    MemberRemoved,
    CaAccredited,
    CaSuspended,
    PlatformRegistered,
    PlatformRetired,
    QuorumChanged,
    ProposalCreated,
    VoteCast,
    ProposalExecuted,
    ProposalRejected,
    RoleGranted,
    RoleRevoked,
    RoleAdminChanged,
    CertificateRecorded,
    CertificateRevoked,
    CertificateBound,
    CertificateUnbound,
    AuthorizationGranted,
    AuthorizationRevoked,
)
