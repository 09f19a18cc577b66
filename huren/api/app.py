"""The node's HTTP API. Routers stay thin: the node and the registry client do the work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from huren.node.node import Node, NodeError
from huren.registry.errors_base import RegistryError


def problem(status: int, code: str, detail: str) -> JSONResponse:
    """RFC 9457 problem JSON with a stable machine-readable ``code``."""
    return JSONResponse(
        {
            "type": f"urn:huren:problem:{code}",
            "title": code,
            "status": status,
            "code": code,
            "detail": detail,
        },
        status_code=status,
        media_type="application/problem+json",
    )


def get_node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


def create_app(node: Node) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        node.close()

    app = FastAPI(title="huren node", version="0.1.0", lifespan=lifespan)
    app.state.node = node

    @app.exception_handler(RegistryError)
    async def registry_error(_: Request, exc: RegistryError) -> JSONResponse:
        return problem(400, type(exc).__name__, str(exc))

    @app.exception_handler(NodeError)
    async def node_error(_: Request, exc: NodeError) -> JSONResponse:
        return problem(409, type(exc).__name__, str(exc))

    @app.get("/v1/health")
    def health(n: NodeDep) -> dict[str, Any]:
        return {"status": "ok", "chain_id": n.backend.chain_id, "head": n.backend.block_number()}

    @app.get("/v1/consortium/members")
    def members(n: NodeDep) -> list[dict[str, Any]]:
        out = []
        for account in n.client.members():
            m = n.client.member(account)
            out.append({"account": account, "name": m.name, "region_code": m.region_code})
        return out

    @app.get("/v1/consortium/cas")
    def cas(n: NodeDep) -> list[dict[str, Any]]:
        out = []
        for ca_id in n.client.ca_ids():
            c = n.client.ca(ca_id)
            out.append(
                {
                    "id": ca_id,
                    "name": c.name,
                    "status": c.status.name.lower(),
                    "operators": list(c.operators),
                    "issuer_key_ids": [k.hex() for k in c.issuer_key_ids],
                }
            )
        return out

    @app.get("/v1/consortium/platforms")
    def platforms(n: NodeDep) -> list[dict[str, Any]]:
        out = []
        for platform_id in n.client.platform_ids():
            p = n.client.platform(platform_id)
            out.append({"id": platform_id, "name": p.name, "center": p.center, "active": p.active})
        return out

    return app
