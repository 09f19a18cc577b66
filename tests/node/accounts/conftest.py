"""Fixtures of the accounts, identity and messages tests: a migrated SQLite database, a
clock the test moves, the simulated ports and a fast argon2id hasher."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from huren.node.accounts import AccountService, Purpose
from huren.node.db.engine import make_engine, migrate
from huren.node.ports import Ports
from huren.node.ports.simulators import SimulatedSms, simulated_ports

SECRET = b"account-secret-for-tests-only-32b"
T0 = 1_800_000_000
# argon2id with minimal cost: the tests check the flows, not the hash's strength.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accounts-template") / "node.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def db(_migrated_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "node.db"
    path.write_bytes(_migrated_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ports() -> Ports:
    return simulated_ports()


@pytest.fixture
def accounts(db: Engine, ports: Ports, clock: FakeClock) -> AccountService:
    return AccountService(db, ports, SECRET, clock=clock, hasher=FAST_HASHER)


@dataclass
class Phones:
    """Sends codes and reads them back from the simulated SMS outbox."""

    accounts: AccountService
    clock: FakeClock

    def code(self, phone: str, purpose: Purpose = Purpose.LOGIN, client: str = "10.0.0.1") -> str:
        self.accounts.send_code(phone, purpose, client)
        return latest_code(self.accounts.ports, phone)


def latest_code(ports: Ports, phone: str) -> str:
    assert isinstance(ports.sms, SimulatedSms)
    text = ports.sms.outbox(phone)[0].text
    found = re.search(r"\d{6}", text)
    assert found is not None, text
    return found.group()


@pytest.fixture
def phones(accounts: AccountService, clock: FakeClock) -> Phones:
    return Phones(accounts, clock)
