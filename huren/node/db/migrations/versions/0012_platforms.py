"""platform locations, accounts' chosen platforms, zone statements (issues 5 and 6)

Revision ID: 0012_platforms
Revises: 0011_scan
Create Date: 2026-11-28 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0012_platforms"
down_revision: str | None = "0011_scan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_profiles",
        sa.Column("platform_id", AutoString(length=66), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("alliance", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("platform_id", name=op.f("pk_platform_profiles")),
    )
    op.create_table(
        "account_platforms",
        sa.Column("account_id", AutoString(length=32), nullable=False),
        sa.Column("platform_id", AutoString(length=66), nullable=False),
        sa.Column("chosen_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_platforms_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_platforms")),
    )
    op.create_table(
        "zone_statements",
        sa.Column("evidence_hash", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("platform_id", AutoString(length=66), nullable=False),
        sa.Column("action", AutoString(length=8), nullable=False),
        sa.Column("account_id", AutoString(length=32), nullable=False),
        sa.Column("nonce", AutoString(length=32), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("statement", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("key_source", AutoString(length=16), nullable=False),
        sa.Column("state", AutoString(length=12), nullable=False),
        sa.Column("result", AutoString(length=64), nullable=True),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_zone_statements_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("evidence_hash", name=op.f("pk_zone_statements")),
        sa.UniqueConstraint(
            "fingerprint", "nonce", name=op.f("uq_zone_statements_fingerprint_nonce")
        ),
    )
    with op.batch_alter_table("zone_statements", schema=None) as batch_op:
        for column in ("account_id", "fingerprint", "platform_id"):
            batch_op.create_index(batch_op.f(f"ix_zone_statements_{column}"), [column])


def downgrade() -> None:
    with op.batch_alter_table("zone_statements", schema=None) as batch_op:
        for column in ("platform_id", "fingerprint", "account_id"):
            batch_op.drop_index(batch_op.f(f"ix_zone_statements_{column}"))
    op.drop_table("zone_statements")
    op.drop_table("account_platforms")
    op.drop_table("platform_profiles")
