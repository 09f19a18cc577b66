"""upkeep: the expiring-soon messages sent, one per held signing certificate

Revision ID: 0016_upkeep
Revises: 0015_enterprise_change
Create Date: 2026-11-28 22:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0016_upkeep"
down_revision: str | None = "0015_enterprise_change"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "upkeep_expiry_notices",
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("account_id", _S(length=32), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("not_after", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_upkeep_expiry_notices_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["fingerprint"],
            ["held_certificates.fingerprint"],
            name=op.f("fk_upkeep_expiry_notices_fingerprint_held_certificates"),
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_upkeep_expiry_notices")),
    )


def downgrade() -> None:
    op.drop_table("upkeep_expiry_notices")
