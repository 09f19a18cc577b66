"""recovery of split-key certificates (issue 6)

Revision ID: 0013_recovery
Revises: 0012_platforms
Create Date: 2026-11-28 21:13:34.316530
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013_recovery"
down_revision: str | None = "0012_platforms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cosigner_recovery_shares",
        sa.Column("enrolment_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("sealed_key_package", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["cosigner_enrolments.enrolment_id"],
            name=op.f("fk_cosigner_recovery_shares_enrolment_id_cosigner_enrolments"),
        ),
        sa.PrimaryKeyConstraint("enrolment_id", name=op.f("pk_cosigner_recovery_shares")),
    )
    op.create_table(
        "key_recoveries",
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("policy_version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("policy_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("acknowledged_at", sa.BigInteger(), nullable=False),
        sa.Column("identity_method", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column(
            "identity_reference", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("identity_verified_at", sa.BigInteger(), nullable=False),
        sa.Column("ticket_sha256", sa.LargeBinary(), nullable=True),
        sa.Column("ticket_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("old_device_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("new_device_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_key_recoveries_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_key_recoveries_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_key_recoveries")),
    )
    with op.batch_alter_table("key_recoveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_recoveries_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "key_recovery_keys",
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("enrolment_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("old_epoch", sa.BigInteger(), nullable=False),
        sa.Column("new_epoch", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["key_recoveries.application_id"],
            name=op.f("fk_key_recovery_keys_application_id_key_recoveries"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["cosigner_enrolments.enrolment_id"],
            name=op.f("fk_key_recovery_keys_enrolment_id_cosigner_enrolments"),
        ),
        sa.PrimaryKeyConstraint(
            "application_id", "enrolment_id", name=op.f("pk_key_recovery_keys")
        ),
    )
    with op.batch_alter_table("key_recovery_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_recovery_keys_enrolment_id"), ["enrolment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("key_recovery_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_recovery_keys_enrolment_id"))

    op.drop_table("key_recovery_keys")
    with op.batch_alter_table("key_recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_recoveries_account_id"))

    op.drop_table("key_recoveries")
    op.drop_table("cosigner_recovery_shares")
