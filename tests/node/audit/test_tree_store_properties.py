"""The SQL tree under random histories: appends in batches of any size and reorganizations
that cut it back always leave exactly the tree of the events the index holds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from huren.node.audit.leaf import CERTIFICATE_RECORDED, certificate_leaf
from huren.node.audit.merkle import MemoryTree, leaf_hash
from huren.node.audit.tree_store import CertificateTree
from huren.node.db.engine import make_engine, migrate, write_connection
from huren.node.indexer_events import T_EVENTS

REGISTRY = "0x5007Dd7a7B2D3725aE41044bF4E7CAcA6592f80F"


@dataclass(frozen=True)
class Event:
    block: int
    log_index: int
    salt: int  # which history (a reorganization replaces blocks with other contents)

    @property
    def topics(self) -> list[bytes]:
        fp = hashlib.sha256(f"{self.block}/{self.log_index}/{self.salt}".encode()).digest()
        return [CERTIFICATE_RECORDED, fp, bytes(32), bytes(32)]

    def row(self) -> dict[str, object]:
        return {
            "block_number": self.block,
            "log_index": self.log_index,
            "block_hash": hashlib.sha256(f"block {self.block}/{self.salt}".encode()).digest(),
            "transaction_hash": bytes(32),
            "transaction_index": 0,
            "address": REGISTRY,
            "event": "CertificateRecorded",
            "topics": b"".join(self.topics),
            "data": bytes(256),
            "entity": None,
        }

    def leaf(self) -> bytes:
        return leaf_hash(
            certificate_leaf(REGISTRY, self.block, self.log_index, self.topics, bytes(256))
        )


Step = tuple[str, list[int]]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("blocks"), st.lists(st.integers(1, 4), min_size=1, max_size=4)),
        st.tuples(st.just("reorg"), st.lists(st.integers(1, 3), min_size=1, max_size=1)),
        st.tuples(st.just("sync"), st.lists(st.integers(1, 7), min_size=1, max_size=1)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=steps)
def test_random_appends_and_reorgs(
    tmp_path_factory: pytest.TempPathFactory, history: list[Step]
) -> None:
    directory: Path = tmp_path_factory.mktemp("tree")
    url = f"sqlite:///{directory / 'node.db'}"
    migrate(url)
    engine = make_engine(url)
    try:
        held: list[Event] = []
        block, salt = 10, 0
        for kind, args in history:
            if kind == "blocks":
                new = []
                for count in args:
                    block += 1
                    new += [Event(block, i, salt) for i in range(count)]
                with write_connection(engine) as conn:
                    conn.execute(insert(T_EVENTS), [e.row() for e in new])
                held += new
            elif kind == "reorg":
                salt += 1
                block = max(block - args[0], 10)
                with write_connection(engine) as conn:
                    conn.execute(delete(T_EVENTS).where(T_EVENTS.c.block_number > block))
                held = [e for e in held if e.block <= block]
            else:
                tree = CertificateTree(engine, REGISTRY, batch=args[0])
                while tree.sync().appended:
                    pass
                reference = MemoryTree(e.leaf() for e in held)
                with engine.connect() as conn:
                    assert tree.size(conn) == reference.size
                    assert tree.root(conn, reference.size) == reference.root()
                    for index in range(reference.size):
                        assert tree.inclusion_proof(conn, index, reference.size) == (
                            reference.inclusion_proof(index)
                        )
    finally:
        engine.dispose()
