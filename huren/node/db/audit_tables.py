"""Tables of the proofs side of auditing (``huren.node.audit``).

- ``audit_tree_leaves`` / ``audit_tree_nodes``: the RFC 9162 Merkle tree over the
  registry's CertificateRecorded events in chain order. Leaves cite their event (block,
  hash, log index), nodes are the tree's perfect subtrees (see ``huren.node.audit.merkle``),
  written once and never changed, except that a chain reorganization cuts the tree back.
- ``audit_checkpoints``: the checkpoints anchored on chain in AuditAnchor (every member's,
  not just this node's), mirrored from its CheckpointAnchored events with their evidence.
- ``audit_operation_log``: the append-only operation log (操作追溯), one hash chain per
  node (see ``huren.node.audit.oplog``). Nothing here is updated or deleted by huren.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, SmallInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["AuditCheckpoint", "AuditTreeLeaf", "AuditTreeNode", "OperationLogEntry"]

ADDRESS_LEN = 42


class AuditTreeLeaf(SQLModel, table=True):
    """Leaf ``leaf_index`` of the certificate tree: the CertificateRecorded event at
    (``block_number``, ``log_index``) of certificate ``fingerprint``."""

    __tablename__ = "audit_tree_leaves"
    __table_args__ = (
        Index("ix_audit_tree_leaves_position", "block_number", "log_index", unique=True),
    )

    leaf_index: int = Field(sa_type=BigInteger, primary_key=True)
    block_number: int = Field(sa_type=BigInteger)
    log_index: int
    block_hash: bytes
    transaction_hash: bytes
    fingerprint: bytes = Field(unique=True)


class AuditTreeNode(SQLModel, table=True):
    """The hash of perfect subtree (``level``, ``node_index``): leaves
    ``node_index * 2**level`` up to ``(node_index + 1) * 2**level`` (level 0: leaf hashes)."""

    __tablename__ = "audit_tree_nodes"

    level: int = Field(sa_type=SmallInteger, primary_key=True)
    node_index: int = Field(sa_type=BigInteger, primary_key=True)
    hash: bytes


class AuditCheckpoint(SQLModel, table=True):
    """A checkpoint anchored on chain: number ``checkpoint_index`` of stream ``stream`` of
    ``kind`` (1 certificate tree, stream the zero address; 2 a member's operation log), with
    the CheckpointAnchored event's evidence."""

    __tablename__ = "audit_checkpoints"

    kind: int = Field(sa_type=SmallInteger, primary_key=True)
    stream: str = Field(primary_key=True, max_length=ADDRESS_LEN)
    checkpoint_index: int = Field(sa_type=BigInteger, primary_key=True)
    size: int = Field(sa_type=BigInteger)
    root: bytes
    timestamp: int = Field(sa_type=BigInteger)
    anchored_by: str = Field(max_length=ADDRESS_LEN)
    block_number: int = Field(sa_type=BigInteger)
    block_hash: bytes
    transaction_hash: bytes
    log_index: int


class OperationLogEntry(SQLModel, table=True):
    """Row ``seq`` (1, 2, ...) of the operation log. ``row_hash`` commits to the row's
    fields and ``prev_hash`` (the previous row's ``row_hash``; 32 zero bytes for the first),
    so the rows form a hash chain; see ``huren.node.audit.oplog`` for the encoding."""

    __tablename__ = "audit_operation_log"

    seq: int = Field(sa_type=BigInteger, primary_key=True)
    at: int = Field(sa_type=BigInteger)  # unix milliseconds
    actor: str = Field(max_length=200)
    operation: str = Field(max_length=40)
    subject: str = Field(max_length=200)
    digest: bytes | None = None
    platform: str | None = Field(default=None, max_length=66)
    prev_hash: bytes
    row_hash: bytes = Field(unique=True)
