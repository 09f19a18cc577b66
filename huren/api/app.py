"""The node's HTTP API. Routers stay thin: the node's services do the work.

``create_app(node)`` takes anything with the ``NodeServices`` shape (the running
``huren.node.node.Node``: settings, chain backend and client, operator account, database
engine and indexer) and closes it when the app shuts down. Areas:

- ``/v1/health``, ``/v1/ready``: liveness and readiness (no key);
- ``/v1/recognition``: recognition answers from the index (platform key or admin key);
- ``/v1/consortium``: members, CAs, platforms, proposals from the index (any key);
  proposals and votes through the node's operator account (admin key);
- ``/v1/platform-keys``: the center's platform API keys (admin key);
- ``/console``: the web console's pages (``huren.api.console``; a signed session cookie).
- ``/v1/pki``: OCSP, CRLs and CA certificates of the node's CAs (public), issued
  certificate chains (any key), revocation by the issuing CA (admin key).
- ``/v1/auth``, ``/v1/account``, ``/v1/identity``, ``/v1/messages``: people's accounts,
  identity verification and inbox (account access tokens; ``node.account_services``).
- ``/v1/audit``: Merkle inclusion and consistency proofs, anchored checkpoints (any key).
- ``/v1/zones``: binding certificates to platforms' zones (the holder's account; a platform
  reads its zone); ``/v1/platforms``, ``/v1/account/platform``: the platform directory,
  the nearest platform and the account's choice.

Every error is RFC 9457 problem JSON with a stable ``code`` (``huren.api.problems``).

The everyday ``GET /v1/recognition`` is answered ahead of FastAPI's routing by
``recognition.FastPath`` (a middleware), with the same answers; anything else goes on to the
routes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from huren.api import console, platform_site, problems
from huren.api.deps import NodeServices, install_state
from huren.api.platform_site.decrypt import MAX_BID_UPLOAD
from huren.api.query_guard import SingleQueryValues
from huren.api.routers import (
    account,
    application_keys,
    applications,
    audit_proofs,
    auth,
    billing,
    ca_review,
    consortium,
    cosigner,
    cosigner_sessions,
    enterprise_change,
    enterprises,
    health,
    identity,
    messages,
    pki,
    platform_keys,
    platforms,
    recognition,
    recovery,
    scan,
    scan_bid,
    seals,
    upkeep,
    zones,
)

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1024 * 1024
# The demo platform's 扫码解密 page takes a whole bid file; its route streams the upload to
# disk and counts again as it reads (a body without a declared length).
BID_UPLOAD_PATH = re.compile(r"/platform/[a-z0-9-]{1,32}/decrypt")


def body_limit(path: str) -> int:
    return MAX_BID_UPLOAD + 64 * 1024 if BID_UPLOAD_PATH.fullmatch(path) else MAX_BODY_BYTES


DESCRIPTION = """\
A node of the huren CA mutual-recognition consortium.

Trading platforms ask whether a certificate is recognized at their platform (`/v1/recognition`);
answers come from the node's index of the consortium chain and cite the chain events they rest
on. Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`. Errors are
`application/problem+json` (RFC 9457) with a stable `code`.
"""


def create_app(node: NodeServices) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            try:
                app.state.loop_reads.close()
            finally:
                node.close()

    app = FastAPI(
        title="huren node",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_state(app, node)
    problems.install(app)
    for module in (health, recognition, consortium, platform_keys, pki, audit_proofs, cosigner):
        app.include_router(module.router)
    app.include_router(cosigner_sessions.router)
    app.include_router(scan.router)
    app.include_router(scan_bid.router)
    billing.install(app, node)
    app.include_router(billing.router)
    console.install(app, node)
    platform_site.install(app, node)
    app.state.account_services = getattr(node, "account_services", None)
    for router in (auth.router, auth.dev_router, account.router, identity.router):
        app.include_router(router)
    app.include_router(messages.router)
    app.include_router(messages.internal_router)
    for router in (applications.router, applications.holder_router, ca_review.router):
        app.include_router(router)
    seals.install(app, node)
    app.include_router(application_keys.router)
    app.include_router(zones.router)
    app.include_router(platforms.router)
    app.include_router(recovery.router)
    app.include_router(recovery.ca_router)
    app.include_router(recovery.device_router)
    for router in (enterprises.router, enterprises.ca_router):
        app.include_router(router)
    app.include_router(enterprise_change.router)
    app.include_router(enterprise_change.ca_router)
    app.include_router(upkeep.router)
    app.add_middleware(recognition.FastPath)  # inside BodyLimit: that refuses first
    app.add_middleware(pki.OcspFastPath)
    app.add_middleware(SingleQueryValues)  # ahead of the fast paths: they answer as the routes
    app.add_middleware(BodyLimit)
    return app


class BodyLimit:
    """Refuses a request whose declared body exceeds ``MAX_BODY_BYTES`` (413 problem) before
    reading it; the largest legitimate body, a batch of 1,000 fingerprints, is ~70 KB."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                limit = body_limit(scope["path"])
                if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                    detail = f"a request body has at most {limit} bytes"
                    response = problems.problem(413, "PAYLOAD_TOO_LARGE", detail)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
