"""A dev node's application API over a seeded embedded chain of the test's own: the index
caught up, the three demo CAs loaded, accounts on the SMS and CFCA simulators, billing on the
payment gateway and bank simulators (bank cards bound with the accounts' SMS codes), one
clock the test moves (starting at the real time: ``openssl verify`` checks validity
against the real clock). Helpers log people in, verify them, and make keys and CSRs."""

from __future__ import annotations

import base64
import io
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.x509.oid import NameOID
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import Engine

from huren.api.app import create_app
from huren.node import demo
from huren.node.account_services import AccountServices, build_account_services
from huren.node.applications.keys import encryption_key_message
from huren.node.applications.wiring import ApplicationServices, build_application_services
from huren.node.billing.gateway_sim import SimulatedGateway
from huren.node.billing.service import BillingService, dev_billing
from huren.node.billing_sms import AccountSmsCodes
from huren.node.db.engine import make_engine, migrate
from huren.node.enterprises.letters import LetterKind, LetterStatement, seal_with_key
from huren.node.indexer import Indexer
from huren.node.pki.service import Pki, load_cas
from huren.registry.client import RegistryClient
from huren.registry.embedded import EmbeddedBackend
from tests.node.accounts.conftest import FAST_HASHER, SECRET, FakeClock
from tests.node.conftest import (  # noqa: F401
    SeededChain,
    _seeded_template,
    db_url,
    engine,
    postgres_server,
    seeded,
)

ADMIN_KEY = "admin-key-for-application-tests"
BASE_URL = "http://127.0.0.1:8700"
USCC = "91350100M000100Y43"  # GB 32100's sample code (valid check character)
ENTERPRISE = "嘉兴市某某建设有限公司"
ALICE = ("13800138001", "张三", "11010519491231002X")  # GB 11643-1999's example ID
BOB = ("13800138002", "李四", "440524188001010014")  # GB 11643-1999's other example


@dataclass
class Settings:
    admin_api_key: SecretStr | None = field(default_factory=lambda: SecretStr(ADMIN_KEY))
    recognition_answer_cache: int = 0


@dataclass
class DevNode:
    settings: Settings
    backend: EmbeddedBackend
    client: RegistryClient
    operator: LocalAccount
    engine: Engine
    indexer: Indexer
    account_services: AccountServices
    pki: Pki
    billing: BillingService
    applications: ApplicationServices

    @property
    def gateway(self) -> SimulatedGateway:
        assert isinstance(self.billing.gateway, SimulatedGateway)
        return self.billing.gateway

    def close(self) -> None:
        pass


@dataclass
class Keys:
    signing: ed25519.Ed25519PrivateKey
    encryption: x25519.X25519PrivateKey

    @classmethod
    def new(cls) -> Keys:
        return cls(ed25519.Ed25519PrivateKey.generate(), x25519.X25519PrivateKey.generate())

    def csr(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "holder")])
        request = (
            x509.CertificateSigningRequestBuilder().subject_name(name).sign(self.signing, None)
        )
        return request.public_bytes(serialization.Encoding.PEM).decode()

    def encryption_pem(self) -> str:
        return (
            self.encryption.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def body(self, application_id: str, *, with_encryption: bool = True) -> dict[str, Any]:
        if not with_encryption:
            return {"signing_csr": self.csr()}
        message = encryption_key_message(application_id, self.encryption.public_key())
        return {
            "signing_csr": self.csr(),
            "encryption_public_key": self.encryption_pem(),
            "encryption_key_proof": base64.b64encode(self.signing.sign(message)).decode(),
        }


@dataclass
class AppApi:
    http: TestClient
    node: DevNode
    clock: FakeClock

    def index(self) -> None:
        while not self.node.indexer.step().caught_up:
            pass

    def login(self, phone: str) -> dict[str, str]:
        self.clock.advance(61)
        sent = self.http.post("/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
        assert sent.status_code == 202, sent.text
        code = self._code(phone)
        login = self.http.post("/v1/auth/login/sms", json={"phone": phone, "code": code})
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    def _code(self, phone: str) -> str:
        outbox = self.http.get("/v1/dev/sms-outbox", params={"phone": phone}).json()
        found = re.search(r"\d{6}", outbox[0]["text"])
        assert found is not None
        return found.group()

    def person(self, who: tuple[str, str, str]) -> dict[str, str]:
        """A logged-in account with its identity verified (CFCA simulator)."""
        headers = self.login(who[0])
        verified = self.http.post(
            "/v1/identity/cfca", json={"name": who[1], "id_number": who[2]}, headers=headers
        )
        assert verified.status_code == 201, verified.text
        return headers

    def set_certificate_password(self, phone: str, headers: dict[str, str], password: str) -> None:
        self.clock.advance(61)
        sent = self.http.post("/v1/account/certificate-password/code", headers=headers)
        assert sent.status_code == 202, sent.text
        body = {"code": self._code(phone), "new_password": password}
        done = self.http.put("/v1/account/certificate-password", json=body, headers=headers)
        assert done.status_code == 204, done.text

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_KEY}"}

    def start_payment(self, headers: dict[str, str], app_id: str) -> dict[str, Any]:
        started = self.http.post(f"/v1/applications/{app_id}/payment", headers=headers)
        assert started.status_code == 200, started.text
        body: dict[str, Any] = started.json()
        return body

    def deliver(self) -> list[Any]:
        """The gateway simulator's signed notifications, posted as the gateway would."""
        return [
            self.http.post(
                "/v1/billing/notify",
                content=note.body,
                headers={"X-Gateway-Signature": note.signature},
            )
            for note in self.node.gateway.take_outbox()
        ]

    def pay(self, headers: dict[str, str], app_id: str) -> dict[str, Any]:
        """Pay through billing: the order's payment, the gateway's notification, paid."""
        self.start_payment(headers, app_id)
        assert [r.text for r in self.deliver()] == ["success"]
        paid = self.http.get(f"/v1/applications/{app_id}", headers=headers).json()
        assert paid["state"] == "paid", paid
        result: dict[str, Any] = paid
        return result


def join_letter(api: AppApi, keys: Keys, signing_chain_pem: str, app_id: str) -> Any:
    """The admin's sealed approval (授权书) of a join, by the enterprise signing key whose
    chain the admin downloaded (``keys.signing``), as the API takes it."""
    leaf = x509.load_pem_x509_certificates(signing_chain_pem.encode())[0]
    statement = LetterStatement.new(LetterKind.JOIN_APPROVAL, USCC, app_id, now=int(api.clock()))
    sealed = seal_with_key(statement, keys.signing, leaf.public_bytes(serialization.Encoding.DER))
    return {
        "statement": base64.b64encode(sealed.statement).decode(),
        "signature": base64.b64encode(sealed.signature).decode(),
        "certificate": leaf.public_bytes(serialization.Encoding.PEM).decode(),
    }


def png_bytes(size: tuple[int, int] = (60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format="PNG")
    return out.getvalue()


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


@pytest.fixture(scope="session")
def _db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("applications-db") / "node.db"
    migrate(f"sqlite:///{path}")
    return path


@contextmanager
def _app(seeded: SeededChain, engine: Engine, tmp_path: Path) -> Iterator[AppApi]:  # noqa: F811
    indexer = Indexer(engine, seeded.backend, seeded.deployment)
    while not indexer.step().caught_up:
        pass
    operator = demo.center_account("jiaxing")
    client = RegistryClient(seeded.backend, seeded.deployment, operator)
    clock = FakeClock(float(int(time.time())))
    pki = Pki(engine, load_cas(tmp_path, BASE_URL, None, dev_demo=True), client, clock=clock)
    accounts = build_account_services(engine, SECRET, env="dev", clock=clock, hasher=FAST_HASHER)
    billing = dev_billing(
        engine, clock=lambda: int(clock()), sms=AccountSmsCodes(accounts.accounts)
    )
    node = DevNode(
        Settings(),
        seeded.backend,
        client,
        operator,
        engine,
        indexer,
        accounts,
        pki,
        billing,
        build_application_services(engine, pki, accounts, billing, clock=clock),
    )
    made = AppApi(TestClient(create_app(node)), node, clock)
    with made.http:
        yield made


@pytest.fixture
def api(seeded: SeededChain, _db_template: Path, tmp_path: Path) -> Iterator[AppApi]:  # noqa: F811
    """On SQLite (a copy of a migrated template)."""
    shutil.copy(_db_template, tmp_path / "node.db")
    sqlite = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    with _app(seeded, sqlite, tmp_path) as made:
        yield made
    sqlite.dispose()


@pytest.fixture
def api_any_db(seeded: SeededChain, engine: Engine, tmp_path: Path) -> Iterator[AppApi]:  # noqa: F811
    """On SQLite and on PostgreSQL (``tests.node.conftest``'s migrated ``engine``)."""
    with _app(seeded, engine, tmp_path) as made:
        yield made
