"""Billing fixtures: a migrated SQLite database (PostgreSQL only where a test races on a
constraint: those use ``engine`` from tests/node/conftest.py), a settable clock, the dev price
list, the simulated gateway and the services over them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from huren.node.billing.gateway_sim import SimulatedGateway
from huren.node.billing.orders import Orders
from huren.node.billing.payments import Payments
from huren.node.billing.prices import seed_dev_price_list
from huren.node.db.engine import make_engine, migrate, write_session

T0 = 1_790_000_000  # 2026-09-21 (UTC), a fixed start for the injected clock


class Clock:
    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@dataclass
class Billing:
    engine: Engine
    clock: Clock
    gateway: SimulatedGateway
    orders: Orders
    payments: Payments


def make_billing(engine: Engine) -> Billing:
    clock = Clock()
    with write_session(engine) as session:
        seed_dev_price_list(session, now=clock())
    gateway = SimulatedGateway(clock=clock)
    orders = Orders(engine, clock)
    return Billing(engine, clock, gateway, orders, Payments(engine, gateway, orders, clock))


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("billing-template") / "node.db"
    migrate(f"sqlite:///{path}")  # closes its engine: the WAL is checkpointed into the file
    return path


@pytest.fixture
def sqlite_engine(_migrated_sqlite: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database of this test's own (a copy of one migrated per session)."""
    shutil.copyfile(_migrated_sqlite, tmp_path / "node.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def billing(sqlite_engine: Engine) -> Billing:
    return make_billing(sqlite_engine)
