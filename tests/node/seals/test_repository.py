"""The SealRepository contract, on memory and on SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from huren.node.db.engine import make_engine, migrate
from huren.node.seals.errors import InvalidSealRecord, SealLimitReached, SealNotFound
from huren.node.seals.records import (
    InMemorySealRepository,
    OwnerKind,
    SealImageSource,
    SealKind,
    SealOwner,
    SealRecord,
    SealRepository,
)
from huren.node.seals.sql_repository import SqlSealRepository
from tests.node.conftest import PostgresServer, _libpq

ALICE = SealOwner(OwnerKind.PERSON, "p-alice")
BOB = SealOwner(OwnerKind.PERSON, "p-bob")
ACME = SealOwner(OwnerKind.ENTERPRISE, "ent-acme")


def personal(seal_id: str, owner: SealOwner = ALICE, at: int = 100) -> SealRecord:
    return SealRecord.create(
        seal_id=seal_id,
        owner=owner,
        kind=SealKind.PERSONAL,
        source=SealImageSource.RENDERED,
        image_png=f"png of {seal_id}".encode(),
        now=at,
    )


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SealRepository]:
    """The same contract on every implementation (the databases as tests/node/conftest.py
    makes them; ``engine`` there is parametrized, so it cannot be asked for from here)."""
    if request.param == "memory":
        yield InMemorySealRepository()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'node.db'}"
        drop = None
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        name = f"test_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(_libpq(server.url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url, drop = server.url_for(name), name
    migrate(url)
    engine = make_engine(url)
    try:
        yield SqlSealRepository(engine)
    finally:
        engine.dispose()
        if drop is not None:
            with psycopg.connect(_libpq(server.url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


def test_add_get_list_update_delete(repo: SealRepository) -> None:
    repo.add(personal("s2", at=200), limit=3)
    repo.add(personal("s1", at=100), limit=3)
    repo.add(personal("b1", BOB), limit=3)
    assert [r.seal_id for r in repo.list_for(ALICE)] == ["s1", "s2"]
    assert repo.get("s1") == personal("s1", at=100)

    updated = repo.get("s1").with_image(b"new png", SealImageSource.PHOTO, 300, "renamed")
    repo.update(updated)
    assert repo.get("s1") == updated

    repo.delete("s1")
    with pytest.raises(SealNotFound):
        repo.get("s1")
    with pytest.raises(SealNotFound):
        repo.delete("s1")
    with pytest.raises(SealNotFound):
        repo.update(updated)
    assert [r.seal_id for r in repo.list_for(ALICE)] == ["s2"]


def test_limit_per_owner_and_kind_and_a_freed_slot(repo: SealRepository) -> None:
    for i in range(3):
        repo.add(personal(f"s{i}"), limit=3)
    with pytest.raises(SealLimitReached):
        repo.add(personal("s3"), limit=3)
    repo.add(personal("b0", BOB), limit=3)  # another owner has their own three
    repo.add(
        SealRecord.create(
            seal_id="e0",
            owner=ACME,
            kind=SealKind.LEGAL_REPRESENTATIVE,
            source=SealImageSource.PHOTO,
            image_png=b"x",
            now=1,
        ),
        limit=1,
    )
    repo.delete("s1")
    repo.add(personal("s4"), limit=3)
    assert len(repo.list_for(ALICE)) == 3


def test_duplicate_id_is_refused(repo: SealRepository) -> None:
    repo.add(personal("s1"), limit=3)
    with pytest.raises(InvalidSealRecord):
        repo.add(personal("s1", BOB), limit=3)


def test_concurrent_adds_never_exceed_the_limit(repo: SealRepository) -> None:
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def add(i: int) -> None:
        barrier.wait()
        try:
            repo.add(personal(f"race{i}"), limit=3)
            result = "ok"
        except SealLimitReached:
            result = "limit"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["limit"] * 3 + ["ok"] * 3
    assert len(repo.list_for(ALICE)) == 3


def test_sql_update_cannot_move_a_seal(engine: Engine) -> None:
    repo = SqlSealRepository(engine)
    repo.add(personal("s1"), limit=3)
    moved = personal("s1", BOB)
    with pytest.raises(InvalidSealRecord, match="another owner"):
        repo.update(moved)
