"""The bid scan tests' world: one enterprise with two holders (each a phone with a signing and
an encryption key split with the co-signer, enterprise certificates bound, recorded on chain
and indexed), an encryption certificate of the same enterprise that is not recorded (not
recognized), one of another enterprise (recorded), and the bid tool / opening hall as a
platform client of "alliance"."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.x509.oid import NameOID

from huren.bid_scan_client import BidScanClient
from huren.device.bid_scan import BidScanDevice
from huren.device.scan import ScanDevice
from huren.device.sdk import Device
from huren.node import demo
from huren.node.cosigner import at_rest
from huren.node.cosigner.service import CosignerService
from huren.node.cosigner.wire import b64e
from huren.node.keysplit.decrypt import x25519_public_key
from huren.node.scan.service import ScanService
from huren.registry.types import KeyUsage
from tests.api.conftest import ApiEnv, cert_input
from tests.api.cosigner.support import PIN, RECOVERY, Clock, tapped_device, ticket
from tests.api.scan.conftest import _CA_KEY, _CA_NAME, NODE_KEY, USCC, enterprise_certificate

PLATFORM = "alliance"
OTHER_USCC = "91330100MA27XL0E2Y"  # another enterprise (only compared, never checked here)


def encryption_certificate(public_key: bytes, person: str, uscc: str = USCC) -> bytes:
    """An enterprise staff encryption certificate (O, organizationIdentifier, CN) for a raw
    X25519 key, issued by the scan tests' CA."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"enterprise {uscc}"),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{uscc}"),
            x509.NameAttribute(NameOID.COMMON_NAME, person),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(_CA_NAME)
        .public_key(X25519PublicKey.from_public_bytes(public_key))
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(_CA_KEY, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


def record(env: ApiEnv, der: bytes, usage: KeyUsage) -> None:
    zjca = env.as_(demo.ca_operator_account("zjca"))
    zjca.record_certificates(
        "zjca", demo.issuer_key_id("zjca"), [cert_input(hashlib.sha256(der).digest(), usage=usage)]
    )
    env.index()


def bind(env: ApiEnv, enrolment_id: str, der: bytes) -> None:
    bound = env.http.post(
        f"/v1/cosigner/enrolments/{enrolment_id}/certificates",
        json={"certificate": b64e(der)},
        headers=env.headers(),
    )
    assert bound.status_code == 201, bound.text


@dataclass
class Holder:
    device: Device
    phone: ScanDevice
    bid: BidScanDevice
    signing_der: bytes
    encryption_der: bytes

    @property
    def encryption_fp(self) -> str:
        return hashlib.sha256(self.encryption_der).hexdigest()


def enrol_holder(env: ApiEnv, home: Path, clock: Clock, name: str) -> Holder:
    device, _ = tapped_device(env, home, clock)
    signing = device.enrol(ticket(env, f"account:{name}", RECOVERY.public_key), PIN)
    encryption = device.enrol(
        ticket(env, f"account:{name}", RECOVERY.public_key), PIN, purpose="encryption"
    )
    signing_der = enterprise_certificate(signing.public)
    encryption_der = encryption_certificate(x25519_public_key(encryption.public), name)
    for stored, der, usage in (
        (signing, signing_der, KeyUsage.SIGNING),
        (encryption, encryption_der, KeyUsage.ENCRYPTION),
    ):
        bind(env, stored.enrolment_id, der)
        record(env, der, usage)
        device.add_certificate(stored.enrolment_id, der)
    phone = ScanDevice(device)
    return Holder(device, phone, BidScanDevice(phone), signing_der, encryption_der)


@dataclass
class Directory:
    """The EncryptionDirectory port as a fixed table (the PKI's is tested on its own)."""

    by_uscc: dict[str, list[bytes]] = field(default_factory=dict)

    def encryption_certificates(self, uscc: str) -> list[bytes]:
        return list(self.by_uscc.get(uscc, []))


@dataclass
class World:
    env: ApiEnv
    clock: Clock
    scan: ScanService
    alice: Holder
    bob: Holder
    unrecorded_der: bytes  # same enterprise, not on chain: not recognized
    foreign_der: bytes  # another enterprise's, recorded
    tool: BidScanClient  # the bid tool / opening hall, with alliance's platform key
    database: Path


@pytest.fixture(scope="module")
def world(env: ApiEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    clock = Clock()
    app = env.http.app
    app.state.cosigner = CosignerService(
        env.services.engine, at_rest.DEV_KEK, clock=clock, index_cache=app.state.index_cache
    )
    scan = ScanService(
        env.services.engine,
        NODE_KEY,
        "http://testserver",
        clock=clock,
        index_cache=app.state.index_cache,
    )
    app.state.scan = scan
    alice = enrol_holder(env, tmp_path_factory.mktemp("alice"), clock, "alice")
    bob = enrol_holder(env, tmp_path_factory.mktemp("bob"), clock, "bob")
    raw = X25519PrivateKey.generate().public_key().public_bytes_raw()
    unrecorded = encryption_certificate(raw, "carol (not recorded)")
    foreign = encryption_certificate(
        X25519PrivateKey.generate().public_key().public_bytes_raw(), "dave", OTHER_USCC
    )
    record(env, foreign, KeyUsage.ENCRYPTION)
    app.state.encryption_directory = Directory(
        {
            USCC: [alice.encryption_der, bob.encryption_der, unrecorded],
            OTHER_USCC: [foreign],
        }
    )
    http = httpx.Client(
        transport=env.http._transport,
        base_url="http://testserver",
        headers=env.headers(PLATFORM),
    )
    database = Path(str(env.services.engine.url.database))
    yield World(env, clock, scan, alice, bob, unrecorded, foreign, BidScanClient(http), database)
    for name in ("cosigner", "scan", "bid_scan", "encryption_directory"):
        if hasattr(app.state, name):
            delattr(app.state, name)
