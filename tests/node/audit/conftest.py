"""An exercised demo chain (issuance, renewal, revocation, bindings, authorizations,
operators, governance) with a node index of it on SQLite, built once per module and copied
per test, so that each test may corrupt its own index; and a bare migrated SQLite engine for
the proof tests (PostgreSQL is covered by tests/node/test_db.py's migration check; these
tests exercise logic, not the dialect)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from huren.node import demo
from huren.node.db.engine import make_engine, migrate
from huren.node.indexer import Indexer
from huren.registry.client import RegistryClient
from huren.registry.embedded import EmbeddedBackend
from huren.registry.types import Deployment
from tests.node.test_indexer import exercise, index_all


@dataclass
class AuditedChain:
    backend: EmbeddedBackend
    deployment: Deployment
    engine: Engine
    root: Path
    facts: dict[str, Any]  # what ``exercise`` issued

    @property
    def client(self) -> RegistryClient:
        return RegistryClient(self.backend, self.deployment)


@pytest.fixture(scope="module")
def _audited_template(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Deployment, dict[str, Any]]:
    root = tmp_path_factory.mktemp("audited")
    backend = EmbeddedBackend(root / "chain", snapshot_every=0)
    url = f"sqlite:///{root / 'node.db'}"
    migrate(url)
    engine = make_engine(url)
    try:
        deployment = demo.seed(backend)
        facts = exercise(backend, deployment)
        index_all(Indexer(engine, backend, deployment))
    finally:
        engine.dispose()
        backend.close()
    return root, deployment, facts


@pytest.fixture
def audited(
    _audited_template: tuple[Path, Deployment, dict[str, Any]], tmp_path: Path
) -> Iterator[AuditedChain]:
    template, deployment, facts = _audited_template
    root = tmp_path / "node"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("LOCK"))
    backend = EmbeddedBackend(root / "chain", snapshot_every=0)
    engine = make_engine(f"sqlite:///{root / 'node.db'}")
    yield AuditedChain(backend, deployment, engine, root, facts)
    engine.dispose()
    backend.close()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
