"""Start and stop a fresh, throwaway anvil (the JSON-RPC dev chain from npm).

``start_anvil()`` gives an ``AnvilProcess`` that answers JSON-RPC on 127.0.0.1; stop it with
``.stop()`` or use it as a context manager. Each one is a fresh chain (chain id 31337 by
default). Reusable for multi-node tests: start several, each on its own free port.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

REPO_ROOT = Path(__file__).resolve().parents[2]
ANVIL_BIN = REPO_ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"

# anvil's well-known default account 0 (mnemonic "test test ... junk"), 10000 ether.
ANVIL_DEFAULT_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEFAULT_CHAIN_ID = 31337
DEFAULT_ARGS: dict[str, Any] = {
    "hardfork": "prague",
    "gas_limit": 300_000_000,
    "chain_id": DEFAULT_CHAIN_ID,
    "accounts": 1,  # only account 0 is used (as the faucet); fewer keys, faster start
}
START_TIMEOUT = 15.0

_live: set[AnvilProcess] = set()
_live_lock = threading.Lock()


class AnvilError(RuntimeError):
    """anvil is missing or did not come up."""


def anvil_binary() -> Path:
    """The anvil binary; fails (never skips) with how to install it when it is missing."""
    if not (ANVIL_BIN.is_file() and os.access(ANVIL_BIN, os.X_OK)):
        raise AnvilError(
            f"anvil binary not found at {ANVIL_BIN}. Install the npm toolchain: "
            f"run `npm ci` in {REPO_ROOT}."
        )
    return ANVIL_BIN


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _to_flags(args: dict[str, Any]) -> list[str]:
    flags: list[str] = []
    for key, value in args.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            flags.append(flag)
        else:
            flags += [flag, str(value)]
    return flags


def _rpc(url: str, method: str, params: list[Any], timeout: float = 2.0) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    req = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        answer = json.loads(resp.read())
    if "error" in answer:
        raise AnvilError(f"{method}: {answer['error']}")
    return answer["result"]


class AnvilProcess:
    """A running anvil in its own process group."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, chain_id: int, log: Any) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.chain_id = chain_id
        self.faucet: LocalAccount = Account.from_key(ANVIL_DEFAULT_KEY)
        self._log = log

    def rpc(self, method: str, *params: Any) -> Any:
        """A raw JSON-RPC call (for test set-up, e.g. ``evm_mine`` or ``anvil_*``)."""
        return _rpc(self.url, method, list(params), timeout=30.0)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return str(self._log.read().decode(errors="replace"))

    def stop(self) -> None:
        """Kill the whole process group, then reap the leader. Idempotent."""
        with _live_lock:
            _live.discard(self)
        if self.proc.returncode is None:
            pid = self.proc.pid
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            if not _exited_unreaped(pid, timeout=5.0):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                _exited_unreaped(pid, timeout=5.0)
            # The leader is a zombie now, so its pid (the group id) cannot be reused yet:
            # kill any straggler left in the group, then reap.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            self.proc.wait(timeout=5.0)
        if not self._log.closed:
            self._log.close()

    def __enter__(self) -> AnvilProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"AnvilProcess(pid={self.proc.pid}, url={self.url!r})"


def _exited_unreaped(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` exited without reaping it (it stays a zombie)."""
    deadline = time.monotonic() + timeout
    while True:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is not None:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


def start_anvil(**extra_args: Any) -> AnvilProcess:
    """Start a fresh anvil on a free 127.0.0.1 port and wait until it answers.

    Keyword arguments become flags (``block_time=1`` -> ``--block-time 1``, ``True`` -> a bare
    flag, ``None``/``False`` -> dropped); they override the defaults (prague, chain id 31337,
    gas limit 300M).
    """
    binary = anvil_binary()
    args = {**DEFAULT_ARGS, **extra_args}
    chain_id = int(args["chain_id"])
    last_error = ""
    for _attempt in range(3):  # the free port may be taken between probe and bind
        port = _free_port()
        log = tempfile.TemporaryFile()  # noqa: SIM115 - owned and closed by AnvilProcess
        cmd = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--silent"]
        cmd += _to_flags(args)
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop() kills all of it
        )
        node = AnvilProcess(proc, port, chain_id, log)
        with _live_lock:
            _live.add(node)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and node.running:
            try:
                answered = int(_rpc(node.url, "eth_chainId", [], timeout=1.0), 16)
            except (OSError, urllib.error.URLError, ValueError):
                time.sleep(0.01)
                continue
            if answered != chain_id:
                node.stop()
                raise AnvilError(f"anvil answered chain id {answered}, expected {chain_id}")
            return node
        last_error = node.output()
        node.stop()
        if time.monotonic() >= deadline:
            raise AnvilError(f"anvil did not answer within {START_TIMEOUT}s: {last_error}")
    raise AnvilError(f"anvil failed to start: {last_error}")


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        nodes = list(_live)
    for node in nodes:
        node.stop()
