"""``huren upkeep run``: one upkeep pass (``huren.node.upkeep``) against a node's data
directory, for an operator, with the node stopped (the embedded chain admits one process; a
running node does a pass on ``POST /v1/upkeep/run``). Settings come from the environment
(``HUREN_*``) as for ``huren node``; prints the report as JSON, exit code 1 if a task failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

upkeep_app = typer.Typer(help="The node's upkeep job (catch-up work).", no_args_is_help=True)
console = Console()

DataDir = Annotated[Path | None, typer.Option(help="node data directory [HUREN_DATA_DIR]")]


@upkeep_app.command("run")
def run(data_dir: DataDir = None) -> None:
    """Open the node (which runs a pass before serving), print that pass's report."""
    from pydantic import ValidationError

    from huren.node.node import Node, NodeError
    from huren.node.pki.errors import PkiError
    from huren.node.settings import Settings
    from huren.registry.backend import BackendError
    from huren.registry.errors_base import RegistryError

    try:
        settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]settings: {error['msg']}[/red]")
        raise typer.Exit(2) from None
    try:
        node = Node.open(settings, start_indexer=False)
    except (NodeError, RegistryError, BackendError, PkiError) as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(2) from None
    try:
        assert node.upkeep is not None  # Node.open builds it
        report = node.upkeep.last_report or node.upkeep.run_once()
    finally:
        node.close()
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    if not report.ok:
        raise typer.Exit(1)
