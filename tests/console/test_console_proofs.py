"""The certificate page's inclusion-proof section over HTTP (test client), on the audit API
tests' node (seven records, checkpoints of 3 and 7 anchored on the embedded chain): a record
in the latest checkpoint has its proof (path, root, checkpoint), the node's check of it
against the chain, the download (which verifies with the chain alone) and the commands; a
record after the latest checkpoint says it is not yet anchored, one the tree has not taken
in says so; a tree node that disagrees with the chain fails the node's check; a node
without AuditAnchor says it serves no proofs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from huren.node import demo
from huren.node.audit.proofs import InclusionProof
from huren.node.audit.tree_store import T_NODES
from huren.node.audit.verify import verify_inclusion_on_chain
from huren.registry.client import RegistryClient
from tests.api.conftest import ADMIN_KEY, _api_template, cert_input, fp  # noqa: F401
from tests.api.test_audit_proofs_api import Env, audit_env  # noqa: F401
from tests.console.conftest import sign_in


@pytest.fixture(scope="module")
def console(audit_env: Env) -> Iterator[TestClient]:  # noqa: F811
    client = TestClient(audit_env.http.app)
    assert sign_in(client, ADMIN_KEY).status_code == 303
    yield client


def section(client: TestClient, fingerprint: bytes) -> str:
    page = client.get("/console/certificates", params={"fingerprint": fingerprint.hex()})
    assert page.status_code == 200, page.text
    found = re.search(r'<section class="card" id="inclusion-proof".*?</section>', page.text, re.S)
    assert found is not None, page.text
    return found[0]


def record(env: Env, label: str, *, tree: bool) -> bytes:
    """A new record on chain, indexed; taken into the node's tree when ``tree`` (the policy
    anchors every 3 records: one more is not anchored)."""
    zjca = RegistryClient(env.services.backend, env.deployment, demo.ca_operator_account("zjca"))
    fingerprint = fp(label)
    zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert_input(fingerprint)])
    while not env.services.indexer.step().caught_up:
        pass
    if tree:
        assert env.services.audit is not None
        assert env.services.audit.step() == []  # taken in, not anchored
    return fingerprint


def test_a_record_in_the_latest_checkpoint_has_its_proof(
    audit_env: Env,  # noqa: F811
    console: TestClient,
) -> None:
    html = section(console, audit_env.fps[1])
    assert 'data-status="proven"' in html
    api = audit_env.get("/v1/audit/proofs/inclusion", fingerprint=audit_env.fps[1].hex()).json()
    assert f'data-root="{api["root"]}"' in html and 'data-index="1"' in html
    assert re.findall(r'<li data-hash="(0x[0-9a-f]{64})">', html) == api["audit_path"]
    assert "#1: 7 records" in html  # the latest checkpoint
    assert 'id="node-check" data-ok="yes"' in html and "VERIFIED" in html
    assert f"--fingerprint {audit_env.fps[1].hex()}" in html
    assert "huren audit verify-proof proof-" in html

    download = console.get(
        "/console/certificates/proof.json", params={"fingerprint": audit_env.fps[1].hex()}
    )
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert json.loads(download.text) == api
    proof = InclusionProof.from_json(download.json())
    verify_inclusion_on_chain(proof, audit_env.services.backend, audit_env.deployment)


def test_not_yet_anchored_and_not_yet_in_the_tree(
    audit_env: Env,  # noqa: F811
    console: TestClient,
) -> None:
    pending = record(audit_env, "console-proof-unanchored", tree=True)
    html = section(console, pending)
    assert 'data-status="not-anchored"' in html
    assert "Not yet in an anchored checkpoint." in html and "leaf 7" in html
    assert "covers the first 7 records" in html and "every 3 records" in html
    assert 'id="proof"' not in html and "proof.json" not in html
    missing = console.get("/console/certificates/proof.json", params={"fingerprint": pending.hex()})
    assert missing.status_code == 404

    fresh = record(audit_env, "console-proof-untreed", tree=False)
    html = section(console, fresh)
    assert 'data-status="not-in-tree"' in html and "Not yet in the node's tree" in html
    unknown = console.get("/console/certificates/proof.json", params={"fingerprint": "ab" * 32})
    assert unknown.status_code == 404


def test_a_tree_that_disagrees_with_the_chain_fails_the_nodes_check(
    audit_env: Env,  # noqa: F811
    console: TestClient,
) -> None:
    engine = audit_env.services.engine
    where = (T_NODES.c.level == 0) & (T_NODES.c.node_index == 0)  # leaf 0: on leaf 1's path
    with engine.begin() as conn:
        saved = conn.execute(T_NODES.select().where(where)).one().hash
        conn.execute(update(T_NODES).where(where).values(hash=b"\x11" * 32))
    try:
        html = section(console, audit_env.fps[1])
        assert 'id="node-check" data-ok="no"' in html and "ROOT_MISMATCH" in html
    finally:
        with engine.begin() as conn:
            conn.execute(update(T_NODES).where(where).values(hash=saved))
    assert 'data-ok="yes"' in section(console, audit_env.fps[1])


def test_a_node_without_audit_anchor_says_so(
    audit_env: Env,  # noqa: F811
    console: TestClient,
) -> None:
    audit_env.services.audit, saved = None, audit_env.services.audit
    try:
        html = section(console, audit_env.fps[1])
        assert 'data-status="unavailable"' in html and "no AuditAnchor" in html
        download = console.get(
            "/console/certificates/proof.json", params={"fingerprint": audit_env.fps[1].hex()}
        )
        assert download.status_code == 503
    finally:
        audit_env.services.audit = saved


def test_who_may_download_a_proof(audit_env: Env) -> None:  # noqa: F811
    url = f"/console/certificates/proof.json?fingerprint={audit_env.fps[1].hex()}"
    anonymous = TestClient(audit_env.http.app)
    refused = anonymous.get(url, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/console/login")
    bad = TestClient(audit_env.http.app)
    assert sign_in(bad, ADMIN_KEY).status_code == 303
    assert bad.get("/console/certificates/proof.json?fingerprint=xyz").status_code == 422
