"""Database fixtures for the node's SQL tests: ``db_url`` runs a test on SQLite and on
PostgreSQL, ``engine`` gives a migrated engine on it, and ``seeded`` a copy of an embedded
chain with the demo consortium (seeded once per session, copied per test).

The PostgreSQL server is a throwaway cluster that ``scripts/postgres.sh`` starts once per
session (when the first PostgreSQL test needs it) and stops at the end. These tests never
skip: when the server cannot start, they fail with the script's output. Each test gets a
database of its own, dropped afterwards.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from huren.node import demo
from huren.node.db.engine import make_engine, migrate
from huren.registry.embedded import EmbeddedBackend
from huren.registry.types import Deployment

REPO_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_SCRIPT = REPO_ROOT / "scripts" / "postgres.sh"
START_TIMEOUT_S = 900  # may include installing the postgresql package


@dataclass(frozen=True)
class PostgresServer:
    dir: str
    url: str  # postgresql+psycopg://... of the maintenance database "huren"

    def url_for(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    """The plain libpq form of a SQLAlchemy URL, for psycopg.connect."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        started = subprocess.run(
            [str(POSTGRES_SCRIPT), "start"],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"scripts/postgres.sh did not finish in {START_TIMEOUT_S}s: {exc}")
    values: dict[str, str] = {}
    for line in started.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key] = shlex.split(value)[0] if value else ""
    if started.returncode != 0 or "HUREN_PG_URL" not in values:
        pytest.fail(
            f"scripts/postgres.sh failed (exit {started.returncode}):\n"
            f"{started.stdout}\n{started.stderr}",
            pytrace=False,
        )
    server = PostgresServer(values["HUREN_PG_DIR"], values["HUREN_PG_URL"])
    yield server
    stopped = subprocess.run(
        [str(POSTGRES_SCRIPT), "stop", server.dir],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if stopped.returncode != 0:
        pytest.fail(f"scripts/postgres.sh stop failed:\n{stopped.stderr}", pytrace=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'node.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(server.url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.url_for(name)
    finally:
        with psycopg.connect(_libpq(server.url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on ``db_url``."""
    migrate(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@dataclass
class SeededChain:
    backend: EmbeddedBackend
    deployment: Deployment
    path: Path


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Deployment]:
    path = tmp_path_factory.mktemp("seeded") / "chain"
    backend = EmbeddedBackend(path, snapshot_every=0)
    try:
        deployment = demo.seed(backend)
    finally:
        backend.close()  # writes the snapshot, so copies open fast
    return path, deployment


@pytest.fixture
def seeded(_seeded_template: tuple[Path, Deployment], tmp_path: Path) -> Iterator[SeededChain]:
    """An embedded chain of this test's own with the demo consortium deployed and seeded."""
    template, deployment = _seeded_template
    path = tmp_path / "chain"
    shutil.copytree(template, path, ignore=shutil.ignore_patterns("LOCK"))
    backend = EmbeddedBackend(path, snapshot_every=0)
    yield SeededChain(backend, deployment, path)
    backend.close()
