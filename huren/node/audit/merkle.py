"""Merkle trees as RFC 9162 (Certificate Transparency 2.0, section 2.1) defines them.

Hashing: a leaf is ``SHA-256(0x00 || data)``, an interior node ``SHA-256(0x01 || left ||
right)``, the empty tree ``SHA-256("")``. The tree over ``n`` leaves splits at ``k``, the
largest power of two below ``n`` (MTH). Inclusion proofs (section 2.1.3) and consistency
proofs (section 2.1.4) are generated and verified exactly as the RFC's algorithms say; the
verifiers raise ``huren.node.audit.proof_errors`` types.

Storage. A tree is kept as its PERFECT subtrees: node ``(level, index)`` is the hash of
leaves ``[index * 2**level, (index + 1) * 2**level)``. Appending a leaf adds it at level 0
and, while its index is odd, combines it with its left sibling one level up: O(log n) new
nodes (amortized two) and every older node stays valid forever, so a store that only
inserts (``huren.node.audit.tree_store``) serves proofs for every earlier tree size too.
The hash of any range the RFC's recursion visits is a fold over at most log2(n) perfect
nodes (``range_nodes``); proofs name the perfect nodes they need first and fetch them in
one go (``NodeReader.nodes``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from huren.node.audit.proof_errors import InvalidTreeSize, MalformedProof, RootMismatch

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTree",
    "NodeKey",
    "NodeReader",
    "appended_nodes",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "range_nodes",
    "root_from_inclusion_proof",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]  # (level, index) of a perfect subtree


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class NodeReader(Protocol):
    """Where perfect subtree hashes come from (memory, SQL)."""

    def nodes(self, keys: Iterable[NodeKey]) -> Mapping[NodeKey, bytes]:
        """The hashes of ``keys``; every key names a node of the stored tree."""
        ...


def range_nodes(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees whose fold is MTH(D[start:end]), left to right. ``start`` must
    be aligned as the RFC recursion leaves it (a multiple of the largest power of two not
    above ``end - start``), which every range of a proof is."""
    keys: list[NodeKey] = []
    while end - start > 0:
        size = end - start
        chunk = size if size & (size - 1) == 0 else _split(size)
        level = chunk.bit_length() - 1
        if start % chunk:
            raise ValueError(f"range {start}..{end} is not aligned for MTH")
        keys.append((level, start >> level))
        start += chunk
    return keys


def _fold(hashes: Sequence[bytes]) -> bytes:
    """MTH from its perfect subtrees, left to right: H(p1, H(p2, ... H(pk-1, pk)))."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def _range_hash(ranges: Sequence[tuple[int, int]], reader: NodeReader) -> list[bytes]:
    """MTH of each (start, end) range, fetching every perfect node needed at once."""
    plans = [range_nodes(s, e) for s, e in ranges]
    found = reader.nodes({k for plan in plans for k in plan})
    return [_fold([found[k] for k in plan]) for plan in plans]


def tree_root(reader: NodeReader, size: int) -> bytes:
    """MTH of the first ``size`` leaves."""
    if size < 0:
        raise InvalidTreeSize(f"tree size {size} is negative")
    if size == 0:
        return EMPTY_ROOT
    return _range_hash([(0, size)], reader)[0]


def _inclusion_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1 as ranges, nearest the leaf first."""
    path: list[tuple[int, int]] = []
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise InvalidTreeSize(f"leaf {index} is not in a tree of {size} leaves")
    return _range_hash(_inclusion_ranges(index, 0, size), reader)


def _consistency_ranges(m: int, start: int, end: int) -> list[tuple[int, int]]:
    """SUBPROOF(m, D[n], true) of RFC 9162 2.1.4.1 as ranges, in proof order."""
    out: list[tuple[int, int]] = []
    complete = True
    while True:
        n = end - start
        if m == n:
            if not complete:
                out.append((start, end))
            break
        k = _split(n)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            m -= k
            start += k
            complete = False
    out.reverse()
    return out


def consistency_proof(reader: NodeReader, size1: int, size2: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1 between tree sizes ``size1 <= size2`` (empty when
    they are equal or ``size1`` is 0)."""
    if not 0 <= size1 <= size2:
        raise InvalidTreeSize(f"no consistency proof from size {size1} to size {size2}")
    if size1 == 0 or size1 == size2:
        return []
    return _range_hash(_consistency_ranges(size1, 0, size2), reader)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise MalformedProof(f"{what} has {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2 steps 1-4); raises
    ``InvalidTreeSize`` or ``MalformedProof`` when the proof cannot be for that position."""
    if not 0 <= index < size:
        raise InvalidTreeSize(f"leaf {index} is not in a tree of {size} leaves")
    _check_hash(leaf, "the leaf hash")
    fn, sn, r = index, size - 1, leaf
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]")
        if sn == 0:
            raise MalformedProof(f"the proof has {len(proof)} hashes, more than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MalformedProof(f"the proof has {len(proof)} hashes, fewer than the path")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a leaf HASH) is leaf ``index`` of the tree of ``size`` leaves
    whose root is ``root`` (RFC 9162 2.1.3.2); raises, returns nothing."""
    _check_hash(root, "the root")
    computed = root_from_inclusion_proof(index, size, leaf, proof)
    if computed != root:
        raise RootMismatch(
            f"inclusion of leaf {index} in tree {size}", expected=root, computed=computed
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size1`` leaves with ``root1`` is a prefix of the tree of
    ``size2`` leaves with ``root2`` (RFC 9162 2.1.4.2); raises, returns nothing."""
    if not 0 <= size1 <= size2:
        raise InvalidTreeSize(f"no consistency from size {size1} to size {size2}")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof[{i}]")
    if size1 == 0 or size1 == size2:
        if proof:
            raise MalformedProof("a consistency proof from an empty or equal tree is empty")
        if size1 == size2 and root1 != root2:
            raise RootMismatch(f"two roots for tree size {size1}", expected=root1, computed=root2)
        return
    _check_hash(root1, "the first root")
    _check_hash(root2, "the second root")
    if not proof:
        raise MalformedProof(f"a consistency proof from {size1} to {size2} cannot be empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # step 2: a perfect first tree is its own first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise MalformedProof(f"the proof has {len(proof)} hashes, more than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MalformedProof(f"the proof has {len(proof)} hashes, fewer than needed")
    if fr != root1:
        raise RootMismatch(f"the proof's tree of size {size1}", expected=root1, computed=fr)
    if sr != root2:
        raise RootMismatch(f"the proof's tree of size {size2}", expected=root2, computed=sr)


def appended_nodes(
    size: int, leaf: bytes, left_siblings: Mapping[NodeKey, bytes]
) -> list[tuple[NodeKey, bytes]]:
    """The perfect nodes that appending leaf hash ``leaf`` as leaf number ``size`` creates,
    bottom up. ``left_siblings`` must hold the left siblings it combines with: nodes
    ``(level, (size >> level) - 1)`` for each level while ``(size >> level)`` is odd (see
    ``left_sibling_keys``)."""
    out: list[tuple[NodeKey, bytes]] = [((0, size), leaf)]
    level, index, h = 0, size, leaf
    while index & 1:
        h = node_hash(left_siblings[(level, index - 1)], h)
        level += 1
        index >>= 1
        out.append(((level, index), h))
    return out


def left_sibling_keys(size: int) -> list[NodeKey]:
    """The stored nodes ``appended_nodes`` needs when appending leaf number ``size``."""
    keys: list[NodeKey] = []
    level, index = 0, size
    while index & 1:
        keys.append((level, index - 1))
        level += 1
        index >>= 1
    return keys


class MemoryTree:
    """A tree in memory, for tests, the verifier's own rebuilds and small trees."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._nodes: dict[NodeKey, bytes] = {}
        self.size = 0
        for leaf in leaves:
            self.append(leaf)

    def append(self, leaf: bytes) -> None:
        """Append a leaf HASH."""
        _check_hash(leaf, "a leaf hash")
        self._nodes.update(appended_nodes(self.size, leaf, self._nodes))
        self.size += 1

    def nodes(self, keys: Iterable[NodeKey]) -> Mapping[NodeKey, bytes]:
        return {k: self._nodes[k] for k in keys}

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self, self.size if size is None else self._within(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self, index, self.size if size is None else self._within(size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        size2 = self.size if size2 is None else self._within(size2)
        return consistency_proof(self, size1, size2)

    def _within(self, size: int) -> int:
        if not 0 <= size <= self.size:
            raise InvalidTreeSize(f"the tree has {self.size} leaves, not {size}")
        return size
