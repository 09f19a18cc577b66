"""A node's PKI over a seeded demo chain of the test's own: the index caught up, the three
demo CAs loaded, a clock the test moves (starting at the real time, since ``openssl verify``
checks validity against the real clock), and helpers to build requests and run openssl."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from sqlalchemy import Engine

from huren.node import demo
from huren.node.db.engine import make_engine, migrate
from huren.node.indexer import Indexer
from huren.node.pki.issuance import IssuanceRequest
from huren.node.pki.profiles import EnterpriseSubject, PersonalSubject, StaffSubject, Subject
from huren.node.pki.service import Pki, load_cas
from huren.registry.client import RegistryClient
from huren.registry.types import CertificateKind, KeyUsage, Scope
from tests.node.conftest import SeededChain, _seeded_template, seeded  # noqa: F401

BASE_URL = "http://127.0.0.1:8700"
# A USCC with a valid GB 32100 check character (the example code of the standard's guides).
USCC = "91350100M000100Y43"
ENTERPRISE = EnterpriseSubject("嘉兴市某某建设有限公司", USCC)


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@dataclass
class PkiEnv:
    chain: SeededChain
    engine: Engine
    indexer: Indexer
    client: RegistryClient
    clock: Clock
    pki: Pki
    root: Path
    _ids: Iterator[int]

    def index(self) -> None:
        while not self.indexer.step().caught_up:
            pass

    def new_pki(self) -> Pki:
        """A fresh ``Pki`` on the same database and chain (a restart after a crash)."""
        cas = load_cas(self.root, BASE_URL, None, dev_demo=True)
        return Pki(self.engine, cas, self.client, clock=self.clock)

    def request(
        self,
        *,
        usage: KeyUsage = KeyUsage.SIGNING,
        subject: Subject = ENTERPRISE,
        ca_id: str = "zjca",
        **fields: object,
    ) -> IssuanceRequest:
        n = next(self._ids)
        key: object = (
            ed25519.Ed25519PrivateKey.generate().public_key()
            if usage == KeyUsage.SIGNING
            else x25519.X25519PrivateKey.generate().public_key()
        )
        kind = {
            EnterpriseSubject: CertificateKind.ENTERPRISE,
            StaffSubject: CertificateKind.STAFF,
            PersonalSubject: CertificateKind.PERSONAL,
        }[type(subject)]
        values: dict[str, object] = {
            "request_id": f"application-{n}-{usage.name.lower()}",
            "approved_by": "reviewer-1",
            "ca_id": ca_id,
            "subject": subject,
            "kind": kind,
            "usage": usage,
            "public_key": key,
            "validity_years": 1,
            "scope": Scope.ALLIANCE,
            "holder": hashlib.sha256(b"holder %d" % n).digest(),
        }
        values.update(fields)
        return IssuanceRequest(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def _db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pki-db") / "node.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def env(seeded: SeededChain, _db_template: Path, tmp_path: Path) -> Iterator[PkiEnv]:  # noqa: F811
    shutil.copy(_db_template, tmp_path / "node.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    indexer = Indexer(engine, seeded.backend, seeded.deployment)
    while not indexer.step().caught_up:
        pass
    client = RegistryClient(seeded.backend, seeded.deployment, demo.center_account("jiaxing"))
    clock = Clock()
    cas = load_cas(tmp_path, BASE_URL, None, dev_demo=True)
    pki = Pki(engine, cas, client, clock=clock)
    yield PkiEnv(seeded, engine, indexer, client, clock, pki, tmp_path, count())
    engine.dispose()


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def openssl(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the openssl CLI; ``check`` fails the test with its output on a non-zero exit."""
    done = subprocess.run(
        ["openssl", *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )
    if check and done.returncode != 0:
        pytest.fail(f"openssl {' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    return done


def split_chain(chain_pem: bytes, directory: Path) -> tuple[Path, Path, Path]:
    """(leaf, issuing, root) files of a downloaded chain."""
    blocks = [b for b in chain_pem.split(b"-----END CERTIFICATE-----\n") if b.strip()]
    assert len(blocks) == 3, chain_pem
    paths = []
    for name, block in zip(("leaf", "issuing", "root"), blocks, strict=True):
        path = directory / f"{name}.pem"
        path.write_bytes(block + b"-----END CERTIFICATE-----\n")
        paths.append(path)
    return paths[0], paths[1], paths[2]
