"""Three node processes (Jiaxing, Nantong, Xuancheng) on one anvil chain tell the same story.

Each node is a real ``huren node`` process with its own operator account, admin key, data
directory and SQLite index (``tests/support/cluster.py``). What is written to the chain
through one party (a CA operator's issuance, a proposal through node A's API and the vote
through node B's) shows at every node's API, within a bounded time.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from huren.node import demo
from huren.registry.jsonrpc import JsonRpcBackend
from huren.registry.types import (
    CertificateInput,
    CertificateKind,
    KeyUsage,
    RevocationReason,
    Scope,
)
from tests.support.anvil import AnvilProcess, start_anvil
from tests.support.cluster import Cluster, NodeProcess, start_cluster

PROPAGATION_TIMEOUT_S = 15.0  # the indexers poll every 0.05 s here; generous for a busy CI
NOW = int(time.time())
YEAR = 365 * 86_400

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One chain and three nodes for the module (the tests below build on each other's
    chain state only through fresh fingerprints and ids of their own)."""
    root = tmp_path_factory.mktemp("cluster")
    with (
        start_anvil() as anvil,
        start_cluster(anvil, root, env={"HUREN_INDEX_POLL_INTERVAL": "0.05"}) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def chain(cluster: Cluster) -> Iterator[JsonRpcBackend]:
    backend = cluster.backend()
    yield backend
    backend.close()


def fp(label: str) -> bytes:
    return hashlib.sha256(b"multinode " + label.encode()).digest()


def cert(
    fingerprint: bytes, scope: Scope = Scope.ALLIANCE, center: str | None = None
) -> CertificateInput:
    return CertificateInput(
        fingerprint=fingerprint,
        holder=fp("holder"),
        not_before=NOW - YEAR,
        not_after=NOW + YEAR,
        kind=CertificateKind.ENTERPRISE,
        usage=KeyUsage.SIGNING,
        scope=scope,
        center=center,
    )


def eventually(
    node: NodeProcess, ask: Callable[[NodeProcess], Any], done: Callable[[Any], bool]
) -> Any:
    """Poll ``ask(node)`` until ``done`` holds (bounded); the last answer otherwise fails."""
    deadline = time.monotonic() + PROPAGATION_TIMEOUT_S
    while True:
        answer = ask(node)
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"{node.center} after {PROPAGATION_TIMEOUT_S}s: {answer}")
        time.sleep(0.05)


def answer_when(
    node: NodeProcess,
    fingerprint: bytes,
    platform: str,
    action: str,
    done: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """The node's recognition answer once ``done`` holds for it (bounded)."""
    answer: dict[str, Any] = eventually(
        node, lambda n: n.recognition(fingerprint, platform, action), done
    )
    return answer


def indexed(block: int) -> Callable[[dict[str, Any]], bool]:
    """An answer from an index that has reached ``block``."""
    return lambda a: (a["index"]["indexed_block"] or -1) >= block


def test_every_node_is_a_separate_center(cluster: Cluster) -> None:
    operators = set()
    for center, node in cluster.nodes.items():
        assert node.running
        operators.add(node.operator.address)
        members = node.get("/v1/consortium/members").json()
        assert [m["account"] for m in members] == [
            demo.center_account(c.key).address for c in demo.CENTERS
        ]
        owned = {p.platform_id for p in demo.PLATFORMS if p.center == center}
        assert set(node.keys) == owned
    assert len(operators) == 3
    databases = {n.data_dir / "node.db" for n in cluster.nodes.values()}
    assert len(databases) == 3 and all(db.is_file() for db in databases)


def test_alliance_issuance_is_recognized_everywhere_and_revocation_propagates(
    cluster: Cluster, chain: JsonRpcBackend
) -> None:
    zjca = cluster.client(chain, demo.ca_operator_account("zjca"))
    fingerprint = fp("alliance")
    zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), [cert(fingerprint)])
    at = {"jiaxing": "alliance", "nantong": "nantong-ggzy", "xuancheng": "xuancheng-ggzy"}
    for center, platform in at.items():
        answer = answer_when(
            cluster.nodes[center], fingerprint, platform, "login", lambda a: a["recognized"]
        )
        assert answer["reasons"] == [] and answer["evidence"][0]["event"] == "CertificateRecorded"

    revoked = zjca.revoke_certificate(fingerprint, RevocationReason.KEY_COMPROMISE)
    for center, platform in at.items():
        answer = answer_when(
            cluster.nodes[center], fingerprint, platform, "login", indexed(revoked.block_number)
        )
        assert answer["recognized"] is False and answer["reasons"] == ["REVOKED"]


def test_a_regional_certificate_is_recognized_only_at_its_centers_platforms(
    cluster: Cluster, chain: JsonRpcBackend
) -> None:
    jsca = cluster.client(chain, demo.ca_operator_account("jsca"))
    fingerprint = fp("regional nantong")
    nantong = demo.center_account("nantong").address
    recorded = jsca.record_certificates(
        "jsca", demo.issuer_key_id("jsca"), [cert(fingerprint, Scope.REGIONAL, nantong)]
    )
    # Every node answers the same for every platform, once its index has the record.
    platforms = {p.platform_id: p.center for p in demo.PLATFORMS}
    for node in cluster.nodes.values():
        for platform, center in platforms.items():
            answer = answer_when(
                node, fingerprint, platform, "sign", indexed(recorded.block_number)
            )
            if center == "nantong":
                assert answer["recognized"] is True, (node.center, platform, answer)
            else:
                assert answer["recognized"] is False, (node.center, platform, answer)
                assert answer["reasons"] == ["OUT_OF_SCOPE"]


def test_governance_through_two_nodes_shows_at_the_third(
    cluster: Cluster, chain: JsonRpcBackend
) -> None:
    a, b, c = (cluster.nodes[k] for k in ("jiaxing", "nantong", "xuancheng"))
    operator = demo.ca_operator_account("multinode shca")
    chain.fund(operator.address, 10**21)
    issuer_key = fp("shca issuing key")
    body = {
        "kind": "accredit_ca",
        "ca_id": "shca",
        "name": "上海市数字证书认证中心有限公司",
        "operators": [operator.address],
        "issuer_key_ids": ["0x" + issuer_key.hex()],
    }
    r = a.post("/v1/consortium/proposals", body)
    assert r.status_code == 201, r.text
    proposed = r.json()
    assert proposed["status"] == "open"
    pid = proposed["proposal_id"]
    # Node B sees A's proposal in its own index, then votes for it with its own account.
    shown = eventually(
        b, lambda n: n.get(f"/v1/consortium/proposals/{pid}"), lambda r: r.status_code == 200
    ).json()
    assert shown["proposer"] == a.operator.address and shown["status"] == "open"
    r = b.post(f"/v1/consortium/proposals/{pid}/votes", {"support": True})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "executed"

    # Node C, which took no part, shows the decision and the accredited CA.
    decided = eventually(
        c,
        lambda n: n.get(f"/v1/consortium/proposals/{pid}").json(),
        lambda p: p.get("status") == "executed",
    )
    assert [v["voter"] for v in decided["votes"]] == [a.operator.address, b.operator.address]
    ca = eventually(
        c, lambda n: n.get("/v1/consortium/cas/shca"), lambda r: r.status_code == 200
    ).json()
    assert ca["status"] == "accredited" and ca["operators"] == [operator.address]

    # The new CA issues; its certificate is recognized at C's own platform.
    fingerprint = fp("shca alliance")
    shca = cluster.client(chain, operator)
    shca.record_certificates("shca", issuer_key, [cert(fingerprint)])
    answer = answer_when(c, fingerprint, "xuancheng-ggzy", "login", lambda a: a["recognized"])
    assert answer["reasons"] == []


def test_nodes_stop_without_leftovers(tmp_path: Path, anvil: AnvilProcess) -> None:
    with start_cluster(anvil, tmp_path, centers=["xuancheng"]) as small:
        node = small.nodes["xuancheng"]
        assert node.get("/v1/ready").status_code == 200
    assert node.proc.returncode is not None
    try:
        os.killpg(node.proc.pid, 0)
    except ProcessLookupError:
        pass
    else:
        pytest.fail("the node's process group outlived stop()")
