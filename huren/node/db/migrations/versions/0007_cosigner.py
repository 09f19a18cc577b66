"""co-signer: devices, tickets, enrolments, certificates, request nonces, operations

Revision ID: 0007_cosigner
Revises: 0006_seals
Create Date: 2026-11-28 18:19:17.458967
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0007_cosigner"
down_revision: str | None = "0006_seals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cosigner_devices",
        sa.Column("device_id", AutoString(length=32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("holder", AutoString(length=200), nullable=False),
        sa.Column("label", AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_cosigner_devices")),
        sa.UniqueConstraint("public_key", name=op.f("uq_cosigner_devices_public_key")),
    )
    with op.batch_alter_table("cosigner_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosigner_devices_holder"), ["holder"], unique=False)

    op.create_table(
        "cosigner_operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("operation", AutoString(length=32), nullable=False),
        sa.Column("result", AutoString(length=64), nullable=False),
        sa.Column("holder", AutoString(length=200), nullable=True),
        sa.Column("device_id", AutoString(length=32), nullable=True),
        sa.Column("enrolment_id", AutoString(length=32), nullable=True),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=True),
        sa.Column("platform_id", AutoString(length=66), nullable=True),
        sa.Column("action", AutoString(length=16), nullable=True),
        sa.Column("digest", sa.LargeBinary(), nullable=True),
        sa.Column("detail", AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cosigner_operations")),
    )
    with op.batch_alter_table("cosigner_operations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosigner_operations_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cosigner_operations_enrolment_id"), ["enrolment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cosigner_operations_holder"), ["holder"], unique=False)

    op.create_table(
        "cosigner_request_nonces",
        sa.Column("device_id", AutoString(length=32), nullable=False),
        sa.Column("nonce", AutoString(length=64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "nonce", name=op.f("pk_cosigner_request_nonces")),
    )
    with op.batch_alter_table("cosigner_request_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cosigner_request_nonces_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "cosigner_tickets",
        sa.Column("ticket_id", AutoString(length=32), nullable=False),
        sa.Column("secret_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("holder", AutoString(length=200), nullable=False),
        sa.Column("recovery_public_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("enrolment_id", AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_cosigner_tickets")),
    )
    with op.batch_alter_table("cosigner_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cosigner_tickets_holder"), ["holder"], unique=False)

    op.create_table(
        "cosigner_enrolments",
        sa.Column("enrolment_id", AutoString(length=32), nullable=False),
        sa.Column("device_id", AutoString(length=32), nullable=False),
        sa.Column("holder", AutoString(length=200), nullable=False),
        sa.Column("purpose", AutoString(length=16), nullable=False),
        sa.Column("ticket_id", AutoString(length=32), nullable=False),
        sa.Column("group_public_key", sa.LargeBinary(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("public_package", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_share", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_unwrap", sa.LargeBinary(), nullable=False),
        sa.Column("pin_public_key", sa.LargeBinary(), nullable=False),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.BigInteger(), nullable=True),
        sa.Column("recovery_envelope", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["cosigner_devices.device_id"],
            name=op.f("fk_cosigner_enrolments_device_id_cosigner_devices"),
        ),
        sa.PrimaryKeyConstraint("enrolment_id", name=op.f("pk_cosigner_enrolments")),
        sa.UniqueConstraint(
            "group_public_key", name=op.f("uq_cosigner_enrolments_group_public_key")
        ),
    )
    with op.batch_alter_table("cosigner_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cosigner_enrolments_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cosigner_enrolments_holder"), ["holder"], unique=False)

    op.create_table(
        "cosigner_certificates",
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("enrolment_id", AutoString(length=32), nullable=False),
        sa.Column("bound_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["cosigner_enrolments.enrolment_id"],
            name=op.f("fk_cosigner_certificates_enrolment_id_cosigner_enrolments"),
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_cosigner_certificates")),
    )
    with op.batch_alter_table("cosigner_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cosigner_certificates_enrolment_id"), ["enrolment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cosigner_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosigner_certificates_enrolment_id"))

    op.drop_table("cosigner_certificates")
    with op.batch_alter_table("cosigner_enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosigner_enrolments_holder"))
        batch_op.drop_index(batch_op.f("ix_cosigner_enrolments_device_id"))

    op.drop_table("cosigner_enrolments")
    with op.batch_alter_table("cosigner_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosigner_tickets_holder"))

    op.drop_table("cosigner_tickets")
    with op.batch_alter_table("cosigner_request_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosigner_request_nonces_expires_at"))

    op.drop_table("cosigner_request_nonces")
    with op.batch_alter_table("cosigner_operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosigner_operations_holder"))
        batch_op.drop_index(batch_op.f("ix_cosigner_operations_enrolment_id"))
        batch_op.drop_index(batch_op.f("ix_cosigner_operations_at"))

    op.drop_table("cosigner_operations")
    with op.batch_alter_table("cosigner_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cosigner_devices_holder"))

    op.drop_table("cosigner_devices")
