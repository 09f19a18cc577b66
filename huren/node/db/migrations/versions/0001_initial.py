"""Initial schema: the chain index (raw events, checkpoint, recent block hashes) and the
state projected from the contracts' events (see huren.node.db.models).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authorizations",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("staff_fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("enterprise_fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("rights", sa.SmallInteger(), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.PrimaryKeyConstraint("staff_fingerprint", "platform_id", name=op.f("pk_authorizations")),
    )
    op.create_table(
        "bindings",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("bound", sa.Boolean(), nullable=False),
        sa.Column("evidence_hash", sa.LargeBinary(), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", "platform_id", name=op.f("pk_bindings")),
    )
    op.create_table(
        "cas",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("ca_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("ca_index", sa.Integer(), nullable=False),
        sa.Column("operator_role", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("ca_id", name=op.f("pk_cas")),
        sa.UniqueConstraint("ca_index", name=op.f("uq_cas_ca_index")),
        sa.UniqueConstraint("operator_role", name=op.f("uq_cas_operator_role")),
    )
    op.create_table(
        "certificates",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("ca_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("issuer_key_id", sa.LargeBinary(), nullable=False),
        sa.Column("holder", sa.LargeBinary(), nullable=False),
        sa.Column("predecessor", sa.LargeBinary(), nullable=True),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("usage", sa.SmallInteger(), nullable=False),
        sa.Column("scope", sa.SmallInteger(), nullable=False),
        sa.Column("center", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=True),
        sa.Column("not_before", sa.BigInteger(), nullable=False),
        sa.Column("not_after", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("revocation_reason", sa.SmallInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=True),
        sa.Column("revoked_block_number", sa.BigInteger(), nullable=True),
        sa.Column("revoked_block_hash", sa.LargeBinary(), nullable=True),
        sa.Column("revoked_transaction_hash", sa.LargeBinary(), nullable=True),
        sa.Column("revoked_log_index", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_certificates")),
    )
    op.create_index(op.f("ix_certificates_holder"), "certificates", ["holder"], unique=False)

    op.create_table(
        "chain_events",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_index", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("topics", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint("block_number", "log_index", name=op.f("pk_chain_events")),
    )
    op.create_index(
        "ix_chain_events_entity_position", "chain_events", ["entity", "block_number"], unique=False
    )

    op.create_table(
        "index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "consortium_address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False
        ),
        sa.Column("registry_address", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("deployment_block", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.LargeBinary(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_state")),
    )
    op.create_table(
        "indexed_blocks",
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_indexed_blocks")),
    )
    op.create_table(
        "members",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("region_code", sa.Integer(), nullable=False),
        sa.Column("member_index", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_members")),
        sa.UniqueConstraint("member_index", name=op.f("uq_members_member_index")),
    )
    op.create_table(
        "platforms",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("center", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("platform_id", name=op.f("pk_platforms")),
    )
    op.create_index(op.f("ix_platforms_center"), "platforms", ["center"], unique=False)

    op.create_table(
        "proposals",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("proposer", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("yes", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_proposals")),
    )
    op.create_table(
        "quorum",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.SmallInteger(), nullable=False),
        sa.Column("previous_percent", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quorum")),
    )
    op.create_table(
        "ca_issuer_keys",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("issuer_key_id", sa.LargeBinary(), nullable=False),
        sa.Column("ca_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ca_id"], ["cas.ca_id"], name=op.f("fk_ca_issuer_keys_ca_id_cas")),
        sa.PrimaryKeyConstraint("issuer_key_id", name=op.f("pk_ca_issuer_keys")),
    )
    op.create_index(op.f("ix_ca_issuer_keys_ca_id"), "ca_issuer_keys", ["ca_id"], unique=False)

    op.create_table(
        "ca_operators",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("ca_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.ForeignKeyConstraint(["ca_id"], ["cas.ca_id"], name=op.f("fk_ca_operators_ca_id_cas")),
        sa.PrimaryKeyConstraint("ca_id", "account", name=op.f("pk_ca_operators")),
    )
    op.create_table(
        "votes",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.BigInteger(), nullable=False),
        sa.Column("voter", sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
        sa.Column("support", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.proposal_id"], name=op.f("fk_votes_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "voter", name=op.f("pk_votes")),
    )


def downgrade() -> None:
    op.drop_table("votes")
    op.drop_table("ca_operators")
    op.drop_index(op.f("ix_ca_issuer_keys_ca_id"))

    op.drop_table("ca_issuer_keys")
    op.drop_table("quorum")
    op.drop_table("proposals")
    op.drop_index(op.f("ix_platforms_center"))

    op.drop_table("platforms")
    op.drop_table("members")
    op.drop_table("indexed_blocks")
    op.drop_table("index_state")
    op.drop_index("ix_chain_events_entity_position")

    op.drop_table("chain_events")
    op.drop_index(op.f("ix_certificates_holder"))

    op.drop_table("certificates")
    op.drop_table("cas")
    op.drop_table("bindings")
    op.drop_table("authorizations")
