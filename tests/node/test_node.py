"""A dev node seeds the demo consortium once and reuses its data directory after."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session

from huren.api.app import create_app
from huren.node import demo, platform_keys
from huren.node.applications.billing import NodeBilling
from huren.node.billing_sms import AccountSmsCodes
from huren.node.node import Node, NotDeployed
from huren.node.settings import Settings
from huren.registry.backend import ChainUnavailable
from huren.registry.types import CaStatus
from tests.support.anvil import AnvilProcess


def test_first_start_seeds_the_demo_consortium_and_a_restart_reuses_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    node = Node.open(settings)
    try:
        deployment = node.deployment
        head = node.backend.block_number()
        assert len(node.client.members()) == len(demo.CENTERS)
        assert set(node.client.ca_ids()) == {c.ca_id for c in demo.CAS}
        for ca in demo.CAS:
            record = node.client.ca(ca.ca_id)
            assert record.status == CaStatus.ACCREDITED
            assert demo.issuer_key_id(ca.ca_id) in record.issuer_key_ids
        assert set(node.client.platform_ids()) == {p.platform_id for p in demo.PLATFORMS}
    finally:
        node.close()

    again = Node.open(settings)
    try:
        assert again.deployment == deployment
        assert again.backend.block_number() == head  # nothing deployed twice
    finally:
        again.close()


def test_outside_dev_the_demo_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="OPERATOR_KEY_FILE"):
        Settings(env="prod", admin_api_key="a" * 40)
    with pytest.raises(ValidationError, match="ADMIN_API_KEY"):
        Settings(env="prod", operator_key_file=tmp_path / "k")
    with pytest.raises(ValidationError, match="ADMIN_API_KEY"):
        Settings(env="prod", operator_key_file=tmp_path / "k", admin_api_key="short")
    with pytest.raises(ValidationError, match="ACCOUNT_SECRET"):
        Settings(env="prod", operator_key_file=tmp_path / "k", admin_api_key="a" * 40)
    with pytest.raises(ValidationError, match="ACCOUNT_SECRET"):
        Settings(
            env="prod",
            operator_key_file=tmp_path / "k",
            admin_api_key="a" * 40,
            account_secret="short",
        )


def test_a_dev_node_keeps_its_generated_keys_and_indexes_before_serving(tmp_path: Path) -> None:
    node = Node.open(Settings(data_dir=tmp_path), start_indexer=False)
    try:
        admin = node.settings.admin_api_key
        assert admin is not None and len(admin.get_secret_value()) >= 32
        assert (tmp_path / "admin-api-key").stat().st_mode & 0o777 == 0o600
        secret = node.settings.account_secret
        assert secret is not None and len(secret.get_secret_value()) >= 32
        assert (tmp_path / "account-secret").stat().st_mode & 0o777 == 0o600
        demo_key = node.demo_api_key
        assert demo_key is not None
        with Session(node.engine) as session:
            assert platform_keys.authenticate(session, demo_key).platform_id == "alliance"
        assert node.indexer.lag() == 0  # the seeded consortium is indexed before serving
    finally:
        node.close()
    again = Node.open(Settings(data_dir=tmp_path), start_indexer=False)
    try:
        assert again.demo_api_key == demo_key
        assert again.settings.admin_api_key == admin
        assert again.settings.account_secret == secret
    finally:
        again.close()


def test_an_external_chain_without_a_deployment_file_is_refused(
    tmp_path: Path, anvil: AnvilProcess
) -> None:
    key_file = tmp_path / "operator.key"
    key_file.write_text(demo.center_account("jiaxing").key.hex())
    settings = Settings(
        env="prod",
        data_dir=tmp_path / "node",
        operator_key_file=key_file,
        chain_url=anvil.url,
        chain_id=anvil.chain_id,
        admin_api_key="a" * 40,
        account_secret="s" * 40,
        cosigner_kek="1f" * 32,
        scan_key="2e" * 32,
    )
    with pytest.raises(NotDeployed):
        Node.open(settings)


def test_an_unreachable_chain_is_a_typed_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chain_url="http://127.0.0.1:9", chain_id=20240)
    with pytest.raises(ChainUnavailable):
        Node.open(settings)


def test_a_dev_node_builds_one_billing_for_the_api_and_the_applications(tmp_path: Path) -> None:
    node = Node.open(Settings(data_dir=tmp_path), start_indexer=False)
    try:
        assert node.billing is not None and node.applications is not None
        assert isinstance(node.applications.billing, NodeBilling)
        assert node.applications.billing.service is node.billing
        assert isinstance(node.billing.sms, AccountSmsCodes)  # bank cards: account SMS codes
        assert create_app(node).state.billing is node.billing
        # Outside dev there is no payment gateway: billing answers 503.
        node.settings.env = "prod"
        assert node._billing() is None
        node.billing = None
        with TestClient(create_app(node)) as http:
            answer = http.post(
                "/v1/billing/notify", content=b"{}", headers={"X-Gateway-Signature": "x"}
            )
            assert answer.status_code == 503 and answer.json()["code"] == "BILLING_UNAVAILABLE"
    finally:
        node.close()
