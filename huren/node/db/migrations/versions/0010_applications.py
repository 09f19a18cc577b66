"""certificate applications, enterprises (issue 4)

Revision ID: 0010_applications
Revises: 0009_console_roles
Create Date: 2026-11-28 18:35:05.887948
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010_applications"
down_revision: str | None = "0009_console_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "enterprises",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprises_uscc")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("ca_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("center", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("validity_years", sa.Integer(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("enterprise_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("enterprise_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
        sa.Column("person_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("certificate_kind", sa.Integer(), nullable=True),
        sa.Column("transferee_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("predecessor", sa.LargeBinary(), nullable=True),
        sa.Column("holder", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("signing_fingerprint", sa.LargeBinary(), nullable=True),
        sa.Column("encryption_fingerprint", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_applications_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applications_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_applications_ca_state", ["ca_id", "state"], unique=False)

    op.create_table(
        "enterprise_members",
        sa.Column("enterprise_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_enterprise_members_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_members_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "account_id", name=op.f("pk_enterprise_members")),
    )
    op.create_table(
        "application_attachments",
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("sha256", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_attachments_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("application_id", "kind", name=op.f("pk_application_attachments")),
    )
    op.create_table(
        "application_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("from_state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("to_state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_transitions_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_transitions")),
    )
    with op.batch_alter_table("application_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_transitions_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "held_certificates",
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ca_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("usage", sa.Integer(), nullable=False),
        sa.Column("partner", sa.LargeBinary(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=260), nullable=False),
        sa.Column("not_before", sa.BigInteger(), nullable=False),
        sa.Column("not_after", sa.BigInteger(), nullable=False),
        sa.Column("replaced_by", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_held_certificates_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_held_certificates_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_held_certificates")),
    )
    with op.batch_alter_table("held_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_held_certificates_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_held_certificates_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("held_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_certificates_application_id"))
        batch_op.drop_index(batch_op.f("ix_held_certificates_account_id"))

    op.drop_table("held_certificates")
    with op.batch_alter_table("application_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_transitions_application_id"))

    op.drop_table("application_transitions")
    op.drop_table("application_attachments")
    op.drop_table("enterprise_members")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_ca_state")
        batch_op.drop_index(batch_op.f("ix_applications_account_id"))

    op.drop_table("applications")
    op.drop_table("enterprises")
