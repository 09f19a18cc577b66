"""One plain form for every source of registry state, so that they compare field by field.

A ``Snapshot`` maps a record kind (``member``, ``ca``, ``ca_operator``, ``platform``,
``proposal``, ``vote``, ``quorum``, ``certificate``, ``binding``, ``authorization``) to its
records by key, each a dict of JSON-plain field values: hashes and fingerprints ``0x`` hex,
enums their lower-case names, ids and addresses as the registry writes them. Where a record
was set on chain, ``event.*`` (and for a revoked certificate ``revocation.*``) give the chain
position of that event. A source fills the fields it can see; only those are compared.

``expected(state)`` is the replayed state in this form, with the evidence (the events each
record rests on) that a difference report cites.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from huren.node.audit.replay import ReplayedState, collector_paused
from huren.registry.event_types import EventMeta
from huren.registry.types import (
    CertificateKind,
    CertificateStatus,
    KeyUsage,
    RevocationReason,
    Scope,
)

__all__ = [
    "KINDS",
    "Evidence",
    "Fields",
    "Snapshot",
    "binding_key",
    "certificate_fields",
    "enum_name",
    "event_fields",
    "expected",
    "hex0x",
    "vote_key",
]

KINDS = (
    "member",
    "ca",
    "ca_operator",
    "platform",
    "proposal",
    "vote",
    "quorum",
    "certificate",
    "binding",
    "authorization",
)
Fields = dict[str, Any]


def hex0x(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def enum_name(enum: type[IntEnum], value: int | None) -> str | int | None:
    """``value``'s lower-case name in ``enum``; the number itself when it names none (a
    corrupted index may hold anything, and the report must show it, not fail on it)."""
    if value is None:
        return None
    member = enum._value2member_map_.get(value)
    return value if member is None else member.name.lower()


@dataclass(frozen=True, slots=True)
class Evidence:
    """A chain event a record rests on: look it up by transaction hash or block and index."""

    event: str
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int

    @classmethod
    def of(cls, event: str, meta: EventMeta) -> Evidence:
        return cls(
            event,
            meta.block_number,
            "0x" + meta.block_hash.hex(),
            "0x" + meta.transaction_hash.hex(),
            meta.log_index,
        )


def event_fields(
    prefix: str,
    block_number: int | None,
    block_hash: bytes | None,
    transaction_hash: bytes | None,
    log_index: int | None,
) -> Fields:
    """The ``<prefix>.*`` fields of an event position (all None when there is none)."""
    return {
        f"{prefix}.block_number": block_number,
        f"{prefix}.block_hash": hex0x(block_hash),
        f"{prefix}.transaction_hash": hex0x(transaction_hash),
        f"{prefix}.log_index": log_index,
    }


def _meta_fields(prefix: str, meta: EventMeta | None) -> Fields:
    if meta is None:
        return event_fields(prefix, None, None, None, None)
    return event_fields(
        prefix, meta.block_number, meta.block_hash, meta.transaction_hash, meta.log_index
    )


def binding_key(fingerprint: bytes, platform_id: str) -> str:
    return f"0x{fingerprint.hex()}@{platform_id}"


def vote_key(proposal_id: int, voter: str) -> str:
    return f"{proposal_id}:{voter}"


@dataclass
class Snapshot:
    """A source's records. ``complete`` names the kinds the source lists in full (so a
    record it has beyond the replay is an extra); ``counts`` are record counts a source
    states without listing them (the registry's ``certificateCount``); ``evidence`` is what
    the source itself cites for a record (shown for extras)."""

    source: str
    records: dict[str, dict[str, Fields]] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    evidence: dict[tuple[str, str], tuple[Evidence, ...]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Kinds the source looked at for some keys only (a sample): only those are compared.
    sampled: dict[str, set[str]] = field(default_factory=dict)
    # Evidence computed on demand for records not in ``evidence`` (the replay's certificates:
    # only the few that differ need it).
    cite: Callable[[str, str], tuple[Evidence, ...]] | None = None

    def evidence_of(self, kind: str, key: str) -> tuple[Evidence, ...]:
        found = self.evidence.get((kind, key))
        if found is None and self.cite is not None:
            found = self.cite(kind, key)
        return found or ()

    def put(self, kind: str, key: str, fields: Fields) -> None:
        self.records.setdefault(kind, {})[key] = fields

    def kind(self, kind: str) -> dict[str, Fields]:
        return self.records.setdefault(kind, {})


def certificate_fields(
    *,
    ca_id: str,
    issuer_key_id: bytes,
    holder: bytes,
    predecessor: bytes | None,
    kind: int,
    usage: int,
    scope: int,
    center: str | None,
    not_before: int,
    not_after: int,
    status: int,
    revocation_reason: int | None,
    revoked_at: int | None,
    revoked_by: str | None,
) -> Fields:
    """A certificate's record fields from the registry's values."""
    return {
        "ca_id": ca_id,
        "issuer_key_id": hex0x(issuer_key_id),
        "holder": hex0x(holder),
        "predecessor": hex0x(predecessor),
        "kind": enum_name(CertificateKind, kind),
        "usage": enum_name(KeyUsage, usage),
        "scope": enum_name(Scope, scope),
        "center": center,
        "not_before": not_before,
        "not_after": not_after,
        "status": enum_name(CertificateStatus, status),
        "revocation_reason": enum_name(RevocationReason, revocation_reason),
        "revoked_at": revoked_at,
        "revoked_by": revoked_by,
    }


def expected(state: ReplayedState) -> Snapshot:
    """The replayed state as a ``Snapshot`` (source ``replay``), every kind complete."""
    with collector_paused():
        return _expected(state)


def _expected(state: ReplayedState) -> Snapshot:
    snap = Snapshot("replay", complete=set(KINDS))
    ev = snap.evidence
    for account, mem in state.members.items():
        snap.put(
            "member",
            account,
            {
                "name": mem.name,
                "region_code": mem.region_code,
                "index": mem.index,
                "active": mem.active,
                **_meta_fields("event", mem.meta),
            },
        )
        ev[("member", account)] = (
            Evidence.of("MemberAdded" if mem.active else "MemberRemoved", mem.meta),
        )
    for ca_id, ca in state.cas.items():
        snap.put(
            "ca",
            ca_id,
            {
                "name": ca.name,
                "status": ca.status.name.lower(),
                "index": ca.index,
                "issuer_key_ids": [hex0x(k) for k in ca.issuer_key_ids],
                **_meta_fields("event", ca.meta),
            },
        )
        accredited = ca.status.name == "ACCREDITED"
        ev[("ca", ca_id)] = (Evidence.of("CaAccredited" if accredited else "CaSuspended", ca.meta),)
        for account, meta in ca.operators.items():
            key = f"{ca_id}:{account}"
            snap.put("ca_operator", key, {"ca_id": ca_id, **_meta_fields("event", meta)})
            ev[("ca_operator", key)] = (Evidence.of("RoleGranted", meta),)
    for platform_id, p in state.platforms.items():
        snap.put(
            "platform",
            platform_id,
            {
                "center": p.center,
                "name": p.name,
                "active": p.active,
                **_meta_fields("event", p.meta),
            },
        )
        event = "PlatformRegistered" if p.active else "PlatformRetired"
        ev[("platform", platform_id)] = (Evidence.of(event, p.meta),)
    for proposal_id, pr in state.proposals.items():
        key = str(proposal_id)
        snap.put(
            "proposal",
            key,
            {
                "kind": pr.kind.name.lower(),
                "proposer": pr.proposer,
                "expires_at": pr.expires_at,
                "payload": hex0x(pr.payload),
                "status": pr.status.name.lower(),
                "yes": pr.yes,
                "no": pr.no,
                **_meta_fields("event", pr.meta),
            },
        )
        ev[("proposal", key)] = (Evidence.of(_proposal_event(pr.status.name), pr.meta),)
    for (proposal_id, voter), vote in state.votes.items():
        key = vote_key(proposal_id, voter)
        snap.put("vote", key, {"support": vote.support, **_meta_fields("event", vote.meta)})
        ev[("vote", key)] = (Evidence.of("VoteCast", vote.meta),)
    snap.put("quorum", "quorum", {"percent": state.quorum_percent})
    if state.quorum_meta is not None:
        snap.kind("quorum")["quorum"].update(_meta_fields("event", state.quorum_meta))
        ev[("quorum", "quorum")] = (Evidence.of("QuorumChanged", state.quorum_meta),)
    _certificates(state, snap)
    for (fp, platform_id), b in state.bindings.items():
        key = binding_key(fp, platform_id)
        snap.put(
            "binding",
            key,
            {
                "bound": b.bound,
                "evidence_hash": hex0x(b.evidence_hash),
                "by": b.by,
                **_meta_fields("event", b.meta),
            },
        )
        ev[("binding", key)] = (
            Evidence.of("CertificateBound" if b.bound else "CertificateUnbound", b.meta),
        )
    for (fp, platform_id), a in state.authorizations.items():
        key = binding_key(fp, platform_id)
        snap.put(
            "authorization",
            key,
            {
                "enterprise_fingerprint": hex0x(a.enterprise_fingerprint),
                "rights": a.rights,
                "by": a.by,
                **_meta_fields("event", a.meta),
            },
        )
        event = "AuthorizationGranted" if a.rights else "AuthorizationRevoked"
        ev[("authorization", key)] = (Evidence.of(event, a.meta),)
    return snap


def _proposal_event(status: str) -> str:
    return {"EXECUTED": "ProposalExecuted", "REJECTED": "ProposalRejected"}.get(
        status, "ProposalCreated or VoteCast"
    )


_KIND = {int(m): m.name.lower() for m in CertificateKind}
_USAGE = {int(m): m.name.lower() for m in KeyUsage}
_SCOPE = {int(m): m.name.lower() for m in Scope}
_REASON = {int(m): m.name.lower() for m in RevocationReason}
_NO_REVOCATION = event_fields("revocation", None, None, None, None)


def _certificates(state: ReplayedState, snap: Snapshot) -> None:
    """The bulk of a registry: one dict per certificate built inline from the events (a
    100,000-record chain spends most of an audit's Python time here otherwise)."""
    records = snap.kind("certificate")
    revocations = state.revocations
    for fp, e in state.certificates.items():
        meta = e.meta
        predecessor = e.predecessor
        fields = {
            "ca_id": e.ca_id,
            "issuer_key_id": "0x" + e.issuer_key_id.hex(),
            "holder": "0x" + e.holder.hex(),
            "predecessor": None if predecessor is None else "0x" + predecessor.hex(),
            "kind": _KIND[e.kind],
            "usage": _USAGE[e.usage],
            "scope": _SCOPE[e.scope],
            "center": e.center,
            "not_before": e.not_before,
            "not_after": e.not_after,
            "status": "active",
            "revocation_reason": None,
            "revoked_at": None,
            "revoked_by": None,
            "event.block_number": meta.block_number,
            "event.block_hash": "0x" + meta.block_hash.hex(),
            "event.transaction_hash": "0x" + meta.transaction_hash.hex(),
            "event.log_index": meta.log_index,
            **_NO_REVOCATION,
        }
        r = revocations.get(fp)
        if r is not None:
            fields["status"] = "revoked"
            fields["revocation_reason"] = _REASON[r.reason]
            fields["revoked_at"] = r.revoked_at
            fields["revoked_by"] = r.by
            fields.update(_meta_fields("revocation", r.meta))
        records["0x" + fp.hex()] = fields

    def cite(kind: str, key: str) -> tuple[Evidence, ...]:
        if kind != "certificate":
            return ()
        fp = bytes.fromhex(key[2:])
        recorded = state.certificates.get(fp)
        if recorded is None:
            return ()
        first = Evidence.of("CertificateRecorded", recorded.meta)
        revoked = state.revocations.get(fp)
        return (
            (first,)
            if revoked is None
            else (first, Evidence.of("CertificateRevoked", revoked.meta))
        )

    snap.cite = cite
