"""``huren device …`` against the app in process (the co-signer built lazily from the
node's settings, as in a running node): enrol, add the certificate, sign, list."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from typer.testing import CliRunner

from huren import cli_cosigner, cli_device
from huren.cli import app
from huren.device.store import DeviceStore
from huren.node.keysplit.sealing import RecoveryKey
from tests.api.conftest import ADMIN_KEY, ApiEnv
from tests.api.cosigner.support import issue_and_record

runner = CliRunner()


def test_enrol_sign_and_list_from_the_command_line(
    env: ApiEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (cli_device, cli_cosigner):
        monkeypatch.setattr(
            module,
            "http_client",
            lambda server: httpx.Client(transport=env.http._transport, base_url=server),
        )
    home = tmp_path / "phone"
    common = ["--home", str(home), "--server", "http://testserver"]
    pin = {"HUREN_DEVICE_PIN": "975310"}
    admin = ["--admin-key", ADMIN_KEY, "--server", "http://testserver"]
    recovery = RecoveryKey.generate().public_key.hex()
    result = runner.invoke(
        app, ["cosigner", "ticket", "--holder", "account:cli", "--recovery-key", recovery, *admin]
    )
    assert result.exit_code == 0, result.output
    issued = result.output.strip()
    result = runner.invoke(app, ["device", "enrol", "--ticket", issued, *common], env=pin)
    assert result.exit_code == 0, result.output
    [stored] = DeviceStore(home).enrolments()
    assert stored.enrolment_id in result.output

    der = issue_and_record(env, stored.enrolment_id, stored.public, "signing")
    (tmp_path / "cert.der").write_bytes(der)
    result = runner.invoke(
        app, ["device", "add-certificate", stored.enrolment_id, str(tmp_path / "cert.der"), *common]
    )
    assert result.output.strip() == hashlib.sha256(der).hexdigest()

    document = tmp_path / "bid.pdf"
    document.write_bytes(b"%PDF-1.7 bid")
    args = ["device", "sign", stored.enrolment_id, str(document), "--platform", "alliance"]
    result = runner.invoke(app, [*args, *common], env=pin)
    assert result.exit_code == 0, result.output
    signature = bytes.fromhex(result.output.strip())
    public = Ed25519PublicKey.from_public_bytes(bytes(stored.public.group_public_key))
    public.verify(signature, hashlib.sha256(document.read_bytes()).digest())

    for _ in range(5):
        result = runner.invoke(app, [*args, *common], env={"HUREN_DEVICE_PIN": "000000"})
        assert result.exit_code == 1
    assert "KEY_LOCKED" in result.output
    result = runner.invoke(
        app, ["cosigner", "unlock", stored.enrolment_id, "--verified-by", "bank-card", *admin]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, [*args, *common], env=pin).exit_code == 0
    result = runner.invoke(
        app, ["cosigner", "unlock", stored.enrolment_id, "--verified-by", "bank-card", *admin]
    )
    assert result.exit_code == 1 and "ENROLMENT_STATE" in result.output
    result = runner.invoke(app, ["device", "list", *common])
    assert f"{stored.enrolment_id} signing ok: {hashlib.sha256(der).hexdigest()}" in result.output
    result = runner.invoke(app, ["device", "sessions", *common])
    assert "sign ok alliance sign" in result.output
    assert "PIN_PROOF_FAILED" in result.output
