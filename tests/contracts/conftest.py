"""Fixtures for the contract tests: a deployed consortium on a fresh embedded chain per test.

The chain every test starts from is built once per session into a template directory (three
founding centers, two accredited CAs, four platforms, a few certificates), then copied into
the test's ``tmp_path`` and reopened with the test's own clock: reopening a closed embedded
chain loads its snapshot in a few milliseconds, where building it costs about twenty
transactions. Tests drive time through ``Net.clock``, never by sleeping.

Helpers and constants live here too; test modules import them from ``tests.contracts.conftest``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from huren.contracts.artifacts import load
from huren.registry.backend import TransactionReverted, TxRequest
from huren.registry.client import ProposalResult, RegistryClient, TxResult
from huren.registry.deploy import FoundingMember, deploy
from huren.registry.embedded import EmbeddedBackend
from huren.registry.errors import ContractError, decode_revert
from huren.registry.types import (
    CertificateInput,
    CertificateKind,
    Deployment,
    KeyUsage,
    Scope,
)

ETHER = 10**18
ZERO32 = bytes(32)
ZERO_ADDRESS = "0x" + "00" * 20
DAY = 86_400
T0 = 1_800_000_000  # template blocks are mined at T0, T0 + 1, ...
T_TEST = T0 + 1_000  # each test's clock starts here
VOTING_PERIOD = 7 * DAY
NOT_BEFORE = T0 - 30 * DAY  # validity of the template's certificates
NOT_AFTER = T0 + 365 * DAY

CENTERS = {  # account name -> (center name, GB/T 2260 region code)
    "jiaxing": ("Jiaxing Public Resource Trading Center", 330400),
    "nantong": ("Nantong Public Resource Trading Center", 320600),
    "xuancheng": ("Xuancheng Public Resource Trading Center", 341800),
}
ZJCA, AHCA = "zjca", "ahca"
K1, K2, K3 = (keccak(text=f"issuer-key-{n}") for n in (1, 2, 3))
JX, NT, XC, ALLIANCE = "jx-ggzy", "nt-ggzy", "xc-ggzy", "alliance"
PLATFORMS = {  # platform id -> (owning center, name)
    JX: ("jiaxing", "Jiaxing e-bidding"),
    NT: ("nantong", "Nantong e-bidding"),
    XC: ("xuancheng", "Xuancheng e-bidding"),
    ALLIANCE: ("jiaxing", "YRD CA mutual-recognition platform"),
}
ACCOUNT_NAMES = (
    *CENTERS,
    "op",  # operator of zjca
    "op2",  # operator of ahca
    "colleague",  # funded, no role: a would-be CA operator
    "newcomer",  # funded, no role: a would-be member center
    "outsider",  # funded, no role at all
    "deployer",
)


def fp(label: str) -> bytes:
    """A deterministic 32-byte fingerprint (or any hash) for ``label``."""
    return hashlib.sha256(label.encode()).digest()


HOLDER = fp("holder:acme")


def cert(label: str, **fields: Any) -> CertificateInput:
    """A valid alliance enterprise signing certificate, fields overridden by ``fields``."""
    base: dict[str, Any] = {
        "fingerprint": fp(label),
        "holder": HOLDER,
        "not_before": NOT_BEFORE,
        "not_after": NOT_AFTER,
        "kind": CertificateKind.ENTERPRISE,
        "usage": KeyUsage.SIGNING,
        "scope": Scope.ALLIANCE,
    }
    base.update(fields)
    return CertificateInput(**base)


def raw_cert(label: str, **fields: Any) -> CertificateInput:
    """Like ``cert`` but skipping the client's own checks, so the contract sees bad values."""
    good = dataclasses.asdict(cert(label))
    good.update(fields)
    obj = object.__new__(CertificateInput)
    for name, value in good.items():
        object.__setattr__(obj, name, value)
    return obj


# The template's certificates, all issued by zjca under K1 (AHCA_ENT by ahca under K2).
ENT, ENC, STAFF, STAFF_ENC, PERSON_JX = (fp(n) for n in ("ent", "enc", "staff", "staff-enc", "pj"))
AHCA_ENT = fp("ahca-ent")


def _template_certs(centers: dict[str, str]) -> list[CertificateInput]:
    return [
        cert("ent"),
        cert("enc", usage=KeyUsage.ENCRYPTION),
        cert("staff", kind=CertificateKind.STAFF),
        cert("staff-enc", kind=CertificateKind.STAFF, usage=KeyUsage.ENCRYPTION),
        cert("pj", kind=CertificateKind.PERSONAL, scope=Scope.REGIONAL, center=centers["jiaxing"]),
    ]


def fields_of(event: Any) -> tuple[Any, ...]:
    """An event as (class name, its fields without ``meta``)."""
    values = (getattr(event, f.name) for f in dataclasses.fields(event) if f.name != "meta")
    return (type(event).__name__, *values)


def error_args(error: ContractError) -> tuple[Any, ...]:
    """A contract error's arguments, in the Solidity declaration's order."""
    return tuple(getattr(error, f) for f in error.fields)


def emitted(result: TxResult) -> list[tuple[Any, ...]]:
    """Every event of a transaction, in log order, as ``fields_of`` tuples."""
    return [fields_of(e) for e in result.events]


def deploy_raw(
    backend: EmbeddedBackend,
    deployer: LocalAccount,
    founders: list[str],
    names: list[str],
    regions: list[int],
    voting_period: int,
) -> str:
    """Deploy a Consortium from raw constructor arguments (typed error on revert)."""
    args = encode(
        ["address[]", "string[]", "uint32[]", "uint64"], [founders, names, regions, voting_period]
    )
    request = TxRequest(sender=deployer, to=None, data=load("Consortium").bytecode + args)
    try:
        address = backend.send(request).contract_address
    except TransactionReverted as exc:
        raise decode_revert(exc.revert_data, exc.transaction_hash) from None
    assert address is not None
    return address


class Clock:
    """The chain's injected clock: block timestamps are max(now, parent + 1)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Net:
    """A deployed consortium on an open embedded chain, with its named accounts."""

    backend: EmbeddedBackend
    deployment: Deployment
    clock: Clock
    accounts: dict[str, LocalAccount]

    def addr(self, name: str) -> str:
        return self.accounts[name].address

    def resolve(self, values: Any) -> tuple[Any, ...]:
        """``values`` with account names replaced by their addresses."""
        return tuple(
            self.addr(v) if isinstance(v, str) and v in self.accounts else v for v in values
        )

    def as_(self, who: str | LocalAccount) -> RegistryClient:
        """A client acting as account ``who`` (a name or the account)."""
        account = self.accounts[who] if isinstance(who, str) else who
        return RegistryClient(self.backend, self.deployment, account)

    @property
    def view(self) -> RegistryClient:
        return RegistryClient(self.backend, self.deployment)

    def new_account(self) -> LocalAccount:
        account: LocalAccount = Account.create()
        self.backend.fund(account.address, ETHER)
        return account

    def mine(self) -> int:
        """Mine an empty-ish block at the clock's time (views read the latest block's time)."""
        self.backend.fund(self.accounts["outsider"].address, 1)
        return self.now()

    def now(self) -> int:
        return self.backend.block(self.backend.block_number()).timestamp

    def govern(
        self, propose: Callable[[RegistryClient], ProposalResult], proposer: str = "jiaxing"
    ) -> ProposalResult:
        """Propose as ``proposer``, then have the other members vote yes until it passes."""
        result = propose(self.as_(proposer))
        for member in self.view.members():
            if result.executed:
                break
            if member != self.addr(proposer):
                result = self.as_(self._by_address(member)).vote(result.proposal_id, True)
        assert result.executed, result
        return result

    def _by_address(self, address: str) -> LocalAccount:
        return next(a for a in self.accounts.values() if a.address == address)


def _accounts() -> dict[str, LocalAccount]:
    return {n: Account.from_key(keccak(text=f"huren-contract-tests:{n}")) for n in ACCOUNT_NAMES}


def _build_template(directory: Path) -> Deployment:
    accounts = _accounts()
    backend = EmbeddedBackend(directory, clock=lambda: T0, snapshot_every=0)
    try:
        for account in accounts.values():
            backend.fund(account.address, 100 * ETHER)
        founders = [
            FoundingMember(accounts[n].address, name, region)
            for n, (name, region) in CENTERS.items()
        ]
        deployment = deploy(backend, accounts["deployer"], founders, VOTING_PERIOD)
        net = Net(backend, deployment, Clock(T0), accounts)
        for ca_id, operator, key in ((ZJCA, "op", K1), (AHCA, "op2", K2)):
            accredit = partial(
                RegistryClient.propose_accredit_ca,
                ca_id=ca_id,
                name=f"{ca_id.upper()} Certificate Authority",
                operators=[accounts[operator].address],
                issuer_key_ids=[key],
            )
            net.govern(accredit)
        for platform_id, (center, name) in PLATFORMS.items():
            register = partial(
                RegistryClient.propose_register_platform,
                platform_id=platform_id,
                center=accounts[center].address,
                name=name,
            )
            net.govern(register)
        centers = {n: accounts[n].address for n in CENTERS}
        net.as_("op").record_certificates(ZJCA, K1, _template_certs(centers))
        net.as_("op2").record_certificate(AHCA, K2, cert("ahca-ent"))
        return deployment
    finally:
        backend.close()


@pytest.fixture(scope="session")
def consortium_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Deployment]:
    directory = tmp_path_factory.mktemp("consortium-template") / "chain"
    return directory, _build_template(directory)


@pytest.fixture
def net(consortium_template: tuple[Path, Deployment], tmp_path: Path) -> Iterator[Net]:
    """The template chain, copied for this test and opened with a clock at ``T_TEST``."""
    template, deployment = consortium_template
    directory = tmp_path / "chain"
    shutil.copytree(template, directory)
    clock = Clock(T_TEST)
    backend = EmbeddedBackend(directory, clock=clock, snapshot_every=0)
    try:
        yield Net(backend, deployment, clock, _accounts())
    finally:
        backend.close()


@pytest.fixture
def fresh_chain(tmp_path: Path) -> Iterator[tuple[EmbeddedBackend, dict[str, LocalAccount]]]:
    """An empty embedded chain with the named accounts funded (for deployment tests)."""
    accounts = _accounts()
    backend = EmbeddedBackend(tmp_path / "fresh", clock=Clock(T_TEST), snapshot_every=0)
    try:
        for account in accounts.values():
            backend.fund(account.address, 100 * ETHER)
        yield backend, accounts
    finally:
        backend.close()
