"""Differences between the replayed state and another source, record by record and field by
field, each with the chain evidence it rests on.

- ``missing``: the replay has the record, the source does not;
- ``extra``: the source has a record that no event on chain made (only for the kinds the
  source lists in full);
- ``differs``: both have it, one field differs (one difference per field);
- ``count``: the source states a number of records (without listing them) that is not the
  replay's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from huren.node.audit.records import KINDS, Evidence, Snapshot
from huren.node.audit.replay import collector_paused

__all__ = ["Difference", "DifferenceKind", "compare"]

DifferenceKind = Literal["missing", "extra", "differs", "count"]


@dataclass(frozen=True, slots=True)
class Difference:
    source: str
    difference: DifferenceKind
    record: str  # the record kind, e.g. "certificate"
    key: str  # e.g. the fingerprint, "zjca", "3:0xabc..."
    field: str | None  # for ``differs``
    expected: Any  # what the chain says (the replay)
    actual: Any  # what the source says
    # The chain events the replayed record rests on; for an extra record, the events the
    # source cites for it (which made no such record).
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["evidence"] = [asdict(e) for e in self.evidence]
        return out

    def describe(self) -> str:
        where = f"{self.record} {self.key}"
        if self.difference == "differs":
            return f"{where}: {self.field} is {self.actual!r}, the chain says {self.expected!r}"
        if self.difference == "missing":
            return f"{where} is missing"
        if self.difference == "extra":
            return f"{where} was made by no event on chain"
        return f"{where}: {self.actual} records, the chain has {self.expected}"


def compare(expected: Snapshot, actual: Snapshot) -> list[Difference]:
    """Every difference of ``actual`` from ``expected`` (the replay), in kind order, then
    by key. Only the kinds the source looked at, and the fields it has, are compared."""
    with collector_paused():
        return _compare(expected, actual)


def _compare(expected: Snapshot, actual: Snapshot) -> list[Difference]:
    out: list[Difference] = []
    src = actual.source
    cite = expected.evidence_of
    for kind in KINDS:
        have = actual.records.get(kind)
        want = expected.records.get(kind, {})
        if have is not None:
            sample = actual.sampled.get(kind)
            keys = want.keys() if sample is None else sample & want.keys()
            for key in keys:
                fields = want[key]
                got = have.get(key)
                if got is None:
                    evidence = cite(kind, key)
                    out.append(Difference(src, "missing", kind, key, None, fields, None, evidence))
                    continue
                if got.items() <= fields.items():
                    continue  # the usual case: every field the source has agrees
                for name, value in got.items():
                    if name in fields and fields[name] != value:
                        evidence = cite(kind, key)
                        out.append(
                            Difference(
                                src, "differs", kind, key, name, fields[name], value, evidence
                            )
                        )
            if kind in actual.complete:
                for key in sorted(have.keys() - want.keys()):
                    cited = actual.evidence_of(kind, key)
                    out.append(Difference(src, "extra", kind, key, None, None, have[key], cited))
        stated = actual.counts.get(kind)
        if stated is not None and stated != len(want):
            out.append(Difference(src, "count", kind, "*", None, len(want), stated, ()))
    return out
