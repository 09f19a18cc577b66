"""The operation log (操作追溯): every sensitive operation, as a hash chain.

Other services call ``OperationLog.append(OperationRecord(...))`` (or ``append_in`` inside
their own write transaction, so the log row commits with what it records). Each row stores
``prev_hash`` (the previous row's hash; 32 zero bytes for the first) and ``row_hash``::

    row_hash = SHA-256("huren.oplog.v1" 0x00 || prev_hash || uint64be(at)
                       || field(actor) || field(operation) || field(subject)
                       || opt(digest) || opt(platform))
    field(s) = uint32be(len(utf8(s))) || utf8(s)
    opt(x)   = 0x00 when absent, else 0x01 || field(x)  (digest: its 32 raw bytes)

``seq`` (the storage order, 1, 2, ...) is not hashed: the chain itself is the committed
order, which is what lets ``verify_operation_log`` tell a moved row from an edited one. The
head (row count, last ``row_hash``) is anchored on chain in AuditAnchor's operation-log
stream of the node's operator (``huren.node.audit.checkpoints``).

``verify_operation_log(rows, anchors)`` walks the chain and raises ``OperationLogTampered``
with one ``Finding`` per problem: EDITED (a row's fields no longer match its hash, or its
hash was recomputed so its successor's link breaks), DELETED (a gap, or anchored rows gone),
INSERTED (a row no later row commits to), REORDERED (the chain's order differs from the
stored one), ANCHOR_MISMATCH (the chain at an anchored size ends in another head).
"""

from __future__ import annotations

import bisect
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from huren.node.audit.proof_errors import OperationLogTampered, TransparencyError
from huren.node.db.audit_tables import OperationLogEntry
from huren.node.db.engine import write_connection
from huren.node.indexer_projection import table

__all__ = [
    "GENESIS_HASH",
    "Finding",
    "FindingKind",
    "InvalidOperationRecord",
    "LoggedOperation",
    "Operation",
    "OperationLog",
    "OperationRecord",
    "VerifiedLog",
    "compute_row_hash",
    "verify_operation_log",
]

T_OPLOG = table(OperationLogEntry)
GENESIS_HASH = bytes(32)
DOMAIN = b"huren.oplog.v1\x00"
APPEND_ATTEMPTS = 5  # concurrent appends on PostgreSQL collide on seq; the loser retries


class Operation(StrEnum):
    """The sensitive operations the manual names."""

    LOGIN = "login"
    SIGN = "sign"
    SEAL = "seal"
    DECRYPT = "decrypt"
    AUTHORIZATION_CHANGE = "authorization_change"
    ADMIN_TRANSFER = "admin_transfer"
    REVOCATION = "revocation"
    ZONE_CHANGE = "zone_change"  # a zone bound or unbound (huren.node.zones)
    RECOVERY = "recovery"  # a split key reshared onto a new device (证书找回)


class InvalidOperationRecord(TransparencyError, ValueError):
    """An operation record with a missing or oversized field."""

    code = "INVALID_OPERATION_RECORD"


@dataclass(frozen=True, slots=True)
class OperationRecord:
    """What happened: ``actor`` (an account id, never a name or phone number) did
    ``operation`` on ``subject`` (a certificate fingerprint, document id ...), with the
    ``digest`` (SHA-256) of what was signed, sealed or decrypted, at ``platform``."""

    actor: str
    operation: Operation
    subject: str
    digest: bytes | None = None
    platform: str | None = None

    def __post_init__(self) -> None:
        for name, value, limit in (("actor", self.actor, 200), ("subject", self.subject, 200)):
            if not value or len(value) > limit:
                raise InvalidOperationRecord(f"{name} must have 1..{limit} characters")
        if not isinstance(self.operation, Operation):
            try:
                object.__setattr__(self, "operation", Operation(self.operation))
            except ValueError as exc:
                raise InvalidOperationRecord(f"unknown operation {self.operation!r}") from exc
        if self.digest is not None and len(self.digest) != 32:
            raise InvalidOperationRecord("a digest is 32 bytes (SHA-256)")
        if self.platform is not None and not 0 < len(self.platform) <= 66:
            raise InvalidOperationRecord("a platform id has 1..66 characters")


@dataclass(frozen=True, slots=True)
class LoggedOperation:
    """A row of the log."""

    seq: int
    at: int  # unix milliseconds
    record: OperationRecord
    prev_hash: bytes
    row_hash: bytes


def _field(value: str) -> bytes:
    raw = value.encode()
    return len(raw).to_bytes(4, "big") + raw


def compute_row_hash(prev_hash: bytes, at: int, record: OperationRecord) -> bytes:
    """The hash a row with these fields must carry (see the module docstring)."""
    digest = b"\x00" if record.digest is None else b"\x01" + record.digest
    platform = b"\x00" if record.platform is None else b"\x01" + _field(record.platform)
    return hashlib.sha256(
        b"".join(
            (
                DOMAIN,
                prev_hash,
                at.to_bytes(8, "big"),
                _field(record.actor),
                _field(str(record.operation)),
                _field(record.subject),
                digest,
                platform,
            )
        )
    ).digest()


class OperationLog:
    """The node's operation log in ``engine``'s database; ``clock`` gives unix seconds."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def append(self, record: OperationRecord) -> LoggedOperation:
        """Append ``record`` in a transaction of its own."""
        for attempt in range(APPEND_ATTEMPTS):
            try:
                with write_connection(self.engine) as conn:
                    return self.append_in(conn, record)
            except IntegrityError:
                if attempt == APPEND_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def append_in(self, conn: Connection, record: OperationRecord) -> LoggedOperation:
        """Append ``record`` inside the caller's write transaction ``conn`` (so the log row
        commits, or not, with what it records)."""
        seq, prev = self.head(conn)
        at = int(self.clock() * 1000)
        row_hash = compute_row_hash(prev, at, record)
        conn.execute(
            insert(T_OPLOG),
            {
                "seq": seq + 1,
                "at": at,
                "actor": record.actor,
                "operation": str(record.operation),
                "subject": record.subject,
                "digest": record.digest,
                "platform": record.platform,
                "prev_hash": prev,
                "row_hash": row_hash,
            },
        )
        return LoggedOperation(seq + 1, at, record, prev, row_hash)

    @staticmethod
    def head(conn: Connection) -> tuple[int, bytes]:
        """(rows, hash of the last row); (0, 32 zero bytes) when empty."""
        row = conn.execute(
            select(T_OPLOG.c.seq, T_OPLOG.c.row_hash).order_by(T_OPLOG.c.seq.desc()).limit(1)
        ).first()
        return (0, GENESIS_HASH) if row is None else (int(row[0]), bytes(row[1]))

    @staticmethod
    def rows(conn: Connection) -> list[LoggedOperation]:
        """Every row in storage order (``seq``), as stored: nothing is checked here."""
        out = []
        for r in conn.execute(select(T_OPLOG).order_by(T_OPLOG.c.seq)).mappings():
            record = object.__new__(OperationRecord)  # as stored, even if invalid now
            for name in ("actor", "operation", "subject", "digest", "platform"):
                value = r[name]
                object.__setattr__(
                    record, name, bytes(value) if name == "digest" and value else value
                )
            out.append(
                LoggedOperation(
                    int(r["seq"]), int(r["at"]), record, bytes(r["prev_hash"]), bytes(r["row_hash"])
                )
            )
        return out


class FindingKind(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    seq: int  # the row concerned (for DELETED: the first missing seq, or the row after)
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} at seq {self.seq}: {self.detail}"


@dataclass(frozen=True, slots=True)
class VerifiedLog:
    """A log that verified: its length and head hash, and the anchors it matched."""

    size: int
    head: bytes
    anchors_checked: int


def _recomputed(row: LoggedOperation) -> bytes | None:
    try:
        return compute_row_hash(row.prev_hash, row.at, row.record)
    except (AttributeError, TypeError, ValueError):
        return None


def _walk(rows: Sequence[LoggedOperation], findings: list[Finding]) -> list[int]:
    """Follow the hash links from the genesis: the positions of the committed chain, in
    its order. Forks (two rows naming the same predecessor) keep the row a later row commits
    to and report the other INSERTED; dead ends resume at the lowest-seq row whose
    predecessor is no row at all, reporting the break as DELETED (a seq gap) or EDITED."""
    by_prev: dict[bytes, list[int]] = {}
    hashes = {r.row_hash for r in rows}
    for pos, r in enumerate(rows):
        by_prev.setdefault(r.prev_hash, []).append(pos)
    chain: list[int] = []
    visited: set[int] = set()
    current = GENESIS_HASH
    while True:
        candidates = [p for p in by_prev.get(current, []) if p not in visited]
        if not candidates:
            orphans = [
                p
                for p, r in enumerate(rows)
                if p not in visited and r.prev_hash not in hashes and r.prev_hash != GENESIS_HASH
            ]
            if not orphans:
                break
            nxt = min(orphans, key=lambda p: rows[p].seq)
            before = rows[chain[-1]] if chain else None
            after = rows[nxt]
            gap = after.seq - (before.seq if before else 0) - 1
            if gap > 0:
                first = (before.seq if before else 0) + 1
                findings.append(
                    Finding(
                        FindingKind.DELETED,
                        first,
                        f"{gap} row(s) with seq {first}..{after.seq - 1} are gone; row "
                        f"{after.seq} commits to a row that no longer exists",
                    )
                )
            elif before is not None:
                findings.append(
                    Finding(
                        FindingKind.EDITED,
                        before.seq,
                        f"its hash is not the one row {after.seq} committed to: it was "
                        "rewritten and rehashed (or rows after it deleted and renumbered)",
                    )
                )
            else:
                findings.append(
                    Finding(FindingKind.DELETED, 1, "the first row(s) of the log are gone")
                )
            candidates = [nxt]
        if len(candidates) > 1:
            continuing = [p for p in candidates if rows[p].row_hash in by_prev]
            keep = min(continuing or candidates, key=lambda p: rows[p].seq)
            for p in candidates:
                if p != keep:
                    visited.add(p)
                    findings.append(
                        Finding(
                            FindingKind.INSERTED,
                            rows[p].seq,
                            f"it claims to follow the row before seq {rows[keep].seq}, "
                            "which the chain continues with another row",
                        )
                    )
            candidates = [keep]
        chosen = candidates[0]
        visited.add(chosen)
        chain.append(chosen)
        current = rows[chosen].row_hash
    for p, r in enumerate(rows):
        if p not in visited:
            findings.append(Finding(FindingKind.INSERTED, r.seq, "no row of the chain leads to it"))
    return chain


def _reordered(rows: Sequence[LoggedOperation], chain: list[int]) -> list[int]:
    """Positions of chain rows outside the longest run stored in the chain's order."""
    seqs = [rows[p].seq for p in chain]
    if not seqs:
        return []
    # Longest increasing subsequence (patience sorting), keeping back-pointers.
    tails: list[int] = []
    tail_at: list[int] = []
    back = [-1] * len(seqs)
    for i, s in enumerate(seqs):
        k = bisect.bisect_left(tails, s)
        if k == len(tails):
            tails.append(s)
            tail_at.append(i)
        else:
            tails[k] = s
            tail_at[k] = i
        back[i] = tail_at[k - 1] if k > 0 else -1
    keep: set[int] = set()
    i = tail_at[-1]
    while i != -1:
        keep.add(i)
        i = back[i]
    return [chain[i] for i in range(len(seqs)) if i not in keep]


def verify_operation_log(
    rows: Iterable[LoggedOperation], anchors: Iterable[tuple[int, bytes]] = ()
) -> VerifiedLog:
    """Check the log's hash chain and its anchored heads ((size, head) pairs, e.g. from
    AuditAnchor); raises ``OperationLogTampered`` listing every finding."""
    stored = sorted(rows, key=lambda r: r.seq)
    findings: list[Finding] = []
    for r in stored:
        if _recomputed(r) != r.row_hash:
            findings.append(
                Finding(FindingKind.EDITED, r.seq, "its fields no longer match its hash")
            )
    chain = _walk(stored, findings)
    for p in _reordered(stored, chain):
        findings.append(
            Finding(
                FindingKind.REORDERED,
                stored[p].seq,
                "the hash chain puts it elsewhere than its seq does",
            )
        )
    checked = 0
    for size, head in anchors:
        checked += 1
        if size > len(chain):
            findings.append(
                Finding(
                    FindingKind.DELETED,
                    len(chain) + 1,
                    f"a head anchored at {size} rows, but the chain has {len(chain)}",
                )
            )
        elif stored[chain[size - 1]].row_hash != head:
            findings.append(
                Finding(
                    FindingKind.ANCHOR_MISMATCH,
                    stored[chain[size - 1]].seq,
                    f"the chain's row {size} is not the head anchored at that size "
                    f"(0x{head.hex()[:16]}...): rows up to it were rewritten",
                )
            )
    if findings:
        findings.sort(key=lambda f: (f.seq, f.kind))
        raise OperationLogTampered(list(findings))
    head_hash = stored[chain[-1]].row_hash if chain else GENESIS_HASH
    return VerifiedLog(len(chain), head_hash, checked)
