"""Proof documents: what the API serves and ``huren audit verify-proof`` checks.

Both are JSON objects with a ``format`` member (documented in docs/audit-proofs.md); hashes
and byte strings are ``0x``-prefixed lowercase hex. ``build_inclusion`` and
``build_consistency`` make them from the node's database; ``InclusionProof.from_json`` and
``ConsistencyProof.from_json`` parse them (``MalformedProof`` on anything off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from huren.node.audit.checkpoints import StoredCheckpoint, covering, latest
from huren.node.audit.merkle import leaf_hash
from huren.node.audit.proof_errors import MalformedProof, NoCheckpoint
from huren.node.audit.tree_store import CertificateTree
from huren.registry.abi import checksum
from huren.registry.client_anchor import CheckpointKind
from huren.registry.types import Deployment

__all__ = [
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "CheckpointRef",
    "ConsistencyProof",
    "InclusionProof",
    "build_consistency",
    "build_inclusion",
]

INCLUSION_FORMAT = "huren-inclusion-proof/1"
CONSISTENCY_FORMAT = "huren-consistency-proof/1"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _bytes(raw: Any, what: str, size: int | None = 32) -> bytes:
    if not isinstance(raw, str) or not raw.startswith("0x"):
        raise MalformedProof(f"{what} must be 0x-prefixed hex")
    try:
        value = bytes.fromhex(raw[2:])
    except ValueError as exc:
        raise MalformedProof(f"{what} is not hex") from exc
    if size is not None and len(value) != size:
        raise MalformedProof(f"{what} has {len(value)} bytes, not {size}")
    return value


def _int(raw: Any, what: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise MalformedProof(f"{what} must be a non-negative integer")
    return raw


def _address(raw: Any, what: str) -> str:
    return checksum(_bytes(raw, what, 20))


@dataclass(frozen=True, slots=True)
class CheckpointRef:
    """The anchored checkpoint a proof is relative to, and where it was anchored."""

    index: int
    size: int
    root: bytes
    timestamp: int
    anchored_by: str
    block_number: int
    transaction_hash: bytes

    @classmethod
    def of(cls, c: StoredCheckpoint) -> CheckpointRef:
        return cls(
            c.index, c.size, c.root, c.timestamp, c.anchored_by, c.block_number, c.transaction_hash
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "size": self.size,
            "root": _hex(self.root),
            "timestamp": self.timestamp,
            "anchored_by": self.anchored_by,
            "block_number": self.block_number,
            "transaction_hash": _hex(self.transaction_hash),
        }

    @classmethod
    def from_json(cls, raw: Any) -> CheckpointRef:
        if not isinstance(raw, dict):
            raise MalformedProof("a checkpoint is an object")
        try:
            return cls(
                _int(raw["index"], "checkpoint.index"),
                _int(raw["size"], "checkpoint.size"),
                _bytes(raw["root"], "checkpoint.root"),
                _int(raw["timestamp"], "checkpoint.timestamp"),
                _address(raw["anchored_by"], "checkpoint.anchored_by"),
                _int(raw["block_number"], "checkpoint.block_number"),
                _bytes(raw["transaction_hash"], "checkpoint.transaction_hash"),
            )
        except KeyError as exc:
            raise MalformedProof(f"checkpoint.{exc.args[0]} is missing") from None


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Certificate ``fingerprint``'s record is leaf ``leaf_index`` of the tree of
    ``tree_size`` leaves whose root checkpoint ``checkpoint`` anchored."""

    chain_id: int
    registry: str
    audit_anchor: str
    fingerprint: bytes
    leaf_index: int
    tree_size: int
    leaf_data: bytes
    audit_path: tuple[bytes, ...]
    root: bytes
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    checkpoint: CheckpointRef

    def to_json(self) -> dict[str, Any]:
        return {
            "format": INCLUSION_FORMAT,
            "chain_id": self.chain_id,
            "registry": self.registry,
            "audit_anchor": self.audit_anchor,
            "fingerprint": _hex(self.fingerprint),
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_data": _hex(self.leaf_data),
            "leaf_hash": _hex(leaf_hash(self.leaf_data)),
            "audit_path": [_hex(h) for h in self.audit_path],
            "root": _hex(self.root),
            "record": {
                "block_number": self.block_number,
                "block_hash": _hex(self.block_hash),
                "transaction_hash": _hex(self.transaction_hash),
                "log_index": self.log_index,
            },
            "checkpoint": self.checkpoint.to_json(),
        }

    @classmethod
    def from_json(cls, raw: Any) -> InclusionProof:
        if not isinstance(raw, dict) or raw.get("format") != INCLUSION_FORMAT:
            raise MalformedProof(f"not a {INCLUSION_FORMAT} document")
        try:
            record = raw["record"]
            path = raw["audit_path"]
            if not isinstance(path, list) or not isinstance(record, dict):
                raise MalformedProof("audit_path is a list and record an object")
            return cls(
                _int(raw["chain_id"], "chain_id"),
                _address(raw["registry"], "registry"),
                _address(raw["audit_anchor"], "audit_anchor"),
                _bytes(raw["fingerprint"], "fingerprint"),
                _int(raw["leaf_index"], "leaf_index"),
                _int(raw["tree_size"], "tree_size"),
                _bytes(raw["leaf_data"], "leaf_data", None),
                tuple(_bytes(h, f"audit_path[{i}]") for i, h in enumerate(path)),
                _bytes(raw["root"], "root"),
                _int(record["block_number"], "record.block_number"),
                _bytes(record["block_hash"], "record.block_hash"),
                _bytes(record["transaction_hash"], "record.transaction_hash"),
                _int(record["log_index"], "record.log_index"),
                CheckpointRef.from_json(raw["checkpoint"]),
            )
        except KeyError as exc:
            raise MalformedProof(f"{exc.args[0]} is missing") from None


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """The tree of ``size1`` leaves (root ``root1``) is a prefix of the tree of ``size2``
    leaves (root ``root2``); ``first``/``second`` are the checkpoints anchoring those sizes,
    when there are such."""

    chain_id: int
    audit_anchor: str
    size1: int
    size2: int
    root1: bytes
    root2: bytes
    proof: tuple[bytes, ...]
    first: CheckpointRef | None
    second: CheckpointRef | None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CONSISTENCY_FORMAT,
            "chain_id": self.chain_id,
            "audit_anchor": self.audit_anchor,
            "size1": self.size1,
            "size2": self.size2,
            "root1": _hex(self.root1),
            "root2": _hex(self.root2),
            "proof": [_hex(h) for h in self.proof],
            "checkpoints": {
                "first": None if self.first is None else self.first.to_json(),
                "second": None if self.second is None else self.second.to_json(),
            },
        }

    @classmethod
    def from_json(cls, raw: Any) -> ConsistencyProof:
        if not isinstance(raw, dict) or raw.get("format") != CONSISTENCY_FORMAT:
            raise MalformedProof(f"not a {CONSISTENCY_FORMAT} document")
        try:
            proof, refs = raw["proof"], raw["checkpoints"]
            if not isinstance(proof, list) or not isinstance(refs, dict):
                raise MalformedProof("proof is a list and checkpoints an object")
            first, second = refs.get("first"), refs.get("second")
            return cls(
                _int(raw["chain_id"], "chain_id"),
                _address(raw["audit_anchor"], "audit_anchor"),
                _int(raw["size1"], "size1"),
                _int(raw["size2"], "size2"),
                _bytes(raw["root1"], "root1"),
                _bytes(raw["root2"], "root2"),
                tuple(_bytes(h, f"proof[{i}]") for i, h in enumerate(proof)),
                None if first is None else CheckpointRef.from_json(first),
                None if second is None else CheckpointRef.from_json(second),
            )
        except KeyError as exc:
            raise MalformedProof(f"{exc.args[0]} is missing") from None


def _anchor_of(deployment: Deployment) -> str:
    if deployment.audit_anchor is None:
        raise NoCheckpoint("this deployment has no AuditAnchor: nothing is anchored")
    return deployment.audit_anchor


def build_inclusion(
    conn: Connection,
    tree: CertificateTree,
    deployment: Deployment,
    fingerprint: bytes,
    tree_size: int | None = None,
) -> InclusionProof:
    """The inclusion proof of ``fingerprint``'s record at an anchored tree size: the latest
    checkpoint by default, else the checkpoint of exactly ``tree_size`` leaves."""
    anchor = _anchor_of(deployment)
    leaf = tree.leaf(conn, fingerprint)
    checkpoint = _checkpoint_for(conn, tree_size)
    if leaf.leaf_index >= checkpoint.size:
        raise NoCheckpoint(
            f"the record is leaf {leaf.leaf_index}; the checkpoint of {checkpoint.size} leaves "
            "does not hold it yet (anchoring follows every N records or T seconds)"
        )
    path = tree.inclusion_proof(conn, leaf.leaf_index, checkpoint.size)
    return InclusionProof(
        deployment.chain_id,
        deployment.registry,
        anchor,
        fingerprint,
        leaf.leaf_index,
        checkpoint.size,
        leaf.leaf_data,
        tuple(path),
        tree.root(conn, checkpoint.size),
        leaf.block_number,
        leaf.block_hash,
        leaf.transaction_hash,
        leaf.log_index,
        CheckpointRef.of(checkpoint),
    )


def _checkpoint_for(conn: Connection, tree_size: int | None) -> StoredCheckpoint:
    if tree_size is None:
        found = latest(conn, CheckpointKind.CERTIFICATE_TREE)
        if found is None:
            raise NoCheckpoint("no certificate-tree checkpoint is anchored yet")
        return found
    found = covering(conn, tree_size)
    if found is None or found.size != tree_size:
        raise NoCheckpoint(f"no checkpoint anchors a tree of exactly {tree_size} leaves")
    return found


def build_consistency(
    conn: Connection, tree: CertificateTree, deployment: Deployment, size1: int, size2: int
) -> ConsistencyProof:
    """The consistency proof between tree sizes ``size1 <= size2`` of the local tree, with
    the checkpoints that anchored exactly those sizes (None for a size nobody anchored)."""
    anchor = _anchor_of(deployment)
    proof = tree.consistency_proof(conn, size1, size2)

    def exactly(size: int) -> CheckpointRef | None:
        c = covering(conn, size)
        return CheckpointRef.of(c) if c is not None and c.size == size else None

    return ConsistencyProof(
        deployment.chain_id,
        anchor,
        size1,
        size2,
        tree.root(conn, size1),
        tree.root(conn, size2),
        tuple(proof),
        exactly(size1),
        exactly(size2),
    )
