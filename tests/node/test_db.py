"""The node's database: migrations equal the models, SQLite settings, write transactions,
column types at their limits, and the PostgreSQL helper script's safety."""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

import huren.node.db
from huren.node.db import models as m
from huren.node.db.engine import (
    alembic_config,
    default_url,
    make_engine,
    migrate,
    write_connection,
    write_session,
)
from huren.node.indexer_projection import INT64_MAX
from tests.node.conftest import POSTGRES_SCRIPT

MY_TABLES = {
    "index_state",
    "indexed_blocks",
    "chain_events",
    "members",
    "cas",
    "ca_issuer_keys",
    "ca_operators",
    "platforms",
    "proposals",
    "votes",
    "quorum",
    "certificates",
    "bindings",
    "authorizations",
}


def _import_all_tables() -> None:
    """What migrations/env.py does: every module of huren.node.db defines tables."""
    for module in pkgutil.iter_modules(huren.node.db.__path__):
        if not module.ispkg and module.name != "engine":
            importlib.import_module(f"huren.node.db.{module.name}")


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    migrate(db_url)
    migrate(db_url)  # the node migrates on every start: the second run changes nothing
    _import_all_tables()
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= MY_TABLES
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert context.get_current_revision() == head
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = default_url(tmp_path / "data")
    assert url == f"sqlite:///{tmp_path / 'data' / 'node.db'}"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
    normal = make_engine(url, sqlite_synchronous="NORMAL")
    try:
        with normal.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
    finally:
        normal.dispose()
    assert (tmp_path / "data" / "node.db").exists()


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="sqlite or postgresql"):
        make_engine("mysql://localhost/huren")


def test_a_write_transaction_holds_the_sqlite_write_lock_from_its_start(tmp_path: Path) -> None:
    url = default_url(tmp_path)
    migrate(url)
    engine = make_engine(url)
    other = sqlite3.connect(tmp_path / "node.db", timeout=0, isolation_level=None)
    try:
        with write_connection(engine) as conn:
            conn.execute(text("SELECT 1"))  # read first: the lock is taken already
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # Readers are not blocked (WAL).
            assert other.execute("SELECT count(*) FROM certificates").fetchone() == (0,)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        # A plain session reads in one snapshot (huren emits BEGIN for reads too).
        with Session(engine) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            assert session.connection().in_transaction()
    finally:
        other.close()
        engine.dispose()


def certificate(**overrides: object) -> m.Certificate:
    values: dict[str, object] = {
        "fingerprint": b"\xff" * 32,
        "ca_id": "0x" + "ab" * 32,
        "issuer_key_id": b"\x01" * 32,
        "holder": b"\x02" * 32,
        "predecessor": None,
        "kind": 2,
        "usage": 1,
        "scope": 2,
        "center": "0x" + "Ab" * 20,
        "not_before": 0,
        "not_after": 2**40 - 1,  # the registry's largest time
        "status": 2,
        "revocation_reason": 10,
        "revoked_at": 2**40 - 1,
        "revoked_by": "0x" + "12" * 20,
        "block_number": INT64_MAX,
        "block_hash": b"\x03" * 32,
        "transaction_hash": b"\x04" * 32,
        "log_index": 2**31 - 1,
        "revoked_block_number": INT64_MAX,
        "revoked_block_hash": b"\x05" * 32,
        "revoked_transaction_hash": b"\x06" * 32,
        "revoked_log_index": 0,
    }
    values.update(overrides)
    return m.Certificate(**values)


EVIDENCE = {
    "block_number": 1,
    "block_hash": b"\x00" * 32,
    "transaction_hash": b"\x00" * 32,
    "log_index": 0,
}


def test_rows_keep_their_values_at_the_limits(engine: Engine) -> None:
    row = certificate()
    proposal = m.Proposal(
        proposal_id=INT64_MAX,
        kind=6,
        proposer="0x" + "34" * 20,
        expires_at=INT64_MAX,
        payload=b"\x00" * 64,
        status=1,
        yes=1,
        no=0,
        **EVIDENCE,
    )
    with write_session(engine) as session:
        session.add(row)
        session.add(proposal)
    with Session(engine) as session:
        stored = session.get(m.Certificate, b"\xff" * 32)
        assert stored is not None
        assert stored.model_dump() == row.model_dump()
        again = session.get(m.Proposal, INT64_MAX)
        assert again is not None and again.expires_at == INT64_MAX


def test_constraints_hold(engine: Engine) -> None:
    ca = {"name": "CA", "status": 1, **EVIDENCE}
    with write_session(engine) as session:
        session.add(m.Ca(ca_id="a", ca_index=1, operator_role=b"\x01" * 32, **ca))
    with pytest.raises(IntegrityError), write_session(engine) as session:
        session.add(m.Ca(ca_id="b", ca_index=1, operator_role=b"\x02" * 32, **ca))  # index taken
    with pytest.raises(IntegrityError), write_session(engine) as session:
        session.add(m.CaOperator(ca_id="nope", account="0x" + "00" * 20, **EVIDENCE))  # no CA
    with Session(engine) as session:
        assert session.get(m.Ca, "b") is None


def test_the_postgres_script_never_deletes_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "keep").write_text("precious")
    stopped = subprocess.run(
        [str(POSTGRES_SCRIPT), "stop", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert stopped.returncode != 0
    assert "not made by" in stopped.stderr
    assert (tmp_path / "keep").read_text() == "precious"
