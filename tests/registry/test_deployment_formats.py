"""Deployment files: the current format names AuditAnchor; a file from before it still
loads (without an anchor), and a current one that lacks it is refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huren.registry.deploy import load_deployment, save_deployment
from huren.registry.errors import DeploymentMismatch
from huren.registry.types import Deployment

CONSORTIUM = "0x" + "11" * 20
REGISTRY = "0x" + "22" * 20
ANCHOR = "0x" + "33" * 20


def test_a_current_deployment_round_trips_with_its_anchor(tmp_path: Path) -> None:
    deployment = Deployment(load(CONSORTIUM), load(REGISTRY), 7, 1337, audit_anchor=load(ANCHOR))
    path = tmp_path / "deployment.json"
    save_deployment(path, deployment)
    assert json.loads(path.read_text())["format"] == "huren-deployment/2"
    assert load_deployment(path) == deployment


def test_a_deployment_from_before_the_anchor_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    old = {"format": "huren-deployment/1", "consortium": CONSORTIUM, "registry": REGISTRY}
    path.write_text(json.dumps({**old, "block_number": 3, "chain_id": 1337}))
    loaded = load_deployment(path)
    assert loaded.audit_anchor is None and loaded.block_number == 3
    save_deployment(path, loaded)  # and stays what it was
    assert json.loads(path.read_text())["format"] == "huren-deployment/1"
    assert load_deployment(path) == loaded


def test_a_current_file_without_the_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    new = {"format": "huren-deployment/2", "consortium": CONSORTIUM, "registry": REGISTRY}
    path.write_text(json.dumps({**new, "block_number": 3, "chain_id": 1337}))
    with pytest.raises(DeploymentMismatch, match="audit_anchor"):
        load_deployment(path)
    path.write_text(json.dumps({**new, "format": "huren-deployment/9"}))
    with pytest.raises(DeploymentMismatch, match="format"):
        load_deployment(path)


def load(address: str) -> str:
    from huren.registry.abi import checksum

    return checksum(address)
