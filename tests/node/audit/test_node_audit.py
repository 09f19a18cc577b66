"""A node runs the audit service: it anchors what it indexed, and a deployment file from
before AuditAnchor still opens (without checkpoints)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from huren.node import demo
from huren.node.audit.oplog import Operation, OperationRecord
from huren.node.node import Node
from huren.node.settings import Settings
from huren.registry.client import RegistryClient
from huren.registry.client_anchor import AnchorClient, CheckpointKind
from huren.registry.types import CertificateInput, CertificateKind, KeyUsage, Scope


def issue(node: Node) -> bytes:
    zjca = RegistryClient(node.backend, node.deployment, demo.ca_operator_account("zjca"))
    now = int(time.time())
    fingerprint = os.urandom(32)
    certificate = CertificateInput(
        fingerprint=fingerprint,
        holder=os.urandom(32),
        not_before=now - 60,
        not_after=now + 86_400,
        kind=CertificateKind.PERSONAL,
        usage=KeyUsage.SIGNING,
        scope=Scope.ALLIANCE,
    )
    zjca.record_certificate("zjca", demo.issuer_key_id("zjca"), certificate)
    return fingerprint


def test_a_node_anchors_its_tree_and_log(tmp_path: Path) -> None:
    node = Node.open(Settings(data_dir=tmp_path), start_indexer=False)
    try:
        assert node.audit is not None
        issue(node)
        node.audit.oplog.append(OperationRecord("admin", Operation.LOGIN, "console"))
        node.catch_up()
        anchored = node.audit.step()
        assert sorted((c.kind, c.size) for c in anchored) == [
            (CheckpointKind.CERTIFICATE_TREE, 1),
            (CheckpointKind.OPERATION_LOG, 1),
        ]
        view = AnchorClient(node.backend, node.deployment)
        assert view.latest_checkpoint(CheckpointKind.CERTIFICATE_TREE).anchored_by == (
            node.operator.address
        )
    finally:
        node.close()


def test_a_deployment_from_before_the_anchor_opens_without_audit(tmp_path: Path) -> None:
    Node.open(Settings(data_dir=tmp_path), start_indexer=False).close()
    path = tmp_path / "deployment.json"
    raw = json.loads(path.read_text())
    del raw["audit_anchor"]
    path.write_text(json.dumps({**raw, "format": "huren-deployment/1"}))
    node = Node.open(Settings(data_dir=tmp_path))  # the indexer thread runs; no audit thread
    try:
        assert node.deployment.audit_anchor is None and node.audit is None
    finally:
        node.close()


def test_anchoring_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="audit"):
        Settings(data_dir=tmp_path, audit_anchor_interval_s=0)
    node = Node.open(Settings(data_dir=tmp_path, audit_anchor_every_records=0), start_indexer=False)
    try:
        assert node.audit is not None
        issue(node)
        node.catch_up()
        assert node.audit.step() == []  # 0 turns anchoring off; the tree is still kept
        with node.engine.connect() as conn:
            assert node.audit.tree.size(conn) == 1
    finally:
        node.close()
