"""Fixtures for the typed client and event stream tests: an embedded chain with a clock the
test can move, and a ready network (3 founding centers, one accredited CA with an operator,
one platform) built through the client itself."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from huren.registry.backend import ChainBackend
from huren.registry.client import RegistryClient
from huren.registry.deploy import FoundingMember, deploy
from huren.registry.embedded import EmbeddedBackend
from huren.registry.types import CertificateInput, CertificateKind, Deployment, KeyUsage, Scope

START = 1_800_000_000  # chain time at the start of every test (2027-01-15)
VOTING_PERIOD = 3_600
CA_ID = "zjca"
PLATFORM_ID = "jiaxing-ggzy"
ISSUER_KEY = bytes.fromhex("11" * 32)
_counter = itertools.count(1)


class Clock:
    """Block timestamps under the test's control (the chain keeps them strictly increasing)."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def chain(tmp_path: Path, clock: Clock) -> Iterator[EmbeddedBackend]:
    backend = EmbeddedBackend(tmp_path / "chain", clock=clock, snapshot_every=0)
    yield backend
    backend.close()


def new_account(backend: ChainBackend) -> LocalAccount:
    account: LocalAccount = Account.create()
    backend.fund(account.address, 10**18)
    return account


@dataclass
class Network:
    backend: ChainBackend
    deployment: Deployment
    centers: list[LocalAccount]  # founding members, index 1..3
    operator: LocalAccount  # operates CA_ID
    outsider: LocalAccount  # funded, no role anywhere

    def client(self, account: LocalAccount | None = None) -> RegistryClient:
        return RegistryClient(self.backend, self.deployment, account)

    @property
    def ca(self) -> RegistryClient:
        """The CA operator's client."""
        return self.client(self.operator)


def deploy_network(backend: ChainBackend, n_centers: int = 3) -> Network:
    centers = [new_account(backend) for _ in range(n_centers)]
    founders = [FoundingMember(a.address, f"center {i}", 330100 + i) for i, a in enumerate(centers)]
    deployment = deploy(backend, centers[0], founders, VOTING_PERIOD)
    net = Network(backend, deployment, centers, new_account(backend), new_account(backend))
    return net


def setup_ca_and_platform(net: Network) -> None:
    """Accredit CA_ID (operator: net.operator) and register PLATFORM_ID (center 0)."""
    first, second = (net.client(c) for c in net.centers[:2])
    proposal = first.propose_accredit_ca(CA_ID, "Zhejiang CA", [net.operator.address], [ISSUER_KEY])
    if not proposal.executed:
        second.vote(proposal.proposal_id, True)
    proposal = first.propose_register_platform(PLATFORM_ID, net.centers[0].address, "Jiaxing")
    if not proposal.executed:
        second.vote(proposal.proposal_id, True)


@pytest.fixture
def network(chain: EmbeddedBackend) -> Network:
    net = deploy_network(chain)
    setup_ca_and_platform(net)
    return net


def make_cert(**overrides: object) -> CertificateInput:
    """A valid alliance personal signing certificate with a fresh fingerprint."""
    n = next(_counter)
    fields: dict[str, object] = {
        "fingerprint": n.to_bytes(4, "big") + os.urandom(28),
        "holder": os.urandom(32),
        "not_before": START - 86_400,
        "not_after": START + 365 * 86_400,
        "kind": CertificateKind.PERSONAL,
        "usage": KeyUsage.SIGNING,
        "scope": Scope.ALLIANCE,
    }
    fields.update(overrides)
    return CertificateInput(**fields)  # type: ignore[arg-type]
