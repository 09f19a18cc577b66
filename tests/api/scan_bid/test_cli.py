"""``huren bid encrypt/decrypt --by-scan`` (the bid tool, the opening hall) and ``huren device
scan`` for the encrypt and decrypt kinds, against the app in process. The phone answers when
the tool's request is created (a response hook on the tool's client), as a holder would after
scanning the QR code the tool printed."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from huren import cli_bid, cli_device
from huren.bid_scan_client import recipients_from
from huren.cli import app
from tests.api.cosigner.support import PIN
from tests.api.scan_bid.conftest import PLATFORM, World

runner = CliRunner()
CONTENT = os.urandom(150_000)
Answer = Callable[[str, str], None]  # (action, payload)


@pytest.fixture
def real_time(world: World) -> None:
    # The command line's device signs with the real time; the co-signer's clock must agree.
    world.clock.now = int(time.time())


def tool(world: World, monkeypatch: pytest.MonkeyPatch, answer: Answer) -> None:
    def on_response(response: httpx.Response) -> None:
        if response.request.method == "POST" and response.url.path == "/v1/scan/requests":
            response.read()
            if response.status_code == 201:
                created = response.json()
                answer(created["action"], created["payload"])

    def client(server: str, key: str) -> httpx.Client:
        return httpx.Client(
            transport=world.env.http._transport,
            base_url=server,
            headers={"Authorization": f"Bearer {key}"},
            event_hooks={"response": [on_response]},
        )

    monkeypatch.setattr(cli_bid, "platform_client", client)


def by_scan(world: World, command: str, source: Path, target: Path, *extra: str) -> Result:
    args = ["bid", command, "--by-scan", "--server", "http://testserver"]
    args += ["--platform-key", world.env.keys[PLATFORM], "--tender", "JX-2026-7", *extra]
    return runner.invoke(app, [*args, str(source), str(target)])


def test_encrypt_and_decrypt_by_scan_on_the_command_line(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, real_time: None
) -> None:
    alice, bob = world.alice, world.bob
    holders = {"encrypt": alice, "decrypt": bob}

    def answer(action: str, payload: str) -> None:
        holder = holders[action]
        scanned = holder.phone.scan(payload)
        if action == "encrypt":
            holder.bid.choose(scanned, pin=PIN, recipients=[alice.encryption_fp, bob.encryption_fp])
        else:
            holder.bid.decrypt(scanned, pin=PIN)

    tool(world, monkeypatch, answer)
    source, sealed, opened = tmp_path / "bid.pdf", tmp_path / "bid.hbf", tmp_path / "open.pdf"
    source.write_bytes(CONTENT)
    done = by_scan(world, "encrypt", source, sealed, "--title", "道路工程")
    assert done.exit_code == 0, done.output
    assert "/scan?v=1&p=alliance" in done.output  # the payload under the QR code
    assert "for 2 certificate(s)" in " ".join(done.output.split())
    done = by_scan(world, "decrypt", sealed, opened)
    assert done.exit_code == 0, done.output
    assert opened.read_bytes() == CONTENT
    assert f"opened as {bob.encryption_fp}" in " ".join(done.output.split())


def test_a_denied_scan_writes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, real_time: None
) -> None:
    tool(
        world, monkeypatch, lambda _, p: world.alice.phone.deny(world.alice.phone.scan(p)) and None
    )
    source, target = tmp_path / "bid.pdf", tmp_path / "out" / "bid.hbf"
    source.write_bytes(CONTENT)
    refused = by_scan(world, "encrypt", source, target)
    assert refused.exit_code == 1
    assert "SCAN_ANSWER_REFUSED" in refused.output and "denied" in refused.output
    assert not target.exists()


def test_by_scan_options_are_checked(world: World, tmp_path: Path) -> None:
    source = tmp_path / "bid.pdf"
    source.write_bytes(b"x")
    no_key = runner.invoke(
        app, ["bid", "encrypt", "--by-scan", "--tender", "T", str(source), str(tmp_path / "o")]
    )
    assert no_key.exit_code == 2 and "--platform-key" in no_key.output
    neither = runner.invoke(app, ["bid", "encrypt", str(source), str(tmp_path / "o")])
    assert neither.exit_code == 2 and "--to and --platform" in neither.output
    both = runner.invoke(
        app, ["bid", "decrypt", "--by-scan", "--key", str(source), str(source), "o"]
    )
    assert both.exit_code == 2 and "neither --key nor --device-home" in both.output


def test_device_scan_chooses_recipients_and_opens_for_the_hall(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, real_time: None
) -> None:
    monkeypatch.setattr(
        cli_device,
        "http_client",
        lambda server: httpx.Client(transport=world.env.http._transport, base_url=server),
    )
    alice, bob = world.alice, world.bob
    created = world.tool.create_encrypt("JX-2026-8", "监理标")
    args = ["device", "scan", created["payload"], "--approve", "--server", "http://testserver"]
    args += ["--home", str(alice.device.store.root), "--recipient", bob.encryption_fp]
    done = runner.invoke(app, args, env={"HUREN_DEVICE_PIN": PIN})
    assert done.exit_code == 0, done.output
    listed = " ".join(done.output.split())
    assert f"[ ] {alice.encryption_fp}" in listed and f"[x] {bob.encryption_fp}" in listed
    assert "approved" in listed
    chosen = recipients_from(world.tool.wait(created["request_id"], 0))
    assert [r.fingerprint.hex() for r in chosen] == [bob.encryption_fp]

    # the hall asks bob's phone to open a file encrypted to him
    from io import BytesIO

    from huren.bid_scan_client import ChosenByHolder, SealedAnswerDecapsulator
    from huren.node.bidfile import decrypt, encrypt
    from huren.node.bidfile.header import read_header

    out = BytesIO()
    encrypt(
        BytesIO(CONTENT),
        out,
        chosen,
        platform_id=PLATFORM,
        policy=ChosenByHolder([r.fingerprint for r in chosen], PLATFORM),
    )
    created, hall = world.tool.create_decrypt(
        read_header(BytesIO(out.getvalue())), "JX-2026-8", "t"
    )
    args = ["device", "scan", created["payload"], "--approve", "--server", "http://testserver"]
    done = runner.invoke(
        app, [*args, "--home", str(bob.device.store.root)], env={"HUREN_DEVICE_PIN": PIN}
    )
    assert done.exit_code == 0, done.output
    assert "open the bid file of tender JX-2026-8" in " ".join(done.output.split())
    plain = BytesIO()
    view = world.tool.wait(created["request_id"], 0)
    decrypt(BytesIO(out.getvalue()), plain, SealedAnswerDecapsulator(view, hall))
    assert plain.getvalue() == CONTENT
    assert hashlib.sha256(plain.getvalue()).digest() == hashlib.sha256(CONTENT).digest()
