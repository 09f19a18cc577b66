"""The projection of chain events onto the node's state tables.

``Projector.apply(event)`` writes what one event changes and returns the *entity* it
touched: a key naming that event's rows (``certificate:<fingerprint hex>``, ``ca:<id>``,
``binding:<fingerprint hex>:<platform id>``, ...), stored with the raw event. Entities are
independent of each other: each one's rows are a function of its own events alone (the
contracts emit an event for every change, e.g. one PlatformRetired per platform of a removed
member). So ``huren.node.indexer_events.undo_after`` undoes a reorganization by deleting
those entities' rows and re-applying the raw events that remain for them, in chain order.

Writes are Core statements, buffered so that a run of the same statement (a batch of
CertificateRecorded, say) goes to the database as one executemany; statements still run in
event order, and a run never holds the same row twice (an upsert touching one row twice in
one multi-row statement is an error on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlmodel import SQLModel

from huren.node.db import models as m
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
from huren.registry.types import CaStatus, CertificateStatus, ProposalStatus

__all__ = [
    "INT64_MAX",
    "T_AUTHORIZATIONS",
    "T_BINDINGS",
    "T_CAS",
    "T_CA_KEYS",
    "T_CA_OPERATORS",
    "T_CERTIFICATES",
    "T_MEMBERS",
    "T_PLATFORMS",
    "T_PROPOSALS",
    "T_QUORUM",
    "T_STATE",
    "T_VOTES",
    "Projector",
    "table",
]

INT64_MAX = 2**63 - 1  # SQL BIGINT; a uint64 beyond it (an absurd expiry) is clamped
Statement = Insert | Update | Delete


def table(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class."""
    t = model.__table__  # type: ignore[attr-defined]  # only table=True classes have one
    assert isinstance(t, Table)
    return t


T_STATE = table(m.IndexState)
T_MEMBERS = table(m.Member)
T_CAS = table(m.Ca)
T_CA_KEYS = table(m.CaIssuerKey)
T_CA_OPERATORS = table(m.CaOperator)
T_PLATFORMS = table(m.Platform)
T_PROPOSALS = table(m.Proposal)
T_VOTES = table(m.Vote)
T_QUORUM = table(m.Quorum)
T_CERTIFICATES = table(m.Certificate)
T_BINDINGS = table(m.Binding)
T_AUTHORIZATIONS = table(m.Authorization)


def _evidence(event: ChainEvent) -> dict[str, Any]:
    meta = event.meta
    return {
        "block_number": meta.block_number,
        "block_hash": meta.block_hash,
        "transaction_hash": meta.transaction_hash,
        "log_index": meta.log_index,
    }


@dataclass
class _Run:
    statement: Statement
    params: list[dict[str, Any]] = field(default_factory=list)
    keys: set[object] = field(default_factory=set)


class _Statements:
    """The statements of one dialect, built once per table and key."""

    def __init__(self, dialect: str) -> None:
        self._dialect = dialect
        self._cache: dict[tuple[object, ...], Statement] = {}

    def insert(self, t: Table) -> Statement:
        return self._cached(("insert", t.name), lambda: insert(t))

    def upsert(self, t: Table) -> Statement:
        """INSERT, or UPDATE every non-key column when the primary key exists."""

        def build() -> Statement:
            make = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            stmt = make(t)
            keys = [c.name for c in t.primary_key.columns]
            rest = {c.name: stmt.excluded[c.name] for c in t.columns if c.name not in keys}
            return stmt.on_conflict_do_update(index_elements=keys, set_=rest)

        return self._cached(("upsert", t.name), build)

    def update(self, t: Table, where: Sequence[str], columns: Sequence[str]) -> Statement:
        """UPDATE ``columns`` WHERE each of ``where`` equals parameter ``k_<name>``."""

        def build() -> Statement:
            cond = [t.c[name] == bindparam(f"k_{name}") for name in where]
            return update(t).where(*cond).values({c: bindparam(c) for c in columns})

        return self._cached(("update", t.name, *where, "|", *columns), build)

    def delete(self, t: Table, where: Sequence[str]) -> Statement:
        def build() -> Statement:
            return delete(t).where(*[t.c[name] == bindparam(f"k_{name}") for name in where])

        return self._cached(("delete", t.name, *where), build)

    def _cached(self, key: tuple[object, ...], build: Callable[[], Statement]) -> Statement:
        stmt = self._cache.get(key)
        if stmt is None:
            stmt = self._cache[key] = build()
        return stmt


_statements: dict[str, _Statements] = {}


class Projector:
    """Applies events to the state tables on ``conn`` (inside the caller's transaction).
    Call ``flush`` before reading what was written; the indexer flushes before commit."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        dialect = conn.dialect.name
        self._sql = _statements.setdefault(dialect, _Statements(dialect))
        self._runs: list[_Run] = []
        rows = conn.execute(select(T_CAS.c.operator_role, T_CAS.c.ca_id)).all()
        self._ca_of_role: dict[bytes, str] = {bytes(r[0]): r[1] for r in rows}
        self._handlers: dict[type[ChainEvent], Callable[[Any], str | None]] = {
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
            CertificateRecorded: self._certificate_recorded,
            CertificateRevoked: self._certificate_revoked,
            CertificateBound: self._binding,
            CertificateUnbound: self._binding,
            AuthorizationGranted: self._authorization,
            AuthorizationRevoked: self._authorization,
        }

    # -- plumbing ---------------------------------------------------------------------------

    def apply(self, event: ChainEvent) -> str | None:
        """Project ``event``; its entity key, or None for events that set no state
        (RoleAdminChanged, grants of roles other than CA operators)."""
        handler = self._handlers.get(type(event))
        return None if handler is None else handler(event)

    def _emit(self, statement: Statement, params: dict[str, Any], key: object) -> None:
        runs = self._runs
        if runs and runs[-1].statement is statement and key not in runs[-1].keys:
            run = runs[-1]
        else:
            run = _Run(statement)
            runs.append(run)
        run.params.append(params)
        run.keys.add(key)

    def flush(self) -> None:
        """Send the buffered statements, in order."""
        runs, self._runs = self._runs, []
        for run in runs:
            self._conn.execute(run.statement, run.params)

    # -- consortium -------------------------------------------------------------------------

    def _member_added(self, e: MemberAdded) -> str:
        row = {
            "account": e.member,
            "name": e.name,
            "region_code": e.region_code,
            "member_index": e.index,
            "active": True,
            **_evidence(e),
        }
        self._emit(self._sql.upsert(T_MEMBERS), row, e.member)
        return f"member:{e.member}"

    def _member_removed(self, e: MemberRemoved) -> str:
        stmt = self._sql.update(T_MEMBERS, ["account"], ["active", *_EVIDENCE])
        self._emit(stmt, {"k_account": e.member, "active": False, **_evidence(e)}, e.member)
        return f"member:{e.member}"

    def _ca_accredited(self, e: CaAccredited) -> str:
        role = ca_operator_role(e.ca_id)
        self._ca_of_role[role] = e.ca_id
        row = {
            "ca_id": e.ca_id,
            "name": e.name,
            "status": int(CaStatus.ACCREDITED),
            "ca_index": e.index,
            "operator_role": role,
            **_evidence(e),
        }
        self._emit(self._sql.upsert(T_CAS), row, e.ca_id)
        # The event lists every issuer key, replacing the earlier ones.
        self._emit(self._sql.delete(T_CA_KEYS, ["ca_id"]), {"k_ca_id": e.ca_id}, e.ca_id)
        for position, key_id in enumerate(e.issuer_key_ids):
            key_row = {"issuer_key_id": key_id, "ca_id": e.ca_id, "position": position}
            self._emit(self._sql.insert(T_CA_KEYS), {**key_row, **_evidence(e)}, key_id)
        return f"ca:{e.ca_id}"

    def _ca_suspended(self, e: CaSuspended) -> str:
        stmt = self._sql.update(T_CAS, ["ca_id"], ["status", *_EVIDENCE])
        params = {"k_ca_id": e.ca_id, "status": int(CaStatus.SUSPENDED), **_evidence(e)}
        self._emit(stmt, params, e.ca_id)
        return f"ca:{e.ca_id}"

    def _role_granted(self, e: RoleGranted) -> str | None:
        ca_id = self._ca_of_role.get(e.role)
        if ca_id is None:
            return None  # membership follows MemberAdded/MemberRemoved
        row = {"ca_id": ca_id, "account": e.account, **_evidence(e)}
        self._emit(self._sql.upsert(T_CA_OPERATORS), row, (ca_id, e.account))
        return f"ca:{ca_id}"

    def _role_revoked(self, e: RoleRevoked) -> str | None:
        ca_id = self._ca_of_role.get(e.role)
        if ca_id is None:
            return None
        stmt = self._sql.delete(T_CA_OPERATORS, ["ca_id", "account"])
        self._emit(stmt, {"k_ca_id": ca_id, "k_account": e.account}, (ca_id, e.account))
        return f"ca:{ca_id}"

    def _platform_registered(self, e: PlatformRegistered) -> str:
        row = {
            "platform_id": e.platform_id,
            "center": e.center,
            "name": e.name,
            "active": True,
            **_evidence(e),
        }
        self._emit(self._sql.upsert(T_PLATFORMS), row, e.platform_id)
        return f"platform:{e.platform_id}"

    def _platform_retired(self, e: PlatformRetired) -> str:
        stmt = self._sql.update(T_PLATFORMS, ["platform_id"], ["active", *_EVIDENCE])
        params = {"k_platform_id": e.platform_id, "active": False, **_evidence(e)}
        self._emit(stmt, params, e.platform_id)
        return f"platform:{e.platform_id}"

    def _quorum_changed(self, e: QuorumChanged) -> str:
        row = {
            "id": 1,
            "percent": e.quorum_percent,
            "previous_percent": e.previous_percent,
            **_evidence(e),
        }
        self._emit(self._sql.upsert(T_QUORUM), row, 1)
        return "quorum"

    def _proposal_created(self, e: ProposalCreated) -> str:
        row = {
            "proposal_id": e.id,
            "kind": int(e.kind),
            "proposer": e.proposer,
            "expires_at": min(e.expires_at, INT64_MAX),
            "payload": e.payload,
            "status": int(ProposalStatus.OPEN),
            "yes": 0,
            "no": 0,
            **_evidence(e),
        }
        self._emit(self._sql.upsert(T_PROPOSALS), row, e.id)
        return f"proposal:{e.id}"

    def _vote_cast(self, e: VoteCast) -> str:
        vote = {"proposal_id": e.id, "voter": e.voter, "support": e.support, **_evidence(e)}
        self._emit(self._sql.upsert(T_VOTES), vote, (e.id, e.voter))
        stmt = self._sql.update(T_PROPOSALS, ["proposal_id"], ["yes", "no", *_EVIDENCE])
        self._emit(stmt, {"k_proposal_id": e.id, "yes": e.yes, "no": e.no, **_evidence(e)}, e.id)
        return f"proposal:{e.id}"

    def _proposal_executed(self, e: ProposalExecuted) -> str:
        return self._proposal_status(e, e.id, ProposalStatus.EXECUTED)

    def _proposal_rejected(self, e: ProposalRejected) -> str:
        return self._proposal_status(e, e.id, ProposalStatus.REJECTED)

    def _proposal_status(self, e: ChainEvent, proposal_id: int, status: ProposalStatus) -> str:
        stmt = self._sql.update(T_PROPOSALS, ["proposal_id"], ["status", *_EVIDENCE])
        params = {"k_proposal_id": proposal_id, "status": int(status), **_evidence(e)}
        self._emit(stmt, params, proposal_id)
        return f"proposal:{proposal_id}"

    # -- certificate registry ---------------------------------------------------------------

    def _certificate_recorded(self, e: CertificateRecorded) -> str:
        meta = e.meta
        row = {
            "fingerprint": e.fingerprint,
            "ca_id": e.ca_id,
            "issuer_key_id": e.issuer_key_id,
            "holder": e.holder,
            "predecessor": e.predecessor,
            "kind": int(e.kind),
            "usage": int(e.usage),
            "scope": int(e.scope),
            "center": e.center,
            "not_before": e.not_before,
            "not_after": e.not_after,
            "status": int(CertificateStatus.ACTIVE),
            "revocation_reason": None,
            "revoked_at": None,
            "revoked_by": None,
            "block_number": meta.block_number,
            "block_hash": meta.block_hash,
            "transaction_hash": meta.transaction_hash,
            "log_index": meta.log_index,
            "revoked_block_number": None,
            "revoked_block_hash": None,
            "revoked_transaction_hash": None,
            "revoked_log_index": None,
        }
        # A fingerprint is recorded once (CertificateAlreadyRecorded): a plain insert.
        self._emit(self._sql.insert(T_CERTIFICATES), row, e.fingerprint)
        return "certificate:" + e.fingerprint.hex()

    def _certificate_revoked(self, e: CertificateRevoked) -> str:
        meta = e.meta
        stmt = self._sql.update(T_CERTIFICATES, ["fingerprint"], _REVOCATION)
        params = {
            "k_fingerprint": e.fingerprint,
            "status": int(CertificateStatus.REVOKED),
            "revocation_reason": int(e.reason),
            "revoked_at": min(e.revoked_at, INT64_MAX),
            "revoked_by": e.by,
            "revoked_block_number": meta.block_number,
            "revoked_block_hash": meta.block_hash,
            "revoked_transaction_hash": meta.transaction_hash,
            "revoked_log_index": meta.log_index,
        }
        self._emit(stmt, params, e.fingerprint)
        return "certificate:" + e.fingerprint.hex()

    def _binding(self, e: CertificateBound | CertificateUnbound) -> str:
        row = {
            "fingerprint": e.fingerprint,
            "platform_id": e.platform_id,
            "bound": isinstance(e, CertificateBound),
            "evidence_hash": e.evidence_hash,
            "by": e.by,
            **_evidence(e),
        }
        self._emit(self._sql.upsert(T_BINDINGS), row, (e.fingerprint, e.platform_id))
        return f"binding:{e.fingerprint.hex()}:{e.platform_id}"

    def _authorization(self, e: AuthorizationGranted | AuthorizationRevoked) -> str:
        row = {
            "staff_fingerprint": e.staff_fingerprint,
            "platform_id": e.platform_id,
            "enterprise_fingerprint": e.enterprise_fingerprint,
            "rights": int(e.rights) if isinstance(e, AuthorizationGranted) else 0,
            "by": e.by,
            **_evidence(e),
        }
        key = (e.staff_fingerprint, e.platform_id)
        self._emit(self._sql.upsert(T_AUTHORIZATIONS), row, key)
        return f"authorization:{e.staff_fingerprint.hex()}:{e.platform_id}"


_EVIDENCE = ("block_number", "block_hash", "transaction_hash", "log_index")
_REVOCATION = (
    "status",
    "revocation_reason",
    "revoked_at",
    "revoked_by",
    "revoked_block_number",
    "revoked_block_hash",
    "revoked_transaction_hash",
    "revoked_log_index",
)
