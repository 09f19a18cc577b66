"""An API over a seeded, indexed demo chain: the node's services built by hand (what
``huren.node.node.Node`` provides: accounts, billing on the simulators, applications over a
PKI without CAs, audit proofs), platform keys for two of Jiaxing's platforms, the
node-admin key, and a few recorded certificates, one of them a real X.509 certificate."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from huren.api.app import create_app
from huren.node import demo, platform_keys
from huren.node.account_services import AccountServices, build_account_services
from huren.node.applications.wiring import ApplicationServices, build_application_services
from huren.node.audit.checkpoints import AnchorPolicy, AuditService
from huren.node.billing.service import BillingService, dev_billing
from huren.node.db.engine import make_engine, migrate, write_session
from huren.node.enterprises.services import EnterpriseServices, build_enterprise_services
from huren.node.indexer import Indexer
from huren.node.pki.service import Pki
from huren.node.upkeep import Upkeep, node_upkeep
from huren.registry.client import RegistryClient
from huren.registry.embedded import EmbeddedBackend
from huren.registry.types import CertificateInput, CertificateKind, Deployment, KeyUsage, Scope

# The node tests' database fixtures (``engine`` on SQLite and PostgreSQL, ``seeded`` chains).
from tests.node.conftest import (  # noqa: F401
    _seeded_template,
    db_url,
    engine,
    postgres_server,
    seeded,
)

ADMIN_KEY = "admin-key-for-tests-only"
NOW = int(time.time())
YEAR = 365 * 86_400


@dataclass
class ApiSettings:
    admin_api_key: SecretStr | None = field(default_factory=lambda: SecretStr(ADMIN_KEY))
    recognition_answer_cache: int = 65_536


@dataclass
class Services:
    """What the API needs from a node, built by hand."""

    settings: ApiSettings
    backend: EmbeddedBackend
    client: RegistryClient
    operator: LocalAccount
    engine: Engine
    indexer: Indexer
    account_services: AccountServices | None = None
    pki: Pki | None = None
    billing: BillingService | None = None
    applications: ApplicationServices | None = None
    enterprises: EnterpriseServices | None = None
    audit: AuditService | None = None
    deployment: Deployment | None = None
    upkeep: Upkeep | None = None
    closed: int = 0

    def close(self) -> None:
        self.closed += 1  # the fixture closes the backend and engine itself


def make_x509(common_name: str) -> tuple[bytes, bytes]:
    """(DER, PEM) of a fresh self-signed P-256 certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.DER),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def fp(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def cert_input(fingerprint: bytes, **fields: object) -> CertificateInput:
    values: dict[str, object] = {
        "fingerprint": fingerprint,
        "holder": fp("holder"),
        "not_before": NOW - YEAR,
        "not_after": NOW + YEAR,
        "kind": CertificateKind.ENTERPRISE,
        "usage": KeyUsage.SIGNING,
        "scope": Scope.ALLIANCE,
    }
    values.update(fields)
    return CertificateInput(**values)  # type: ignore[arg-type]


@dataclass
class ApiEnv:
    http: TestClient
    services: Services
    deployment: Deployment
    keys: dict[str, str]  # platform id -> its key
    der: bytes
    pem: bytes
    fps: dict[str, bytes] = field(default_factory=dict)

    @property
    def backend(self) -> EmbeddedBackend:
        return self.services.backend

    def as_(self, account: LocalAccount) -> RegistryClient:
        return RegistryClient(self.backend, self.deployment, account)

    def index(self) -> None:
        while not self.services.indexer.step().caught_up:
            pass

    def headers(self, platform: str | None = None) -> dict[str, str]:
        key = ADMIN_KEY if platform is None else self.keys[platform]
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
def _api_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Deployment]:
    root = tmp_path_factory.mktemp("api-template")
    backend = EmbeddedBackend(root / "chain", snapshot_every=0)
    try:
        deployment = demo.seed(backend)
    finally:
        backend.close()
    migrate(f"sqlite:///{root / 'node.db'}")
    return root, deployment


@pytest.fixture(scope="module")
def env(
    _api_template: tuple[Path, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    template, deployment = _api_template
    root = tmp_path_factory.mktemp("api")
    shutil.copytree(template, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("LOCK"))
    backend = EmbeddedBackend(root / "chain", snapshot_every=0)
    db = make_engine(f"sqlite:///{root / 'node.db'}")
    operator = demo.center_account("jiaxing")
    services = Services(
        settings=ApiSettings(),
        backend=backend,
        client=RegistryClient(backend, deployment, operator),
        operator=operator,
        engine=db,
        indexer=Indexer(db, backend, deployment),
        account_services=build_account_services(db, b"account-secret-for-api-tests", env="dev"),
    )
    # As Node builds them; no CA is loaded, so CA review names only unknown CAs (404).
    assert services.account_services is not None
    services.pki = Pki(db, (), services.client)
    # In-memory SMS codes (as the app installs on a hand-built node): tests read them.
    services.billing = dev_billing(db)
    services.applications = build_application_services(
        db, services.pki, services.account_services, services.billing
    )
    services.enterprises = build_enterprise_services(db, services.pki, services.account_services)
    services.deployment = deployment
    services.upkeep = node_upkeep(  # as Node builds it (zones are built by their tests)
        db,
        desk=services.applications.desk,
        payments=services.billing.payments,
        authorizations=services.enterprises.authorizations,
        zones=None,
    )
    services.audit = AuditService(db, backend, deployment, operator, AnchorPolicy(1))
    services.audit.disable_anchoring()  # proofs are read here; nothing anchors
    der, pem = make_x509("acme enterprise")
    fps = {
        "x509": hashlib.sha256(der).digest(),
        "enc": fp("enc"),
        "staff": fp("staff"),
        "regional-nt": fp("regional-nt"),
    }
    zjca = RegistryClient(backend, deployment, demo.ca_operator_account("zjca"))
    nantong = demo.center_account("nantong").address
    zjca.record_certificates(
        "zjca",
        demo.issuer_key_id("zjca"),
        [
            cert_input(fps["x509"]),
            cert_input(fps["enc"], usage=KeyUsage.ENCRYPTION),
            cert_input(fps["staff"], kind=CertificateKind.STAFF),
            cert_input(fps["regional-nt"], scope=Scope.REGIONAL, center=nantong),
        ],
    )
    api = ApiEnv(TestClient(create_app(services)), services, deployment, {}, der, pem, fps)
    api.index()
    with write_session(db) as session:
        for p in ("alliance", "jiaxing-ggzy"):
            api.keys[p] = platform_keys.issue_key(session, p, center=operator.address, now=NOW).key
    with api.http:
        yield api
    backend.close()
    db.dispose()
