"""Who holds a certificate, statements left pending, the phone's check of the node's
statement, and ``huren device zone …`` — on a world of their own (a fresh chain)."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from huren import cli_device
from huren.cli import app
from huren.device.errors import ProtocolViolation
from huren.device.zones import ZoneClient, ZoneRefused
from huren.node import demo
from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.engine import write_session
from huren.node.db.zones_tables import ZoneStatementRecord, ZoneStatementState
from huren.node.zones.service import PENDING_GIVE_UP_S
from huren.node.zones.statement import ZoneStatement
from huren.registry.types import KeyUsage
from tests.api.access_table import account_token
from tests.api.cosigner.support import PIN
from tests.api.zones.conftest import PHONE, PLATFORM, ZoneWorld

runner = CliRunner()


def _statement(w: ZoneWorld, action: str = "bind", issued_at: int | None = None) -> ZoneStatement:
    return ZoneStatement.new(
        action,  # type: ignore[arg-type]
        chain_id=w.env.deployment.chain_id,
        registry=w.env.deployment.registry,
        platform_id=PLATFORM,
        fingerprint=bytes.fromhex(w.fingerprint),
        account_id=w.account_id,
        issued_at=w.clock.now if issued_at is None else issued_at,
    )


def _pending(w: ZoneWorld, st: ZoneStatement, received_at: int) -> None:
    with write_session(w.env.services.engine) as session:
        session.add(
            ZoneStatementRecord(
                evidence_hash=st.evidence_hash,
                fingerprint=st.fingerprint,
                platform_id=st.platform_id,
                action=st.action,
                account_id=st.account_id,
                nonce=st.nonce,
                issued_at=st.issued_at,
                statement=st.to_bytes(),
                signature=b"\0" * 64,
                public_key=b"\0" * 32,
                key_source="cosigner",
                state=ZoneStatementState.PENDING,
                received_at=received_at,
            )
        )


def _row(w: ZoneWorld, evidence: bytes) -> ZoneStatementRecord:
    with Session(w.env.services.engine) as session:
        row = session.get(ZoneStatementRecord, evidence)
    assert row is not None
    return row


def test_pending_statements_are_settled_from_the_index(zone_world: ZoneWorld) -> None:
    """The node stopped after sending: the statement is pending. The index decides."""
    w = zone_world
    mined, lost, young = _statement(w), _statement(w, issued_at=1), _statement(w)
    _pending(w, mined, w.clock.now)
    _pending(w, lost, w.clock.now - PENDING_GIVE_UP_S - 1)
    _pending(w, young, w.clock.now)
    tx = w.env.services.client.bind_certificate(
        mined.fingerprint, PLATFORM, mined.evidence_hash
    )  # what the node had sent
    assert w.zones.settle_pending() == 1  # not indexed yet: only the lost one is settled
    assert _row(w, lost.evidence_hash).state == "failed"
    assert _row(w, lost.evidence_hash).result == "NOT_ON_CHAIN"
    w.env.index()
    assert w.zones.settle_pending() == 1
    settled = _row(w, mined.evidence_hash)
    assert (settled.state, settled.transaction_hash) == ("recorded", tx.transaction_hash)
    assert settled.block_number == tx.block_number
    assert _row(w, young.evidence_hash).state == "pending"
    w.env.services.client.unbind_certificate(
        mined.fingerprint, PLATFORM, hashlib.sha256(b"cleanup").digest()
    )
    w.env.index()
    # A pending statement's nonce stays taken: sent again, it is a replay.
    body = {
        "statement": base64.b64encode(young.to_bytes()).decode(),
        "signature": base64.b64encode(b"\0" * 64).decode(),
        "code": "123456",
    }
    replay = w.env.http.post("/v1/zones/bind", json=body, headers=w.headers())
    assert (replay.status_code, replay.json()["code"]) == (409, "ZONE_STATEMENT_REPLAYED")


def test_a_certificate_another_account_holds(zone_world: ZoneWorld) -> None:
    """The node's applications gave the certificate to another account: this one may not
    bind it, however it signs; the holder sees it (bound nowhere)."""
    w = zone_world
    other = account_token(w.env.http, "13900139103")
    other_id = w.env.http.get("/v1/account", headers=w.headers(other)).json()["id"]
    now = w.clock.now
    with write_session(w.env.services.engine) as session:
        session.add(
            Application(
                id="a" * 16,
                account_id=other_id,
                kind="personal",
                state="issued",
                ca_id="zjca",
                platform_id="alliance",
                center=demo.center_account("jiaxing").address,
                validity_years=1,
                fee_fen=0,
                holder=b"\1" * 32,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        session.add(
            HeldCertificate(
                fingerprint=bytes.fromhex(w.fingerprint),
                account_id=other_id,
                application_id="a" * 16,
                ca_id="zjca",
                usage=int(KeyUsage.SIGNING),
                partner=b"\2" * 32,
                name="someone else's",
                not_before=now - 10,
                not_after=now + 10_000,
            )
        )
    code = w.code("bind")
    with pytest.raises(ZoneRefused, match="NOT_CERTIFICATE_HOLDER"):
        w.holder.bind(w.enrolment_id, w.fingerprint, PLATFORM, pin=PIN, code=code)
    theirs = w.env.http.get(f"/v1/zones/certificates/{w.fingerprint}", headers=w.headers(other))
    assert theirs.status_code == 200 and theirs.json() == []
    mine = w.env.http.get(f"/v1/zones/certificates/{w.fingerprint}", headers=w.headers())
    assert mine.status_code == 404
    with write_session(w.env.services.engine) as session:  # give it back for what follows
        held = session.get(HeldCertificate, bytes.fromhex(w.fingerprint))
        assert held is not None
        session.delete(held)


def test_the_phone_signs_only_what_was_asked(zone_world: ZoneWorld) -> None:
    w = zone_world
    other_platform = _statement(w).to_bytes().replace(b"jiaxing-ggzy", b"nantong-ggzy")
    stale = _statement(w, issued_at=w.clock.now - 3600).to_bytes()

    def node_answering(raw: bytes) -> ZoneClient:
        def handler(request: httpx.Request) -> httpx.Response:
            assert request.url.path == "/v1/zones/statements"  # nothing else is asked
            return httpx.Response(201, json={"statement": base64.b64encode(raw).decode()})

        http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://node")
        return ZoneClient(w.device, http, w.token, clock=w.clock)

    for raw, why in (
        (other_platform, "not the one asked for"),
        (stale, "far from this device's clock"),
        (b"sign this\n", "malformed"),
    ):
        with pytest.raises(ProtocolViolation, match=why):
            node_answering(raw).bind(w.enrolment_id, w.fingerprint, PLATFORM, pin=PIN, code="1")


def test_the_command_line(
    zone_world: ZoneWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = zone_world
    # The command line's device reads the real time; the module's clock was read at import,
    # minutes ago in a long run (the node refuses a statement dated far from its clock).
    w.clock.now = int(time.time())
    monkeypatch.setattr(
        cli_device,
        "http_client",
        lambda server: httpx.Client(transport=w.env.http._transport, base_url=server),
    )
    home = w.device.store.root
    common = ["--home", str(home), "--server", "http://testserver"]
    env = {"HUREN_ACCOUNT_TOKEN": w.token, "HUREN_DEVICE_PIN": PIN}

    def run(*args: str) -> str:
        result = runner.invoke(app, ["device", "zone", *args, *common], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "no zone" in run("list")
    assert "code sent" in run("code", "bind")
    code = re.search(r"\d{6}", w.sms.outbox(PHONE)[0].text)
    assert code is not None
    out = run("bind", w.enrolment_id, w.fingerprint, "--platform", PLATFORM, "--code", code.group())
    evidence = re.search(r"evidence 0x([0-9a-f]{64})", out)
    assert evidence is not None
    assert w.env.services.client.binding(bytes.fromhex(w.fingerprint), PLATFORM) == bytes.fromhex(
        evidence.group(1)
    )
    w.env.index()
    assert w.fingerprint in run("list")
    run("code", "unbind")
    code = re.search(r"\d{6}", w.sms.outbox(PHONE)[0].text)
    assert code is not None
    wrong = runner.invoke(
        app,
        [
            "device",
            "zone",
            "unbind",
            w.enrolment_id,
            w.fingerprint,
            "--platform",
            PLATFORM,
            "--code",
            "000000" if code.group() != "000000" else "111111",
            *common,
        ],
        env=env,
    )
    assert wrong.exit_code == 1 and "WRONG_CODE" in wrong.output
    run("unbind", w.enrolment_id, w.fingerprint, "--platform", PLATFORM, "--code", code.group())
    assert w.env.services.client.binding(bytes.fromhex(w.fingerprint), PLATFORM) is None
