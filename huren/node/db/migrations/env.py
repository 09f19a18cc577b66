"""Alembic environment of the node's database.

Run programmatically by ``huren.node.db.engine.migrate`` (on an open connection passed in
``config.attributes["connection"]``) or from the command line with the repository's
``alembic.ini`` (``alembic -x url=sqlite:///data/node.db upgrade head``; without ``-x url``
it uses ``sqlalchemy.url`` from the ini file).
"""

from __future__ import annotations

import importlib
import pkgutil
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import huren.node.db
from huren.node.db.engine import make_engine

# Every module of huren.node.db defines tables on SQLModel.metadata (models first: it sets the
# naming convention); import them all so that autogenerate sees every table.
importlib.import_module("huren.node.db.models")
for _module in pkgutil.iter_modules(huren.node.db.__path__):
    if not _module.ispkg and _module.name != "engine":
        importlib.import_module(f"huren.node.db.{_module.name}")

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)  # command line only
target_metadata = SQLModel.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # huren emits BEGIN on SQLite itself, which makes its DDL transactional too: a
        # failed migration leaves nothing half done.
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER on SQLite
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("no database: pass -x url=... or set sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            run_on(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_online()
