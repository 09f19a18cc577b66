"""``huren pki new-ca`` writes a CA directory the node loads, with the issuer key id the
accreditation proposal needs, and never overwrites."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from huren.cli import app
from huren.node import demo
from huren.node.pki.service import load_cas


def test_new_ca_writes_what_the_node_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUREN_CA_PASSPHRASE", "a passphrase for tests")
    key_file = tmp_path / "operator.hex"
    key_file.write_text(demo.ca_operator_account("zjca").key.hex())
    args = [
        "pki", "new-ca", "--ca-id", "newca", "--name", "New CA Ltd",
        "--public-url", "https://node.example", "--operator-key", str(key_file),
        "--data-dir", str(tmp_path / "data"), "--root-key-out", str(tmp_path / "root.key.pem"),
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (ca,) = load_cas(
        tmp_path / "data", "https://node.example", b"a passphrase for tests", dev_demo=False
    )
    assert ca.ca_id == "newca" and ca.name == "New CA Ltd"
    assert f"0x{ca.issuer_key_id.hex()}" in result.output
    assert ca.operator.address == demo.ca_operator_account("zjca").address
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "root.key.pem").read_bytes()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "not overwriting" in again.output
