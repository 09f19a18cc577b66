"""One consortium node: its chain backend, its deployment, and the typed client over both."""

from __future__ import annotations

import logging

from eth_account import Account
from eth_account.signers.local import LocalAccount

from huren.node import demo
from huren.node.settings import Settings
from huren.registry.backend import ChainBackend
from huren.registry.client import RegistryClient
from huren.registry.deploy import load_deployment, save_deployment
from huren.registry.embedded import EmbeddedBackend
from huren.registry.jsonrpc import JsonRpcBackend
from huren.registry.types import Deployment

log = logging.getLogger(__name__)


class NodeError(Exception):
    """Root of the node's own errors."""


class NotDeployed(NodeError):
    """An external chain without a deployment file: the node cannot guess the contracts."""


class Node:
    """A running node. ``open`` seeds the demo consortium on a dev node's first start."""

    def __init__(
        self,
        settings: Settings,
        backend: ChainBackend,
        deployment: Deployment,
        operator: LocalAccount,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.deployment = deployment
        self.operator = operator
        self.client = RegistryClient(backend, deployment, operator)

    @classmethod
    def open(cls, settings: Settings) -> Node:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        backend: ChainBackend
        if settings.chain_url is None:
            backend = EmbeddedBackend(settings.data_dir / "chain")
        else:
            assert settings.chain_id is not None  # the settings validator guarantees it
            backend = JsonRpcBackend(settings.chain_url, chain_id=settings.chain_id)
        try:
            deployment = cls._deployment(settings, backend)
            operator = cls._operator(settings)
        except BaseException:
            backend.close()
            raise
        return cls(settings, backend, deployment, operator)

    @staticmethod
    def _deployment(settings: Settings, backend: ChainBackend) -> Deployment:
        path = settings.data_dir / "deployment.json"
        if path.exists():
            return load_deployment(path)
        if settings.env != "dev" or settings.chain_url is not None:
            raise NotDeployed(f"{path} is missing: deploy the contracts and write it first")
        log.info("first start: deploying the demo consortium")
        deployment = demo.seed(backend)
        save_deployment(path, deployment)
        return deployment

    @staticmethod
    def _operator(settings: Settings) -> LocalAccount:
        if settings.operator_key_file is None:
            return demo.center_account(demo.CENTERS[0].key)
        # One line: the hex private key of this center's operator account.
        account: LocalAccount = Account.from_key(settings.operator_key_file.read_text().strip())
        return account

    def close(self) -> None:
        self.backend.close()
