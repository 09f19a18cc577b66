"""seal records (issue 7)

Revision ID: 0006_seals
Revises: 0005_audit
Create Date: 2026-11-28 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0006_seals"
down_revision: str | None = "0005_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seals",
        sa.Column("seal_id", AutoString(length=64), nullable=False),
        sa.Column("owner_kind", AutoString(length=16), nullable=False),
        sa.Column("owner_id", AutoString(length=64), nullable=False),
        sa.Column("kind", AutoString(length=40), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("source", AutoString(length=16), nullable=False),
        sa.Column("label", AutoString(length=40), nullable=False),
        sa.Column("image_png", sa.LargeBinary(), nullable=False),
        sa.Column("image_sha256", AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seal_id", name=op.f("pk_seals")),
        sa.UniqueConstraint(
            "owner_kind",
            "owner_id",
            "kind",
            "slot",
            name=op.f("uq_seals_owner_kind_owner_id_kind_slot"),
        ),
    )
    with op.batch_alter_table("seals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seals_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seals_owner_id"))
    op.drop_table("seals")
