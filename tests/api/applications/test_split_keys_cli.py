"""``huren device download APPLICATION_ID`` against the app in process: the account token
from the environment, the keys enrolled and the certificates kept on the device; run
again, the same certificates (no new keys); a refusal is a clean exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huren import cli_device
from huren.cli import app
from huren.device.pin import TEST_PARAMS
from huren.device.sdk import Device
from huren.device.store import DeviceStore
from tests.api.applications.conftest import ALICE, AppApi
from tests.api.applications.split_support import PIN, install_cosigner, personal, phone, token

runner = CliRunner()


def test_download_from_the_command_line(
    api: AppApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_cosigner(api)

    def device(home: Path, server: str) -> Device:
        made = phone(api, home)
        assert made.pin_params == TEST_PARAMS  # cheap Argon2id for the test
        return made

    monkeypatch.setattr(cli_device, "_device", device)
    alice = api.person(ALICE)
    app_id = personal(api, alice, ALICE)
    home = tmp_path / "phone"
    args = ["device", "download", app_id, "--home", str(home), "--server", "http://testserver"]
    env = {"HUREN_DEVICE_PIN": PIN, "HUREN_ACCOUNT_TOKEN": token(alice)}

    refused = runner.invoke(app, args, env=env)  # approved, not paid yet
    assert refused.exit_code == 1 and "NOT_PAID" in refused.output, refused.output
    api.pay(alice, app_id)
    done = runner.invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    stored = {e.purpose: e for e in DeviceStore(home).enrolments()}
    assert set(stored) == {"signing", "encryption"}  # the keys of the refused run, reused
    state = json.loads((home / "applications" / f"{app_id}.json").read_text())
    assert stored["signing"].certificates == [state["signing_fingerprint"]]
    assert stored["encryption"].certificates == [state["encryption_fingerprint"]]
    assert state["signing_fingerprint"] in done.output
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 0 and again.output == done.output
    assert len(DeviceStore(home).enrolments()) == 2
