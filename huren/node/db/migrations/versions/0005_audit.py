"""audit checkpoints and the operation log (issue 8)

Revision ID: 0005_audit
Revises: 0004_pki
Create Date: 2026-11-28 18:00:00

The certificate Merkle tree (leaves and perfect-subtree nodes), the checkpoints anchored on
chain, and the hash-chained operation log (see ``huren.node.db.audit_tables``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0005_audit"
down_revision: str | None = "0004_pki"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("stream", AutoString(length=42), nullable=False),
        sa.Column("checkpoint_index", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("anchored_by", AutoString(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "stream", "checkpoint_index", name=op.f("pk_audit_checkpoints")
        ),
    )
    op.create_table(
        "audit_operation_log",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", AutoString(length=200), nullable=False),
        sa.Column("operation", AutoString(length=40), nullable=False),
        sa.Column("subject", AutoString(length=200), nullable=False),
        sa.Column("digest", sa.LargeBinary(), nullable=True),
        sa.Column("platform", AutoString(length=66), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("row_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_operation_log")),
        sa.UniqueConstraint("row_hash", name=op.f("uq_audit_operation_log_row_hash")),
    )
    op.create_table(
        "audit_tree_leaves",
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_audit_tree_leaves")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_audit_tree_leaves_fingerprint")),
    )
    with op.batch_alter_table("audit_tree_leaves", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_tree_leaves_position", ["block_number", "log_index"], unique=True
        )
    op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("node_index", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name=op.f("pk_audit_tree_nodes")),
    )


def downgrade() -> None:
    op.drop_table("audit_tree_nodes")
    with op.batch_alter_table("audit_tree_leaves", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_tree_leaves_position")
    op.drop_table("audit_tree_leaves")
    op.drop_table("audit_operation_log")
    op.drop_table("audit_checkpoints")
