"""The scan tests' world: a co-signer and a scan service on one clock the tests move, and a
device whose signing key has an enterprise certificate (O and USCC) bound at the co-signer,
recorded on chain and indexed."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID
from nacl.signing import SigningKey

from huren.device.scan import ScanDevice
from huren.device.sdk import Device
from huren.node import demo
from huren.node.cosigner import at_rest
from huren.node.cosigner.service import CosignerService
from huren.node.cosigner.wire import b64e
from huren.node.keysplit.keys import PublicKeyPackage
from huren.node.scan.service import ScanService
from huren.registry.types import KeyUsage
from tests.api.conftest import ApiEnv, cert_input
from tests.api.cosigner.support import HOLDER, PIN, RECOVERY, Clock, tapped_device, ticket

ENTERPRISE = "嘉兴示例建设有限公司"
USCC = "91330400MA2B7Q8X3W"  # check character computed by huren.node.identity.checks
NODE_KEY = SigningKey(hashlib.sha256(b"scan tests node key").digest())
_CA_KEY = ec.generate_private_key(ec.SECP256R1())
_CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scan test CA")])
ROOT = (
    x509.CertificateBuilder()
    .subject_name(_CA_NAME)
    .issuer_name(_CA_NAME)
    .public_key(_CA_KEY.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=3650))
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .add_extension(x509.SubjectKeyIdentifier.from_public_key(_CA_KEY.public_key()), False)
    .sign(_CA_KEY, hashes.SHA256())
)


def enterprise_certificate(public: PublicKeyPackage) -> bytes:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ENTERPRISE),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{USCC}"),
            x509.NameAttribute(NameOID.COMMON_NAME, ENTERPRISE),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(_CA_NAME)
        .public_key(Ed25519PublicKey.from_public_bytes(bytes(public.group_public_key)))
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(_CA_KEY.public_key()), False
        )
        .sign(_CA_KEY, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def bind_and_record(env: ApiEnv, enrolment_id: str, der: bytes, *, on_chain: bool = True) -> None:
    bound = env.http.post(
        f"/v1/cosigner/enrolments/{enrolment_id}/certificates",
        json={"certificate": b64e(der)},
        headers=env.headers(),
    )
    assert bound.status_code == 201, bound.text
    if on_chain:
        zjca = env.as_(demo.ca_operator_account("zjca"))
        fingerprint = hashlib.sha256(der).digest()
        zjca.record_certificates(
            "zjca", demo.issuer_key_id("zjca"), [cert_input(fingerprint, usage=KeyUsage.SIGNING)]
        )
        env.index()


@dataclass
class World:
    env: ApiEnv
    clock: Clock
    scan: ScanService
    device: Device
    phone: ScanDevice
    enrolment_id: str
    der: bytes

    def create(self, action: str = "login", platform: str = "alliance", **body: object) -> dict:
        response = self.env.http.post(
            "/v1/scan/requests",
            json={"action": action, **body},
            headers=self.env.headers(platform),
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def status(self, request_id: str, platform: str = "alliance", wait: float = 0) -> dict:
        response = self.env.http.get(
            f"/v1/scan/requests/{request_id}",
            params={"wait": wait},
            headers=self.env.headers(platform),
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


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
        chain_of=lambda _: [ROOT],
    )
    app.state.scan = scan
    device, _ = tapped_device(env, tmp_path_factory.mktemp("phone"), clock)
    signing = device.enrol(ticket(env, HOLDER, RECOVERY.public_key), PIN)
    der = enterprise_certificate(signing.public)
    bind_and_record(env, signing.enrolment_id, der)
    device.add_certificate(signing.enrolment_id, der)
    yield World(env, clock, scan, device, ScanDevice(device), signing.enrolment_id, der)
    del app.state.cosigner
    del app.state.scan


def enterprise_certificate_for_key(public_key: bytes) -> bytes:
    """An enterprise certificate for a plain Ed25519 key (never recorded on chain)."""

    class _Key:
        group_public_key = public_key

    return enterprise_certificate(_Key())  # type: ignore[arg-type]
