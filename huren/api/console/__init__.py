"""The web console: server-rendered pages for the people who run the consortium.

Jinja2 templates (``huren/api/templates/console``), one stylesheet and one small script
(``huren/api/static/console``), all served by the node under ``/console``: no bundler, no
CDN. Sign-in, roles and cookies: ``roles`` and ``session``; pages: ``pages`` (consortium,
proposals, chain events), ``certificates`` (lookup), ``governance`` (propose and vote).
See docs/console.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from huren.api.console import certificates, governance, pages
from huren.api.console.deps import install_handlers, make_state
from huren.api.deps import NodeServices

__all__ = ["install"]

STATIC = Path(__file__).resolve().parent.parent / "static" / "console"


def install(app: FastAPI, node: NodeServices) -> None:
    """Mount the console's pages and files on ``app``."""
    app.state.console = make_state(node)
    install_handlers(app)
    for module in (pages, certificates, governance):
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
