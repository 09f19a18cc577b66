"""Fixtures of the audit-proof tests: a migrated SQLite engine (PostgreSQL is covered by
tests/node/test_db.py's migration check; these tests exercise logic, not the dialect)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from huren.node.db.engine import make_engine, migrate


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
