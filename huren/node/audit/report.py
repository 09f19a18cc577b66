"""The audit's result: what was replayed, what was compared, every difference, and the
figures the HTML page plots. ``to_json()`` is the machine-readable report; ``report_html``
renders the same as one self-contained page.

Months are UTC calendar months of the block that recorded (or revoked) a certificate; block
timestamps come from the chain (one header read per block that holds such an event).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from huren.node.audit.compare import Difference
from huren.node.audit.records import KINDS, Evidence, Snapshot
from huren.node.audit.replay import ReplayedState
from huren.registry.types import Scope

__all__ = ["REPORT_FORMAT", "AuditReport", "SourceSummary", "Statistics", "statistics"]

REPORT_FORMAT = "huren-audit-replay/1"
BlockTime = Callable[[int], int]  # block number -> unix seconds


@dataclass(frozen=True)
class Statistics:
    """Counts for the plots: per CA per month (``YYYY-MM``), and by scope and center."""

    issued: dict[str, dict[str, int]]  # ca_id -> month -> certificates recorded
    revoked: dict[str, dict[str, int]]  # ca_id -> month -> certificates revoked
    by_scope_center: dict[str, int]  # "alliance" or "regional: <center name>" -> certificates
    by_status: dict[str, int]


def _month(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m")


def statistics(state: ReplayedState, block_time: BlockTime) -> Statistics:
    """The plotted counts of ``state``; ``block_time`` reads a block's timestamp (called once
    per distinct block)."""
    months: dict[int, str] = {}

    def month_of(block: int) -> str:
        m = months.get(block)
        if m is None:
            m = months[block] = _month(block_time(block))
        return m

    issued: dict[str, Counter[str]] = {}
    by_scope: Counter[str] = Counter()
    names = {account: m.name for account, m in state.members.items()}
    for e in state.certificates.values():
        issued.setdefault(e.ca_id, Counter())[month_of(e.meta.block_number)] += 1
        if e.scope == Scope.ALLIANCE:
            by_scope["alliance"] += 1
        else:
            center = e.center or "?"
            by_scope[f"regional: {names.get(center, center)}"] += 1
    revoked: dict[str, Counter[str]] = {}
    for r in state.revocations.values():
        revoked.setdefault(r.ca_id, Counter())[month_of(r.meta.block_number)] += 1
    return Statistics(
        issued={ca: dict(sorted(c.items())) for ca, c in sorted(issued.items())},
        revoked={ca: dict(sorted(c.items())) for ca, c in sorted(revoked.items())},
        by_scope_center=dict(sorted(by_scope.items())),
        by_status={
            "active": len(state.certificates) - len(state.revocations),
            "revoked": len(state.revocations),
        },
    )


@dataclass(frozen=True)
class SourceSummary:
    source: str
    records: dict[str, int]  # kind -> records the source showed
    differences: int
    notes: tuple[str, ...]

    @classmethod
    def of(cls, snap: Snapshot, differences: Sequence[Difference]) -> SourceSummary:
        records = {k: len(snap.records[k]) for k in KINDS if k in snap.records}
        n = sum(1 for d in differences if d.source == snap.source)
        return cls(snap.source, records, n, tuple(snap.notes))


@dataclass(frozen=True)
class AuditReport:
    generated_at: datetime.datetime
    chain_id: int
    consortium: str
    registry: str
    deployment_block: int
    replayed_block: int
    replayed_block_hash: str
    events: int
    replay_seconds: float
    records: dict[str, int]  # kind -> replayed records
    sources: tuple[SourceSummary, ...]
    differences: tuple[Difference, ...]
    anomalies: tuple[tuple[str, Evidence], ...]
    stats: Statistics
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def build(
        cls,
        *,
        state: ReplayedState,
        expected: Snapshot,
        sources: Sequence[Snapshot],
        differences: Sequence[Difference],
        stats: Statistics,
        replay_seconds: float,
        now: datetime.datetime,
    ) -> AuditReport:
        d = state.deployment
        return cls(
            generated_at=now,
            chain_id=d.chain_id,
            consortium=d.consortium,
            registry=d.registry,
            deployment_block=d.block_number,
            replayed_block=state.block_number,
            replayed_block_hash="0x" + state.block_hash.hex(),
            events=state.events,
            replay_seconds=replay_seconds,
            records={k: len(expected.records.get(k, {})) for k in KINDS},
            sources=tuple(SourceSummary.of(s, differences) for s in sources),
            differences=tuple(differences),
            anomalies=tuple(
                (what, Evidence.of(what.split()[0], meta)) for what, meta in state.anomalies
            ),
            stats=stats,
        )

    @property
    def clean(self) -> bool:
        """No source differs from the chain and the chain broke none of its own rules."""
        return not self.differences and not self.anomalies

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "generated_at": self.generated_at.isoformat(),
            "clean": self.clean,
            "chain": {
                "chain_id": self.chain_id,
                "consortium": self.consortium,
                "registry": self.registry,
                "deployment_block": self.deployment_block,
                "replayed_block": self.replayed_block,
                "replayed_block_hash": self.replayed_block_hash,
            },
            "replay": {
                "events": self.events,
                "seconds": round(self.replay_seconds, 3),
                "records": self.records,
            },
            "sources": [asdict(s) for s in self.sources],
            "differences": [d.to_json() for d in self.differences],
            "anomalies": [{"what": w, **asdict(e)} for w, e in self.anomalies],
            "statistics": asdict(self.stats),
        }
