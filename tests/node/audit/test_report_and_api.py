"""The report (JSON and HTML with plots), a node's API as a source, and ``huren audit
replay`` end to end on an embedded chain."""

from __future__ import annotations

import datetime
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from typer.testing import CliRunner

from huren.api.app import create_app
from huren.cli import app as cli
from huren.node import demo
from huren.node.audit.compare import compare
from huren.node.audit.records import expected
from huren.node.audit.replay import replay
from huren.node.audit.report_html import bar_chart, line_chart, month_range, render_html
from huren.node.audit.run import ApiSource, run_replay_audit
from huren.node.audit.source_api import ApiError, HttpTransport, read_api
from huren.node.db.engine import make_engine, migrate
from huren.node.indexer import Indexer
from huren.node.indexer_projection import T_CA_OPERATORS, T_CERTIFICATES
from huren.registry.client import RegistryClient
from huren.registry.deploy import save_deployment
from huren.registry.jsonrpc import JsonRpcBackend
from huren.registry.types import Deployment
from tests.api.conftest import ADMIN_KEY, ApiSettings, Services
from tests.node.audit.conftest import AuditedChain
from tests.node.test_indexer import exercise, index_all
from tests.support.anvil import AnvilProcess

NOW = datetime.datetime(2027, 1, 15, 8, 0, tzinfo=datetime.UTC)


class ClientTransport:
    """``ApiTransport`` over FastAPI's test client (the same requests ``HttpTransport``
    sends, without a socket)."""

    name = "api test"

    def __init__(self, http: TestClient, key: str = ADMIN_KEY) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {key}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._check(self._http.get(path, params=params, headers=self._headers))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._check(self._http.post(path, json=body, headers=self._headers))

    @staticmethod
    def _check(response: Any) -> Any:
        if response.status_code != 200:
            raise ApiError(f"HTTP {response.status_code}: {response.text}")
        return response.json()


def api_of(chain: AuditedChain) -> TestClient:
    operator = demo.center_account("jiaxing")
    services = Services(
        settings=ApiSettings(),
        backend=chain.backend,
        client=RegistryClient(chain.backend, chain.deployment, operator),
        operator=operator,
        engine=chain.engine,
        indexer=Indexer(chain.engine, chain.backend, chain.deployment),
    )
    return TestClient(create_app(services))


def test_the_report_counts_plots_and_cites(audited: AuditedChain) -> None:
    staff = audited.facts["staff"].fingerprint
    with audited.engine.begin() as conn:
        conn.execute(delete(T_CERTIFICATES).where(T_CERTIFICATES.c.fingerprint == staff))
    report = run_replay_audit(
        audited.backend,
        audited.deployment,
        indexes=[("node", audited.engine)],
        clock=lambda: NOW,
    )
    data = report.to_json()
    assert data["clean"] is False
    assert data["generated_at"] == NOW.isoformat()
    assert data["replay"]["records"]["certificate"] == 6
    assert [s["source"] for s in data["sources"]] == ["contracts", "node"]
    assert [s["differences"] for s in data["sources"]] == [0, 1]
    (diff,) = data["differences"]
    assert (diff["difference"], diff["key"]) == ("missing", "0x" + staff.hex())
    assert diff["evidence"][0]["event"] == "CertificateRecorded"
    stats = data["statistics"]
    assert sum(sum(months.values()) for months in stats["issued"].values()) == 6
    assert stats["issued"].keys() == {"zjca"}
    assert sum(stats["revoked"]["zjca"].values()) == 1
    assert stats["by_scope_center"] == {"alliance": 5, "regional: 嘉兴市公共资源交易中心": 1}
    json.dumps(data)  # plain JSON all through

    page = render_html(report)
    assert (
        page.count("<svg") == 3
        and "<script" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    assert "0x" + staff.hex() in page and "CertificateRecorded" in page
    assert "嘉兴市公共资源交易中心" in page


def test_plots_scale_to_their_data_and_escape_labels() -> None:
    svg = line_chart("t", {"<ca>": {"2026-01": 3, "2026-02": 12}, "b": {"2026-02": 1}})
    assert "&lt;ca&gt;" in svg and "<ca>" not in svg
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 4
    bars = bar_chart("scope", {"alliance": 70, "regional: x": 30})
    assert bars.count("<rect") == 4  # two bars, two legend swatches
    assert ">70<" in bars and ">30<" in bars
    assert "nothing to plot" in line_chart("empty", {})
    assert month_range(["2026-11", "2027-02", "2026-12"]) == [
        "2026-11", "2026-12", "2027-01", "2027-02",
    ]  # fmt: skip
    gaps = line_chart("t", {"a": {"2026-11": 1, "2027-02": 2}}, month_range(["2026-11", "2027-02"]))
    assert gaps.count("<circle") == 4 and "a 2027-01: 0" in gaps


def test_a_clean_api_agrees_and_a_corrupted_one_is_reported(audited: AuditedChain) -> None:
    state = replay(audited.backend, audited.deployment)
    with api_of(audited) as http:
        clean = read_api(ClientTransport(http), state)
        assert compare(expected(state), clean) == []
        assert len(clean.records["certificate"]) == 6 and len(clean.records["proposal"]) > 0
        old = audited.facts["old"].fingerprint
        staff = audited.facts["staff"].fingerprint
        operator = demo.ca_operator_account("zjca").address
        with audited.engine.begin() as conn:
            conn.execute(
                update(T_CERTIFICATES)
                .where(T_CERTIFICATES.c.fingerprint == old)
                .values(status=1, revoked_block_number=None, revoked_block_hash=None,
                        revoked_transaction_hash=None, revoked_log_index=None)
            )  # fmt: skip
            conn.execute(delete(T_CERTIFICATES).where(T_CERTIFICATES.c.fingerprint == staff))
            conn.execute(delete(T_CA_OPERATORS).where(T_CA_OPERATORS.c.account == operator))
    # A node that starts on the corrupted index: a running one keeps answering from what it
    # read at the current block (its caches) until the indexer moves on.
    with api_of(audited) as http:
        dirty = read_api(ClientTransport(http), state)
    diffs = compare(expected(state), dirty)
    found = {(d.difference, d.record, d.key, d.field) for d in diffs}
    old_key = "0x" + old.hex()
    assert ("differs", "certificate", old_key, "status") in found
    assert ("differs", "certificate", old_key, "revocation.transaction_hash") in found
    assert ("missing", "certificate", "0x" + staff.hex(), None) in found
    assert ("missing", "ca_operator", f"zjca:{operator}", None) in found
    assert {d.key for d in diffs} == {old_key, "0x" + staff.hex(), f"zjca:{operator}"}


def test_an_api_that_answers_nonsense_is_an_error(audited: AuditedChain) -> None:
    state = replay(audited.backend, audited.deployment)

    class Garbage:
        name = "garbage"

        def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
            return [{"unexpected": True}]

        def post(self, path: str, body: dict[str, Any]) -> Any:
            return {}

    with pytest.raises(ApiError, match="not a huren answer"):
        read_api(Garbage(), state)


def test_run_compares_with_an_api_too(audited: AuditedChain) -> None:
    with api_of(audited) as http:
        stages: list[str] = []

        class Sink:
            def update(self, stage: str, done: int, total: int) -> None:
                stages.append(stage)

        report = run_replay_audit(
            audited.backend,
            audited.deployment,
            views=False,
            apis=[ApiSource(ClientTransport(http), "jiaxing-ggzy")],
            progress=Sink(),
            clock=lambda: NOW,
        )
    assert report.clean
    assert [s.source for s in report.sources] == ["api test"]
    assert "certificates asked for at platform jiaxing-ggzy" in report.sources[0].notes
    assert {"replay", "api test"} <= set(stages)


def test_the_command_writes_both_reports_and_exits_by_the_verdict(
    _audited_template: tuple[Path, Deployment, dict[str, Any]], tmp_path: Path
) -> None:
    template, deployment, facts = _audited_template
    data_dir = tmp_path / "node"
    shutil.copytree(template, data_dir, ignore=shutil.ignore_patterns("LOCK"))
    save_deployment(data_dir / "deployment.json", deployment)
    db = f"sqlite:///{data_dir / 'node.db'}"
    args = ["audit", "replay", "--data-dir", str(data_dir), "--index", db]
    out = ["--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")]
    runner = CliRunner()
    clean = runner.invoke(cli, [*args, *out])
    assert clean.exit_code == 0, clean.output
    assert json.loads((tmp_path / "r.json").read_text())["clean"] is True
    assert "<svg" in (tmp_path / "r.html").read_text()

    from sqlalchemy import create_engine

    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(
            update(T_CERTIFICATES)
            .where(T_CERTIFICATES.c.fingerprint == facts["enterprise"].fingerprint)
            .values(not_before=0)
        )
    engine.dispose()
    dirty = runner.invoke(cli, [*args, *out])
    assert dirty.exit_code == 1, dirty.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert [(d["field"], d["actual"]) for d in report["differences"]] == [("not_before", 0)]
    assert "not_before" in dirty.output and "1 difference" in dirty.output


def test_the_command_refuses_two_chains_or_none(tmp_path: Path) -> None:
    runner = CliRunner()
    both = runner.invoke(
        cli, ["audit", "replay", "--chain-url", "http://127.0.0.1:1", "--data-dir", str(tmp_path)]
    )
    assert both.exit_code == 2 and "exactly one" in both.output
    neither = runner.invoke(cli, ["audit", "replay"])
    assert neither.exit_code == 2


@pytest.mark.anvil
def test_the_command_audits_a_json_rpc_chain(anvil: AnvilProcess, tmp_path: Path) -> None:
    """The same audit over JSON-RPC (anvil): logs fetched in large ranges, views read by the
    thread pool, a node's index compared; then a corrupted index is caught."""
    backend = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)
    try:
        deployment = demo.seed(backend)
        facts = exercise(backend, deployment)
        db = f"sqlite:///{tmp_path / 'node.db'}"
        migrate(db)
        engine = make_engine(db)
        index_all(Indexer(engine, backend, deployment))
    finally:
        backend.close()
    save_deployment(tmp_path / "deployment.json", deployment)
    args = [
        "audit",
        "replay",
        "--chain-url",
        anvil.url,
        "--deployment",
        str(tmp_path / "deployment.json"),
    ]
    args += ["--index", db, "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")]
    runner = CliRunner()
    clean = runner.invoke(cli, args)
    assert clean.exit_code == 0, clean.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["replay"]["records"]["certificate"] == 6
    assert [s["differences"] for s in report["sources"]] == [0, 0]

    with engine.begin() as conn:
        conn.execute(
            update(T_CERTIFICATES)
            .where(T_CERTIFICATES.c.fingerprint == facts["old"].fingerprint)
            .values(revocation_reason=1)
        )
    engine.dispose()
    dirty = runner.invoke(cli, args)
    assert dirty.exit_code == 1, dirty.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert [(d["field"], d["expected"], d["actual"]) for d in report["differences"]] == [
        ("revocation_reason", "superseded", "key_compromise")
    ]


def test_the_http_transport_sends_the_key_and_turns_failures_into_api_errors() -> None:
    seen: list[tuple[str, str | None, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen.append((self.path, self.headers.get("Authorization"), self.rfile.read(length)))
            status = 403 if self.path.startswith("/refused") else 200
            body = b'{"code": "NO"}' if status == 403 else b'{"ok": [1, 2]}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        api = HttpTransport(base, "hrk_secret", timeout_s=5)
        assert api.get("/v1/x", {"limit": 5}) == {"ok": [1, 2]}
        assert api.post("/v1/y", {"a": 1}) == {"ok": [1, 2]}
        assert seen[0] == ("/v1/x?limit=5", "Bearer hrk_secret", b"")
        assert seen[1] == ("/v1/y", "Bearer hrk_secret", b'{"a": 1}')
        with pytest.raises(ApiError, match="HTTP 403"):
            api.get("/refused")
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(ApiError):
        HttpTransport(base, "k", timeout_s=5).get("/v1/x")  # nobody listens any more
