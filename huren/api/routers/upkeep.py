"""The node's upkeep job (``huren.node.upkeep``) for the center running the node: its last
pass (``GET /v1/upkeep``) and a pass now (``POST /v1/upkeep/run``), node-admin key only.
A failed task is part of the report (200), not an error of the request: the job goes on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from huren.api.deps import AdminDep, NodeDep, NodeServices
from huren.api.problems import PROBLEM_RESPONSES, ApiProblem, problem_response
from huren.node.upkeep import Upkeep, UpkeepReport

__all__ = ["router"]

RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    403: problem_response("Needs the node-admin key (ADMIN_ONLY)"),
    503: problem_response("This node runs no upkeep job (UPKEEP_UNAVAILABLE)"),
}
router = APIRouter(prefix="/v1/upkeep", tags=["upkeep"], responses=RESPONSES)


class TaskOutcomeOut(BaseModel):
    name: str
    ok: bool
    handled: int
    error: str | None
    duration_ms: float


class UpkeepReportOut(BaseModel):
    at: int
    ok: bool
    tasks: list[TaskOutcomeOut]

    @classmethod
    def of(cls, report: UpkeepReport) -> UpkeepReportOut:
        return cls.model_validate(report.as_dict())


class UpkeepOut(BaseModel):
    running: bool  # the background thread
    interval_s: float | None  # between passes, while it runs
    tasks: list[str]
    last: UpkeepReportOut | None  # the last pass (the one at start, at least)


def _upkeep(node: NodeServices) -> Upkeep:
    upkeep: Upkeep | None = getattr(node, "upkeep", None)
    if upkeep is None:
        raise ApiProblem(503, "UPKEEP_UNAVAILABLE", "this node runs no upkeep job")
    return upkeep


@router.get("")
def upkeep_status(_: AdminDep, node: NodeDep) -> UpkeepOut:
    """Whether the job runs, how often, its tasks and its last report."""
    upkeep = _upkeep(node)
    last = upkeep.last_report
    return UpkeepOut(
        running=upkeep.running,
        interval_s=upkeep.interval_s,
        tasks=list(upkeep.task_names),
        last=None if last is None else UpkeepReportOut.of(last),
    )


@router.post("/run")
def upkeep_run(_: AdminDep, node: NodeDep) -> UpkeepReportOut:
    """Run a pass now (after the one under way, if any) and answer its report."""
    return UpkeepReportOut.of(_upkeep(node).run_once())
