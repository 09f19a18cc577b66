"""accounts, SMS codes, refresh tokens, rate limits, identities, inbox (issue 5)

Revision ID: 0003_accounts
Revises: 0002_platform_keys
Create Date: 2026-11-28 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0003_accounts"
down_revision: str | None = "0002_platform_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", AutoString(length=32), nullable=False),
        sa.Column("phone", AutoString(length=20), nullable=False),
        sa.Column("password_hash", AutoString(length=200), nullable=True),
        sa.Column("certificate_password_hash", AutoString(length=200), nullable=True),
        sa.Column("wechat_openid", AutoString(length=64), nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("phone", name=op.f("uq_accounts_phone")),
        sa.UniqueConstraint("wechat_openid", name=op.f("uq_accounts_wechat_openid")),
    )
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", AutoString(length=120), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
    )
    with op.batch_alter_table("rate_limit_hits", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limit_hits_key_at", ["key", "at"], unique=False)

    op.create_table(
        "sms_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", AutoString(length=20), nullable=False),
        sa.Column("purpose", AutoString(length=24), nullable=False),
        sa.Column("code_digest", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_codes")),
    )
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sms_codes_phone_purpose", ["phone", "purpose", "id"], unique=False
        )

    op.create_table(
        "alipay_sessions",
        sa.Column("certify_id", AutoString(length=64), nullable=False),
        sa.Column("account_id", AutoString(length=32), nullable=False),
        sa.Column("id_commitment", sa.LargeBinary(), nullable=False),
        sa.Column("name_commitment", sa.LargeBinary(), nullable=False),
        sa.Column("masked_name", AutoString(length=40), nullable=False),
        sa.Column("masked_id_number", AutoString(length=18), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_alipay_sessions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("certify_id", name=op.f("pk_alipay_sessions")),
    )
    with op.batch_alter_table("alipay_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alipay_sessions_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "identities",
        sa.Column("account_id", AutoString(length=32), nullable=False),
        sa.Column("id_commitment", sa.LargeBinary(), nullable=False),
        sa.Column("name_commitment", sa.LargeBinary(), nullable=False),
        sa.Column("masked_name", AutoString(length=40), nullable=False),
        sa.Column("masked_id_number", AutoString(length=18), nullable=False),
        sa.Column("method", AutoString(length=12), nullable=False),
        sa.Column("provider_reference", AutoString(length=64), nullable=False),
        sa.Column("verified_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_identities_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_identities")),
        sa.UniqueConstraint("id_commitment", name=op.f("uq_identities_id_commitment")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", AutoString(length=32), nullable=False),
        sa.Column("kind", AutoString(length=40), nullable=False),
        sa.Column("title", AutoString(length=200), nullable=False),
        sa.Column("body", AutoString(length=2000), nullable=False),
        sa.Column("params", AutoString(length=4000), nullable=False),
        sa.Column("action", AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_messages_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_account_read", ["account_id", "read_at"], unique=False)

    op.create_table(
        "refresh_tokens",
        sa.Column("jti", AutoString(length=32), nullable=False),
        sa.Column("account_id", AutoString(length=32), nullable=False),
        sa.Column("family_id", AutoString(length=32), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_refresh_tokens_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_tokens")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refresh_tokens_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_refresh_tokens_family_id"), ["family_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_family_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_account_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_account_read")

    op.drop_table("messages")
    op.drop_table("identities")
    with op.batch_alter_table("alipay_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alipay_sessions_account_id"))

    op.drop_table("alipay_sessions")
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_codes_phone_purpose")

    op.drop_table("sms_codes")
    with op.batch_alter_table("rate_limit_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_hits_key_at")

    op.drop_table("rate_limit_hits")
    op.drop_table("accounts")
