"""The app as a whole: health, readiness, the node's lifetime, the problem format."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from huren.api.app import create_app
from huren.node import demo
from huren.node.node import Node
from huren.node.settings import Settings
from tests.api.conftest import ApiEnv

PROBLEM = "application/problem+json"


def test_health_needs_no_key_and_touches_nothing(env: ApiEnv) -> None:
    r = env.http.get("/v1/health")
    assert r.status_code == 200 and r.json() == {"status": "up"}


def test_ready_while_the_index_keeps_up_not_ready_when_it_lags(env: ApiEnv) -> None:
    ready = env.http.get("/v1/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "ready": True,
        "lag_blocks": 0,
        "confirmations": 0,
        "indexed_block": env.backend.block_number(),
    }
    env.backend.fund(demo.center_account("nantong").address, 1)  # a block not yet indexed
    behind = env.http.get("/v1/ready")
    assert behind.status_code == 503
    assert behind.headers["content-type"] == PROBLEM
    assert behind.json()["code"] == "INDEX_BEHIND" and behind.json()["lag_blocks"] == 1
    env.index()
    assert env.http.get("/v1/ready").status_code == 200


def test_ready_tolerates_its_confirmations(env: ApiEnv) -> None:
    indexer = env.services.indexer
    indexer.confirmations = 2
    try:
        env.backend.fund(demo.center_account("nantong").address, 1)
        env.index()  # leaves the newest two blocks alone
        assert env.http.get("/v1/ready").status_code == 200
    finally:
        indexer.confirmations = 0
        env.index()


def test_unknown_routes_and_methods_are_problems(env: ApiEnv) -> None:
    r = env.http.get("/v1/nope")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "NOT_FOUND"
    r = env.http.put("/v1/health")
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"


def test_the_app_closes_the_node_on_shutdown(env: ApiEnv) -> None:
    before = env.services.closed
    with TestClient(create_app(env.services)) as client:
        assert client.get("/v1/health").status_code == 200
    assert env.services.closed == before + 1


def test_the_real_node_serves_the_api(tmp_path: Path) -> None:
    """``Node`` provides what ``create_app`` needs: index, indexer thread, keys, client."""
    node = Node.open(Settings(data_dir=tmp_path, admin_api_key=SecretStr("n" * 40)))
    assert node.demo_api_key is not None
    with TestClient(create_app(node)) as client:
        assert client.get("/v1/ready").status_code == 200
        platform = {"X-API-Key": node.demo_api_key}
        r = client.get("/v1/recognition", params={"fingerprint": "ab" * 32}, headers=platform)
        assert r.status_code == 200 and r.json()["reasons"] == ["UNKNOWN_CERTIFICATE"]
        admin = {"Authorization": "Bearer " + "n" * 40}
        body = {"kind": "set_quorum", "quorum_percent": 60}
        r = client.post("/v1/consortium/proposals", json=body, headers=admin)
        assert r.status_code == 201 and r.json()["status"] == "open"
        pid = r.json()["proposal_id"]
        deadline = time.monotonic() + 10  # the indexer thread picks the proposal up
        while time.monotonic() < deadline:
            r = client.get(f"/v1/consortium/proposals/{pid}", headers=admin)
            if r.status_code == 200:
                break
            time.sleep(0.05)
        assert r.status_code == 200 and r.json()["kind"] == "set_quorum"


def test_a_failing_indexer_is_not_ready(env: ApiEnv) -> None:
    env.services.indexer.last_error = RuntimeError("database is locked")
    try:
        r = env.http.get("/v1/ready")
        assert r.status_code == 503 and r.json()["code"] == "INDEXER_FAILING"
    finally:
        env.services.indexer.last_error = None


def test_oversized_bodies_are_refused_before_they_are_read(env: ApiEnv) -> None:
    r = env.http.post(
        "/v1/recognition/batch", content=b"[" * (2 * 1024 * 1024), headers=env.headers()
    )
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"
