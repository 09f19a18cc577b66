"""The certificate tree in SQL, anchoring by policy, proofs served from the index and checked
with the chain alone, consistency between checkpoints, the operation log's anchored head,
another node mirroring (and checking) the anchors, and a reorganization cutting the tree."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from huren.node import demo
from huren.node.audit.checkpoints import AnchorPolicy, AuditService, checkpoints, latest
from huren.node.audit.leaf import CERTIFICATE_RECORDED, certificate_leaf
from huren.node.audit.merkle import MemoryTree, leaf_hash
from huren.node.audit.oplog import Operation, OperationRecord, verify_operation_log
from huren.node.audit.proof_errors import (
    CheckpointMismatch,
    InvalidTreeSize,
    LeafMismatch,
    MalformedProof,
    NoCheckpoint,
    RootMismatch,
    UnknownLeaf,
    WrongChain,
)
from huren.node.audit.proofs import (
    CheckpointRef,
    ConsistencyProof,
    InclusionProof,
    build_consistency,
    build_inclusion,
)
from huren.node.audit.tree_store import T_LEAVES, CertificateTree
from huren.node.audit.verify import verify_consistency_on_chain, verify_inclusion_on_chain
from huren.node.db.engine import make_engine, migrate, write_connection
from huren.node.indexer import Indexer
from huren.node.indexer_events import undo_after
from huren.registry.client import RegistryClient
from huren.registry.client_anchor import AnchorClient, CheckpointKind
from huren.registry.types import CertificateInput, CertificateKind, KeyUsage, Scope
from tests.node.conftest import SeededChain

TREE, LOG = CheckpointKind.CERTIFICATE_TREE, CheckpointKind.OPERATION_LOG


class Clock:
    """The node's injected clock. It starts at the chain's time: the embedded chain's blocks
    run ahead of the wall clock (one second per block at least), and the anchoring interval
    is measured from a checkpoint's block time."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    seeded: SeededChain
    engine: Engine
    indexer: Indexer
    service: AuditService
    clock: Clock

    @property
    def tree(self) -> CertificateTree:
        return self.service.tree

    def issue(self, n: int) -> list[bytes]:
        client = RegistryClient(
            self.seeded.backend, self.seeded.deployment, demo.ca_operator_account("zjca")
        )
        now = int(time.time())
        certs = [
            CertificateInput(
                fingerprint=os.urandom(32),
                holder=os.urandom(32),
                not_before=now - 86_400,
                not_after=now + 86_400 * 365,
                kind=CertificateKind.PERSONAL,
                usage=KeyUsage.SIGNING,
                scope=Scope.ALLIANCE,
            )
            for _ in range(n)
        ]
        client.record_certificates("zjca", demo.issuer_key_id("zjca"), certs)
        while not self.indexer.step().caught_up:
            pass
        return [c.fingerprint for c in certs]


def engine_at(path: Path) -> Engine:
    url = f"sqlite:///{path}"
    migrate(url)
    return make_engine(url)


@pytest.fixture
def world(seeded: SeededChain, tmp_path: Path) -> Iterator[World]:
    engine = engine_at(tmp_path / "node.db")
    indexer = Indexer(engine, seeded.backend, seeded.deployment)
    clock = Clock(seeded.backend.block(seeded.backend.block_number()).timestamp)
    service = AuditService(
        engine,
        seeded.backend,
        seeded.deployment,
        demo.center_account("jiaxing"),
        AnchorPolicy(every_records=3, interval_s=100),
        clock=clock,
    )
    yield World(seeded, engine, indexer, service, clock)
    engine.dispose()


def chain_tree(world: World) -> MemoryTree:
    """The tree rebuilt from the chain's logs, independently of the index."""
    backend, d = world.seeded.backend, world.seeded.deployment
    logs = backend.get_logs(0, backend.block_number(), [d.registry], [CERTIFICATE_RECORDED])
    return MemoryTree(
        leaf_hash(certificate_leaf(d.registry, x.block_number, x.log_index, x.topics, x.data))
        for x in logs
    )


def test_the_sql_tree_is_the_chains_tree_and_proves_like_it(world: World) -> None:
    world.issue(5)
    world.issue(6)
    small = CertificateTree(world.engine, world.seeded.deployment.registry, batch=4)
    assert [small.sync().appended for _ in range(4)] == [4, 4, 3, 0]  # in several commits
    reference = chain_tree(world)
    with world.engine.connect() as conn:
        assert small.size(conn) == reference.size == 11
        for size in range(1, 12):
            assert small.root(conn, size) == reference.root(size)
            for index in range(size):
                assert small.inclusion_proof(conn, index, size) == reference.inclusion_proof(
                    index, size
                )
            for size1 in range(size + 1):
                assert small.consistency_proof(conn, size1, size) == (
                    reference.consistency_proof(size1, size)
                )
        with pytest.raises(InvalidTreeSize):
            small.root(conn, 12)
        with pytest.raises(UnknownLeaf):
            small.leaf(conn, os.urandom(32))


def test_anchoring_follows_the_policy(world: World) -> None:
    assert world.service.step() == []  # nothing recorded yet: nothing to anchor
    world.issue(2)
    (first,) = world.service.step()
    assert (first.kind, first.size) == (TREE, 2)
    world.issue(1)
    assert world.service.step() == []  # 1 new record < 3, and no time has passed
    world.clock.now += 150  # the checkpoint is a few blocks (seconds) past the start
    (second,) = world.service.step()
    assert (second.index, second.size) == (1, 3)
    world.issue(3)
    (third,) = world.service.step()  # 3 new records: due at once
    assert third.size == 6
    with world.engine.connect() as conn:
        mirrored = checkpoints(conn, TREE)
        assert [c.size for c in mirrored] == [2, 3, 6]
        assert all(c.root == chain_tree(world).root(c.size) for c in mirrored)
    view = AnchorClient(world.seeded.backend, world.seeded.deployment)
    assert view.latest_checkpoint(TREE).root == third.root


def test_an_inclusion_proof_checks_out_with_the_chain_alone(world: World) -> None:
    fingerprints = world.issue(4)
    world.tree.sync()
    with world.engine.connect() as conn, pytest.raises(NoCheckpoint):
        build_inclusion(conn, world.tree, world.seeded.deployment, fingerprints[0])
    world.service.step()
    world.issue(1)  # a record after the checkpoint: not provable yet
    world.service.step()
    with world.engine.connect() as conn:
        document = build_inclusion(conn, world.tree, world.seeded.deployment, fingerprints[2])
        later = world.tree.leaf(conn, fingerprints[2])
    assert later.leaf_index == 2 and document.tree_size == 4
    # Round trip through JSON, as served by the API and read by the CLI.
    proof = InclusionProof.from_json(json.loads(json.dumps(document.to_json())))
    assert proof == document
    backend = world.seeded.backend
    ok = verify_inclusion_on_chain(proof, backend, world.seeded.deployment, rebuild=True)
    assert (ok.leaf_index, ok.tree_size, ok.rebuilt) == (2, 4, True)
    assert ok.checkpoint.anchored_by == demo.center_account("jiaxing").address
    verify_inclusion_on_chain(proof, backend)  # the proof's own addresses

    def altered(**changes: Any) -> InclusionProof:
        return dataclasses.replace(proof, **changes)

    leaf = bytearray(proof.leaf_data)
    leaf[-1] ^= 1
    bad_path = (leaf_hash(proof.audit_path[0]), *proof.audit_path[1:])
    cases: list[tuple[InclusionProof, type[Exception]]] = [
        (altered(leaf_data=bytes(leaf)), LeafMismatch),
        (altered(log_index=proof.log_index + 1), LeafMismatch),
        (altered(block_hash=os.urandom(32)), LeafMismatch),
        (altered(fingerprint=fingerprints[1]), LeafMismatch),
        (altered(audit_path=bad_path), RootMismatch),
        (altered(leaf_index=3), RootMismatch),
        (altered(audit_path=proof.audit_path[:-1]), MalformedProof),
        (altered(checkpoint=dataclasses.replace(proof.checkpoint, index=1)), CheckpointMismatch),
        (altered(chain_id=proof.chain_id + 1), WrongChain),
    ]
    for wrong, error in cases:
        with pytest.raises(error):
            verify_inclusion_on_chain(wrong, backend, world.seeded.deployment)
    with pytest.raises(MalformedProof):
        InclusionProof.from_json({**proof.to_json(), "root": "0x12"})
    with pytest.raises(MalformedProof):
        InclusionProof.from_json(["not", "a", "proof"])


def test_a_root_not_of_the_chains_records_is_caught_by_rebuilding(world: World) -> None:
    world.issue(3)
    world.tree.sync()
    with world.engine.connect() as conn:
        leaf = world.tree.leaf(conn, first_fingerprint(conn))
    # A member anchors a tree of its own making that holds the chain's first record ...
    fake = MemoryTree([leaf_hash(leaf.leaf_data), leaf_hash(b"made"), leaf_hash(b"up")])
    client = AnchorClient(
        world.seeded.backend, world.seeded.deployment, demo.center_account("nantong")
    )
    client.anchor_certificate_tree(3, fake.root())
    world.service.step()
    # ... this node's mirror flags it ...
    assert [c.size for c in world.service.mismatches] == [3]
    with world.engine.connect() as conn:
        ref = CheckpointRef.of(checkpoints(conn, TREE)[0])
    forged = InclusionProof(
        world.seeded.deployment.chain_id,
        world.seeded.deployment.registry,
        client.anchor_address,
        leaf.fingerprint,
        0,
        3,
        leaf.leaf_data,
        tuple(fake.inclusion_proof(0)),
        fake.root(),
        leaf.block_number,
        leaf.block_hash,
        leaf.transaction_hash,
        leaf.log_index,
        ref,
    )
    # ... its proof holds against its checkpoint, and only rebuilding from the chain refuses it.
    verify_inclusion_on_chain(forged, world.seeded.backend)
    with pytest.raises(CheckpointMismatch, match="first 3 records"):
        verify_inclusion_on_chain(forged, world.seeded.backend, rebuild=True)
    # Nor does this node extend that checkpoint: no consistency proof from it exists, and
    # AuditAnchor takes no tree checkpoint without one.
    world.issue(3)
    assert world.service.step() == []


def first_fingerprint(conn: Connection) -> bytes:
    query = select(T_LEAVES.c.fingerprint).where(T_LEAVES.c.leaf_index == 0)
    return bytes(conn.execute(query).scalar_one())


def test_consistency_between_checkpoints(world: World) -> None:
    world.issue(3)
    world.service.step()
    world.issue(5)
    world.service.step()
    with world.engine.connect() as conn:
        document = build_consistency(conn, world.tree, world.seeded.deployment, 3, 8)
        unanchored = build_consistency(conn, world.tree, world.seeded.deployment, 2, 8)
    proof = ConsistencyProof.from_json(json.loads(json.dumps(document.to_json())))
    ok = verify_consistency_on_chain(proof, world.seeded.backend, world.seeded.deployment)
    assert [c.size for c in ok.checkpoints] == [3, 8]
    assert unanchored.first is None and unanchored.second is not None
    verify_consistency_on_chain(unanchored, world.seeded.backend)
    with pytest.raises(RootMismatch):
        verify_consistency_on_chain(
            dataclasses.replace(proof, root1=os.urandom(32)), world.seeded.backend
        )
    assert proof.first is not None
    wrong_ref = dataclasses.replace(proof, first=dataclasses.replace(proof.first, index=1))
    with pytest.raises(CheckpointMismatch):
        verify_consistency_on_chain(wrong_ref, world.seeded.backend)


def test_the_operation_log_head_is_anchored_per_node(world: World) -> None:
    for i in range(4):
        world.service.oplog.append(OperationRecord(f"user-{i}", Operation.SIGN, f"doc-{i}"))
    anchored = world.service.step()
    assert [(c.kind, c.size) for c in anchored] == [(LOG, 4)]
    stream = demo.center_account("jiaxing").address
    view = AnchorClient(world.seeded.backend, world.seeded.deployment)
    on_chain = view.latest_checkpoint(LOG, stream)
    with world.engine.connect() as conn:
        rows = world.service.oplog.rows(conn)
        assert latest(conn, LOG, stream) is not None
    result = verify_operation_log(rows, [(on_chain.size, on_chain.root)])
    assert result.size == 4 and result.anchors_checked == 1


def test_another_node_mirrors_the_anchors(world: World, tmp_path: Path) -> None:
    world.issue(3)
    world.service.step()
    engine = engine_at(tmp_path / "other.db")
    try:
        Indexer(engine, world.seeded.backend, world.seeded.deployment).step()
        other = AuditService(
            engine,
            world.seeded.backend,
            world.seeded.deployment,
            demo.center_account("nantong"),
            AnchorPolicy(every_records=3, interval_s=100),
        )
        assert other.step() == []  # jiaxing already anchored this size
        assert other.mismatches == []
        with engine.connect() as conn:
            assert [c.anchored_by for c in checkpoints(conn, TREE)] == [
                demo.center_account("jiaxing").address
            ]
    finally:
        engine.dispose()


def test_a_reorganization_cuts_the_tree_back(world: World) -> None:
    world.issue(2)
    fingerprints = world.issue(3)
    world.tree.sync()
    with world.engine.connect() as conn:
        block = world.tree.leaf(conn, fingerprints[0]).block_number
    with write_connection(world.engine) as conn:
        undo_after(conn, block - 1)  # what the indexer does when those blocks are replaced
    result = world.tree.sync()
    assert (result.size, result.cut, result.appended) == (2, 3, 0)
    with world.engine.connect() as conn:
        assert world.tree.root(conn, 2) == chain_tree(world).root(2)
        with pytest.raises(UnknownLeaf):
            world.tree.leaf(conn, fingerprints[0])
