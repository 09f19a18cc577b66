"""console role grants and replay runs (issue 9)

Revision ID: 0009_console_roles
Revises: 0008_billing
Create Date: 2026-11-28 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0009_console_roles"
down_revision: str | None = "0008_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", AutoString(length=32), nullable=False),
        sa.Column("role", AutoString(length=16), nullable=False),
        sa.Column("ca_id", AutoString(length=64), nullable=False),
        sa.Column("granted_by", AutoString(length=64), nullable=False),
        sa.Column("granted_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_console_role_grants_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_role_grants")),
        sa.UniqueConstraint(
            "account_id", "role", "ca_id", name=op.f("uq_console_role_grants_account_id_role_ca_id")
        ),
    )
    with op.batch_alter_table("console_role_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_role_grants_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "console_audit_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_by", AutoString(length=64), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("status", AutoString(length=16), nullable=False),
        sa.Column("to_block", sa.BigInteger(), nullable=True),
        sa.Column("clean", sa.Boolean(), nullable=True),
        sa.Column("differences", sa.Integer(), nullable=True),
        sa.Column("error", AutoString(length=2000), nullable=True),
        sa.Column("report_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_audit_runs")),
    )
    with op.batch_alter_table("console_audit_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_audit_runs_started_at"), ["started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("console_audit_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_audit_runs_started_at"))
    op.drop_table("console_audit_runs")
    with op.batch_alter_table("console_role_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_role_grants_account_id"))
    op.drop_table("console_role_grants")
