"""The certificate Merkle tree in SQL: syncing leaves from the index, and serving proofs.

    python benchmarks/audit_tree.py [--leaves 100000]

Fills a fresh SQLite index with ``--leaves`` CertificateRecorded events (100 per block),
then measures, in the same run: building the tree in memory (the baseline: hashing only),
syncing it into SQL (``CertificateTree.sync``), and inclusion and consistency proofs read
from SQL at the full size. Prints the figures on stderr and one JSON line with ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from huren.node.audit.leaf import CERTIFICATE_RECORDED, certificate_leaf
from huren.node.audit.merkle import MemoryTree, leaf_hash, verify_inclusion
from huren.node.audit.tree_store import CertificateTree
from huren.node.db.engine import make_engine, migrate, write_connection
from huren.node.indexer_events import T_EVENTS

REGISTRY = "0x5007Dd7a7B2D3725aE41044bF4E7CAcA6592f80F"
PER_BLOCK = 100
PROOFS = 200


def fingerprint(i: int) -> bytes:
    return hashlib.sha256(i.to_bytes(8, "big")).digest()


def topics(i: int) -> list[bytes]:
    return [CERTIFICATE_RECORDED, fingerprint(i), bytes(32), bytes(32)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=100_000)
    args = parser.parse_args()
    n = args.leaves
    with tempfile.TemporaryDirectory(prefix="huren-audit-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'node.db'}"
        migrate(url)
        engine = make_engine(url)
        rows = [
            {
                "block_number": 10 + i // PER_BLOCK,
                "log_index": i % PER_BLOCK,
                "block_hash": (10 + i // PER_BLOCK).to_bytes(32, "big"),
                "transaction_hash": bytes(32),
                "transaction_index": 0,
                "address": REGISTRY,
                "event": "CertificateRecorded",
                "topics": b"".join(topics(i)),
                "data": bytes(256),
                "entity": None,
            }
            for i in range(n)
        ]
        with write_connection(engine) as conn:
            for k in range(0, n, 10_000):
                conn.execute(insert(T_EVENTS), rows[k : k + 10_000])

        started = time.perf_counter()
        memory = MemoryTree(
            leaf_hash(
                certificate_leaf(
                    REGISTRY, 10 + i // PER_BLOCK, i % PER_BLOCK, topics(i), bytes(256)
                )
            )
            for i in range(n)
        )
        memory_per_s = n / (time.perf_counter() - started)

        tree = CertificateTree(engine, REGISTRY)
        started = time.perf_counter()
        while tree.sync().appended:
            pass
        sync_per_s = n / (time.perf_counter() - started)

        with engine.connect() as conn:
            root = tree.root(conn, n)
            if root != memory.root():
                print("the SQL tree's root differs from the in-memory tree's", file=sys.stderr)
                return 1
            step = max(n // PROOFS, 1)
            started = time.perf_counter()
            for i in range(0, n, step):
                leaf = tree.leaf(conn, fingerprint(i))
                path = tree.inclusion_proof(conn, leaf.leaf_index, n)
                verify_inclusion(leaf.leaf_index, n, leaf_hash(leaf.leaf_data), path, root)
            inclusion_ms = (time.perf_counter() - started) / len(range(0, n, step)) * 1000
            started = time.perf_counter()
            for size in range(1, n, step):
                tree.consistency_proof(conn, size, n)
            consistency_ms = (time.perf_counter() - started) / len(range(1, n, step)) * 1000
        engine.dispose()

    print(f"in memory: {memory_per_s:,.0f} leaves/s", file=sys.stderr)
    print(f"sync to SQL: {sync_per_s:,.0f} leaves/s", file=sys.stderr)
    print(f"inclusion proof (lookup, path, verify): {inclusion_ms:.2f} ms", file=sys.stderr)
    print(f"consistency proof: {consistency_ms:.2f} ms", file=sys.stderr)
    print(
        json.dumps(
            {
                "leaves": n,
                "sync_leaves_per_s": round(sync_per_s),
                "sync_vs_memory_ratio": round(sync_per_s / memory_per_s, 3),
                "inclusion_proof_ms": round(inclusion_ms, 3),
                "consistency_proof_ms": round(consistency_ms, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
