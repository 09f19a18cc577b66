"""enterprise change: the chosen certificates, billing orders for several certificates

Revision ID: 0015_enterprise_change
Revises: 0014_authorizations
Create Date: 2026-11-28 21:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0015_enterprise_change"
down_revision: str | None = "0014_authorizations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "enterprise_changes",
        sa.Column("application_id", _S(length=32), nullable=False),
        sa.Column("enterprise_id", _S(length=32), nullable=False),
        sa.Column("old_name", _S(length=128), nullable=False),
        sa.Column("old_uscc", _S(length=18), nullable=False),
        sa.Column("new_name", _S(length=128), nullable=False),
        sa.Column("new_uscc", _S(length=18), nullable=False),
        sa.Column("carried_out_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_enterprise_changes_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_changes_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_enterprise_changes")),
    )
    with op.batch_alter_table("enterprise_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprise_changes_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enterprise_changes_new_uscc"), ["new_uscc"], unique=False
        )
    op.create_table(
        "enterprise_change_choices",
        sa.Column("application_id", _S(length=32), nullable=False),
        sa.Column("predecessor", sa.LargeBinary(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("holder_account_id", _S(length=32), nullable=False),
        sa.Column("reissue_id", _S(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["enterprise_changes.application_id"],
            name=op.f("fk_enterprise_change_choices_application_id_enterprise_changes"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_account_id"],
            ["accounts.id"],
            name=op.f("fk_enterprise_change_choices_holder_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["reissue_id"],
            ["applications.id"],
            name=op.f("fk_enterprise_change_choices_reissue_id_applications"),
        ),
        sa.PrimaryKeyConstraint(
            "application_id", "predecessor", name=op.f("pk_enterprise_change_choices")
        ),
    )
    with op.batch_alter_table("enterprise_change_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprise_change_choices_reissue_id"), ["reissue_id"], unique=False
        )
    with op.batch_alter_table("billing_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quantity", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("billing_orders", schema=None) as batch_op:
        batch_op.drop_column("quantity")
    with op.batch_alter_table("enterprise_change_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_change_choices_reissue_id"))
    op.drop_table("enterprise_change_choices")
    with op.batch_alter_table("enterprise_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_changes_new_uscc"))
        batch_op.drop_index(batch_op.f("ix_enterprise_changes_enterprise_id"))
    op.drop_table("enterprise_changes")
