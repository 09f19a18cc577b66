"""platform API keys (stored as SHA-256 digests)

Revision ID: 0002_platform_keys
Revises: 0001
Create Date: 2026-11-28 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0002_platform_keys"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_api_keys",
        sa.Column("key_id", AutoString(length=32), nullable=False),
        sa.Column("platform_id", AutoString(length=66), nullable=False),
        sa.Column("label", AutoString(length=200), nullable=False),
        sa.Column("secret_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_platform_api_keys")),
    )
    with op.batch_alter_table("platform_api_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_platform_api_keys_platform_id"), ["platform_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("platform_api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_api_keys_platform_id"))
    op.drop_table("platform_api_keys")
