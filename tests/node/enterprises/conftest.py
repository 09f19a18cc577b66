"""A migrated SQLite database with an enterprise built row by row (no chain): the admin's
enterprise signing certificate (a real Ed25519 X.509 certificate naming the USCC, made here;
its index record says what the chain would), a staff member's certificate pair, the CA and
the platform as the indexer would have written them."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine

from huren.node.db.accounts_tables import Account
from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.engine import make_engine, migrate, write_session
from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.node.db.models import Ca, Certificate, Platform
from huren.registry.types import CaStatus, CertificateKind, CertificateStatus, KeyUsage, Scope

USCC = "91350100M000100Y43"  # GB 32100's sample code
OTHER_USCC = "91330400MA2B3C4D56"
NOW = 1_800_000_000
YEAR = 365 * 86_400
ADMIN, STAFF, OUTSIDER = "a" * 32, "b" * 32, "c" * 32
ENTERPRISE = "e" * 16
PLATFORM = "jiaxing-ggzy"
EVIDENCE = {
    "block_number": 1,
    "block_hash": b"\x01" * 32,
    "transaction_hash": b"\x02" * 32,
    "log_index": 0,
}


def make_certificate(key: ed25519.Ed25519PrivateKey | None, uscc: str, name: str) -> bytes:
    """DER of a self-signed certificate of ``key`` naming the enterprise (the node only reads
    the subject and key: the index vouches for the fingerprint)."""
    signer = key or ed25519.Ed25519PrivateKey.generate()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{uscc}"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    start = dt.datetime.fromtimestamp(NOW - YEAR, dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(signer.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=730))
        .sign(signer, None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass
class World:
    engine: Engine
    admin_key: ed25519.Ed25519PrivateKey
    admin_der: bytes
    staff_signing: bytes
    staff_encryption: bytes

    @property
    def admin_fingerprint(self) -> bytes:
        return hashlib.sha256(self.admin_der).digest()

    def add_certificate(
        self,
        der_or_fp: bytes,
        account: str,
        kind: CertificateKind,
        usage: KeyUsage = KeyUsage.SIGNING,
        *,
        partner: bytes = b"\x00" * 32,
        application: str = "0" * 16,
        **record: object,
    ) -> bytes:
        fp = der_or_fp if len(der_or_fp) == 32 else hashlib.sha256(der_or_fp).digest()
        with write_session(self.engine) as session:
            session.add(
                HeldCertificate(
                    fingerprint=fp,
                    account_id=account,
                    application_id=application,
                    ca_id="zjca",
                    usage=int(usage),
                    partner=partner,
                    name="嘉兴某某 / 李四",
                    not_before=NOW - YEAR,
                    not_after=NOW + YEAR,
                )
            )
            values: dict[str, object] = {
                "fingerprint": fp,
                "ca_id": "zjca",
                "issuer_key_id": b"\x03" * 32,
                "holder": b"\x04" * 32,
                "kind": int(kind),
                "usage": int(usage),
                "scope": int(Scope.ALLIANCE),
                "not_before": NOW - YEAR,
                "not_after": NOW + YEAR,
                "status": int(CertificateStatus.ACTIVE),
                **EVIDENCE,
                **record,
            }
            session.add(Certificate(**values))  # type: ignore[arg-type]
        return fp


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("enterprises-db") / "node.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def world(_template: Path, tmp_path: Path) -> Iterator[World]:
    """On SQLite (a copy of a migrated template)."""
    shutil.copy(_template, tmp_path / "node.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    yield build_world(engine)
    engine.dispose()


@pytest.fixture
def world_any_db(engine: Engine) -> World:
    """On SQLite and PostgreSQL (``tests.node.conftest``'s migrated ``engine``)."""
    return build_world(engine)


def build_world(engine: Engine) -> World:
    key = ed25519.Ed25519PrivateKey.generate()
    made = World(engine, key, make_certificate(key, USCC, "嘉兴某某"), b"", b"")
    with write_session(engine) as session:
        for i, account in enumerate((ADMIN, STAFF, OUTSIDER)):
            session.add(Account(id=account, phone=f"1380013800{i}", created_at=NOW, updated_at=NOW))
        session.add(
            Enterprise(id=ENTERPRISE, name="嘉兴某某", uscc=USCC, created_at=NOW, updated_at=NOW)
        )
        session.flush()
        for account, role in ((ADMIN, "admin"), (STAFF, "staff")):
            session.add(
                EnterpriseMember(
                    enterprise_id=ENTERPRISE, account_id=account, role=role, created_at=NOW
                )
            )
        for app_id, account, kind in (
            ("0" * 16, ADMIN, "claim_enterprise"),
            ("1" * 16, STAFF, "join_enterprise"),
        ):
            session.add(
                Application(
                    id=app_id,
                    account_id=account,
                    kind=kind,
                    state="downloaded",
                    ca_id="zjca",
                    platform_id=PLATFORM,
                    center="0x" + "0" * 40,
                    validity_years=1,
                    fee_fen=0,
                    enterprise_id=ENTERPRISE,
                    enterprise_name="嘉兴某某",
                    uscc=USCC,
                    holder=b"\x04" * 32,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        session.add(
            Ca(
                ca_id="zjca",
                name="zjca",
                status=int(CaStatus.ACCREDITED),
                ca_index=1,
                operator_role=b"\x05" * 32,
                **EVIDENCE,
            )
        )
        session.add(
            Platform(
                platform_id=PLATFORM,
                center="0x" + "0" * 40,
                name="嘉兴市公共资源交易平台",
                active=True,
                **EVIDENCE,
            )
        )
    made.add_certificate(made.admin_der, ADMIN, CertificateKind.ENTERPRISE)
    encryption = hashlib.sha256(b"staff encryption").digest()
    signing = hashlib.sha256(b"staff signing").digest()
    made.add_certificate(
        signing, STAFF, CertificateKind.STAFF, partner=encryption, application="1" * 16
    )
    made.add_certificate(
        encryption,
        STAFF,
        CertificateKind.STAFF,
        KeyUsage.ENCRYPTION,
        partner=signing,
        application="1" * 16,
    )
    made.staff_signing, made.staff_encryption = signing, encryption
    return made
