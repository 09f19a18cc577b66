"""``huren audit verify-proof``, ``verify-consistency`` and ``verify-oplog`` against an
embedded chain's directory: verified documents exit 0, tampered ones exit 1 with the reason,
usage mistakes exit 2."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner, Result

from huren.cli import app
from huren.node import demo
from huren.node.audit.checkpoints import AnchorPolicy, AuditService
from huren.node.audit.oplog import T_OPLOG, Operation, OperationRecord
from huren.node.audit.proofs import build_consistency, build_inclusion
from huren.node.db.engine import make_engine, migrate, write_connection
from huren.node.indexer import Indexer
from huren.registry.client import RegistryClient
from huren.registry.deploy import save_deployment
from huren.registry.types import CertificateInput, CertificateKind, KeyUsage, Scope
from tests.node.conftest import SeededChain

runner = CliRunner()


def text(result: Result) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


@dataclass
class Files:
    chain: Path
    deployment: Path
    inclusion: Path
    consistency: Path
    database_url: str
    stream: str


@pytest.fixture
def files(seeded: SeededChain, tmp_path: Path) -> Files:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    migrate(url)
    engine = make_engine(url)
    indexer = Indexer(engine, seeded.backend, seeded.deployment)
    operator = demo.center_account("jiaxing")
    service = AuditService(
        engine, seeded.backend, seeded.deployment, operator, AnchorPolicy(every_records=2)
    )
    zjca = RegistryClient(seeded.backend, seeded.deployment, demo.ca_operator_account("zjca"))
    fingerprints = []
    for n in (2, 3):
        now = int(time.time())
        certs = [
            CertificateInput(
                fingerprint=os.urandom(32),
                holder=os.urandom(32),
                not_before=now - 60,
                not_after=now + 86_400,
                kind=CertificateKind.PERSONAL,
                usage=KeyUsage.SIGNING,
                scope=Scope.ALLIANCE,
            )
            for _ in range(n)
        ]
        fingerprints += [c.fingerprint for c in certs]
        zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), certs)
        while not indexer.step().caught_up:
            pass
        service.oplog.append(OperationRecord("admin", Operation.REVOCATION, f"batch-{n}"))
        service.step()
    out = Files(
        seeded.path,
        tmp_path / "deployment.json",
        tmp_path / "inclusion.json",
        tmp_path / "consistency.json",
        url,
        operator.address,
    )
    save_deployment(out.deployment, seeded.deployment)
    with engine.connect() as conn:
        inclusion = build_inclusion(conn, service.tree, seeded.deployment, fingerprints[3])
        consistency = build_consistency(conn, service.tree, seeded.deployment, 2, 5)
    out.inclusion.write_text(json.dumps(inclusion.to_json()))
    out.consistency.write_text(json.dumps(consistency.to_json()))
    engine.dispose()
    seeded.backend.close()  # the CLI opens the chain directory itself
    return out


def test_verify_proof_passes_and_fails_for_the_right_reasons(files: Files) -> None:
    chain = ["--chain-dir", str(files.chain)]
    ok = runner.invoke(app, ["audit", "verify-proof", str(files.inclusion), *chain, "--rebuild"])
    assert ok.exit_code == 0, ok.output
    assert "VERIFIED" in text(ok) and "leaf 3 of the 5-leaf tree" in text(ok)
    assert "pin them with --deployment" in text(ok)
    pinned = [*chain, "--deployment", str(files.deployment)]
    assert (
        runner.invoke(app, ["audit", "verify-proof", str(files.inclusion), *pinned]).exit_code == 0
    )

    usage = runner.invoke(app, ["audit", "verify-proof", str(files.inclusion)])
    assert usage.exit_code == 2 and "name the chain" in text(usage)
    usage = runner.invoke(app, ["audit", "verify-proof", *chain])
    assert usage.exit_code == 2 and "give a proof file" in text(usage)

    document = json.loads(files.inclusion.read_text())
    document["audit_path"][0] = "0x" + "00" * 32
    files.inclusion.write_text(json.dumps(document))
    bad = runner.invoke(app, ["audit", "verify-proof", str(files.inclusion), *pinned])
    assert bad.exit_code == 1 and "ROOT_MISMATCH" in text(bad)

    document["format"] = "something else"
    files.inclusion.write_text(json.dumps(document))
    bad = runner.invoke(app, ["audit", "verify-proof", str(files.inclusion), *chain])
    assert bad.exit_code == 1 and "MALFORMED_PROOF" in text(bad)


def test_verify_consistency(files: Files) -> None:
    chain = ["--chain-dir", str(files.chain)]
    ok = runner.invoke(app, ["audit", "verify-consistency", str(files.consistency), *chain])
    assert ok.exit_code == 0, ok.output
    assert "2-leaf tree is a prefix of the 5-leaf tree" in text(ok)
    document = json.loads(files.consistency.read_text())
    document["root2"] = "0x" + "11" * 32
    files.consistency.write_text(json.dumps(document))
    bad = runner.invoke(app, ["audit", "verify-consistency", str(files.consistency), *chain])
    assert bad.exit_code == 1 and "ROOT_MISMATCH" in text(bad)


def test_verify_oplog_lists_the_findings(files: Files) -> None:
    args = [
        "audit",
        "verify-oplog",
        "--database-url",
        files.database_url,
        "--stream",
        files.stream,
        "--deployment",
        str(files.deployment),
        "--chain-dir",
        str(files.chain),
    ]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert "2 rows" in text(ok) and "1 anchored head(s) matched" in text(ok)
    engine = make_engine(files.database_url)
    with write_connection(engine) as conn:
        conn.execute(update(T_OPLOG).where(T_OPLOG.c.seq == 1).values(actor="mallory"))
    engine.dispose()
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1 and "edited at seq 1" in text(bad)


class FakeNode(http.server.BaseHTTPRequestHandler):
    """Serves the stored proof at the API's path for the right key and fingerprint."""

    document: bytes = b""
    fingerprint = ""

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if self.headers.get("X-API-Key") != "key-for-tests":
            self._answer(401, b'{"code": "UNAUTHENTICATED"}')
        elif url.path != "/v1/audit/proofs/inclusion" or query.get("fingerprint") != [
            self.fingerprint
        ]:
            self._answer(404, b'{"code": "UNKNOWN_LEAF"}')
        else:
            self._answer(200, self.document)

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_verify_proof_fetches_from_a_node(files: Files) -> None:
    document = files.inclusion.read_bytes()
    FakeNode.document = document
    FakeNode.fingerprint = json.loads(document)["fingerprint"]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeNode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        node = f"http://127.0.0.1:{server.server_address[1]}"
        base = ["audit", "verify-proof", "--node", node, "--chain-dir", str(files.chain)]
        ok = runner.invoke(
            app, [*base, "--fingerprint", FakeNode.fingerprint, "--api-key", "key-for-tests"]
        )
        assert ok.exit_code == 0, ok.output
        assert "VERIFIED" in text(ok)
        unknown = runner.invoke(
            app, [*base, "--fingerprint", "0x" + "00" * 32, "--api-key", "key-for-tests"]
        )
        assert unknown.exit_code == 1 and "UNKNOWN_LEAF" in text(unknown)
        no_key = runner.invoke(app, [*base, "--fingerprint", FakeNode.fingerprint])
        assert no_key.exit_code == 1 and "401" in text(no_key)
        usage = runner.invoke(app, base)
        assert usage.exit_code == 2 and "--fingerprint" in text(usage)
    finally:
        server.shutdown()
        server.server_close()
