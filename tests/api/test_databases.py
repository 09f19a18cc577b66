"""The API on SQLite and on PostgreSQL: the same answers, one snapshot per request."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.types import Scope

from huren.api import deps
from huren.api.app import create_app
from huren.api.routers import recognition
from huren.node import demo, platform_keys
from huren.node.db.engine import write_session
from huren.node.indexer import Indexer
from huren.node.recognition import read_transaction
from huren.registry.client import RegistryClient
from tests.api.conftest import ADMIN_KEY, NOW, ApiSettings, Services, cert_input, fp
from tests.node.conftest import SeededChain


def test_recognition_and_reads_on_each_database(
    seeded: SeededChain, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator = demo.center_account("jiaxing")
    services = Services(
        settings=ApiSettings(),
        backend=seeded.backend,
        client=RegistryClient(seeded.backend, seeded.deployment, operator),
        operator=operator,
        engine=engine,
        indexer=Indexer(engine, seeded.backend, seeded.deployment),
    )
    zjca = RegistryClient(seeded.backend, seeded.deployment, demo.ca_operator_account("zjca"))
    zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(fp("db-ent"))])
    while not services.indexer.step().caught_up:
        pass
    with write_session(engine) as session:
        key = platform_keys.issue_key(session, "alliance", center=operator.address, now=NOW).key
    app = create_app(services)
    with app.state.sessions() as session:
        level = session.connection().get_isolation_level()
    expected = "REPEATABLE READ" if engine.dialect.name == "postgresql" else "SERIALIZABLE"
    assert level == expected
    if engine.dialect.name == "postgresql":  # recognitions read in one such transaction too
        with read_transaction(app.state.read_engine) as db:
            cursor = db.dbapi.cursor()
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone()[0] == "repeatable read"
            cursor.close()
    fast: list[bool] = []
    real = recognition.fast_answer

    async def spy(scope: Scope) -> Any:
        response = await real(scope)
        fast.append(response is not None)
        return response

    monkeypatch.setattr(recognition, "fast_answer", spy)
    monkeypatch.setattr(deps, "LAG_CACHE_S", 3600.0)  # fresh for the second request, surely
    with TestClient(app) as client:
        params = {"fingerprint": fp("db-ent").hex(), "action": "seal"}
        for _ in range(2):  # the route, then the hot path (the key is cached by then)
            r = client.get("/v1/recognition", params=params, headers={"X-API-Key": key})
            assert r.status_code == 200 and r.json()["recognized"] is True
        assert fast == [False, True]
        body = {"fingerprints": [fp("db-ent").hex(), "00" * 32] * 500}
        r = client.post("/v1/recognition/batch", json=body, headers={"X-API-Key": key})
        assert r.status_code == 200 and r.json()["recognized_count"] == 500
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        cas = client.get("/v1/consortium/cas", headers=admin).json()
        assert {c["id"] for c in cas} == {c.ca_id for c in demo.CAS}
        assert client.get("/v1/consortium/proposals", headers=admin).status_code == 200
