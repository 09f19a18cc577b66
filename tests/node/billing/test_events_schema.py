"""The billing tables' migration: the trail is append-only in the database itself, and the
migration goes down and up again cleanly (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from huren.node.db.engine import alembic_config, write_connection
from tests.node.billing.conftest import make_billing

BILLING_TABLES = {
    "billing_price_lists",
    "billing_prices",
    "billing_orders",
    "billing_payments",
    "billing_invoices",
    "billing_invoice_orders",
    "billing_bank_cards",
    "billing_events",
}


@pytest.mark.parametrize(
    "statement",
    ["UPDATE billing_events SET actor = 'someone else'", "DELETE FROM billing_events"],
)
def test_events_cannot_be_changed_or_deleted(engine: Engine, statement: str) -> None:
    make_billing(engine)  # seeds the dev price list: one event
    with pytest.raises(DBAPIError, match="append-only"), write_connection(engine) as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM billing_events")).scalars().all() == ["system"]


def test_downgrade_removes_exactly_the_billing_tables(engine: Engine) -> None:
    with engine.connect() as conn:  # down to billing (later areas' tables go first) ...
        command.downgrade(alembic_config(conn), "0008_billing")
        conn.commit()
    with engine.connect() as conn:
        before = set(inspect(conn).get_table_names())
        assert before >= BILLING_TABLES
        command.downgrade(alembic_config(conn), "0007_cosigner")  # ... then past it
        conn.commit()
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == before - BILLING_TABLES
        command.upgrade(alembic_config(conn), "head")
        conn.commit()
    make_billing(engine)  # works again, triggers and all


def test_the_database_itself_refuses_a_second_invoice_link(engine: Engine) -> None:
    """The at-most-once rule does not rest on the service's check: the key refuses it."""
    insert = text("INSERT INTO billing_invoice_orders (order_id, invoice_id) VALUES ('o', :i)")
    with write_connection(engine) as conn:
        conn.execute(insert, {"i": "inv_1"})
    with pytest.raises(IntegrityError), write_connection(engine) as conn:
        conn.execute(insert, {"i": "inv_2"})
