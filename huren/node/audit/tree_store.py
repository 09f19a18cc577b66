"""The certificate tree in the node's database, kept in step with the chain index.

``CertificateTree(engine, registry).sync()`` appends, in chain order, the CertificateRecorded
events that the indexer has stored in ``chain_events`` since the last leaf; each new leaf
writes its leaf row and the O(log n) perfect nodes it completes (``merkle.appended_nodes``),
reading only the left siblings it combines with. One sync is one write transaction, so the
tree never holds part of a batch.

Reorganizations: the indexer deletes the events of undone blocks. A sync first checks that
the last leaf's event is still stored with the same block hash; if not, it walks back to the
newest leaf that still is and cuts the tree there (leaves and the nodes that covered cut
leaves), then appends the chain's new history. QBFT never reorganizes; anvil and tests can.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
)

from huren.node.audit.leaf import certificate_leaf
from huren.node.audit.merkle import (
    NodeKey,
    appended_nodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    left_sibling_keys,
    tree_root,
)
from huren.node.audit.proof_errors import InvalidTreeSize, UnknownLeaf
from huren.node.db.audit_tables import AuditTreeLeaf, AuditTreeNode
from huren.node.db.engine import write_connection
from huren.node.indexer_events import T_EVENTS
from huren.node.indexer_projection import table

__all__ = ["CertificateTree", "LeafRecord", "SqlNodes", "SyncResult"]

T_LEAVES = table(AuditTreeLeaf)
T_NODES = table(AuditTreeNode)
SYNC_BATCH = 5_000  # leaves per sync transaction
REORG_CHUNK = 256
_NODE_BY_KEY = select(T_NODES.c.hash).where(
    T_NODES.c.level == bindparam("level"), T_NODES.c.node_index == bindparam("index")
)


@dataclass(frozen=True, slots=True)
class LeafRecord:
    """A leaf and the event it is: its index, leaf data and evidence."""

    leaf_index: int
    fingerprint: bytes
    leaf_data: bytes
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int


@dataclass(frozen=True, slots=True)
class SyncResult:
    size: int
    appended: int
    cut: int  # leaves removed by a reorganization


class SqlNodes:
    """``merkle.NodeReader`` over an open connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def nodes(self, keys: Iterable[NodeKey]) -> Mapping[NodeKey, bytes]:
        # One primary-key lookup per node with a statement compiled once: building an
        # expression over a proof's dozen or so keys cost SQLAlchemy ten times the lookups.
        found: dict[NodeKey, bytes] = {}
        for key in set(keys):
            value = self.conn.execute(_NODE_BY_KEY, {"level": key[0], "index": key[1]}).scalar()
            if value is None:
                raise InvalidTreeSize(f"the stored tree lacks node {key}")
            found[key] = bytes(value)
        return found


class CertificateTree:
    """The Merkle tree over ``registry``'s CertificateRecorded events in ``engine``'s index."""

    def __init__(self, engine: Engine, registry: str, *, batch: int = SYNC_BATCH) -> None:
        self.engine = engine
        self.registry = registry
        self.batch = batch

    # -- reading -----------------------------------------------------------------------------

    @staticmethod
    def size(conn: Connection) -> int:
        last = conn.execute(select(func.max(T_LEAVES.c.leaf_index))).scalar()
        return 0 if last is None else int(last) + 1

    def root(self, conn: Connection, size: int) -> bytes:
        self._within(conn, size)
        return tree_root(SqlNodes(conn), size)

    def inclusion_proof(self, conn: Connection, index: int, size: int) -> list[bytes]:
        self._within(conn, size)
        return inclusion_proof(SqlNodes(conn), index, size)

    def consistency_proof(self, conn: Connection, size1: int, size2: int) -> list[bytes]:
        self._within(conn, size2)
        return consistency_proof(SqlNodes(conn), size1, size2)

    def leaf(self, conn: Connection, fingerprint: bytes) -> LeafRecord:
        """The leaf of certificate ``fingerprint``, with its data rebuilt from the stored
        event; ``UnknownLeaf`` when the tree has none."""
        row = conn.execute(
            select(
                T_LEAVES.c.leaf_index,
                T_LEAVES.c.block_number,
                T_LEAVES.c.log_index,
                T_LEAVES.c.block_hash,
                T_LEAVES.c.transaction_hash,
                T_EVENTS.c.topics,
                T_EVENTS.c.data,
            )
            .join(
                T_EVENTS,
                and_(
                    T_EVENTS.c.block_number == T_LEAVES.c.block_number,
                    T_EVENTS.c.log_index == T_LEAVES.c.log_index,
                ),
            )
            .where(T_LEAVES.c.fingerprint == fingerprint)
        ).first()
        if row is None:
            raise UnknownLeaf(f"no certificate record 0x{fingerprint.hex()} in the tree yet")
        index, block, log_index, block_hash, tx, topics, data = row
        return LeafRecord(
            int(index),
            fingerprint,
            self._leaf_data(int(block), int(log_index), bytes(topics), bytes(data)),
            int(block),
            bytes(block_hash),
            bytes(tx),
            int(log_index),
        )

    def _within(self, conn: Connection, size: int) -> None:
        have = self.size(conn)
        if not 0 <= size <= have:
            raise InvalidTreeSize(f"the tree has {have} leaves, not {size}")

    def _leaf_data(self, block: int, log_index: int, topics: bytes, data: bytes) -> bytes:
        split = [topics[i : i + 32] for i in range(0, len(topics), 32)]
        return certificate_leaf(self.registry, block, log_index, split, data)

    # -- syncing -----------------------------------------------------------------------------

    def sync(self) -> SyncResult:
        """Cut what a reorganization undid, then append up to ``batch`` new leaves."""
        with write_connection(self.engine) as conn:
            size = self.size(conn)
            keep = self._still_on_chain(conn, size)
            if keep < size:
                self._cut(conn, keep)
            appended = self._append_new(conn, keep)
            return SyncResult(keep + appended, appended, size - keep)

    def _still_on_chain(self, conn: Connection, size: int) -> int:
        """How many leaves, from the first, the index still holds with the same block hash."""
        top = size
        while top > 0:
            rows = conn.execute(
                select(T_LEAVES.c.leaf_index, T_EVENTS.c.block_hash, T_LEAVES.c.block_hash)
                .select_from(T_LEAVES)
                .outerjoin(
                    T_EVENTS,
                    and_(
                        T_EVENTS.c.block_number == T_LEAVES.c.block_number,
                        T_EVENTS.c.log_index == T_LEAVES.c.log_index,
                    ),
                )
                .where(T_LEAVES.c.leaf_index < top)
                .order_by(T_LEAVES.c.leaf_index.desc())
                .limit(REORG_CHUNK)
            ).all()
            for index, chain_hash, leaf_block_hash in rows:
                if chain_hash is not None and bytes(chain_hash) == bytes(leaf_block_hash):
                    return int(index) + 1
            top -= len(rows)
        return 0

    @staticmethod
    def _cut(conn: Connection, keep: int) -> None:
        conn.execute(delete(T_LEAVES).where(T_LEAVES.c.leaf_index >= keep))
        top_level = conn.execute(select(func.max(T_NODES.c.level))).scalar() or 0
        for level in range(int(top_level) + 1):
            # Node (level, i) covers leaves up to (i + 1) * 2**level: gone once past keep.
            conn.execute(
                delete(T_NODES).where(
                    T_NODES.c.level == level, T_NODES.c.node_index >= (keep >> level)
                )
            )

    def _append_new(self, conn: Connection, size: int) -> int:
        after = conn.execute(
            select(T_LEAVES.c.block_number, T_LEAVES.c.log_index).where(
                T_LEAVES.c.leaf_index == size - 1
            )
        ).first()
        query = select(
            T_EVENTS.c.block_number,
            T_EVENTS.c.log_index,
            T_EVENTS.c.block_hash,
            T_EVENTS.c.transaction_hash,
            T_EVENTS.c.topics,
            T_EVENTS.c.data,
        ).where(T_EVENTS.c.event == "CertificateRecorded", T_EVENTS.c.address == self.registry)
        if after is not None:
            block, log_index = int(after[0]), int(after[1])
            query = query.where(
                or_(
                    T_EVENTS.c.block_number > block,
                    and_(T_EVENTS.c.block_number == block, T_EVENTS.c.log_index > log_index),
                )
            )
        rows = conn.execute(
            query.order_by(T_EVENTS.c.block_number, T_EVENTS.c.log_index).limit(self.batch)
        ).all()
        if not rows:
            return 0
        reader = SqlNodes(conn)
        known: dict[NodeKey, bytes] = {}  # fetched left siblings and the batch's new nodes
        new_nodes: dict[NodeKey, bytes] = {}
        leaves = []
        for offset, (block, log_index, block_hash, tx, topics, data) in enumerate(rows):
            index = size + offset
            leaf = self._leaf_data(int(block), int(log_index), bytes(topics), bytes(data))
            needed = [k for k in left_sibling_keys(index) if k not in known]
            if needed:  # only for the batch's first leaves: later ones find them in known
                known.update(reader.nodes(needed))
            created = appended_nodes(index, leaf_hash(leaf), known)
            known.update(created)
            new_nodes.update(created)
            leaves.append(
                {
                    "leaf_index": index,
                    "block_number": int(block),
                    "log_index": int(log_index),
                    "block_hash": bytes(block_hash),
                    "transaction_hash": bytes(tx),
                    "fingerprint": bytes(topics)[32:64],
                }
            )
        conn.execute(insert(T_LEAVES), leaves)
        conn.execute(
            insert(T_NODES),
            [{"level": lv, "node_index": ix, "hash": h} for (lv, ix), h in new_nodes.items()],
        )
        return len(rows)
