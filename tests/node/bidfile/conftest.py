"""Encryption certificates and policies for the bid-file tests.

Certificates are X.509 with an X25519 subject key, signed by the demo CA's P-256 issuing key
(what the PKI issues as encryption certificates; its profiles are not needed here)."""

from __future__ import annotations

import datetime
import hashlib
import io
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine

from huren.node import demo
from huren.node.bidfile import LocalX25519Decapsulator, Recipient, decrypt, encrypt
from huren.node.bidfile.header import ENTRY_LENGTH, MAC_LENGTH, PREFIX_LENGTH
from huren.node.bidfile.stream import TAG_LENGTH
from huren.node.db.engine import make_engine, migrate
from huren.node.indexer import Indexer
from huren.registry.client import RegistryClient
from huren.registry.types import (
    CertificateInput,
    CertificateKind,
    KeyUsage,
    RevocationReason,
    Right,
    Scope,
)
from tests.node.conftest import SeededChain

NOT_BEFORE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def x25519_key(label: str) -> X25519PrivateKey:
    """A deterministic test key derived from a public label."""
    return X25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def certificate_for(
    public_key: CertificateIssuerPublicKeyTypes | object, name: str
) -> x509.Certificate:
    ca_key = demo.issuing_key("zjca")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zjca demo issuing CA")])
    serial = int.from_bytes(hashlib.sha256(name.encode()).digest()[:16], "big") >> 1
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_BEFORE + datetime.timedelta(days=3650))
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )


@dataclass(frozen=True)
class Holder:
    """An encryption certificate and its whole private key."""

    name: str
    key: X25519PrivateKey
    certificate: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(Encoding.DER)

    @property
    def recipient(self) -> Recipient:
        return Recipient.from_certificate(self.certificate)

    @property
    def fingerprint(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    def decapsulator(self) -> LocalX25519Decapsulator:
        return LocalX25519Decapsulator(self.key, self.certificate)


def holder(name: str) -> Holder:
    key = x25519_key(f"bidfile test {name}")
    return Holder(name, key, certificate_for(key.public_key(), name))


def signing_certificate(name: str) -> x509.Certificate:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())
    return certificate_for(key.public_key(), name)


@dataclass
class RecordingPolicy:
    """Recognizes exactly ``allowed`` and remembers what it was asked."""

    allowed: set[bytes]
    asked: list[tuple[tuple[bytes, ...], str]] = field(default_factory=list)

    def check(self, fingerprints: Sequence[bytes], platform_id: str) -> None:
        from huren.node.bidfile import RecipientNotRecognized

        self.asked.append((tuple(fingerprints), platform_id))
        refused = {f: ["UNKNOWN_CERTIFICATE"] for f in fingerprints if f not in self.allowed}
        if refused:
            raise RecipientNotRecognized(platform_id, refused)


# -- sealing and opening in memory, with small chunks ----------------------------------------

CHUNK = 64  # small chunks so a few hundred bytes make several of them
SEALED = CHUNK + TAG_LENGTH


def seal(data: bytes, to: list[Holder], policy: RecordingPolicy, chunk_size: int = CHUNK) -> bytes:
    out = io.BytesIO()
    recipients = [h.recipient for h in to]
    encrypt(
        io.BytesIO(data),
        out,
        recipients,
        platform_id="alliance",
        policy=policy,
        chunk_size=chunk_size,
    )
    return out.getvalue()


def unseal(blob: bytes, by: Holder) -> bytes:
    out = io.BytesIO()
    decrypt(io.BytesIO(blob), out, by.decapsulator())
    return out.getvalue()


def header_length(recipients: int) -> int:
    return PREFIX_LENGTH + recipients * ENTRY_LENGTH + MAC_LENGTH


def chunks_of(blob: bytes, recipients: int) -> tuple[bytes, list[bytes]]:
    h = header_length(recipients)
    body = blob[h:]
    return blob[:h], [body[i : i + SEALED] for i in range(0, len(body), SEALED)]


@pytest.fixture(scope="session")
def holders() -> list[Holder]:
    return [holder(n) for n in ("alice", "bob", "carol")]


@pytest.fixture
def policy(holders: list[Holder]) -> RecordingPolicy:
    return RecordingPolicy({h.fingerprint for h in holders})


@pytest.fixture
def blob(holders: list[Holder], policy: RecordingPolicy) -> bytes:
    """Four chunks (64, 64, 64, 58 bytes) for alice and bob."""
    return seal(bytes(range(250)), holders[:2], policy)


# -- certificates recorded on the demo chain and indexed ----------------------------------------

DAY = 86_400


def record(h: Holder, **fields: object) -> CertificateInput:
    now = int(time.time())  # the seeded chain runs on the wall clock, and so does the policy
    values: dict[str, object] = {
        "fingerprint": h.fingerprint,
        "holder": hashlib.sha256(b"holder " + h.name.encode()).digest(),
        "not_before": now - DAY,
        "not_after": now + 365 * DAY,
        "kind": CertificateKind.ENTERPRISE,
        "usage": KeyUsage.ENCRYPTION,
        "scope": Scope.ALLIANCE,
    }
    values.update(fields)
    return CertificateInput(**values)  # type: ignore[arg-type]


INDEXED = {
    name: holder(f"policy {name}")
    for name in (
        "alliance",
        "regional",
        "revoked",
        "signing",
        "unknown",
        "staff",
        "staff_granted",
        "enterprise",
    )
}


@pytest.fixture
def index(seeded: SeededChain, tmp_path: Path) -> Iterator[Engine]:
    """The seeded demo chain with the ``INDEXED`` certificates recorded (alliance, regional
    to nantong, revoked, signing usage, staff with and without the encrypt right at
    jiaxing-ggzy; ``unknown`` is not recorded), indexed into ``tmp_path/node.db``."""
    nantong = demo.center_account("nantong").address
    zjca = RegistryClient(seeded.backend, seeded.deployment, demo.ca_operator_account("zjca"))
    certs = [
        record(INDEXED["alliance"]),
        record(INDEXED["regional"], scope=Scope.REGIONAL, center=nantong),
        record(INDEXED["revoked"]),
        record(INDEXED["signing"], usage=KeyUsage.SIGNING),
        record(INDEXED["enterprise"], usage=KeyUsage.SIGNING),
        record(INDEXED["staff"], kind=CertificateKind.STAFF),
        record(INDEXED["staff_granted"], kind=CertificateKind.STAFF),
    ]
    zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), certs)
    zjca.revoke_certificate(INDEXED["revoked"].fingerprint, RevocationReason.KEY_COMPROMISE)
    enterprise = INDEXED["enterprise"].fingerprint
    zjca.grant_authorization(INDEXED["staff"].fingerprint, "jiaxing-ggzy", enterprise, Right.SIGN)
    granted = INDEXED["staff_granted"].fingerprint
    zjca.grant_authorization(granted, "jiaxing-ggzy", enterprise, Right.ENCRYPT | Right.SIGN)
    url = f"sqlite:///{tmp_path / 'node.db'}"
    migrate(url)
    engine = make_engine(url)
    indexer = Indexer(engine, seeded.backend, seeded.deployment)
    while not indexer.step().caught_up:
        pass
    yield engine
    engine.dispose()
