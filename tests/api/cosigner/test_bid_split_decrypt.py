"""``huren bid decrypt --device-home``: a bid file encrypted to two certificates, one of them
the device's split X25519 key (enrolled with the co-signer, its certificate bound and
recorded), opened through the command line against the app in process. The co-signer
returns its decryption share; the other recipient's whole key opens the same file."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner, Result

from huren import cli_device
from huren.cli import app
from huren.node import demo
from huren.node.bidfile import Recipient, encrypt
from huren.node.bidfile.policy import RecognitionPolicy
from huren.registry.types import KeyUsage
from tests.api.conftest import ApiEnv, cert_input
from tests.api.cosigner.conftest import World
from tests.api.cosigner.support import PIN

runner = CliRunner()
CONTENT = bytes(range(251)) * 700  # 175,700 bytes: three 64 KiB chunks
PLATFORM = "alliance"


class Calls:
    """The paths of every request the command line's device sent."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)


@pytest.fixture
def calls(env: ApiEnv, world: World, monkeypatch: pytest.MonkeyPatch) -> Calls:
    seen = Calls()
    monkeypatch.setattr(
        cli_device,
        "http_client",
        lambda server: httpx.Client(
            transport=env.http._transport, base_url=server, event_hooks={"request": [seen]}
        ),
    )
    # The command line's device signs with the real time; the module's co-signer clock
    # must agree with it (it refuses timestamps more than 120 s away).
    world.clock.now = int(time.time())
    return seen


def whole_key_recipient(env: ApiEnv, tmp_path: Path) -> tuple[Recipient, Path]:
    """A colleague's ordinary X25519 key, its certificate recorded for encryption."""
    key = X25519PrivateKey.generate()
    now = dt.datetime.now(dt.UTC)
    der = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "colleague")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
        .public_bytes(Encoding.DER)
    )
    zjca = env.as_(demo.ca_operator_account("zjca"))
    fingerprint = hashlib.sha256(der).digest()
    zjca.record_certificates(
        "zjca",
        demo.issuer_key_id("zjca"),
        [cert_input(fingerprint, usage=KeyUsage.ENCRYPTION)],
    )
    env.index()
    key_file = tmp_path / "colleague.key"
    key_file.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return Recipient.from_certificate(der), key_file


def seal_bid(env: ApiEnv, path: Path, recipients: list[Recipient]) -> None:
    out = io.BytesIO()
    encrypt(
        io.BytesIO(CONTENT),
        out,
        recipients,
        platform_id=PLATFORM,
        policy=RecognitionPolicy(env.services.engine),
    )
    path.write_bytes(out.getvalue())


def decrypt(world: World, source: Path, target: Path, pin: str, fingerprint: str) -> Result:
    args = ["bid", "decrypt", str(source), str(target)]
    args += ["--device-home", str(world.device.store.root), "--certificate", fingerprint]
    args += ["--platform", PLATFORM, "--server", "http://testserver"]
    return runner.invoke(app, args, env={"HUREN_DEVICE_PIN": pin})


def test_a_bid_file_opens_with_the_split_key_and_with_the_other_recipient(
    env: ApiEnv, world: World, calls: Calls, tmp_path: Path
) -> None:
    split = Recipient.from_certificate(world.encryption_der)
    colleague, colleague_key = whole_key_recipient(env, tmp_path)
    sealed = tmp_path / "bid.hbf"
    seal_bid(env, sealed, [colleague, split])

    opened = tmp_path / "bid.pdf"
    done = decrypt(world, sealed, opened, PIN, split.fingerprint.hex())
    assert done.exit_code == 0, done.output
    assert opened.read_bytes() == CONTENT
    assert f"opened as {split.fingerprint.hex()}" in " ".join(done.output.split())
    # One co-signer round: the device asked for exactly one decryption share.
    assert calls.paths.count("/v1/cosigner/decryptions") == 1
    # The co-signer saw the request (only enc): its record names the certificate.
    records = world.device.sessions()
    assert any(
        r["operation"] == "decrypt" and r["fingerprint"] == split.fingerprint.hex() for r in records
    ), records

    by_key = tmp_path / "by-key.pdf"
    args = ["bid", "decrypt", str(sealed), str(by_key), "--key", str(colleague_key)]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert by_key.read_bytes() == CONTENT


def test_a_wrong_pin_is_refused_and_nothing_is_written(
    env: ApiEnv, world: World, calls: Calls, tmp_path: Path
) -> None:
    split = Recipient.from_certificate(world.encryption_der)
    sealed = tmp_path / "bid.hbf"
    seal_bid(env, sealed, [split])
    target = tmp_path / "out" / "bid.pdf"
    refused = decrypt(world, sealed, target, "000000", split.fingerprint.hex())
    assert refused.exit_code == 1
    assert "PIN_PROOF_FAILED" in refused.output
    assert not target.exists() and list(target.parent.iterdir()) == []
    # The right PIN still works (and resets the failure count).
    done = decrypt(world, sealed, target, PIN, split.fingerprint.hex())
    assert done.exit_code == 0, done.output
    assert target.read_bytes() == CONTENT


def test_a_certificate_that_is_not_a_recipient_is_refused_before_the_co_signer(
    env: ApiEnv, world: World, calls: Calls, tmp_path: Path
) -> None:
    split = Recipient.from_certificate(world.encryption_der)
    colleague, _ = whole_key_recipient(env, tmp_path)
    sealed = tmp_path / "bid.hbf"
    seal_bid(env, sealed, [colleague])  # not to the device's certificate
    target = tmp_path / "bid.pdf"
    refused = decrypt(world, sealed, target, PIN, split.fingerprint.hex())
    assert refused.exit_code == 1
    assert "NOT_A_RECIPIENT" in refused.output
    assert not target.exists()
    assert "/v1/cosigner/decryptions" not in calls.paths


def test_device_options_are_checked(world: World, calls: Calls, tmp_path: Path) -> None:
    sealed = tmp_path / "bid.hbf"
    sealed.write_bytes(b"HURENBID")
    target = tmp_path / "bid.pdf"
    unknown = decrypt(world, sealed, target, PIN, "ab" * 32)
    assert unknown.exit_code == 1 and "no key on this device" in unknown.output
    signing_fp = hashlib.sha256(world.signing_der).hexdigest()
    signing = decrypt(world, sealed, target, PIN, signing_fp)
    assert signing.exit_code == 1 and "signing key" in signing.output
    both = runner.invoke(
        app,
        ["bid", "decrypt", str(sealed), str(target), "--key", str(sealed), "--device-home", "x"],
    )
    assert both.exit_code == 2 and "either --key or --device-home" in both.output
    neither = runner.invoke(app, ["bid", "decrypt", str(sealed), str(target)])
    assert neither.exit_code == 2
    missing = runner.invoke(
        app, ["bid", "decrypt", str(sealed), str(target), "--device-home", str(tmp_path)]
    )
    assert missing.exit_code == 2 and "--certificate and --platform" in missing.output
    assert calls.paths == []


def test_the_pin_is_asked_for_when_not_in_the_environment(
    env: ApiEnv, world: World, calls: Calls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUREN_DEVICE_PIN", raising=False)
    split = Recipient.from_certificate(world.encryption_der)
    sealed, target = tmp_path / "bid.hbf", tmp_path / "bid.pdf"
    seal_bid(env, sealed, [split])
    args = [
        "bid",
        "decrypt",
        str(sealed),
        str(target),
        "--device-home",
        str(world.device.store.root),
    ]
    args += ["--certificate", split.fingerprint.hex(), "--platform", PLATFORM]
    done = runner.invoke(app, [*args, "--server", "http://testserver"], input=f"{PIN}\n")
    assert done.exit_code == 0, done.output
    assert "PIN" in done.output and PIN not in done.output  # asked, not echoed
    assert target.read_bytes() == CONTENT
