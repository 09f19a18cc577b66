"""scan requests (issue 6)

Revision ID: 0011_scan
Revises: 0010_applications
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011_scan"
down_revision: str | None = "0010_applications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scan_requests",
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payload", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("bind_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("bind_uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("answered_at", sa.BigInteger(), nullable=True),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("certificate", sa.LargeBinary(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("input_blob", sa.LargeBinary(), nullable=True),
        sa.Column("state_blob", sa.LargeBinary(), nullable=True),
        sa.Column("result_blob", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_scan_requests")),
    )
    op.create_index(
        op.f("ix_scan_requests_platform_id"), "scan_requests", ["platform_id"], unique=False
    )
    op.create_index(
        op.f("ix_scan_requests_expires_at"), "scan_requests", ["expires_at"], unique=False
    )
    op.create_index(
        op.f("ix_scan_requests_session_id"), "scan_requests", ["session_id"], unique=False
    )
    op.create_table(
        "cosigner_signing_sessions",
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("device_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("enrolment_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("auto_confirm", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_cosigner_signing_sessions")),
    )
    op.create_index(
        op.f("ix_cosigner_signing_sessions_device_id"),
        "cosigner_signing_sessions",
        ["device_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_cosigner_signing_sessions_fingerprint"),
        "cosigner_signing_sessions",
        ["fingerprint"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_cosigner_signing_sessions_fingerprint"), table_name="cosigner_signing_sessions"
    )
    op.drop_index(
        op.f("ix_cosigner_signing_sessions_device_id"), table_name="cosigner_signing_sessions"
    )
    op.drop_table("cosigner_signing_sessions")
    op.drop_index(op.f("ix_scan_requests_session_id"), table_name="scan_requests")
    op.drop_index(op.f("ix_scan_requests_expires_at"), table_name="scan_requests")
    op.drop_index(op.f("ix_scan_requests_platform_id"), table_name="scan_requests")
    op.drop_table("scan_requests")
