"""Liveness and readiness, for load balancers and orchestrators (no key needed).

``/v1/health`` says the process serves requests and touches nothing else. ``/v1/ready`` is
200 while the index is at most ``confirmations`` blocks behind the chain head (what the
indexer leaves alone on purpose), else 503 ``INDEX_BEHIND``; 503 ``INDEXER_FAILING`` while
the indexer's last step failed, ``CHAIN_UNAVAILABLE`` when the head cannot be read: a
platform should be sent to another node meanwhile.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from huren.api.deps import NodeDep
from huren.api.problems import ApiProblem, problem
from huren.registry.backend import BackendError

router = APIRouter(prefix="/v1", tags=["health"])


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    ready: bool
    lag_blocks: int
    confirmations: int
    indexed_block: int | None


@router.get("/health")
async def health() -> HealthOut:
    """The process is up."""
    return HealthOut(status="up")


_NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"description": "INDEX_BEHIND, INDEXER_FAILING or CHAIN_UNAVAILABLE"}
}


@router.get("/ready", responses=_NOT_READY, response_model=ReadyOut)
def ready(node: NodeDep) -> Any:
    """Ready when the index lags the chain head by at most ``confirmations`` blocks."""
    indexer = node.indexer
    if indexer.last_error is not None:
        failure = type(indexer.last_error).__name__
        raise ApiProblem(503, "INDEXER_FAILING", f"the indexer's last step failed: {failure}")
    try:
        lag = indexer.lag()
        checkpoint = indexer.checkpoint()
    except BackendError:
        raise ApiProblem(503, "CHAIN_UNAVAILABLE", "the chain head cannot be read") from None
    body = ReadyOut(
        ready=lag <= indexer.confirmations,
        lag_blocks=lag,
        confirmations=indexer.confirmations,
        indexed_block=None if checkpoint is None else checkpoint[0],
    )
    if not body.ready:
        detail = f"the index is {lag} blocks behind (at most {indexer.confirmations})"
        return problem(503, "INDEX_BEHIND", detail, **body.model_dump())
    return body
