"""The node's SQL database: tables (``models``), engines, sessions and migrations
(``engine``). SQLite under the data directory by default, PostgreSQL by URL."""

from huren.node.db.engine import (
    default_url,
    make_engine,
    migrate,
    session_factory,
    write_connection,
    write_session,
)

__all__ = [
    "default_url",
    "make_engine",
    "migrate",
    "session_factory",
    "write_connection",
    "write_session",
]
