"""billing: price lists, orders, payments, invoices, bank cards, events (issue 10)

Self-contained (only billing tables) so that it can be re-chained after other areas' migrations.

Revision ID: 0008_billing
Revises: 0007_cosigner
Create Date: 2026-11-28 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0008_billing"
down_revision: str | None = "0007_cosigner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_bank_cards",
        sa.Column("card_id", AutoString(length=40), nullable=False),
        sa.Column("account_ref", AutoString(length=64), nullable=False),
        sa.Column("holder_name", AutoString(length=60), nullable=False),
        sa.Column("bank_code", AutoString(length=8), nullable=False),
        sa.Column("masked_number", AutoString(length=24), nullable=False),
        sa.Column("masked_phone", AutoString(length=16), nullable=False),
        sa.Column("card_token", AutoString(length=128), nullable=False),
        sa.Column("bound_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_billing_bank_cards")),
        sa.UniqueConstraint(
            "account_ref", "card_token", name=op.f("uq_billing_bank_cards_account_ref_card_token")
        ),
    )
    with op.batch_alter_table("billing_bank_cards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_bank_cards_account_ref"), ["account_ref"], unique=False
        )

    op.create_table(
        "billing_events",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", AutoString(length=64), nullable=False),
        sa.Column("subject_kind", AutoString(length=16), nullable=False),
        sa.Column("subject_id", AutoString(length=64), nullable=False),
        sa.Column("action", AutoString(length=32), nullable=False),
        sa.Column("from_state", AutoString(length=16), nullable=True),
        sa.Column("to_state", AutoString(length=16), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("detail", AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_billing_events")),
    )
    with op.batch_alter_table("billing_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_billing_events_subject", ["subject_kind", "subject_id"], unique=False
        )

    op.create_table(
        "billing_invoice_orders",
        sa.Column("order_id", AutoString(length=40), nullable=False),
        sa.Column("invoice_id", AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_billing_invoice_orders")),
    )
    with op.batch_alter_table("billing_invoice_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_invoice_orders_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "billing_invoices",
        sa.Column("invoice_id", AutoString(length=40), nullable=False),
        sa.Column("owner_kind", AutoString(length=16), nullable=False),
        sa.Column("owner_ref", AutoString(length=64), nullable=False),
        sa.Column("title", AutoString(length=100), nullable=False),
        sa.Column("tax_number", AutoString(length=20), nullable=False),
        sa.Column("email", AutoString(length=254), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("issued_by", AutoString(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_billing_invoices")),
    )
    with op.batch_alter_table("billing_invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_invoices_owner_ref"), ["owner_ref"], unique=False
        )

    op.create_table(
        "billing_orders",
        sa.Column("order_id", AutoString(length=40), nullable=False),
        sa.Column("application_id", AutoString(length=64), nullable=False),
        sa.Column("account_ref", AutoString(length=64), nullable=False),
        sa.Column("enterprise_ref", AutoString(length=64), nullable=True),
        sa.Column("ca_id", AutoString(length=66), nullable=False),
        sa.Column("kind", AutoString(length=16), nullable=False),
        sa.Column("years", sa.SmallInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("price_list_version", sa.Integer(), nullable=False),
        sa.Column("state", AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.BigInteger(), nullable=True),
        sa.Column("refunded_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_billing_orders")),
        sa.UniqueConstraint("application_id", name=op.f("uq_billing_orders_application_id")),
    )
    with op.batch_alter_table("billing_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_orders_account_ref"), ["account_ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_billing_orders_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_billing_orders_enterprise_ref"), ["enterprise_ref"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_billing_orders_state"), ["state"], unique=False)

    op.create_table(
        "billing_payments",
        sa.Column("trade_no", AutoString(length=64), nullable=False),
        sa.Column("order_id", AutoString(length=40), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("state", AutoString(length=16), nullable=False),
        sa.Column("gateway_trade_no", AutoString(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("settled_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("trade_no", name=op.f("pk_billing_payments")),
    )
    with op.batch_alter_table("billing_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_payments_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "billing_price_lists",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_at", sa.BigInteger(), nullable=False),
        sa.Column("published_at", sa.BigInteger(), nullable=False),
        sa.Column("published_by", AutoString(length=64), nullable=False),
        sa.Column("note", AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_billing_price_lists")),
    )
    op.create_table(
        "billing_prices",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ca_id", AutoString(length=66), nullable=False),
        sa.Column("kind", AutoString(length=16), nullable=False),
        sa.Column("years", sa.SmallInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "version", "ca_id", "kind", "years", name=op.f("pk_billing_prices")
        ),
    )

    _append_only_events()


def downgrade() -> None:
    _drop_append_only_events()
    op.drop_table("billing_prices")
    op.drop_table("billing_price_lists")
    with op.batch_alter_table("billing_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_payments_order_id"))

    op.drop_table("billing_payments")
    with op.batch_alter_table("billing_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_orders_state"))
        batch_op.drop_index(batch_op.f("ix_billing_orders_enterprise_ref"))
        batch_op.drop_index(batch_op.f("ix_billing_orders_created_at"))
        batch_op.drop_index(batch_op.f("ix_billing_orders_account_ref"))

    op.drop_table("billing_orders")
    with op.batch_alter_table("billing_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_invoices_owner_ref"))

    op.drop_table("billing_invoices")
    with op.batch_alter_table("billing_invoice_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_invoice_orders_invoice_id"))

    op.drop_table("billing_invoice_orders")
    with op.batch_alter_table("billing_events", schema=None) as batch_op:
        batch_op.drop_index("ix_billing_events_subject")

    op.drop_table("billing_events")
    with op.batch_alter_table("billing_bank_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_bank_cards_account_ref"))

    op.drop_table("billing_bank_cards")


# billing_events is append-only: the database refuses UPDATE and DELETE on it, whoever asks.
# (Triggers are not part of the models' metadata, so compare_metadata does not see them.)
_REFUSAL = "billing_events is append-only"


def _append_only_events() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER billing_events_no_{verb.lower()} BEFORE {verb} ON billing_events "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION billing_events_refuse() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER billing_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON billing_events FOR EACH STATEMENT EXECUTE FUNCTION billing_events_refuse()"
    )


def _drop_append_only_events() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS billing_events_no_{verb}")
        return
    op.execute("DROP TRIGGER IF EXISTS billing_events_append_only ON billing_events")
    op.execute("DROP FUNCTION IF EXISTS billing_events_refuse()")
