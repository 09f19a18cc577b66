"""A real node serving HTTP in this process, and Debian's Chromium driven by Playwright, for
the console's browser tests.

``serve_node(data_dir)`` opens a dev ``huren.node.node.Node`` (embedded chain seeded with the
demo consortium, indexer thread polling every 50 ms) and runs its app under uvicorn on a free
loopback port in a thread: what ``huren serve`` runs, minus the process, so that a test can
also write to the node's chain (as a CA operator or another center) and watch the pages
change. ``chromium(user_data_dir)`` launches /usr/bin/chromium headless with the background
networking off; Playwright never downloads a browser (``scripts/chromium.sh`` installs
Debian's).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, Playwright

from huren.api.app import create_app
from huren.node.node import Node
from huren.node.settings import Settings
from tests.support.cluster import free_port

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TIMEOUT_MS = 15_000  # a busy two-core machine: the console's feed polls every second
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
START_TIMEOUT_S = 60.0
INDEX_TIMEOUT_S = 15.0


@dataclass
class ServedNode:
    node: Node
    url: str
    admin_key: str
    platform_key: str  # the demo key of the alliance platform
    app: FastAPI | None = None  # the served app (a test may swap parts of its state)

    def wait_indexed(self, block_number: int) -> None:
        """Until the node's indexer thread has indexed ``block_number`` (bounded)."""
        deadline = time.monotonic() + INDEX_TIMEOUT_S
        pause = threading.Event()
        while time.monotonic() < deadline:
            checkpoint = self.node.indexer.checkpoint()
            if checkpoint is not None and checkpoint[0] >= block_number:
                return
            pause.wait(0.02)
        raise TimeoutError(f"block {block_number} not indexed in {INDEX_TIMEOUT_S}s")


@contextlib.contextmanager
def serve_node(data_dir: Path) -> Iterator[ServedNode]:
    settings = Settings(env="dev", data_dir=data_dir, index_poll_interval=0.05, access_log=False)
    node = Node.open(settings)
    app = create_app(node)  # its lifespan closes the node when the server stops
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        pause = threading.Event()
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test node's server did not start")
            pause.wait(0.02)
        assert settings.admin_api_key is not None and node.demo_api_key is not None
        yield ServedNode(
            node, f"http://127.0.0.1:{port}", settings.admin_api_key.get_secret_value(),
            node.demo_api_key, app,
        )  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def chromium(playwright: Playwright, user_data_dir: Path) -> BrowserContext:
    """Debian's Chromium, headless, in a fresh profile; fails (never skips) when missing."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/chromium.sh (needs apt-get)")
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=str(CHROMIUM),
        headless=True,
        args=list(CHROMIUM_ARGS),
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
