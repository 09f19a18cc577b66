"""The command line: deploying to an external chain, and its input errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from huren.cli import app
from huren.registry.client import RegistryClient
from huren.registry.deploy import load_deployment
from huren.registry.jsonrpc import JsonRpcBackend
from tests.support.anvil import AnvilProcess

runner = CliRunner()


def test_deploy_writes_a_deployment_every_node_can_use(tmp_path: Path, anvil: AnvilProcess) -> None:
    key_file = tmp_path / "operator.key"
    key_file.write_text(anvil.faucet.key.hex())
    out = tmp_path / "deployment.json"
    founder = f"{anvil.faucet.address}:Jiaxing:330400"
    result = runner.invoke(
        app,
        [
            "deploy",
            "--chain-url",
            anvil.url,
            "--chain-id",
            str(anvil.chain_id),
            "--operator-key",
            str(key_file),
            "--founder",
            founder,
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    deployment = load_deployment(out)
    backend = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)
    try:
        client = RegistryClient(backend, deployment)
        assert client.members() == (anvil.faucet.address,)
        assert client.member(anvil.faucet.address).region_code == 330400
    finally:
        backend.close()


def _deploy_to_nowhere(tmp_path: Path, founder: str) -> Result:
    """``huren deploy`` against a port where no chain listens."""
    key_file = tmp_path / "operator.key"
    key_file.write_text("11" * 32)
    args = ["--chain-url", "http://127.0.0.1:9", "--chain-id", "1", "--operator-key"]
    return runner.invoke(app, ["deploy", *args, str(key_file), "--founder", founder])


def test_deploy_refuses_a_malformed_founder(tmp_path: Path) -> None:
    result = _deploy_to_nowhere(tmp_path, "nonsense")
    assert result.exit_code == 2
    assert "ADDRESS:NAME:REGION_CODE" in result.output


def test_deploy_reports_an_unreachable_chain(tmp_path: Path) -> None:
    result = _deploy_to_nowhere(tmp_path, "0x" + "11" * 20 + ":A:330400")
    assert result.exit_code == 2
    assert "ChainUnavailable" in result.output


def test_deploy_takes_the_founders_file_of_a_generated_network(
    tmp_path: Path, anvil: AnvilProcess
) -> None:
    import json

    net = tmp_path / "net"
    made = runner.invoke(
        app, ["network", "besu", "--center", "jiaxing", "--center", "nantong", "--out", str(net)]
    )
    assert made.exit_code == 0, made.output
    founders_file = net / "founders.json"
    unfilled = runner.invoke(
        app,
        [
            "deploy",
            "--chain-url",
            anvil.url,
            "--chain-id",
            str(anvil.chain_id),
            "--operator-key",
            str(net / "jiaxing" / "operator.key"),
            "--founders",
            str(founders_file),
        ],
    )
    assert unfilled.exit_code == 2 and "regionCode" in unfilled.output

    raw = json.loads(founders_file.read_text())
    for entry, code in zip(raw["founders"], (330400, 320600), strict=True):
        entry["name"], entry["regionCode"] = entry["center"].title(), code
    founders_file.write_text(json.dumps(raw))
    operator_key = net / "jiaxing" / "operator.key"
    backend = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id, faucet=anvil.faucet)
    try:
        from eth_account import Account

        backend.fund(Account.from_key(operator_key.read_text().strip()).address, 10**21)
        out = tmp_path / "deployment.json"
        result = runner.invoke(
            app,
            [
                "deploy",
                "--chain-url",
                anvil.url,
                "--chain-id",
                str(anvil.chain_id),
                "--operator-key",
                str(operator_key),
                "--founders",
                str(founders_file),
                "--out",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        client = RegistryClient(backend, load_deployment(out))
        assert {client.member(a).region_code for a in client.members()} == {330400, 320600}
    finally:
        backend.close()
