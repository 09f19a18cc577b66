"""personnel and authorizations: sealed letters, invitations, authorization requests (issue 5)

Revision ID: 0014_authorizations
Revises: 0013_recovery
Create Date: 2026-11-28 21:13:04.417653
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0014_authorizations"
down_revision: str | None = "0013_recovery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprise_invitations",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("enterprise_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
        sa.Column("invited_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("sms_sent_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_invitations_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["accounts.id"],
            name=op.f("fk_enterprise_invitations_invited_by_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_invitations")),
    )
    with op.batch_alter_table("enterprise_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enterprise_invitations_enterprise_phone", ["enterprise_id", "phone"], unique=False
        )

    op.create_table(
        "sealed_letters",
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("enterprise_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("statement", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("accepted_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sealed_letters_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_sealed_letters_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_sealed_letters")),
    )
    with op.batch_alter_table("sealed_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sealed_letters_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "authorization_requests",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("enterprise_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("staff_account_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("staff_fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("encryption_fingerprint", sa.LargeBinary(), nullable=True),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("rights", sa.SmallInteger(), nullable=False),
        sa.Column("ca_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("enterprise_fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("letter_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column(
            "grant_transactions", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column(
            "revoke_transactions", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_authorization_requests_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_nonce"],
            ["sealed_letters.nonce"],
            name=op.f("fk_authorization_requests_letter_nonce_sealed_letters"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["accounts.id"],
            name=op.f("fk_authorization_requests_requested_by_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["accounts.id"],
            name=op.f("fk_authorization_requests_staff_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_requests")),
    )
    with op.batch_alter_table("authorization_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_authorization_requests_ca_state", ["ca_id", "state"], unique=False
        )
        batch_op.create_index(
            "ix_authorization_requests_enterprise_state", ["enterprise_id", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_authorization_requests_staff_account_id"),
            ["staff_account_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("authorization_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authorization_requests_staff_account_id"))
        batch_op.drop_index("ix_authorization_requests_enterprise_state")
        batch_op.drop_index("ix_authorization_requests_ca_state")

    op.drop_table("authorization_requests")
    with op.batch_alter_table("sealed_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sealed_letters_enterprise_id"))

    op.drop_table("sealed_letters")
    with op.batch_alter_table("enterprise_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprise_invitations_enterprise_phone")

    op.drop_table("enterprise_invitations")
