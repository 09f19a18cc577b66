"""``huren device scan`` against the app in process: show, then approve with the PIN or deny."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from huren import cli_device
from huren.cli import app
from tests.api.cosigner.support import PIN
from tests.api.scan.conftest import World

runner = CliRunner()


@pytest.fixture(autouse=True)
def _real_time(world: World) -> None:
    """The command line's device signs with the real time; the module's clock was read at
    import, minutes ago in a long run (the co-signer refuses a timestamp 120 s off)."""
    world.clock.now = int(time.time())


def test_scan_approve_and_deny_from_the_command_line(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = world.env
    monkeypatch.setattr(
        cli_device,
        "http_client",
        lambda server: httpx.Client(transport=env.http._transport, base_url=server),
    )
    home = Path(world.device.store.root)
    common = ["--home", str(home), "--server", "http://testserver"]
    created = world.create("sign", params={"digest_sha256": "ab" * 32, "title": "合同"})
    result = runner.invoke(
        app, ["device", "scan", created["payload"], *common], input=f"y\n{PIN}\n"
    )
    assert result.exit_code == 0, result.output
    assert "合同" in result.output and "approved" in result.output
    assert world.status(created["request_id"])["status"] == "approved"

    created = world.create("login")
    result = runner.invoke(app, ["device", "scan", created["payload"], "--deny", *common])
    assert result.exit_code == 0, result.output
    assert world.status(created["request_id"])["status"] == "denied"
    result = runner.invoke(app, ["device", "scan", created["payload"], "--deny", *common])
    assert result.exit_code == 1 and "SCAN_REQUEST_USED" in result.output


def test_sessions_from_the_command_line(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    env = world.env
    monkeypatch.setattr(
        cli_device,
        "http_client",
        lambda server: httpx.Client(transport=env.http._transport, base_url=server),
    )
    home = Path(world.device.store.root)
    common = ["--home", str(home), "--server", "http://testserver"]
    pin = {"HUREN_DEVICE_PIN": PIN}
    result = runner.invoke(
        app, ["device", "session", "start", "--platform", "alliance", *common], env=pin
    )
    assert result.exit_code == 0, result.output
    session_id = result.output.split()[0]
    fingerprint = hashlib.sha256(world.der).hexdigest()
    pushed = []
    for title in ("签 A", "拒 B"):
        response = env.http.post(
            "/v1/scan/requests",
            json={
                "action": "sign",
                "params": {"digest_sha256": "cd" * 32, "title": title},
                "session_fingerprint": fingerprint,
            },
            headers=env.headers("alliance"),
        )
        assert response.status_code == 201, response.text
        pushed.append(response.json()["request_id"])
    result = runner.invoke(
        app, ["device", "session", "run", session_id, *common], env=pin, input="y\nn\n"
    )
    assert result.exit_code == 0, result.output
    assert f"{pushed[0]} approved" in result.output and f"{pushed[1]} denied" in result.output
    result = runner.invoke(app, ["device", "session", "list", *common])
    assert result.exit_code == 0 and session_id in result.output
    result = runner.invoke(app, ["device", "session", "end", session_id, *common])
    assert result.exit_code == 0 and "ended" in result.output
    result = runner.invoke(app, ["device", "session", "end", session_id, *common])
    assert result.exit_code == 1 and "SIGNING_SESSION_REFUSED" in result.output
