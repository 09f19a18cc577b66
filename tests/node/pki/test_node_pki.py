"""The PKI inside a dev node: the demo CAs are loaded on start, an issuance interrupted
before a restart is finished by the next start, and a CA that governance suspended is still
loaded (it answers for its certificates) but issues nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from huren.node import demo
from huren.node.node import Node
from huren.node.pki.errors import CaNotAccredited
from huren.node.settings import Settings
from huren.registry.client import RegistryClient
from tests.node.pki.conftest import PkiEnv


def test_a_dev_node_loads_the_demo_cas_and_finishes_interrupted_issuance(
    tmp_path: Path, env: PkiEnv
) -> None:
    settings = Settings(data_dir=tmp_path / "node", public_url="https://node.example")
    node = Node.open(settings, start_indexer=False)
    try:
        assert node.pki is not None
        assert sorted(node.pki.cas) == ["ahca", "jsca", "zjca"]
        assert node.pki.ca("zjca").urls.ocsp == "https://node.example/v1/pki/cas/zjca/ocsp"
        serial = node.pki.issuance.reserve(env.request())  # then the node stops
        center = RegistryClient(node.backend, node.deployment, demo.center_account("xuancheng"))
        proposal = center.propose_suspend_ca("ahca").proposal_id
        center.with_account(demo.center_account("nantong")).vote(proposal, True)
    finally:
        node.close()
    node = Node.open(settings, start_indexer=False)
    try:
        assert node.pki is not None
        assert sorted(node.pki.cas) == ["ahca", "jsca", "zjca"], "suspended, still answering"
        with pytest.raises(CaNotAccredited):
            node.pki.issuance.reserve(env.request(ca_id="ahca"))
        status = node.pki.issuance.status(serial)
        assert status.committed and status.fingerprint is not None
        assert node.pki.issuance.chain_pem(status.fingerprint).count(b"CERTIFICATE-----") == 6
    finally:
        node.close()
