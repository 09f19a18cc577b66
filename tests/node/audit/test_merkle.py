"""RFC 9162 Merkle trees: the RFC 6962 reference vectors (origin in the vectors file) and
properties over every tree shape: every leaf's proof verifies at every size, and any wrong
proof, position, leaf or root raises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huren.node.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from huren.node.audit.proof_errors import (
    InvalidTreeSize,
    MalformedProof,
    RootMismatch,
    TransparencyError,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "rfc6962_merkle.json").read_text()
)
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaves"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["roots"]]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def reference_tree() -> MemoryTree:
    return MemoryTree(leaf_hash(x) for x in LEAVES)


def test_roots_match_the_reference_for_every_size() -> None:
    tree = reference_tree()
    assert tree.root(0) == EMPTY_ROOT == bytes.fromhex(VECTORS["empty_root"])
    for size in range(1, 9):
        assert tree.root(size) == ROOTS[size - 1], size


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=lambda c: f"{c['leaf']}-{c['size']}")
def test_inclusion_proofs_match_the_reference(case: dict[str, Any]) -> None:
    index, size = case["leaf"] - 1, case["size"]
    proof = [bytes.fromhex(x) for x in case["proof"]]
    tree = reference_tree()
    assert tree.inclusion_proof(index, size) == proof
    leaf = leaf_hash(LEAVES[index])
    verify_inclusion(index, size, leaf, proof, ROOTS[size - 1])
    for wrong in corrupt_inclusion(index, size, leaf, proof, ROOTS[size - 1]):
        with pytest.raises(TransparencyError):
            verify_inclusion(*wrong)


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=lambda c: f"{c['size1']}-{c['size2']}")
def test_consistency_proofs_match_the_reference(case: dict[str, Any]) -> None:
    size1, size2 = case["size1"], case["size2"]
    proof = [bytes.fromhex(x) for x in case["proof"]]
    tree = reference_tree()
    assert tree.consistency_proof(size1, size2) == proof
    root1, root2 = ROOTS[size1 - 1], ROOTS[size2 - 1]
    verify_consistency(size1, size2, proof, root1, root2)
    if proof:
        for wrong in corrupt_consistency(size1, size2, proof, root1, root2):
            with pytest.raises(TransparencyError):
                verify_consistency(*wrong)


def corrupt_inclusion(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> list[tuple[int, int, bytes, list[bytes], bytes]]:
    """The Go reference tests' corruptions of a good inclusion proof."""
    out = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, b"WrongLeaf", proof, root),
        (index, size, SOME_HASH, proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        out.append((index, size, leaf, flipped, root))
    if proof:
        out.append((index, size, leaf, proof[:-1], root))
    if len(proof) > 1:
        out.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root))
    return out


def corrupt_consistency(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> list[tuple[int, int, list[bytes], bytes, bytes]]:
    """The Go reference tests' corruptions of a good consistency proof."""
    out = [
        (size1 - 1, size2, proof, root1, root2),
        (size1 + 1, size2, proof, root1, root2),
        (size1 ^ 2, size2, proof, root1, root2),
        (size1, size2 * 2, proof, root1, root2),
        (size1, size2 // 2, proof, root1, root2),
        (size1, size2, proof, b"WrongRoot", root2),
        (size1, size2, proof, root1, b"WrongRoot"),
        (size1, size2, proof, root2, root1),
        (size1, size2, [], root1, root2),
        (size1, size2, [*proof, b""], root1, root2),
        (size1, size2, [*proof, root1], root1, root2),
        (size1, size2, [*proof, root2], root1, root2),
        (size1, size2, [b"", *proof], root1, root2),
        (size1, size2, [root1, *proof], root1, root2),
        (size1, size2, [root2, *proof], root1, root2),
        (size1, size2, [proof[0], *proof], root1, root2),
        (size1, size2, proof[:-1], root1, root2),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        out.append((size1, size2, flipped, root1, root2))
    return [w for w in out if w[0] != size1 or w[1] != size2 or w[2:] != (proof, root1, root2)]


def test_the_go_reference_edge_cases() -> None:
    leaf = leaf_hash(b"data")
    verify_inclusion(0, 1, leaf, [], leaf)
    for index, size in ((0, 0), (1, 0), (2, 1)):
        with pytest.raises(InvalidTreeSize):
            verify_inclusion(index, size, SOME_HASH, [], EMPTY_ROOT)
    with pytest.raises(MalformedProof):
        verify_inclusion(0, 1, leaf, [], b"")
    verify_consistency(0, 0, [], b"a", b"a")
    verify_consistency(0, 1, [], b"any", b"other")
    verify_consistency(1, 1, [], SOME_HASH, SOME_HASH)
    with pytest.raises(RootMismatch):
        verify_consistency(1, 1, [], SOME_HASH, EMPTY_ROOT)
    with pytest.raises(InvalidTreeSize):
        verify_consistency(2, 1, [], SOME_HASH, SOME_HASH)
    with pytest.raises(MalformedProof):
        verify_consistency(1, 2, [], SOME_HASH, EMPTY_ROOT)
    with pytest.raises(MalformedProof):
        verify_consistency(1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT)


def naive_root(leaves: list[bytes]) -> bytes:
    """MTH written straight from the RFC's definition."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_every_leaf_proves_at_every_size_and_wrong_ones_fail(n: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    tree = MemoryTree(leaves)
    for size in range(1, n + 1):
        root = tree.root(size)
        assert root == naive_root(leaves[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            verify_inclusion(index, size, leaves[index], proof, root)
        index = data.draw(st.integers(0, size - 1))
        proof = tree.inclusion_proof(index, size)
        other = data.draw(st.integers(0, n - 1).filter(lambda i, index=index: i != index))
        with pytest.raises(TransparencyError):
            verify_inclusion(index, size, leaves[other], proof, root)
        if proof:
            k = data.draw(st.integers(0, len(proof) - 1))
            bad = list(proof)
            bad[k] = leaf_hash(bad[k])
            with pytest.raises(TransparencyError):
                verify_inclusion(index, size, leaves[index], bad, root)
        if size > 1:
            wrong_index = data.draw(st.integers(0, size - 1).filter(lambda i, x=index: i != x))
            if root_from_inclusion_proof_or_none(wrong_index, size, leaves[index], proof) == root:
                pytest.fail("a proof verified at another position")


def root_from_inclusion_proof_or_none(
    index: int, size: int, leaf: bytes, proof: list[bytes]
) -> bytes | None:
    try:
        return root_from_inclusion_proof(index, size, leaf, proof)
    except TransparencyError:
        return None


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_consistency_between_every_pair_of_sizes(n: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(b"c" + i.to_bytes(4, "big")) for i in range(n)]
    tree = MemoryTree(leaves)
    roots = [tree.root(s) for s in range(n + 1)]
    for size1 in range(0, n + 1):
        for size2 in range(size1, n + 1):
            proof = tree.consistency_proof(size1, size2)
            verify_consistency(size1, size2, proof, roots[size1], roots[size2])
    size1 = data.draw(st.integers(1, n))
    size2 = data.draw(st.integers(size1, n))
    proof = tree.consistency_proof(size1, size2)
    if size1 < size2:
        # A tree that forked after size1: the old root with another history.
        forked = MemoryTree([*leaves[: size2 - 1], leaf_hash(b"forged")]).root(size2)
        with pytest.raises(TransparencyError):
            verify_consistency(size1, size2, proof, roots[size1], forked)
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[k] = leaf_hash(bad[k])
        with pytest.raises(TransparencyError):
            verify_consistency(size1, size2, bad, roots[size1], roots[size2])


def test_sizes_outside_the_tree_are_refused() -> None:
    tree = reference_tree()
    with pytest.raises(InvalidTreeSize):
        tree.inclusion_proof(8, 8)
    with pytest.raises(InvalidTreeSize):
        tree.root(9)
    with pytest.raises(InvalidTreeSize):
        tree.consistency_proof(5, 4)
    with pytest.raises(MalformedProof):
        tree.append(b"short")
