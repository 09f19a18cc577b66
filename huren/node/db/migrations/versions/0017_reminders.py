"""reminders: the undownloaded-replacement reminders sent, one per change_reissue

Revision ID: 0017_reminders
Revises: 0016_upkeep
Create Date: 2026-11-28 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0017_reminders"
down_revision: str | None = "0016_upkeep"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "upkeep_reissue_reminders",
        sa.Column("application_id", _S(length=32), nullable=False),
        sa.Column("account_id", _S(length=32), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_upkeep_reissue_reminders_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_upkeep_reissue_reminders_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_upkeep_reissue_reminders")),
    )


def downgrade() -> None:
    op.drop_table("upkeep_reissue_reminders")
