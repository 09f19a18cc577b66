"""The lean SQL the recognition rule needs: the index's rows for a batch of certificates.

``recognize_many`` reads the index through these few statements only: selects of just the
columns the rule reads (``huren.node.recognition.rule``), built from SQLAlchemy Core, compiled
once per dialect and IN-list size and run on the DBAPI cursor. ORM entities cost ten times as
much, SQLAlchemy's execution machinery several times the queries themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Column, Connection, Dialect, Engine, Select, Table, bindparam, select
from sqlmodel import Session, SQLModel

from huren.node.db.models import Authorization, Ca, Certificate, IndexState, Platform

__all__ = [
    "AuthorizationRow",
    "CaRow",
    "CertificateRow",
    "PlatformRow",
    "ReadTransaction",
    "platform_row",
    "read_transaction",
    "rows",
    "transaction_of",
]


# The rows the rule reads (they have the attributes of ``rule``'s record protocols).


class CertificateRow(NamedTuple):
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    fingerprint: bytes
    ca_id: str
    kind: int
    usage: int
    scope: int
    center: str | None
    not_before: int
    not_after: int
    status: int
    revoked_at: int | None
    revoked_block_number: int | None
    revoked_block_hash: bytes | None
    revoked_transaction_hash: bytes | None
    revoked_log_index: int | None


class CaRow(NamedTuple):
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    ca_id: str
    status: int


class PlatformRow(NamedTuple):
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    platform_id: str
    center: str
    active: bool


class AuthorizationRow(NamedTuple):
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    staff_fingerprint: bytes
    enterprise_fingerprint: bytes
    rights: int


# -- the statements ------------------------------------------------------------------------------


def _table(model: type[SQLModel]) -> Table:
    t = model.__table__  # type: ignore[attr-defined]  # only table=True classes have one
    assert isinstance(t, Table)
    return t


def _columns(model: type[SQLModel], row: type[tuple[Any, ...]]) -> list[Column[Any]]:
    t = _table(model)
    return [t.c[name] for name in row._fields]  # type: ignore[attr-defined]


_T_STATE = _table(IndexState)
_T_CERTS = _table(Certificate)
_T_CAS = _table(Ca)
_T_PLATFORMS = _table(Platform)
_T_AUTHS = _table(Authorization)


def _in(column: Column[Any], n: int) -> Any:
    return column.in_([bindparam(f"p{i}") for i in range(n)])


# The statements, by name, for ``n`` values in their IN list.
_QUERIES: dict[str, Callable[[int], Select[Any]]] = {
    "state": lambda _: select(_T_STATE.c.block_number, _T_STATE.c.block_hash).where(
        _T_STATE.c.id == bindparam("state_id")
    ),
    "platform": lambda _: select(*_columns(Platform, PlatformRow)).where(
        _T_PLATFORMS.c.platform_id == bindparam("platform_id")
    ),
    "certificates": lambda n: select(*_columns(Certificate, CertificateRow)).where(
        _in(_T_CERTS.c.fingerprint, n)
    ),
    "cas": lambda n: select(*_columns(Ca, CaRow)).where(_in(_T_CAS.c.ca_id, n)),
    "authorizations": lambda n: select(*_columns(Authorization, AuthorizationRow)).where(
        _T_AUTHS.c.platform_id == bindparam("platform_id"), _in(_T_AUTHS.c.staff_fingerprint, n)
    ),
}
_compiled: dict[tuple[str, str, str, int], tuple[str, tuple[str, ...] | None]] = {}


@dataclass(frozen=True, slots=True)
class ReadTransaction:
    """A read transaction open on ``dbapi`` (a DBAPI connection of ``dialect``), which
    ``recognize_many`` runs its queries in; ``read_transaction`` opens one."""

    dialect: Dialect
    dbapi: Any


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[ReadTransaction]:
    """One read transaction on ``engine`` for ``recognize_many``, one snapshot of the index
    (use REPEATABLE READ on PostgreSQL, as the API does). On SQLite it is a pooled DBAPI
    connection with the BEGIN that ``huren.node.db.engine`` would emit, rolled back at the
    end: a fraction of the cost of a SQLAlchemy ``Connection``."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn, conn.begin():
            yield transaction_of(conn)
        return
    dbapi = engine.raw_connection()
    try:
        cursor = dbapi.cursor()
        try:
            cursor.execute("BEGIN")
        finally:
            cursor.close()
        yield ReadTransaction(engine.dialect, dbapi.driver_connection)
        dbapi.rollback()
    finally:
        dbapi.close()  # back to the pool, which rolls back whatever is left


def transaction_of(source: Session | Connection | ReadTransaction) -> ReadTransaction:
    if isinstance(source, ReadTransaction):
        return source
    conn = source.connection() if isinstance(source, Session) else source
    if not conn.in_transaction():
        conn.begin()  # as SQLAlchemy's autobegin would
    return ReadTransaction(conn.dialect, conn.connection.dbapi_connection)


def rows(
    db: ReadTransaction, name: str, values: Sequence[Any] = (), **params: Any
) -> Sequence[Any]:
    """The rows of query ``name`` for the IN-list ``values`` and the other ``params``, run on
    the DBAPI cursor: SQLAlchemy's execution machinery costs more than these few-row queries
    themselves. The statement is compiled once per dialect and IN-list size, rounded up to a
    power of two (padded with a repeated value, which changes nothing)."""
    size = 1 << max(len(values) - 1, 0).bit_length() if values else 0
    key = (db.dialect.name, db.dialect.driver, name, size)
    entry = _compiled.get(key)
    if entry is None:
        compiled = _QUERIES[name](size).compile(dialect=db.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        entry = _compiled[key] = (compiled.string, order)
    sql, order = entry
    for i, value in enumerate(values):
        params[f"p{i}"] = value
    for i in range(len(values), size):
        params[f"p{i}"] = values[-1]
    args: Any = params if order is None else tuple(params[k] for k in order)
    cursor = db.dbapi.cursor()
    try:
        cursor.execute(sql, args)
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def platform_row(row: Sequence[Any]) -> PlatformRow:
    block_number, block_hash, transaction_hash, log_index, platform_id, center, active = row
    evidence = (block_number, block_hash, transaction_hash, log_index)
    return PlatformRow(*evidence, platform_id, center, bool(active))  # SQLite's are 0 and 1
