"""`huren serve` in dev: what it prints before serving (the demo platform key, where the
demo platform pages are, where the admin key is), and that the pages it names are served."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

import huren.cli
from huren.node.node import Node


def _serve(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> tuple[list[str], Any]:
    """Run ``huren serve`` up to the server (uvicorn is not started): the lines printed and
    the app it would have served; the node it opened is closed."""
    out = io.StringIO()
    monkeypatch.setattr(huren.cli, "console", Console(file=out, width=400, color_system=None))
    served: dict[str, Any] = {}
    opened: list[Node] = []
    real_open = Node.open

    def open_and_keep(*a: Any, **k: Any) -> Node:
        node = real_open(*a, **k)
        opened.append(node)
        return node

    monkeypatch.setattr(Node, "open", open_and_keep)
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.update(app=app, **options))
    try:
        result = CliRunner().invoke(huren.cli.app, ["serve", *args])
        assert result.exit_code == 0, (result.output, out.getvalue())
        app = served["app"]
        return out.getvalue().splitlines(), app
    finally:
        for node in opened:
            node.close()


def test_serve_prints_the_demo_platform_pages_beside_the_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HUREN_PUBLIC_URL", raising=False)
    monkeypatch.setenv("HUREN_UPKEEP_INTERVAL_S", "0")
    args = ["--data-dir", str(tmp_path), "--host", "127.0.0.1", "--port", "8123"]
    lines, app = _serve(monkeypatch, args)
    key_line = next(i for i, line in enumerate(lines) if "demo platform API key" in line)
    assert lines[key_line + 1] == "demo platform pages: http://127.0.0.1:8123/platform/alliance/"
    assert "node-admin API key: in" in lines[key_line + 2]
    assert lines[-1] == "API on http://127.0.0.1:8123 (docs at /docs)"
    # The printed path is the demo site's home page, served by the app `serve` runs.
    with TestClient(app) as http:
        home = http.get("/platform/alliance/")
    assert home.status_code == 200, home.text
    assert "text/html" in home.headers["content-type"]


def test_serve_names_the_pages_at_the_public_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HUREN_PUBLIC_URL", "https://ca.example.cn/")
    monkeypatch.setenv("HUREN_UPKEEP_INTERVAL_S", "0")
    lines, _ = _serve(monkeypatch, ["--data-dir", str(tmp_path)])
    assert "demo platform pages: https://ca.example.cn/platform/alliance/" in lines
