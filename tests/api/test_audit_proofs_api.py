"""The audit-proof API: inclusion and consistency proofs that verify against the chain,
the anchored checkpoints, and every error as problem JSON with a stable code."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huren.api.app import create_app
from huren.node import demo
from huren.node.audit.checkpoints import AnchorPolicy, AuditService
from huren.node.audit.oplog import Operation, OperationRecord
from huren.node.audit.proofs import ConsistencyProof, InclusionProof
from huren.node.audit.verify import verify_consistency_on_chain, verify_inclusion_on_chain
from huren.node.db.engine import make_engine
from huren.node.indexer import Indexer
from huren.registry.client import RegistryClient
from huren.registry.embedded import EmbeddedBackend
from huren.registry.types import Deployment
from tests.api.conftest import ADMIN_KEY, ApiSettings, Services, cert_input, fp


@dataclass
class AuditServices(Services):
    audit: AuditService | None = None
    deployment: Deployment | None = None


@dataclass
class Env:
    http: TestClient
    services: AuditServices
    deployment: Deployment
    fps: list[bytes]

    def get(self, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        return self.http.get(path, params=params, headers=headers)


@pytest.fixture(scope="module")
def audit_env(
    _api_template: tuple[Path, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    template, deployment = _api_template
    root = tmp_path_factory.mktemp("audit-api")
    shutil.copytree(template, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("LOCK"))
    backend = EmbeddedBackend(root / "chain", snapshot_every=0)
    db = make_engine(f"sqlite:///{root / 'node.db'}")
    operator = demo.center_account("jiaxing")
    indexer = Indexer(db, backend, deployment)
    audit = AuditService(db, backend, deployment, operator, AnchorPolicy(every_records=3))
    services = AuditServices(
        ApiSettings(),
        backend,
        RegistryClient(backend, deployment, operator),
        operator,
        db,
        indexer,
        audit=audit,
        deployment=deployment,
    )
    zjca = RegistryClient(backend, deployment, demo.ca_operator_account("zjca"))
    fps = [fp(f"audit-api-{i}") for i in range(7)]
    for batch in (fps[:3], fps[3:]):
        zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(f) for f in batch])
        while not indexer.step().caught_up:
            pass
        audit.step()  # anchors 3, then 7
    audit.oplog.append(OperationRecord("admin", Operation.ADMIN_TRANSFER, "enterprise-1"))
    audit.step()
    env = Env(TestClient(create_app(services)), services, deployment, fps)
    with env.http:
        yield env
    backend.close()
    db.dispose()


def test_an_inclusion_proof_from_the_api_verifies_with_the_chain(audit_env: Env) -> None:
    answer = audit_env.get("/v1/audit/proofs/inclusion", fingerprint=audit_env.fps[1].hex())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["format"] == "huren-inclusion-proof/1"
    assert (body["leaf_index"], body["tree_size"]) == (1, 7)
    proof = InclusionProof.from_json(body)
    verify_inclusion_on_chain(proof, audit_env.services.backend, audit_env.deployment)
    older = audit_env.get(
        "/v1/audit/proofs/inclusion", fingerprint="0x" + audit_env.fps[1].hex(), tree_size=3
    )
    assert older.json()["tree_size"] == 3 and older.json()["checkpoint"]["index"] == 0
    verify_inclusion_on_chain(
        InclusionProof.from_json(older.json()), audit_env.services.backend, rebuild=True
    )


def test_a_consistency_proof_from_the_api_verifies_with_the_chain(audit_env: Env) -> None:
    answer = audit_env.get("/v1/audit/proofs/consistency", first=3)
    assert answer.status_code == 200, answer.text
    proof = ConsistencyProof.from_json(answer.json())
    assert (proof.size1, proof.size2) == (3, 7)
    verified = verify_consistency_on_chain(proof, audit_env.services.backend)
    assert len(verified.checkpoints) == 2


def test_checkpoints_are_listed_with_their_evidence(audit_env: Env) -> None:
    tree = audit_env.get("/v1/audit/checkpoints").json()
    assert [(c["kind"], c["index"], c["size"]) for c in tree] == [
        ("certificate_tree", 0, 3),
        ("certificate_tree", 1, 7),
    ]
    assert tree[0]["anchored_by"] == demo.center_account("jiaxing").address
    assert audit_env.get("/v1/audit/checkpoints", after=0).json()[0]["index"] == 1
    stream = demo.center_account("jiaxing").address
    logs = audit_env.get("/v1/audit/checkpoints", kind="operation_log", stream=stream.lower())
    assert [c["size"] for c in logs.json()] == [1]


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/v1/audit/proofs/inclusion", {"fingerprint": "ab" * 32}, 404, "UNKNOWN_LEAF"),
        ("/v1/audit/proofs/inclusion", {"fingerprint": "xyz"}, 422, "VALIDATION_FAILED"),
        ("/v1/audit/proofs/inclusion", {"fingerprint": None, "tree_size": 5}, 404, "NO_CHECKPOINT"),
        ("/v1/audit/proofs/consistency", {"first": 8, "second": 7}, 422, "INVALID_TREE_SIZE"),
        ("/v1/audit/proofs/consistency", {"first": 1, "second": 99}, 422, "INVALID_TREE_SIZE"),
        ("/v1/audit/checkpoints", {"kind": "operation_log"}, 422, "STREAM_REQUIRED"),
        ("/v1/audit/checkpoints", {"stream": "0x" + "11" * 20}, 422, "STREAM_NOT_ALLOWED"),
        ("/v1/audit/checkpoints", {"kind": "operation_log", "stream": "nope"}, 422, None),
    ],
)
def test_errors_are_problems_with_stable_codes(
    audit_env: Env, path: str, params: dict[str, Any], status: int, code: str | None
) -> None:
    if params.get("fingerprint", "") is None:
        params = {**params, "fingerprint": audit_env.fps[0].hex()}
    answer = audit_env.get(path, **params)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert code is None or answer.json()["code"] == code


def test_without_a_key_nothing_is_served(audit_env: Env) -> None:
    answer = audit_env.http.get("/v1/audit/checkpoints")
    assert answer.status_code == 401 and answer.json()["code"] == "UNAUTHENTICATED"


def test_a_node_without_the_anchor_says_so(audit_env: Env) -> None:
    audit_env.services.audit, saved = None, audit_env.services.audit
    try:
        answer = audit_env.get("/v1/audit/checkpoints")
        assert answer.status_code == 503 and answer.json()["code"] == "AUDIT_UNAVAILABLE"
    finally:
        audit_env.services.audit = saved
