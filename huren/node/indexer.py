"""The indexer: follows the deployment's events into the node's SQL database.

``Indexer(engine, backend, deployment, confirmations=N).step()`` indexes the next range of
blocks up to ``head - N``; ``run(stop_event)`` does so in a loop for the node's indexer
thread. Recognition answers are read from the tables it fills (``huren.node.db.models``).

Atomicity. One step is one database transaction: the raw events, the projected rows, the
hashes of the range's most recent blocks and the checkpoint (number and hash of the last
indexed block) commit together, so a crash never leaves part of a block behind and a restart
resumes from the checkpoint. The checkpoint moves only from the value the step started from
(compare-and-set), so two indexers on one database cannot both apply a range.

Consistency with the chain. Before each step the checkpoint's stored hash is compared with
the chain's hash of that block. A step fetches the hashes of its range's last
``reorg_window`` blocks (and of its first block, whose parent must be the checkpoint) BEFORE
its logs, checks that they chain together and that every log in them carries its block's
hash, and re-reads the last block's hash AFTER the logs. A reorganization replaces a suffix
of the chain, so an unchanged last block means no block of the range changed: the step then
commits; otherwise it starts over. Reorganizations are assumed to stay within
``reorg_window`` blocks of the chain's tip; QBFT (production) never reorganizes at all.

Reorganizations. When the checkpoint's hash no longer matches, the indexer walks back
through the stored recent hashes to the newest block the chain still has (the common
ancestor) and, in one transaction, deletes the raw events after it and REBUILDS the affected
projections (``indexer_events.undo_after``): every event is stored with the entity it touched
(``certificate:<fp>``, ``ca:<id>``, ...; see ``indexer_projection``), entities are independent
of each other, so the rows of just the entities that the undone events touched are deleted
and rebuilt from their remaining events. The checkpoint moves back to the ancestor and
indexing resumes from there. No per-row undo information is kept: the raw events table is
also the audit trail and lets a new projection be built without reading the chain again.
A reorganization deeper than the stored hashes re-indexes from the deployment block; one
that replaced the block before the deployment raises ``ChainReplaced`` (this database
indexes another chain).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, update

from huren.node.db.engine import write_connection
from huren.node.db.models import IndexedBlock
from huren.node.indexer_events import T_EVENTS, raw_row, undo_after
from huren.node.indexer_projection import T_STATE, Projector, table
from huren.registry.backend import (
    BackendError,
    BlockHeader,
    ChainBackend,
    ChainUnavailable,
    RawLog,
)
from huren.registry.event_types import ChainEvent
from huren.registry.events import DEFAULT_CHUNK_SIZE, decode_log
from huren.registry.types import Deployment

__all__ = [
    "ChainReplaced",
    "ConcurrentIndexing",
    "DeploymentMismatch",
    "IndexProgress",
    "Indexer",
    "IndexerError",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_BLOCKS = 500
DEFAULT_REORG_WINDOW = 64
MAX_ATTEMPTS = 5  # a step whose range keeps changing under it gives up after this many

T_BLOCKS = table(IndexedBlock)


class IndexerError(Exception):
    """Root of the indexer's own errors."""


class DeploymentMismatch(IndexerError):
    """The database indexes another deployment than the one the indexer follows."""


class ChainReplaced(IndexerError):
    """Even the block before the deployment differs from the one indexed: another chain."""


class ConcurrentIndexing(IndexerError):
    """The checkpoint moved under this indexer: another indexer writes the same database."""


class _ChainMoved(Exception):
    """The chain changed while a step read it; the step starts over."""


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """What one ``step`` did. ``from_block``/``to_block`` is the range it indexed (None when
    it had nothing to do), ``checkpoint`` the last indexed block afterwards, ``target``
    the block it indexes up to (``head - confirmations``), ``undone`` how many indexed
    blocks a reorganization took back."""

    from_block: int | None
    to_block: int | None
    events: int
    checkpoint: int
    head: int
    target: int
    undone: int = 0

    @property
    def caught_up(self) -> bool:
        return self.checkpoint >= self.target

    @property
    def lag(self) -> int:
        return self.head - self.checkpoint


@dataclass(frozen=True, slots=True)
class _State:
    deployment_block: int
    anchor_hash: bytes
    block_number: int
    block_hash: bytes


@dataclass(frozen=True, slots=True)
class _Range:
    start: int
    end: int
    end_hash: bytes
    headers: list[BlockHeader]  # the range's last reorg_window blocks, in order
    logs: list[RawLog]
    events: list[ChainEvent]


class Indexer:
    """Indexes ``deployment``'s events from ``backend`` into ``engine``'s database (which
    ``huren.node.db.engine.migrate`` has brought up to date). ``confirmations``: blocks
    below the head it leaves alone; ``max_blocks``: blocks per step; ``reorg_window``: recent
    block hashes kept for finding the common ancestor after a reorganization."""

    def __init__(
        self,
        engine: Engine,
        backend: ChainBackend,
        deployment: Deployment,
        *,
        confirmations: int = 0,
        max_blocks: int = DEFAULT_MAX_BLOCKS,
        reorg_window: int = DEFAULT_REORG_WINDOW,
    ) -> None:
        if confirmations < 0:
            raise ValueError("confirmations must be >= 0")
        if max_blocks < 1 or reorg_window < 1:
            raise ValueError("max_blocks and reorg_window must be >= 1")
        self.engine = engine
        self.backend = backend
        self.deployment = deployment
        self.confirmations = confirmations
        self.max_blocks = max_blocks
        self.reorg_window = reorg_window
        self.last_error: BaseException | None = None  # the run loop's last failure
        self._listeners: list[Callable[[tuple[int, bytes]], None]] = []
        self._addresses = (deployment.consortium, deployment.registry)
        self._anchor = max(deployment.block_number - 1, 0)

    # -- public -----------------------------------------------------------------------------

    def step(self, max_blocks: int | None = None) -> IndexProgress:
        """Index the next range of at most ``max_blocks`` blocks (default: the indexer's)
        up to ``head - confirmations``, after undoing a reorganization if there was one."""
        limit = self.max_blocks if max_blocks is None else max_blocks
        if limit < 1:
            raise ValueError("max_blocks must be >= 1")
        undone = 0
        for _attempt in range(MAX_ATTEMPTS):
            state = self._state()
            if self._hash_at(state.block_number) != state.block_hash:
                undone += self._roll_back(state)
                continue
            head = self.backend.block_number()
            target = head - self.confirmations
            start = state.block_number + 1
            if target < start:
                self._publish((state.block_number, state.block_hash))
                return IndexProgress(None, None, 0, state.block_number, head, target, undone)
            end = min(target, start + limit - 1)
            try:
                fetched = self._fetch(start, end, state.block_hash)
            except _ChainMoved:
                log.info("blocks %d..%d changed while being read; starting over", start, end)
                continue
            self._commit(state, fetched)
            self._publish((end, fetched.end_hash))
            return IndexProgress(start, end, len(fetched.events), end, head, target, undone)
        raise IndexerError(f"the chain kept changing during {MAX_ATTEMPTS} attempts")

    def subscribe(self, listener: Callable[[tuple[int, bytes]], None]) -> None:
        """Have ``listener`` told the checkpoint after every step, once its transaction has
        committed (also when nothing was indexed, and after a reorganization moved it back):
        in-process caches of the index learn of new blocks without reading the database."""
        self._listeners.append(listener)

    def _publish(self, checkpoint: tuple[int, bytes]) -> None:
        for listener in self._listeners:
            try:
                listener(checkpoint)
            except Exception:  # a cache's failure must not stop indexing
                log.exception("a checkpoint listener failed")

    def checkpoint(self) -> tuple[int, bytes] | None:
        """(number, hash) of the last indexed block; None before the first step."""
        with self.engine.connect() as conn:
            row = conn.execute(select(T_STATE.c.block_number, T_STATE.c.block_hash)).first()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def lag(self) -> int:
        """Blocks between the chain's head and the checkpoint."""
        checkpoint = self.checkpoint()
        indexed = self._anchor if checkpoint is None else checkpoint[0]
        return self.backend.block_number() - indexed

    def run(
        self,
        stop_event: threading.Event,
        poll_interval: float = 1.0,
        *,
        max_backoff: float = 60.0,
    ) -> None:
        """Step until ``stop_event`` is set: back to back while behind, every
        ``poll_interval`` seconds once caught up. Chain and database failures are logged,
        kept in ``last_error`` and retried with exponential backoff; ``DeploymentMismatch``
        and ``ChainReplaced`` end the loop (raised), since retrying cannot mend them."""
        backoff = poll_interval
        while not stop_event.is_set():
            try:
                progress = self.step()
            except (DeploymentMismatch, ChainReplaced) as exc:
                self.last_error = exc
                log.error("indexer stopped: %s", exc)
                raise
            except Exception as exc:
                self.last_error = exc
                log.warning("indexing failed (retrying in %.1fs): %s", backoff, exc, exc_info=True)
                stop_event.wait(backoff)
                backoff = min(max(backoff, 0.05) * 2, max_backoff)
                continue
            self.last_error = None
            backoff = poll_interval
            if progress.caught_up:
                stop_event.wait(poll_interval)

    # -- state ------------------------------------------------------------------------------

    def _state(self) -> _State:
        columns = (
            T_STATE.c.chain_id,
            T_STATE.c.consortium_address,
            T_STATE.c.registry_address,
            T_STATE.c.deployment_block,
            T_STATE.c.anchor_hash,
            T_STATE.c.block_number,
            T_STATE.c.block_hash,
        )
        with self.engine.connect() as conn:
            row = conn.execute(select(*columns)).first()
        if row is None:
            return self._initialize()
        d = self.deployment
        indexed = (row[0], row[1], row[2], row[3])
        if indexed != (d.chain_id, d.consortium, d.registry, d.block_number):
            raise DeploymentMismatch(
                f"the database indexes chain {row[0]} consortium {row[1]} registry {row[2]} "
                f"from block {row[3]}, not {d}"
            )
        return _State(int(row[3]), bytes(row[4]), int(row[5]), bytes(row[6]))

    def _initialize(self) -> _State:
        """The first checkpoint: the block before the deployment (the anchor)."""
        header = self.backend.block(self._anchor)
        d = self.deployment
        with write_connection(self.engine) as conn:
            if conn.execute(select(T_STATE.c.id)).first() is None:
                conn.execute(
                    insert(T_STATE),
                    {
                        "id": 1,
                        "chain_id": d.chain_id,
                        "consortium_address": d.consortium,
                        "registry_address": d.registry,
                        "deployment_block": d.block_number,
                        "anchor_hash": header.hash,
                        "block_number": header.number,
                        "block_hash": header.hash,
                    },
                )
                conn.execute(insert(T_BLOCKS), {"number": header.number, "hash": header.hash})
        return self._state()

    def _hash_at(self, number: int) -> bytes | None:
        """The chain's hash of block ``number``; None past the head."""
        if number > self.backend.block_number():
            return None
        try:
            return self.backend.block(number).hash
        except BackendError:
            return None  # the head moved back in between

    # -- forward ----------------------------------------------------------------------------

    def _fetch(self, start: int, end: int, parent_hash: bytes) -> _Range:
        window_start = max(start, end - self.reorg_window + 1)
        try:
            headers = [self.backend.block(n) for n in range(window_start, end + 1)]
            first = headers[0] if window_start == start else self.backend.block(start)
        except ChainUnavailable:
            raise
        except BackendError as exc:  # a block past the head: the chain just got shorter
            raise _ChainMoved from exc
        if first.parent_hash != parent_hash:
            raise _ChainMoved
        for parent, child in itertools.pairwise(headers):
            if child.parent_hash != parent.hash:
                raise _ChainMoved
        logs: list[RawLog] = []
        for lo in range(start, end + 1, DEFAULT_CHUNK_SIZE):
            hi = min(lo + DEFAULT_CHUNK_SIZE - 1, end)
            logs += self.backend.get_logs(lo, hi, self._addresses)
        hashes = {h.number: h.hash for h in headers}
        for entry in logs:
            if not start <= entry.block_number <= end:
                raise IndexerError(f"the backend returned a log of block {entry.block_number}")
            expected = hashes.get(entry.block_number)
            if expected is not None and entry.block_hash != expected:
                raise _ChainMoved
        if self._hash_at(end) != headers[-1].hash:
            raise _ChainMoved
        events = [decode_log(entry) for entry in logs]
        return _Range(start, end, headers[-1].hash, headers, logs, events)

    def _commit(self, state: _State, fetched: _Range) -> None:
        with write_connection(self.engine) as conn:
            projector = Projector(conn)
            rows = []
            for entry, event in zip(fetched.logs, fetched.events, strict=True):
                rows.append(raw_row(entry, event, projector.apply(event)))
            projector.flush()
            if rows:
                conn.execute(insert(T_EVENTS), rows)
            conn.execute(
                insert(T_BLOCKS), [{"number": h.number, "hash": h.hash} for h in fetched.headers]
            )
            conn.execute(
                delete(T_BLOCKS).where(T_BLOCKS.c.number <= fetched.end - self.reorg_window)
            )
            self._advance_checkpoint(conn, state, fetched.end, fetched.end_hash)

    def _advance_checkpoint(
        self, conn: Connection, state: _State, number: int, block_hash: bytes
    ) -> None:
        result = conn.execute(
            update(T_STATE)
            .where(
                T_STATE.c.id == 1,
                T_STATE.c.block_number == state.block_number,
                T_STATE.c.block_hash == state.block_hash,
            )
            .values(block_number=number, block_hash=block_hash)
        )
        if result.rowcount != 1:
            raise ConcurrentIndexing("the checkpoint moved: is another indexer on this database?")

    # -- backward ---------------------------------------------------------------------------

    def _roll_back(self, state: _State) -> int:
        """Undo every indexed block after the common ancestor; the number of blocks undone."""
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(T_BLOCKS.c.number, T_BLOCKS.c.hash)
                .where(T_BLOCKS.c.number < state.block_number)
                .order_by(T_BLOCKS.c.number.desc())
            ).all()
        ancestor: tuple[int, bytes] | None = None
        for number, block_hash in stored:
            if self._hash_at(int(number)) == bytes(block_hash):
                ancestor = (int(number), bytes(block_hash))
                break
        if ancestor is None:
            if self._hash_at(self._anchor) != state.anchor_hash:
                raise ChainReplaced(
                    f"block {self._anchor} before the deployment is not the one indexed: "
                    "this database indexes another chain"
                )
            log.error(
                "reorganization deeper than the %d stored block hashes: re-indexing from block %d",
                self.reorg_window,
                self.deployment.block_number,
            )
            ancestor = (self._anchor, state.anchor_hash)
        number, block_hash = ancestor
        log.warning(
            "chain reorganization: block %d is no longer %s; undoing blocks %d..%d",
            state.block_number,
            state.block_hash.hex(),
            number + 1,
            state.block_number,
        )
        with write_connection(self.engine) as conn:
            undo_after(conn, number)
            conn.execute(delete(T_BLOCKS).where(T_BLOCKS.c.number > number))
            if number == self._anchor:
                conn.execute(delete(T_BLOCKS).where(T_BLOCKS.c.number == number))
                conn.execute(insert(T_BLOCKS), {"number": number, "hash": block_hash})
            self._advance_checkpoint(conn, state, number, block_hash)
        return state.block_number - number
