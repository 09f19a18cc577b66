"""Anchoring checkpoints on chain, and mirroring everyone's anchored checkpoints.

``AuditService`` is what the node runs next to its indexer (``step()`` in a loop):

1. ``CertificateTree.sync`` brings the tree up to the index;
2. ``sync_checkpoints`` copies new CheckpointAnchored events (of every member) into
   ``audit_checkpoints`` and checks each certificate-tree checkpoint against the local tree:
   a root that differs is logged as an error and kept in ``mismatches`` (someone anchored a
   tree that is not the chain's, or this index is wrong);
3. ``maybe_anchor`` anchors the tree when it grew by ``every_records`` leaves since the
   latest anchored checkpoint (anyone's: the tree is the same at every node) or
   ``interval_s`` seconds passed since it and it grew at all; likewise this node's
   operation log in its operator's stream.

The clock is injected (``clock()`` returns unix seconds). Two nodes racing to anchor the
same size: the loser's transaction reverts ``AuditAnchorSizeNotIncreasing``, which is fine
and only logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Connection, Engine, Row, func, insert, select

from huren.node.audit.oplog import OperationLog
from huren.node.audit.tree_store import CertificateTree
from huren.node.db.audit_tables import AuditCheckpoint
from huren.node.db.engine import write_connection
from huren.node.indexer_projection import table
from huren.registry.backend import ChainBackend, RawLog
from huren.registry.client_anchor import (
    CERTIFICATE_TREE_STREAM,
    CHECKPOINT_ANCHORED,
    AnchorClient,
    AnchoredCheckpoint,
    CheckpointKind,
    decode_checkpoint_anchored,
)
from huren.registry.errors import (
    AuditAnchorInconsistentTree,
    AuditAnchorSizeNotIncreasing,
    AuditAnchorUnauthorizedAccount,
    AuditAnchorUnknownCheckpoint,
)
from huren.registry.types import Deployment

__all__ = ["AnchorPolicy", "AuditService", "StoredCheckpoint", "checkpoints", "latest"]

log = logging.getLogger(__name__)
T_CHECKPOINTS = table(AuditCheckpoint)
LOG_CHUNK = 2_000  # blocks per eth_getLogs when mirroring anchors


@dataclass(frozen=True, slots=True)
class AnchorPolicy:
    """Anchor when ``every_records`` leaves (or log rows) were added since the latest
    checkpoint, or ``interval_s`` seconds passed since it and anything was added."""

    every_records: int = 1000
    interval_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.every_records < 1 or self.interval_s <= 0:
            raise ValueError("every_records must be >= 1 and interval_s > 0")

    def due(self, size: int, latest: StoredCheckpoint | None, now: float) -> bool:
        if size == 0:
            return False
        if latest is None:
            return True
        if size <= latest.size:
            return False
        return size - latest.size >= self.every_records or now - latest.timestamp >= self.interval_s


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """An anchored checkpoint with its CheckpointAnchored event's evidence."""

    kind: CheckpointKind
    stream: str
    index: int
    size: int
    root: bytes
    timestamp: int
    anchored_by: str
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int


def _stored(row: Row[Any]) -> StoredCheckpoint:
    r = row._mapping
    return StoredCheckpoint(
        CheckpointKind(int(r["kind"])),
        str(r["stream"]),
        int(r["checkpoint_index"]),
        int(r["size"]),
        bytes(r["root"]),
        int(r["timestamp"]),
        str(r["anchored_by"]),
        int(r["block_number"]),
        bytes(r["block_hash"]),
        bytes(r["transaction_hash"]),
        int(r["log_index"]),
    )


def checkpoints(
    conn: Connection,
    kind: CheckpointKind,
    stream: str = CERTIFICATE_TREE_STREAM,
    *,
    after: int = -1,
    limit: int = 100,
) -> list[StoredCheckpoint]:
    """The stream's mirrored checkpoints with index > ``after``, oldest first."""
    rows = conn.execute(
        select(T_CHECKPOINTS)
        .where(
            T_CHECKPOINTS.c.kind == int(kind),
            T_CHECKPOINTS.c.stream == stream,
            T_CHECKPOINTS.c.checkpoint_index > after,
        )
        .order_by(T_CHECKPOINTS.c.checkpoint_index)
        .limit(limit)
    )
    return [_stored(r) for r in rows]


def latest(
    conn: Connection, kind: CheckpointKind, stream: str = CERTIFICATE_TREE_STREAM
) -> StoredCheckpoint | None:
    row = conn.execute(
        select(T_CHECKPOINTS)
        .where(T_CHECKPOINTS.c.kind == int(kind), T_CHECKPOINTS.c.stream == stream)
        .order_by(T_CHECKPOINTS.c.checkpoint_index.desc())
        .limit(1)
    ).first()
    return None if row is None else _stored(row)


def covering(conn: Connection, size: int) -> StoredCheckpoint | None:
    """The earliest certificate-tree checkpoint of at least ``size`` leaves."""
    row = conn.execute(
        select(T_CHECKPOINTS)
        .where(
            T_CHECKPOINTS.c.kind == int(CheckpointKind.CERTIFICATE_TREE),
            T_CHECKPOINTS.c.stream == CERTIFICATE_TREE_STREAM,
            T_CHECKPOINTS.c.size >= size,
        )
        .order_by(T_CHECKPOINTS.c.checkpoint_index)
        .limit(1)
    ).first()
    return None if row is None else _stored(row)


class AuditService:
    """The node's tree syncing, checkpoint mirroring and anchoring (see the module
    docstring). ``operator`` signs the anchoring transactions and names the node's
    operation-log stream."""

    def __init__(
        self,
        engine: Engine,
        backend: ChainBackend,
        deployment: Deployment,
        operator: LocalAccount,
        policy: AnchorPolicy,
        *,
        confirmations: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.backend = backend
        self.client = AnchorClient(backend, deployment, operator)
        self.tree = CertificateTree(engine, deployment.registry)
        self.oplog = OperationLog(engine, clock)
        self.policy = policy
        self.confirmations = confirmations
        self.clock = clock
        self.stream = operator.address
        self.mismatches: list[StoredCheckpoint] = []
        self.last_error: BaseException | None = None
        self._from_block = deployment.block_number
        self._may_anchor = True

    def disable_anchoring(self) -> None:
        """Keep the tree and the mirror, never send an anchoring transaction."""
        self._may_anchor = False

    # -- one round ---------------------------------------------------------------------------

    def step(self) -> list[AnchoredCheckpoint]:
        """Sync the tree and the anchors, then anchor what is due; what it anchored."""
        while self.tree.sync().appended:
            pass
        self.sync_checkpoints()
        return self.maybe_anchor()

    def run(self, stop: threading.Event, interval: float) -> None:
        """``step`` every ``interval`` seconds until ``stop`` (errors logged, retried)."""
        while not stop.is_set():
            try:
                self.step()
                self.last_error = None
            except Exception as exc:
                self.last_error = exc
                log.warning("audit step failed: %s", exc, exc_info=True)
            stop.wait(interval)

    # -- mirroring ---------------------------------------------------------------------------

    def sync_checkpoints(self) -> int:
        """Copy CheckpointAnchored events up to ``head - confirmations`` into the table."""
        head = self.backend.block_number() - self.confirmations
        with self.engine.connect() as conn:
            last = conn.execute(select(func.max(T_CHECKPOINTS.c.block_number))).scalar()
        start = max(self._from_block, 0 if last is None else int(last) + 1)
        added = 0
        for lo in range(start, head + 1, LOG_CHUNK):
            hi = min(lo + LOG_CHUNK - 1, head)
            logs = self.backend.get_logs(
                lo, hi, [self.client.anchor_address], [CHECKPOINT_ANCHORED]
            )
            if logs:
                with write_connection(self.engine) as conn:
                    for entry in logs:
                        added += self._store(conn, entry, decode_checkpoint_anchored(entry))
        self._from_block = max(self._from_block, head + 1)
        return added

    def _store(self, conn: Connection, entry: RawLog, c: AnchoredCheckpoint) -> int:
        exists = conn.execute(
            select(T_CHECKPOINTS.c.size).where(
                T_CHECKPOINTS.c.kind == int(c.kind),
                T_CHECKPOINTS.c.stream == c.stream,
                T_CHECKPOINTS.c.checkpoint_index == c.index,
            )
        ).first()
        if exists is not None:
            return 0
        conn.execute(
            insert(T_CHECKPOINTS),
            {
                "kind": int(c.kind),
                "stream": c.stream,
                "checkpoint_index": c.index,
                "size": c.size,
                "root": c.root,
                "timestamp": c.timestamp,
                "anchored_by": c.anchored_by,
                "block_number": entry.block_number,
                "block_hash": entry.block_hash,
                "transaction_hash": entry.transaction_hash,
                "log_index": entry.log_index,
            },
        )
        if c.kind == CheckpointKind.CERTIFICATE_TREE and c.size <= self.tree.size(conn):
            ours = self.tree.root(conn, c.size)
            if ours != c.root:
                log.error(
                    "checkpoint %d anchored by %s says tree size %d has root %s; "
                    "the tree of this node's index has %s",
                    c.index,
                    c.anchored_by,
                    c.size,
                    c.root.hex(),
                    ours.hex(),
                )
                stored = latest(conn, c.kind, c.stream)
                assert stored is not None
                self.mismatches.append(stored)
        return 1

    # -- anchoring ---------------------------------------------------------------------------

    def maybe_anchor(self) -> list[AnchoredCheckpoint]:
        """Anchor the tree and this node's operation log when the policy says so."""
        if not self._may_anchor:
            return []
        now = self.clock()
        with self.engine.connect() as conn:
            tree_size = self.tree.size(conn)
            tree_latest = latest(conn, CheckpointKind.CERTIFICATE_TREE)
            tree_root = self.tree.root(conn, tree_size) if tree_size else b""
            log_size, log_head = self.oplog.head(conn)
            log_latest = latest(conn, CheckpointKind.OPERATION_LOG, self.stream)
        done = []
        try:
            if self.policy.due(tree_size, tree_latest, now):
                # Ask the chain itself before sending: the mirror lags, and another node may
                # have anchored since (then its checkpoint decides whether one is due).
                tree_latest = self._chain_latest(CheckpointKind.CERTIFICATE_TREE) or tree_latest
            if self.policy.due(tree_size, tree_latest, now):
                proof = self._consistency_from(tree_latest, tree_size)
                if proof is not None:
                    anchored = self.client.anchor_certificate_tree(tree_size, tree_root, proof)
                    done.append(anchored.checkpoint)
            if self.policy.due(log_size, log_latest, now):
                done.append(self.client.anchor_operation_log(log_size, log_head).checkpoint)
        except (AuditAnchorSizeNotIncreasing, AuditAnchorInconsistentTree) as exc:
            log.info("another node anchored first: %s", exc)
        except AuditAnchorUnauthorizedAccount:
            log.error("the node's operator %s is no member: it cannot anchor", self.stream)
            self._may_anchor = False
        if done:
            self.sync_checkpoints()
        return done

    def _consistency_from(self, latest: StoredCheckpoint | None, size: int) -> list[bytes] | None:
        """The consistency proof from the latest anchored tree to ours (AuditAnchor checks
        it); None when our tree does not extend it, which is logged as an error."""
        if latest is None:
            return []
        with self.engine.connect() as conn:
            if self.tree.root(conn, latest.size) != latest.root:
                log.error(
                    "not anchoring: checkpoint %d (%d leaves) has a root this node's tree "
                    "does not have",
                    latest.index,
                    latest.size,
                )
                return None
            return self.tree.consistency_proof(conn, latest.size, size)

    def _chain_latest(self, kind: CheckpointKind) -> StoredCheckpoint | None:
        """The stream's latest checkpoint as the chain holds it now (no evidence fields)."""
        stream = CERTIFICATE_TREE_STREAM if kind == CheckpointKind.CERTIFICATE_TREE else self.stream
        try:
            c = self.client.latest_checkpoint(kind, stream)
        except AuditAnchorUnknownCheckpoint:
            return None
        return StoredCheckpoint(
            c.kind, c.stream, c.index, c.size, c.root, c.timestamp, c.anchored_by, 0, b"", b"", 0
        )
