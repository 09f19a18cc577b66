"""``huren audit``: check the registry and nodes' indexes against the chain alone.

Registered in ``huren.cli`` as ``app.add_typer(audit_app, name="audit")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from huren.registry.backend import ChainBackend
    from huren.registry.types import Deployment

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="Audit the registry and nodes against the chain.", no_args_is_help=True
)
console = Console(stderr=True)

EXIT_CLEAN, EXIT_DIFFERENCES, EXIT_ERROR = 0, 1, 2


@audit_app.callback()
def _audit() -> None:
    """Audit the registry and nodes against the chain."""


class _Bars:
    """A rich progress bar per stage (replay, contract views, each index and API)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def update(self, stage: str, done: int, total: int) -> None:
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._progress.add_task(stage, total=max(total, 1))
        self._progress.update(task, completed=done, total=max(total, 1))


def _open_chain(
    chain_url: str | None, data_dir: Path | None, deployment_file: Path | None
) -> tuple[ChainBackend, Deployment]:
    from huren.registry.deploy import load_deployment
    from huren.registry.embedded import EmbeddedBackend
    from huren.registry.jsonrpc import JsonRpcBackend

    if (chain_url is None) == (data_dir is None):
        console.print("[red]give exactly one of --chain-url and --data-dir[/red]")
        raise typer.Exit(EXIT_ERROR)
    if deployment_file is None:
        if data_dir is None:
            console.print("[red]--chain-url needs --deployment (the node's deployment.json)[/red]")
            raise typer.Exit(EXIT_ERROR)
        deployment_file = data_dir / "deployment.json"
    deployment = load_deployment(deployment_file)
    if chain_url is not None:
        return JsonRpcBackend(chain_url, chain_id=deployment.chain_id), deployment
    assert data_dir is not None
    chain_dir = data_dir / "chain"
    if not chain_dir.is_dir():
        console.print(f"[red]no embedded chain in {chain_dir}[/red]")
        raise typer.Exit(EXIT_ERROR)
    return EmbeddedBackend(chain_dir), deployment


@audit_app.command("replay")
def replay_command(
    chain_url: Annotated[
        str | None, typer.Option(help="JSON-RPC URL of the consortium chain")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="a (stopped) node's data directory: its embedded chain and deployment"),
    ] = None,
    deployment: Annotated[
        Path | None, typer.Option(help="deployment.json (default: DATA_DIR/deployment.json)")
    ] = None,
    index: Annotated[
        list[str] | None,
        typer.Option("--index", help="a node's database URL to compare (repeat)"),
    ] = None,
    api: Annotated[
        list[str] | None, typer.Option("--api", help="a node's API base URL to compare (repeat)")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="HUREN_AUDIT_API_KEY", help="the API key for --api"),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option(help="platform to ask the APIs for certificates at (default: first active)"),
    ] = None,
    views: Annotated[bool, typer.Option(help="compare with the contracts' views")] = True,
    view_sample: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="read only this many certificates (at random) by contract view: each costs "
            "an EVM call (default: all)",
        ),
    ] = None,
    to_block: Annotated[
        int | None, typer.Option(help="replay up to this block (default head)")
    ] = None,
    json_out: Annotated[Path, typer.Option("--json", help="where to write the JSON report")] = Path(
        "audit-replay.json"
    ),
    html_out: Annotated[Path, typer.Option("--html", help="where to write the HTML report")] = Path(
        "audit-replay.html"
    ),
) -> None:
    """Rebuild the registry from its events since the deployment block and report every
    difference of the contracts' views and the given nodes' indexes from it. Exit status 0:
    no difference; 1: differences (see the reports); 2: the audit could not run."""
    from sqlalchemy.exc import SQLAlchemyError

    from huren.node.audit.report_html import render_html
    from huren.node.audit.run import ApiSource, run_replay_audit
    from huren.node.audit.source_api import ApiError, HttpTransport
    from huren.node.db.engine import make_engine
    from huren.registry.backend import BackendError
    from huren.registry.errors_base import RegistryError

    if api and not api_key:
        console.print("[red]--api needs --api-key (or HUREN_AUDIT_API_KEY)[/red]")
        raise typer.Exit(EXIT_ERROR)
    engines = []
    try:
        backend, dep = _open_chain(chain_url, data_dir, deployment)
    except (BackendError, RegistryError, OSError) as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(EXIT_ERROR) from None
    try:
        for url in index or []:
            engines.append((url, make_engine(url)))
        apis = [ApiSource(HttpTransport(u, api_key or ""), platform) for u in api or []]
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bars:
            report = run_replay_audit(
                backend,
                dep,
                views=views,
                view_sample=view_sample,
                indexes=[(_hide_password(u), e) for u, e in engines],
                apis=apis,
                to_block=to_block,
                progress=_Bars(bars),
            )
    except (BackendError, RegistryError, SQLAlchemyError, ApiError, ValueError) as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(EXIT_ERROR) from None
    finally:
        for _, engine in engines:
            engine.dispose()
        backend.close()
    json_out.write_text(json.dumps(report.to_json(), indent=1) + "\n", encoding="utf-8")
    html_out.write_text(render_html(report), encoding="utf-8")
    console.print(
        f"replayed {report.events} events (blocks {report.deployment_block}.."
        f"{report.replayed_block}) in {report.replay_seconds:.2f} s"
    )
    for source in report.sources:
        colour = "green" if source.differences == 0 else "red"
        console.print(f"  {source.source}: [{colour}]{source.differences} difference(s)[/{colour}]")
    for d in report.differences[:20]:
        console.print(f"  [red]{d.source}[/red]: {d.describe()}", markup=True, highlight=False)
    if len(report.differences) > 20:
        console.print(f"  ... {len(report.differences) - 20} more in {json_out}")
    for what, evidence in report.anomalies:
        console.print(f"  [red]anomaly[/red]: {what} (block {evidence.block_number})")
    console.print(f"reports: {json_out}, {html_out}")
    raise typer.Exit(EXIT_CLEAN if report.clean else EXIT_DIFFERENCES)


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
