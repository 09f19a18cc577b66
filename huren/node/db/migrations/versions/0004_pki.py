"""CA keys, issued certificates, status (issue 4): issued certificates and CRLs

Revision ID: 0004_pki
Revises: 0003_accounts
Create Date: 2026-11-28 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0004_pki"
down_revision: str | None = "0003_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pki_issued_certificates",
        sa.Column("serial", AutoString(length=40), nullable=False),
        sa.Column("ca_id", AutoString(length=66), nullable=False),
        sa.Column("issuer_key_id", sa.LargeBinary(), nullable=False),
        sa.Column("request_id", AutoString(length=100), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("approved_by", AutoString(length=200), nullable=False),
        sa.Column("subject", AutoString(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("usage", sa.SmallInteger(), nullable=False),
        sa.Column("scope", sa.SmallInteger(), nullable=False),
        sa.Column("center", AutoString(length=42), nullable=True),
        sa.Column("holder", sa.LargeBinary(), nullable=False),
        sa.Column("predecessor", sa.LargeBinary(), nullable=True),
        sa.Column("not_before", sa.BigInteger(), nullable=False),
        sa.Column("not_after", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=True),
        sa.Column("der", sa.LargeBinary(), nullable=True),
        sa.Column("signed_at", sa.BigInteger(), nullable=True),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("committed_at", sa.BigInteger(), nullable=True),
        sa.Column("revocation_reason", sa.SmallInteger(), nullable=True),
        sa.Column("revocation_requested_at", sa.BigInteger(), nullable=True),
        sa.Column("revocation_transaction_hash", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_pki_issued_certificates")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_pki_issued_certificates_fingerprint")),
        sa.UniqueConstraint("request_id", name=op.f("uq_pki_issued_certificates_request_id")),
    )
    with op.batch_alter_table("pki_issued_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pki_issued_certificates_ca_id"), ["ca_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pki_issued_certificates_state"), ["state"], unique=False
        )
    op.create_table(
        "pki_crls",
        sa.Column("ca_id", AutoString(length=66), nullable=False),
        sa.Column("crl_number", sa.BigInteger(), nullable=False),
        sa.Column("entries_digest", sa.LargeBinary(), nullable=False),
        sa.Column("this_update", sa.BigInteger(), nullable=False),
        sa.Column("next_update", sa.BigInteger(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("ca_id", name=op.f("pk_pki_crls")),
    )


def downgrade() -> None:
    op.drop_table("pki_crls")
    with op.batch_alter_table("pki_issued_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pki_issued_certificates_state"))
        batch_op.drop_index(batch_op.f("ix_pki_issued_certificates_ca_id"))
    op.drop_table("pki_issued_certificates")
