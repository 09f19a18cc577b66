"""A consortium of real node processes on one anvil chain, for multi-node tests and benchmarks.

``deploy_demo(anvil, root)`` deploys and seeds the demo consortium (``huren.node.demo``) onto
the chain and writes ``root/deployment.json``. ``start_cluster(anvil, root)`` does that and
starts one ``huren node`` process per center (by default all three), each with its own
operator key file (the center's demo account), admin key, data directory, SQLite database and
free loopback port; it waits until every ``/v1/ready`` answers 200, then issues each node's
platforms an API key through the admin key (``POST /v1/platform-keys``)::

    with start_anvil() as anvil, start_cluster(anvil, tmp_path) as cluster:
        nantong = cluster.nodes["nantong"]
        nantong.get("/v1/recognition", fingerprint=fp.hex(), key=nantong.keys["nantong-ggzy"])

``Cluster.stop()`` (or leaving the ``with``) terminates every node's process group (SIGTERM,
then SIGKILL) and reaps it; nothing is left running. The anvil stays the caller's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from huren.node import demo
from huren.registry.client import RegistryClient
from huren.registry.deploy import save_deployment
from huren.registry.jsonrpc import JsonRpcBackend
from huren.registry.types import Deployment
from tests.support.anvil import AnvilProcess, _exited_unreaped

REPO_ROOT = Path(__file__).resolve().parents[2]
CENTERS = tuple(c.key for c in demo.CENTERS)
READY_TIMEOUT_S = 90.0  # three Python processes importing web3 and FastAPI on a busy machine
STOP_TIMEOUT_S = 10.0
START_ATTEMPTS = 3  # a probed free port may be taken before the node binds it


class ClusterError(RuntimeError):
    """A node did not come up (its log is in the message)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def stop_process_group(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM ``proc``'s process group (it was started with ``start_new_session``), SIGKILL
    it after ``timeout``, kill any straggler in the group, then reap the leader. Idempotent."""
    if proc.returncode is not None:
        return
    pid = proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)  # uvicorn shuts down and closes the node
    if not _exited_unreaped(pid, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        _exited_unreaped(pid, timeout)
    # The leader is a zombie, so its pid (the group id) cannot be reused yet: kill any
    # straggler left in its group, then reap it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    proc.wait(timeout=timeout)


def deploy_demo(anvil: AnvilProcess, root: Path) -> Deployment:
    """Deploy and seed the demo consortium onto ``anvil``; write ``root/deployment.json``.

    The demo accounts are funded from anvil's faucet account when it holds enough; anvil's
    default faucet (10,000 ether) does not cover ``demo.OPERATOR_FUNDS_WEI`` for six accounts,
    so then ``fund`` falls back to ``anvil_setBalance``."""
    probe = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)
    try:
        needed = demo.OPERATOR_FUNDS_WEI * (len(demo.CENTERS) + len(demo.CAS)) + 10**20
        rich = probe.balance(anvil.faucet.address) >= needed
    finally:
        probe.close()
    backend = JsonRpcBackend(
        anvil.url, chain_id=anvil.chain_id, faucet=anvil.faucet if rich else None
    )
    try:
        deployment = demo.seed(backend)
    finally:
        backend.close()
    save_deployment(root / "deployment.json", deployment)
    return deployment


@dataclass
class NodeProcess:
    """One running ``huren node`` process and what a test needs to talk to it."""

    center: str
    operator: LocalAccount
    admin_key: str
    data_dir: Path
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    keys: dict[str, str] = field(default_factory=dict)  # platform id -> its API key
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=30.0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def headers(self, key: str | None = None) -> dict[str, str]:
        """Bearer headers for ``key`` (a platform key; default the node-admin key)."""
        return {"Authorization": f"Bearer {key or self.admin_key}"}

    def get(self, path: str, *, key: str | None = None, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers(key))

    def post(self, path: str, body: Any, *, key: str | None = None) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.headers(key))

    def recognition(
        self, fingerprint: bytes, platform: str, action: str | None = None
    ) -> dict[str, Any]:
        """The node's recognition answer at ``platform`` (its key if issued, else admin)."""
        params: dict[str, Any] = {"fingerprint": fingerprint.hex(), "platform": platform}
        if action is not None:
            params["action"] = action
        r = self.get("/v1/recognition", key=self.keys.get(platform), **params)
        r.raise_for_status()
        answer: dict[str, Any] = r.json()
        return answer

    def stop(self) -> None:
        """Terminate the process group, then kill what is left, then reap. Idempotent."""
        self.http.close()
        if self.proc.returncode is not None:
            return
        stop_process_group(self.proc)


@dataclass
class Cluster:
    anvil: AnvilProcess
    deployment: Deployment
    root: Path
    nodes: dict[str, NodeProcess] = field(default_factory=dict)

    def backend(self) -> JsonRpcBackend:
        """A fresh JSON-RPC backend on the cluster's chain (close it after use)."""
        return JsonRpcBackend(self.anvil.url, chain_id=self.anvil.chain_id)

    def client(self, backend: JsonRpcBackend, account: LocalAccount) -> RegistryClient:
        return RegistryClient(backend, self.deployment, account)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _spawn(
    anvil: AnvilProcess,
    root: Path,
    center: str,
    env_overrides: dict[str, str],
) -> NodeProcess:
    operator = demo.center_account(center)
    data_dir = root / center
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = root / f"{center}.operator-key"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(operator.key.hex() + "\n")
    admin_key = secrets.token_urlsafe(32)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUREN_")}
    env.update(
        {
            "HUREN_ADMIN_API_KEY": admin_key,
            "HUREN_ACCOUNT_SECRET": secrets.token_urlsafe(32),
            "HUREN_COSIGNER_KEK": secrets.token_hex(32),
            "HUREN_SCAN_KEY": secrets.token_hex(32),
            "PYTHONUNBUFFERED": "1",
            **env_overrides,
        }
    )
    cmd = [
        sys.executable,
        "-m",
        "huren.cli",
        "node",
        "--chain-url",
        anvil.url,
        "--chain-id",
        str(anvil.chain_id),
        "--operator-key",
        str(key_file),
        "--deployment",
        str(root / "deployment.json"),
        "--data-dir",
        str(data_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log_path = root / f"{center}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() kills all of it
        )
    return NodeProcess(center, operator, admin_key, data_dir, port, proc, log_path)


def _wait_ready(node: NodeProcess, deadline: float) -> bool:
    """True once ``/v1/ready`` is 200; False if the process died (e.g. its port was taken)."""
    while time.monotonic() < deadline:
        if not node.running:
            return False
        try:
            if node.http.get("/v1/ready", timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ClusterError(f"node {node.center} not ready in {READY_TIMEOUT_S}s:\n{node.log()}")


def _issue_keys(node: NodeProcess) -> None:
    for platform in demo.PLATFORMS:
        if platform.center != node.center:
            continue  # a node issues keys only to its own center's platforms
        body = {"platform": platform.platform_id, "label": "cluster"}
        r = node.post("/v1/platform-keys", body)
        if r.status_code != 201:
            raise ClusterError(f"{node.center}: POST /v1/platform-keys {r.status_code} {r.text}")
        node.keys[platform.platform_id] = r.json()["key"]


def start_cluster(
    anvil: AnvilProcess,
    root: Path,
    centers: Sequence[str] = CENTERS,
    *,
    env: dict[str, str] | None = None,
    deployment: Deployment | None = None,
) -> Cluster:
    """Deploy the demo consortium (unless ``deployment`` is given and ``root/deployment.json``
    exists) and start one ready node per center. ``env`` adds ``HUREN_*`` settings to every
    node (e.g. ``{"HUREN_INDEX_POLL_INTERVAL": "0.05"}``)."""
    root.mkdir(parents=True, exist_ok=True)
    if deployment is None:
        deployment = deploy_demo(anvil, root)
    cluster = Cluster(anvil, deployment, root)
    try:
        pending = list(centers)
        for _attempt in range(START_ATTEMPTS):
            for center in pending:  # start them all, then wait: they come up in parallel
                cluster.nodes[center] = _spawn(anvil, root, center, env or {})
            deadline = time.monotonic() + READY_TIMEOUT_S
            failed = [c for c in pending if not _wait_ready(cluster.nodes[c], deadline)]
            for center in failed:
                cluster.nodes[center].stop()
            if not failed:
                break
            pending = failed
        else:
            logs = "\n".join(f"--- {c}\n{cluster.nodes[c].log()}" for c in pending)
            raise ClusterError(f"nodes {pending} exited before they were ready:\n{logs}")
        for node in cluster.nodes.values():
            _issue_keys(node)
    except BaseException:
        cluster.stop()
        raise
    return cluster
