"""AuditAnchor: every external function's happy path, its event and every revert."""

from __future__ import annotations

from functools import partial

import pytest

from huren.node.audit.merkle import MemoryTree, leaf_hash
from huren.registry.abi import function_selectors
from huren.registry.client import RegistryClient
from huren.registry.client_anchor import (
    CERTIFICATE_TREE_STREAM,
    AnchorClient,
    AnchoredCheckpoint,
    CheckpointKind,
)
from huren.registry.errors import (
    AuditAnchorEmptyRoot,
    AuditAnchorInconsistentTree,
    AuditAnchorInvalidKind,
    AuditAnchorSizeNotIncreasing,
    AuditAnchorUnauthorizedAccount,
    AuditAnchorUnknownCheckpoint,
    DeploymentMismatch,
)
from tests.contracts.conftest import Net, fp

TREE, LOG = CheckpointKind.CERTIFICATE_TREE, CheckpointKind.OPERATION_LOG
# A tree of 40 leaves: its prefixes are the trees the tests anchor, with real roots and
# consistency proofs (huren's RFC 9162 implementation, itself tested against the RFC vectors).
LEAVES = MemoryTree(leaf_hash(bytes([i])) for i in range(40))


def root(size: int) -> bytes:
    return LEAVES.root(size)


def proof(size1: int, size2: int) -> list[bytes]:
    return LEAVES.consistency_proof(size1, size2)


def anchor(net: Net, who: str) -> AnchorClient:
    return AnchorClient(net.backend, net.deployment, net.accounts[who])


def test_members_anchor_the_certificate_tree_and_everyone_reads_it(net: Net) -> None:
    jiaxing = anchor(net, "jiaxing")
    view = AnchorClient(net.backend, net.deployment)
    assert view.anchor_consortium() == net.deployment.consortium
    assert view.checkpoint_count(TREE) == 0

    first = jiaxing.anchor_certificate_tree(5, root(5))
    expected = AnchoredCheckpoint(
        TREE, CERTIFICATE_TREE_STREAM, 0, 5, root(5), net.now(), net.addr("jiaxing")
    )
    assert first.checkpoint == expected
    # The event is in the receipt, and the same on a later read of the block range.
    assert view.checkpoints_anchored(first.block_number, first.block_number) == [expected]

    net.clock.advance(60)
    second = anchor(net, "nantong").anchor_certificate_tree(9, root(9), proof(5, 9))
    assert second.checkpoint.index == 1 and second.checkpoint.anchored_by == net.addr("nantong")
    assert second.checkpoint.timestamp == net.now()
    assert view.checkpoint_count(TREE) == 2
    assert view.checkpoint(TREE, 0) == expected
    assert view.latest_checkpoint(TREE) == second.checkpoint
    assert view.checkpoint(TREE, 0, block=first.block_number) == expected
    assert view.checkpoints_anchored(first.block_number, second.block_number, LOG) == []


def test_operation_logs_are_one_stream_per_member(net: Net) -> None:
    jx, nt = anchor(net, "jiaxing"), anchor(net, "nantong")
    a = jx.anchor_operation_log(3, fp("head-3"))
    b = nt.anchor_operation_log(1, fp("nt-head-1"))
    assert (a.checkpoint.stream, a.checkpoint.index) == (net.addr("jiaxing"), 0)
    assert (b.checkpoint.stream, b.checkpoint.index) == (net.addr("nantong"), 0)
    assert jx.checkpoint_count(LOG, net.addr("jiaxing")) == 1
    assert jx.latest_checkpoint(LOG, net.addr("nantong")).root == fp("nt-head-1")
    # Streams are independent of each other and of the certificate tree.
    assert jx.checkpoint_count(TREE) == 0
    jx.anchor_certificate_tree(1, root(1))
    assert jx.anchor_operation_log(4, fp("head-4")).checkpoint.index == 1


def test_only_current_members_anchor(net: Net) -> None:
    for who in ("outsider", "op"):  # no role at all; a CA operator is no member either
        with pytest.raises(AuditAnchorUnauthorizedAccount) as caught:
            anchor(net, who).anchor_certificate_tree(1, fp("r"))
        assert caught.value.account == net.addr(who)
        with pytest.raises(AuditAnchorUnauthorizedAccount):
            anchor(net, who).anchor_operation_log(1, fp("r"))
    anchor(net, "xuancheng").anchor_operation_log(1, fp("xc"))
    remove = partial(RegistryClient.propose_remove_member, account=net.addr("xuancheng"))
    net.govern(remove)
    with pytest.raises(AuditAnchorUnauthorizedAccount):
        anchor(net, "xuancheng").anchor_operation_log(2, fp("xc2"))
    # What it anchored while a member stays.
    view = AnchorClient(net.backend, net.deployment)
    assert view.latest_checkpoint(LOG, net.addr("xuancheng")).size == 1


def test_sizes_strictly_grow_and_roots_are_not_zero(net: Net) -> None:
    jx = anchor(net, "jiaxing")
    with pytest.raises(AuditAnchorEmptyRoot):
        jx.anchor_certificate_tree(1, bytes(32))
    with pytest.raises(AuditAnchorSizeNotIncreasing) as caught:
        jx.anchor_certificate_tree(0, fp("empty"))
    assert (caught.value.latest_size, caught.value.size) == (0, 0)
    jx.anchor_certificate_tree(4, root(4))
    for size in (4, 3):  # the same size twice would give one size two roots
        with pytest.raises(AuditAnchorSizeNotIncreasing) as caught:
            anchor(net, "nantong").anchor_certificate_tree(size, root(size))
        assert caught.value.kind == TREE and caught.value.stream == CERTIFICATE_TREE_STREAM
        assert (caught.value.latest_size, caught.value.size) == (4, size)
    jx.anchor_operation_log(2, fp("h2"))
    with pytest.raises(AuditAnchorSizeNotIncreasing) as caught:
        jx.anchor_operation_log(2, fp("h2-again"))
    assert caught.value.stream == net.addr("jiaxing")


def test_reading_what_is_not_there(net: Net) -> None:
    view = AnchorClient(net.backend, net.deployment)
    with pytest.raises(AuditAnchorUnknownCheckpoint) as caught:
        view.latest_checkpoint(TREE)
    assert (caught.value.index, caught.value.count) == (0, 0)
    anchor(net, "jiaxing").anchor_certificate_tree(1, root(1))
    with pytest.raises(AuditAnchorUnknownCheckpoint) as caught:
        view.checkpoint(TREE, 1)
    assert (caught.value.kind, caught.value.index, caught.value.count) == (TREE, 1, 1)
    for bad in (0, 3):
        with pytest.raises(AuditAnchorInvalidKind) as kind_error:
            view.checkpoint_count(bad)  # type: ignore[arg-type]
        assert kind_error.value.kind == bad
        with pytest.raises(AuditAnchorInvalidKind):
            view.checkpoint(bad, 0)  # type: ignore[arg-type]
        with pytest.raises(AuditAnchorInvalidKind):
            view.latest_checkpoint(bad)  # type: ignore[arg-type]


def test_a_deployment_without_the_anchor_is_refused_clearly(net: Net) -> None:
    old = type(net.deployment)(
        net.deployment.consortium,
        net.deployment.registry,
        net.deployment.block_number,
        net.deployment.chain_id,
    )
    with pytest.raises(DeploymentMismatch, match="no AuditAnchor"):
        AnchorClient(net.backend, old)


def test_the_kind_constants(net: Net) -> None:
    selectors = function_selectors("AuditAnchor")
    anchor = net.deployment.audit_anchor
    assert anchor is not None
    for name, kind in (("KIND_CERTIFICATE_TREE", TREE), ("KIND_OPERATION_LOG", LOG)):
        raw = net.backend.call(anchor, selectors[name], "latest")
        assert int.from_bytes(raw, "big") == kind


def test_each_tree_checkpoint_must_extend_the_previous_one(net: Net) -> None:
    jx = anchor(net, "jiaxing")
    with pytest.raises(AuditAnchorInconsistentTree) as caught:  # the first needs no proof
        jx.anchor_certificate_tree(3, root(3), proof(2, 3))
    assert (caught.value.latest_size, caught.value.size) == (0, 3)
    jx.anchor_certificate_tree(3, root(3))
    forked = MemoryTree(
        [*(leaf_hash(bytes([i])) for i in range(2)), *(fp(f"x{i}") for i in range(8))]
    )
    bad = [
        (root(10), []),  # no proof
        (root(10), proof(3, 9)),  # a proof for other sizes
        (root(10), [leaf_hash(h) for h in proof(3, 10)]),  # altered hashes
        (root(10), [*proof(3, 10), root(3)]),  # a trailing hash
        (forked.root(10), forked.consistency_proof(3, 10)),  # a tree rewriting leaf 2
        (root(11), proof(3, 10)),  # the right proof, another root
    ]
    for new_root, wrong in bad:
        with pytest.raises(AuditAnchorInconsistentTree) as caught:
            jx.anchor_certificate_tree(10, new_root, wrong)
        assert (caught.value.latest_size, caught.value.size) == (3, 10)
    # Every shape of proof the chain may see: perfect and ragged first trees, long and short.
    size = 3
    for nxt in (4, 7, 8, 13, 16, 17, 31, 32, 40):
        jx.anchor_certificate_tree(nxt, root(nxt), proof(size, nxt))
        size = nxt
    view = AnchorClient(net.backend, net.deployment)
    assert view.latest_checkpoint(TREE).size == 40 and view.checkpoint_count(TREE) == 10
