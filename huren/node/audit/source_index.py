"""A node's index (its database) as a ``Snapshot``: every projected table read in full, so
a row that no event made shows up as an extra. Read in one transaction (one snapshot)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from huren.node.audit.records import (
    Evidence,
    Snapshot,
    binding_key,
    enum_name,
    event_fields,
    hex0x,
    vote_key,
)
from huren.node.audit.replay import collector_paused
from huren.node.db import models as m
from huren.node.indexer_projection import (
    T_AUTHORIZATIONS,
    T_BINDINGS,
    T_CA_KEYS,
    T_CA_OPERATORS,
    T_CAS,
    T_CERTIFICATES,
    T_MEMBERS,
    T_PLATFORMS,
    T_PROPOSALS,
    T_QUORUM,
    T_STATE,
    T_VOTES,
)
from huren.registry.types import (
    CaStatus,
    CertificateKind,
    CertificateStatus,
    KeyUsage,
    ProposalKind,
    ProposalStatus,
    RevocationReason,
    Scope,
)

__all__ = ["read_index"]


def _ev(row: Any) -> dict[str, Any]:
    return event_fields(
        "event",
        row.block_number,
        bytes(row.block_hash),
        bytes(row.transaction_hash),
        row.log_index,
    )


def _cited(event: str, row: Any) -> tuple[Evidence, ...]:
    return (
        Evidence(
            event,
            row.block_number,
            hex0x(bytes(row.block_hash)) or "",
            hex0x(bytes(row.transaction_hash)) or "",
            row.log_index,
        ),
    )


def read_index(
    engine: Engine, name: str | None = None, *, replayed_block: int | None = None
) -> Snapshot:
    """The index behind ``engine`` (source name: ``name`` or the database URL, password
    hidden); ``replayed_block`` notes whether the index has caught up with the replay."""
    label = name or f"index {engine.url.render_as_string(hide_password=True)}"
    snap = Snapshot(
        label,
        complete={
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
        },
    )
    ev = snap.evidence
    with collector_paused(), engine.connect() as conn, conn.begin():
        state = conn.execute(select(T_STATE)).first()
        if state is None:
            snap.notes.append("the index has indexed nothing yet")
        else:
            snap.notes.append(f"indexed up to block {state.block_number}")
            if replayed_block is not None and state.block_number != replayed_block:
                snap.notes.append(
                    f"the index is at block {state.block_number}, the replay at "
                    f"{replayed_block}: records of the blocks between show as differences"
                )
        for r in conn.execute(select(T_MEMBERS)):
            fields = {"name": r.name, "region_code": r.region_code, "index": r.member_index}
            snap.put("member", r.account, {**fields, "active": r.active, **_ev(r)})
            ev[("member", r.account)] = _cited("MemberAdded/MemberRemoved", r)
        keys: dict[str, list[tuple[int, bytes]]] = {}
        for r in conn.execute(select(T_CA_KEYS)):
            keys.setdefault(r.ca_id, []).append((r.position, bytes(r.issuer_key_id)))
        for r in conn.execute(select(T_CAS)):
            ordered = [hex0x(k) for _, k in sorted(keys.get(r.ca_id, []))]
            snap.put(
                "ca",
                r.ca_id,
                {
                    "name": r.name,
                    "status": enum_name(CaStatus, r.status),
                    "index": r.ca_index,
                    "issuer_key_ids": ordered,
                    **_ev(r),
                },
            )
            ev[("ca", r.ca_id)] = _cited("CaAccredited/CaSuspended", r)
        snap.kind("ca_operator")
        for r in conn.execute(select(T_CA_OPERATORS)):
            key = f"{r.ca_id}:{r.account}"
            snap.put("ca_operator", key, {"ca_id": r.ca_id, **_ev(r)})
            ev[("ca_operator", key)] = _cited("RoleGranted", r)
        for r in conn.execute(select(T_PLATFORMS)):
            fields = {"center": r.center, "name": r.name, "active": r.active}
            snap.put("platform", r.platform_id, {**fields, **_ev(r)})
            ev[("platform", r.platform_id)] = _cited("PlatformRegistered/PlatformRetired", r)
        for r in conn.execute(select(T_PROPOSALS)):
            key = str(r.proposal_id)
            snap.put(
                "proposal",
                key,
                {
                    "kind": enum_name(ProposalKind, r.kind),
                    "proposer": r.proposer,
                    "expires_at": r.expires_at,
                    "payload": hex0x(bytes(r.payload)),
                    "status": enum_name(ProposalStatus, r.status),
                    "yes": r.yes,
                    "no": r.no,
                    **_ev(r),
                },
            )
            ev[("proposal", key)] = _cited("a proposal event", r)
        snap.kind("vote")
        for r in conn.execute(select(T_VOTES)):
            key = vote_key(r.proposal_id, r.voter)
            snap.put("vote", key, {"support": r.support, **_ev(r)})
            ev[("vote", key)] = _cited("VoteCast", r)
        quorum = conn.execute(select(T_QUORUM)).first()
        if quorum is None:
            snap.put("quorum", "quorum", {"percent": m.QUORUM_DEFAULT_PERCENT})
        else:
            snap.put("quorum", "quorum", {"percent": quorum.percent, **_ev(quorum)})
        _certificates(conn, snap)
        snap.kind("binding")
        for r in conn.execute(select(T_BINDINGS)):
            key = binding_key(bytes(r.fingerprint), r.platform_id)
            snap.put(
                "binding",
                key,
                {
                    "bound": r.bound,
                    "evidence_hash": hex0x(bytes(r.evidence_hash)),
                    "by": r.by,
                    **_ev(r),
                },
            )
            ev[("binding", key)] = _cited("CertificateBound/CertificateUnbound", r)
        snap.kind("authorization")
        for r in conn.execute(select(T_AUTHORIZATIONS)):
            key = binding_key(bytes(r.staff_fingerprint), r.platform_id)
            snap.put(
                "authorization",
                key,
                {
                    "enterprise_fingerprint": hex0x(bytes(r.enterprise_fingerprint)),
                    "rights": r.rights,
                    "by": r.by,
                    **_ev(r),
                },
            )
            ev[("authorization", key)] = _cited("AuthorizationGranted/Revoked", r)
    return snap


_KIND = {int(v): v.name.lower() for v in CertificateKind}
_USAGE = {int(v): v.name.lower() for v in KeyUsage}
_SCOPE = {int(v): v.name.lower() for v in Scope}
_STATUS = {int(v): v.name.lower() for v in CertificateStatus}
_REASON = {int(v): v.name.lower() for v in RevocationReason}


def _h(value: Any) -> str | None:
    return None if value is None else "0x" + bytes(value).hex()


def _certificates(conn: Any, snap: Snapshot) -> None:
    """Every certificate row, built inline (the bulk of an index); an enum number that names
    nothing (a corrupted row) is kept as the number so that the report shows it."""
    records = snap.kind("certificate")
    c = T_CERTIFICATES.c
    query = select(
        c.fingerprint, c.ca_id, c.issuer_key_id, c.holder, c.predecessor, c.kind, c.usage,
        c.scope, c.center, c.not_before, c.not_after, c.status, c.revocation_reason,
        c.revoked_at, c.revoked_by, c.block_number, c.block_hash, c.transaction_hash,
        c.log_index, c.revoked_block_number, c.revoked_block_hash, c.revoked_transaction_hash,
        c.revoked_log_index,
    )  # fmt: skip
    for (
        fingerprint, ca_id, issuer_key_id, holder, predecessor, kind, usage, scope, center,
        not_before, not_after, status, reason, revoked_at, revoked_by, block_number,
        block_hash, transaction_hash, log_index, revoked_block_number, revoked_block_hash,
        revoked_transaction_hash, revoked_log_index,
    ) in conn.execute(query).yield_per(10_000):  # fmt: skip
        records["0x" + bytes(fingerprint).hex()] = {
            "ca_id": ca_id,
            "issuer_key_id": _h(issuer_key_id),
            "holder": _h(holder),
            "predecessor": _h(predecessor),
            "kind": _KIND.get(kind, kind),
            "usage": _USAGE.get(usage, usage),
            "scope": _SCOPE.get(scope, scope),
            "center": center,
            "not_before": not_before,
            "not_after": not_after,
            "status": _STATUS.get(status, status),
            "revocation_reason": None if reason is None else _REASON.get(reason, reason),
            "revoked_at": revoked_at,
            "revoked_by": revoked_by,
            "event.block_number": block_number,
            "event.block_hash": _h(block_hash),
            "event.transaction_hash": _h(transaction_hash),
            "event.log_index": log_index,
            "revocation.block_number": revoked_block_number,
            "revocation.block_hash": _h(revoked_block_hash),
            "revocation.transaction_hash": _h(revoked_transaction_hash),
            "revocation.log_index": revoked_log_index,
        }

    def cite(kind: str, key: str) -> tuple[Evidence, ...]:
        found = records.get(key) if kind == "certificate" else None
        if found is None:
            return ()
        return (
            Evidence(
                "CertificateRecorded",
                found["event.block_number"],
                found["event.block_hash"] or "",
                found["event.transaction_hash"] or "",
                found["event.log_index"],
            ),
        )

    snap.cite = cite
