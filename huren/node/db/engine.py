"""Engines, sessions and migrations of the node's database.

SQLite by default (``sqlite:///<data_dir>/node.db``), PostgreSQL by URL
(``postgresql+psycopg://user:password@host:port/db``).

SQLite connections get ``journal_mode=WAL`` (readers never block the writer nor the writer
the readers, which the API needs while the indexer writes), ``foreign_keys=ON`` and a busy
timeout. ``synchronous`` defaults to FULL, not NORMAL: in WAL mode NORMAL may lose the last
commits on a power cut (never consistency). The chain index could be rebuilt from the chain,
but this database also holds what only the node knows (accounts, applications, billing), and
the indexer commits once per step of many blocks, so the fsync per commit costs little.

Transactions: huren emits BEGIN itself (pysqlite's legacy mode would start a transaction
only at the first write, so a multi-query read would see several snapshots). ``write_session``
and ``write_connection`` begin with BEGIN IMMEDIATE on SQLite: a transaction that reads
before it writes would otherwise fail with SQLITE_BUSY (snapshot) when another writer
committed in between, instead of waiting its turn.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

__all__ = [
    "DB_FILE_NAME",
    "MIGRATIONS_DIR",
    "Synchronous",
    "default_url",
    "make_engine",
    "migrate",
    "session_factory",
    "write_connection",
    "write_session",
]

DB_FILE_NAME = "node.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
_WRITE_OPTION = "huren_write"

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


def default_url(data_dir: Path | str) -> str:
    """The node's default database: ``node.db`` in its data directory."""
    return f"sqlite:///{Path(data_dir) / DB_FILE_NAME}"


def make_engine(
    url: str, *, sqlite_synchronous: Synchronous = "FULL", echo: bool = False
) -> Engine:
    """An engine for ``url`` with the node's connection settings (see the module docstring).
    Thread-safe; share one per process and ``dispose()`` it on shutdown."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, sqlite_synchronous, echo)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: sqlite or postgresql")


def _sqlite_engine(url: str, synchronous: Synchronous, echo: bool) -> Engine:
    if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"synchronous {synchronous!r}")
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # huren emits BEGIN (see _on_begin)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reads and ordinary writes (``expire_on_commit`` off: rows stay readable
    after the session's transaction ends)."""
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


@contextlib.contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside one write transaction (BEGIN IMMEDIATE on SQLite): committed when
    the block ends, rolled back if it raises."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn


@contextlib.contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """An ORM session inside one write transaction (see ``write_connection``)."""
    with write_connection(engine) as conn, Session(bind=conn) as session:
        yield session
        session.flush()


def migrate(engine_url: str, revision: str = "head") -> None:
    """Bring the database at ``engine_url`` to ``revision`` (alembic ``upgrade``); the node
    runs this on every start, before anything reads the database."""
    engine = make_engine(engine_url)
    try:
        with engine.connect() as conn:
            command.upgrade(alembic_config(conn), revision)
            conn.commit()
    finally:
        engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic configuration on huren's migrations, optionally on an open connection
    (``migrations/env.py`` uses it; otherwise it connects to ``sqlalchemy.url``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config
