"""The web console: server-rendered pages for the people who run the consortium.

Jinja2 templates (``huren/api/templates/console``), one stylesheet and one small script
(``huren/api/static/console``), all served by the node under ``/console``: no bundler, no
CDN. Sign-in, roles and cookies: ``roles``, ``session`` and ``account_login`` (people's
accounts); pages: ``pages`` (consortium, proposals, chain events), ``certificates``
(lookup; ``proofs``: a record's inclusion proof), ``governance`` (propose and vote),
``grants`` (console roles of accounts), ``audit`` (replays), ``ca_pages`` (a CA's PKI
status), ``review`` (the CA review queue), ``authorization_review`` (the CA's authorization
requests).
See docs/console.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from huren.api.console import (
    account_login,
    audit,
    authorization_review,
    ca_pages,
    certificates,
    governance,
    grants,
    pages,
    proofs,
    review,
)
from huren.api.console.deps import install_handlers, make_state
from huren.api.deps import NodeServices
from huren.node.console_audit import AuditRunner
from huren.node.console_roles import ConsoleRoleService

__all__ = ["install"]

STATIC = Path(__file__).resolve().parent.parent / "static" / "console"


def install(app: FastAPI, node: NodeServices) -> None:
    """Mount the console's pages and files on ``app``."""
    app.state.console = state = make_state(node)
    app.state.console_roles = ConsoleRoleService(node.engine, clock=state.clock)
    client = getattr(node, "client", None)  # test apps of other areas run without a chain
    runner = None
    if client is not None:
        runner = AuditRunner(node.engine, node.backend, client.deployment, clock=state.clock)
        runner.recover()  # a run this node was doing when it stopped will not finish
    app.state.console_audit = runner
    install_handlers(app)
    app.add_exception_handler(audit.ReplaysUnavailable, audit.replays_unavailable)
    modules = (
        pages,
        account_login,
        certificates,
        proofs,
        governance,
        grants,
        audit,
        ca_pages,
        review,
        authorization_review,
    )
    for module in modules:
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
