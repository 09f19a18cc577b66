"""Helpers of the co-signer tests: a clock the tests move, certificates for a split key
recorded on the embedded chain and indexed, and a device whose every HTTP exchange is kept."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.x509.oid import NameOID

from huren.device.errors import CosignerRefused
from huren.device.pin import TEST_PARAMS
from huren.device.sdk import Device
from huren.node import demo
from huren.node.cosigner.wire import b64e
from huren.node.keysplit.decrypt import x25519_public_key
from huren.node.keysplit.keys import PublicKeyPackage
from huren.node.keysplit.sealing import RecoveryKey
from huren.registry.types import KeyUsage
from tests.api.conftest import NOW, ApiEnv, cert_input

_CA_KEY = ec.generate_private_key(ec.SECP256R1())
PIN = "246810"
HOLDER = "account:acme-staff-1"
RECOVERY = RecoveryKey.generate()


def refused(code: str) -> pytest.RaisesExc[CosignerRefused]:
    return pytest.raises(CosignerRefused, match=code)


@dataclass
class Clock:
    now: int = NOW

    def __call__(self) -> int:
        return self.now


@dataclass
class Wiretap:
    """Every request the device sent and every response it got."""

    requests: list[httpx.Request] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)

    def on_request(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def on_response(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)


def tapped_device(env: ApiEnv, home: Path, clock: Clock) -> tuple[Device, Wiretap]:
    """A device on its own client of the app, with every exchange recorded."""
    tap = Wiretap()
    http = httpx.Client(
        transport=env.http._transport,
        base_url="http://testserver",
        event_hooks={"request": [tap.on_request], "response": [tap.on_response]},
    )
    return Device(home, http, pin_params=TEST_PARAMS, clock=clock), tap


def certificate_for(public: PublicKeyPackage, purpose: str, name: str) -> bytes:
    """DER of a certificate for the split key (signing: Ed25519; encryption: X25519)."""
    subject_key: Ed25519PublicKey | X25519PublicKey
    if purpose == "signing":
        subject_key = Ed25519PublicKey.from_public_bytes(bytes(public.group_public_key))
    else:
        subject_key = X25519PublicKey.from_public_bytes(x25519_public_key(public))
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")]))
        .public_key(subject_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(_CA_KEY, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


def issue_and_record(
    env: ApiEnv, enrolment_id: str, public: PublicKeyPackage, purpose: str, **fields: object
) -> bytes:
    """The PKI's part: a certificate for the key, bound at the co-signer, recorded on chain
    by zjca and indexed. Returns the DER."""
    der = certificate_for(public, purpose, f"holder {enrolment_id[:8]}")
    bound = env.http.post(
        f"/v1/cosigner/enrolments/{enrolment_id}/certificates",
        json={"certificate": b64e(der)},
        headers=env.headers(),
    )
    assert bound.status_code == 201, bound.text
    fingerprint = hashlib.sha256(der).digest()
    assert bound.json()["fingerprint"] == fingerprint.hex()
    usage = KeyUsage.SIGNING if purpose == "signing" else KeyUsage.ENCRYPTION
    zjca = env.as_(demo.ca_operator_account("zjca"))
    zjca.record_certificates(
        "zjca", demo.issuer_key_id("zjca"), [cert_input(fingerprint, usage=usage, **fields)]
    )
    env.index()
    return der


def ticket(env: ApiEnv, holder: str, recovery_public_key: bytes) -> str:
    response = env.http.post(
        "/v1/cosigner/tickets",
        json={"holder": holder, "recovery_public_key": b64e(recovery_public_key)},
        headers=env.headers(),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["ticket"])
