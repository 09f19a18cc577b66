"""The applications' dev node (seeded embedded chain, demo CAs, simulators, one clock) with
the enterprise services too, and helpers: an enterprise claimed by Alice (her enterprise
signing key seals letters), staff who joined with her sealed approval, letters."""

from __future__ import annotations

import base64
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from huren.api.app import create_app
from huren.node.db.accounts_tables import Account
from huren.node.db.engine import make_engine
from huren.node.enterprises.letters import NO_RIGHTS, LetterKind, LetterStatement, seal_with_key
from huren.node.enterprises.services import EnterpriseServices, build_enterprise_services
from huren.registry.embedded import EmbeddedBackend
from huren.registry.types import Deployment, Right
from tests.api.applications.conftest import (  # noqa: F401
    ALICE,
    USCC,
    AppApi,
    DevNode,
    Keys,
    _app,
    _db_template,
    db_url,
    engine,
    postgres_server,
)
from tests.api.applications.test_flow import attach_all, claim, issue
from tests.node.conftest import SeededChain, _seeded_template  # noqa: F401


@dataclass
class EnterpriseNode(DevNode):
    enterprises: EnterpriseServices | None = None


@dataclass
class Held:
    """A holder's downloaded pair and its signing key."""

    keys: Keys
    signing_fingerprint: bytes
    encryption_fingerprint: bytes
    certificate_der: bytes

    @classmethod
    def of(cls, keys: Keys, download: dict[str, Any]) -> Held:
        leaf = x509.load_pem_x509_certificates(download["signing_chain_pem"].encode())[0]
        return cls(
            keys,
            bytes.fromhex(download["signing_fingerprint"]),
            bytes.fromhex(download["encryption_fingerprint"]),
            leaf.public_bytes(serialization.Encoding.DER),
        )


@dataclass
class Admin:
    headers: dict[str, str]
    account_id: str
    enterprise_id: str
    uscc: str
    certificate: Held


class EntApi(AppApi):
    def account_id(self, phone: str) -> str:
        with Session(self.node.engine) as session:
            return session.exec(select(Account).where(Account.phone == phone)).one().id

    def letter(
        self,
        held: Held,
        kind: LetterKind,
        uscc: str,
        subject: str,
        *,
        rights: Right = NO_RIGHTS,
        platforms: tuple[str, ...] = (),
        issued_at: int | None = None,
    ) -> dict[str, str]:
        now = int(self.clock()) if issued_at is None else issued_at
        statement = LetterStatement.new(
            kind, uscc, subject, now=now, rights=rights, platforms=platforms
        )
        sealed = seal_with_key(statement, held.keys.signing, held.certificate_der)
        pem = x509.load_der_x509_certificate(sealed.certificate_der).public_bytes(
            serialization.Encoding.PEM
        )
        return {
            "statement": base64.b64encode(sealed.statement).decode(),
            "signature": base64.b64encode(sealed.signature).decode(),
            "certificate": pem.decode(),
        }

    def claim_enterprise(self, who: tuple[str, str, str], **fields: Any) -> Admin:
        headers = self.person(who)
        app_id = claim(self, headers, person_name=who[1], id_number=who[2], **fields)["id"]
        attach_all(self, headers, app_id)
        assert self.http.post(f"/v1/applications/{app_id}/submit", headers=headers).is_success
        keys = Keys.new()
        held = Held.of(keys, issue(self, headers, app_id, keys))
        mine = self.http.get("/v1/enterprises", headers=headers).json()
        assert [e["role"] for e in mine] == ["admin"]
        return Admin(headers, self.account_id(who[0]), mine[0]["id"], mine[0]["uscc"], held)

    def join(self, admin: Admin, who: tuple[str, str, str]) -> tuple[dict[str, str], Held]:
        """``who`` joins ``admin``'s enterprise: the admin approves with a sealed letter."""
        headers = self.person(who)
        body = {
            "kind": "join_enterprise",
            "ca_id": "zjca",
            "platform_id": "jiaxing-ggzy",
            "validity_years": 1,
            "uscc": admin.uscc,
            "person_name": who[1],
            "id_number": who[2],
        }
        app_id = self.http.post("/v1/applications", json=body, headers=headers).json()["id"]
        attach_all(self, headers, app_id)
        assert self.http.post(f"/v1/applications/{app_id}/submit", headers=headers).is_success
        letter = self.letter(admin.certificate, LetterKind.JOIN_APPROVAL, admin.uscc, app_id)
        approved = self.http.post(
            f"/v1/applications/{app_id}/admin-review",
            json={"approve": True, "letter": letter},
            headers=admin.headers,
        )
        assert approved.status_code == 200, approved.text
        keys = Keys.new()
        return headers, Held.of(keys, issue(self, headers, app_id, keys))


@pytest.fixture
def ent(
    _seeded_template: tuple[Path, Deployment],  # noqa: F811
    _db_template: Path,  # noqa: F811
    tmp_path: Path,
) -> Iterator[EntApi]:
    """As the applications' ``api``, plus enterprise services; the chain's block times
    follow the test's clock (the contract checks that certificates are valid at the block's
    time, and the clock runs ahead of the wall clock by a minute a login)."""
    template, deployment = _seeded_template
    shutil.copytree(template, tmp_path / "chain", ignore=shutil.ignore_patterns("LOCK"))
    clock_ref: list[Callable[[], float]] = [time.time]
    backend = EmbeddedBackend(tmp_path / "chain", snapshot_every=0, clock=lambda: clock_ref[0]())
    shutil.copy(_db_template, tmp_path / "node.db")
    sqlite: Engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    try:
        with _app(SeededChain(backend, deployment, tmp_path / "chain"), sqlite, tmp_path) as made:
            clock_ref[0] = made.clock
            node = made.node
            services = build_enterprise_services(
                sqlite, node.pki, node.account_services, clock=made.clock
            )
            full = EnterpriseNode(**{**node.__dict__, "enterprises": services})
            api = EntApi(TestClient(create_app(full)), full, made.clock)
            with api.http:
                yield api
    finally:
        backend.close()
        sqlite.dispose()
