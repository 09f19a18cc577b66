"""The auditor's pages: start a replay of the node's chain against its own index (and the
contracts' views), watch its progress, list past runs, read a report with its plots and
download its JSON (``huren.node.console_audit``; the plots are ``report_html``'s SVG).

A run replays up to the block the index has reached, so that replay and index describe the
same chain; the page polls ``.../progress`` (a fragment) and reloads when the run ends.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from huren.api.console import session as cookies
from huren.api.console.deps import Allowed, check_csrf, render, state_of
from huren.api.console.pages import index_status
from huren.api.console.roles import Permission
from huren.api.deps import LagDep, NodeDep, SessionDep
from huren.node.audit.report_html import bar_chart, line_chart, month_range
from huren.node.console_audit import AuditAlreadyRunning, AuditRunner, NoSuchRun

__all__ = ["MAX_DIFFERENCES", "ReplaysUnavailable", "replays_unavailable", "router"]

router = APIRouter(prefix="/console/audit", include_in_schema=False)
AuditSession = Annotated[cookies.Session, Allowed(Permission.RUN_AUDIT)]
RunId = Annotated[int, Path(ge=1, le=2**62)]
MAX_DIFFERENCES = 200  # shown on the page; the JSON has them all


class ReplaysUnavailable(Exception):
    """An app over a node without a chain (other areas' test apps): no replays."""


def _runner(request: Request) -> AuditRunner:
    runner: AuditRunner | None = request.app.state.console_audit
    if runner is None:
        raise ReplaysUnavailable()
    return runner


async def replays_unavailable(request: Request, _: Exception) -> Response:
    reason = "This node holds no chain to replay"
    return render(request, "console/forbidden.html", {"reason": reason}, status_code=503)


@router.get("")
def audit_page(request: Request, _: AuditSession, db: SessionDep, lag: LagDep) -> HTMLResponse:
    runs = _runner(request).runs()
    return render(request, "console/audit.html", {"runs": runs, **index_status(db, lag)})


@router.post("/runs")
async def start_run(
    request: Request,
    found: AuditSession,
    node: NodeDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> RedirectResponse:
    check_csrf(found, csrf)
    checkpoint = await run_in_threadpool(node.indexer.checkpoint)
    to_block = None if checkpoint is None else checkpoint[0]
    try:
        run_id = await run_in_threadpool(_runner(request).start, found.principal.subject, to_block)
    except AuditAlreadyRunning as exc:
        response = RedirectResponse(f"/console/audit/runs/{exc.run_id}", 303)
        state_of(request).signer.set_flash(response, request, "error", f"{exc}: wait for it.")
        return response
    return RedirectResponse(f"/console/audit/runs/{run_id}", 303)


def _plots(report: dict[str, Any]) -> Markup:
    stats = report.get("statistics", {})
    issued: dict[str, dict[str, int]] = stats.get("issued", {})
    revoked: dict[str, dict[str, int]] = stats.get("revoked", {})
    months = month_range(m for per_ca in (*issued.values(), *revoked.values()) for m in per_ca)
    # report_html escapes every name it draws: the SVG is safe to place as it is.
    return Markup(
        "".join(
            [
                line_chart("Certificates recorded per CA per month", issued, months),
                line_chart("Certificates revoked per CA per month", revoked, months),
                bar_chart("Certificates by scope and center", stats.get("by_scope_center", {})),
            ]
        )
    )


@router.get("/runs/{run_id}")
def run_page(request: Request, _: AuditSession, run_id: RunId) -> HTMLResponse:
    runner = _runner(request)
    try:
        summary, report = runner.run(run_id)
    except NoSuchRun:
        return render(request, "console/forbidden.html", {"reason": f"No replay run {run_id}"},
                      status_code=404)  # fmt: skip
    context: dict[str, Any] = {
        "run": summary,
        "report": report,
        "progress": runner.progress(run_id) or {},
        "max_differences": MAX_DIFFERENCES,
    }
    if report is not None:
        context["plots"] = _plots(report)
    return render(request, "console/audit_run.html", context)


@router.get("/runs/{run_id}/progress")
def run_progress(request: Request, _: AuditSession, run_id: RunId) -> Response:
    """The run's stages as table rows; its status in ``X-Console-Run-Status`` (the page's
    script reloads the page once it is no longer ``running``)."""
    runner = _runner(request)
    try:
        summary, _report = runner.run(run_id)
    except NoSuchRun:
        return Response("no such run", status_code=404, media_type="text/plain")
    context = {"progress": runner.progress(run_id) or {}}
    response = render(request, "console/_audit_progress.html", context)
    response.headers["X-Console-Run-Status"] = summary.status
    return response


@router.get("/runs/{run_id}/report.json")
def run_report_json(request: Request, _: AuditSession, run_id: RunId) -> Response:
    try:
        summary, report = _runner(request).run(run_id)
    except NoSuchRun:
        return Response("no such run", status_code=404, media_type="text/plain")
    if report is None:
        return Response(f"run {run_id} is {summary.status}", status_code=409,
                        media_type="text/plain")  # fmt: skip
    body = json.dumps(report, ensure_ascii=False, indent=1)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="huren-replay-{run_id}.json"',
            "Cache-Control": "no-store",
        },
    )
