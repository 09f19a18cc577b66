"""One consortium node: chain backend, deployment, index and the typed client over them."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from pydantic import SecretStr
from sqlalchemy import Engine

from huren.node import demo, demo_platforms, platform_keys
from huren.node.account_services import AccountServices, build_account_services
from huren.node.applications.wiring import ApplicationServices, build_application_services
from huren.node.audit.checkpoints import AnchorPolicy, AuditService
from huren.node.billing.service import BillingService, dev_billing
from huren.node.billing_sms import AccountSmsCodes
from huren.node.db.engine import default_url, make_engine, migrate, write_session
from huren.node.enterprises.services import EnterpriseServices, build_enterprise_services
from huren.node.indexer import Indexer
from huren.node.pki.service import Pki, load_cas
from huren.node.settings import Settings
from huren.node.upkeep import Upkeep, node_upkeep
from huren.node.zones.service import ZoneService
from huren.registry.backend import ChainBackend
from huren.registry.client import RegistryClient
from huren.registry.deploy import load_deployment, save_deployment
from huren.registry.embedded import EmbeddedBackend
from huren.registry.jsonrpc import JsonRpcBackend
from huren.registry.types import Deployment

log = logging.getLogger(__name__)

DEMO_KEY_FILE = "demo-platform-api-key"
ADMIN_KEY_FILE = "admin-api-key"
ACCOUNT_SECRET_FILE = "account-secret"


class NodeError(Exception):
    """Root of the node's own errors."""


class NotDeployed(NodeError):
    """An external chain without a deployment file: the node cannot guess the contracts."""


class Node:
    """A running node. ``open`` seeds the demo consortium on a dev node's first start, brings
    the index up to date and starts the indexer thread; ``close`` stops it."""

    def __init__(
        self,
        settings: Settings,
        backend: ChainBackend,
        deployment: Deployment,
        operator: LocalAccount,
        engine: Engine,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.deployment = deployment
        self.operator = operator
        self.client = RegistryClient(backend, deployment, operator)
        self.engine = engine
        self.indexer = Indexer(engine, backend, deployment, confirmations=settings.confirmations)
        self.demo_api_key: str | None = None
        self.pki: Pki | None = None
        self.applications: ApplicationServices | None = None
        self.enterprises: EnterpriseServices | None = None
        self.billing: BillingService | None = None  # the API's and the applications' one
        self.zones: ZoneService | None = None
        self.upkeep: Upkeep | None = None  # catch-up work, also periodically (see upkeep)
        # Without a configured secret (a Node built by hand), tokens last this process only.
        secret = settings.account_secret or SecretStr(secrets.token_urlsafe(32))
        self.account_services: AccountServices = build_account_services(
            engine, secret.get_secret_value().encode(), env=settings.env
        )
        self.audit = self._audit_service(settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._audit_thread: threading.Thread | None = None

    @classmethod
    def open(cls, settings: Settings, *, start_indexer: bool = True) -> Node:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        backend: ChainBackend
        if settings.chain_url is None:
            backend = EmbeddedBackend(settings.data_dir / "chain")
        else:
            assert settings.chain_id is not None  # the settings validator guarantees it
            backend = JsonRpcBackend(settings.chain_url, chain_id=settings.chain_id)
        try:
            seeded = not (settings.data_dir / "deployment.json").exists()
            deployment = cls._deployment(settings, backend)
            operator = cls._operator(settings)
            url = settings.database_url or default_url(settings.data_dir)
            migrate(url)
            engine = make_engine(url)
        except BaseException:
            backend.close()
            raise
        settings = cls._with_account_secret(cls._with_admin_key(settings))
        node = cls(settings, backend, deployment, operator, engine)
        try:
            node.catch_up()
            node.pki = node._open_pki()
            node.billing = node._billing()
            node.applications = build_application_services(
                node.engine, node.pki, node.account_services, node.billing
            )
            node.zones = ZoneService(node.engine, node.client, node.account_services.accounts)
            node.enterprises = build_enterprise_services(
                node.engine, node.pki, node.account_services
            )
            node.upkeep = node_upkeep(
                node.engine,
                desk=node.applications.desk,
                payments=None if node.billing is None else node.billing.payments,
                authorizations=node.enterprises.authorizations,
                zones=node.zones,
            )
            node.upkeep.run_once()  # what a failure or a stop left, before serving
        except BaseException:
            node.close()
            raise
        if settings.env == "dev" and settings.chain_url is None:
            node.demo_api_key = node._demo_key(issue=seeded)
            demo_platforms.seed_profiles(node.engine)  # the demo platforms' locations
        if start_indexer:
            node.start_indexer()
        return node

    def catch_up(self) -> None:
        """Index everything confirmed so far (before serving, so answers are current)."""
        while not self.indexer.step().caught_up:
            pass
        if self.audit is not None:
            while self.audit.tree.sync().appended:
                pass

    def _audit_service(self, settings: Settings) -> AuditService | None:
        """Tree, checkpoint mirror and anchoring; None for a deployment without AuditAnchor
        (a huren-deployment/1 file), which runs without them."""
        if self.deployment.audit_anchor is None:
            log.warning("the deployment has no AuditAnchor: no checkpoints, no proofs")
            return None
        every = settings.audit_anchor_every_records
        policy = AnchorPolicy(every or 1, settings.audit_anchor_interval_s)
        service = AuditService(
            self.engine,
            self.backend,
            self.deployment,
            self.operator,
            policy,
            confirmations=settings.confirmations,
        )
        if every == 0:
            service.disable_anchoring()
        return service

    def start_indexer(self) -> None:
        self._thread = threading.Thread(
            target=self.indexer.run,
            args=(self._stop, self.settings.index_poll_interval),
            name="huren-indexer",
            daemon=True,
        )
        self._thread.start()
        if self.audit is not None:
            self._audit_thread = threading.Thread(
                target=self.audit.run,
                args=(self._stop, self.settings.audit_poll_interval),
                name="huren-audit",
                daemon=True,
            )
            self._audit_thread.start()
        if self.upkeep is not None:
            self.upkeep.start(self.settings.upkeep_interval_s)

    def close(self) -> None:
        self._stop.set()
        if self.upkeep is not None:
            self.upkeep.stop()
        for thread in (self._thread, self._audit_thread):
            if thread is not None:
                thread.join(timeout=10)
        self.engine.dispose()
        self.backend.close()

    def _billing(self) -> BillingService | None:
        """Billing on the simulators (payment gateway, bank) on a dev node, bank cards bound
        with the accounts' SMS codes; elsewhere none until a real gateway adapter is wired
        in: billing answers 503 and no application can be paid."""
        if self.settings.env != "dev":
            log.warning("no payment gateway configured: billing is unavailable")
            return None
        sms = AccountSmsCodes(self.account_services.accounts)
        return dev_billing(self.engine, sms=sms)

    def _open_pki(self) -> Pki:
        """The CAs under ``data_dir/pki`` and, on a dev node with the demo consortium, the
        derived demo CAs; each must be (or have been, if suspended now) accredited in the
        index. Finishes interrupted issuances (``IssuanceService.recover``)."""
        s = self.settings
        base_url = s.public_url or f"http://{s.host}:{s.port}"
        secret = None if s.ca_passphrase is None else s.ca_passphrase.get_secret_value()
        dev_demo = s.env == "dev" and s.chain_url is None
        passphrase = None if secret is None else secret.encode()
        cas = load_cas(s.data_dir, base_url, passphrase, dev_demo=dev_demo)
        pki = Pki(self.engine, cas, self.client)
        pki.issuance.recover()
        return pki

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

    @staticmethod
    def _with_admin_key(settings: Settings) -> Settings:
        """A dev node without an admin key gets a random one, kept in its data directory."""
        if settings.admin_api_key is not None:
            return settings
        path = settings.data_dir / ADMIN_KEY_FILE
        if not path.exists():
            _write_secret(path, secrets.token_urlsafe(32))
        settings.admin_api_key = SecretStr(path.read_text().strip())
        return settings

    @staticmethod
    def _with_account_secret(settings: Settings) -> Settings:
        """A dev node without an account secret gets a random one, kept in its data
        directory (so tokens survive a restart)."""
        if settings.account_secret is not None:
            return settings
        path = settings.data_dir / ACCOUNT_SECRET_FILE
        if not path.exists():
            _write_secret(path, secrets.token_urlsafe(48))
        settings.account_secret = SecretStr(path.read_text().strip())
        return settings

    def _demo_key(self, *, issue: bool) -> str | None:
        """The alliance platform's demo API key: issued on the first start, kept for dev."""
        path = self.settings.data_dir / DEMO_KEY_FILE
        if issue:
            platform = demo.PLATFORMS[0]
            with write_session(self.engine) as session:
                issued = platform_keys.issue_key(
                    session,
                    platform.platform_id,
                    center=demo.center_account(platform.center).address,
                    now=int(time.time()),
                    label="demo",
                )
            _write_secret(path, issued.key)
        return path.read_text().strip() if path.exists() else None


def _write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
