"""``huren network``: write the configuration of a consortium chain for a real engine.

Registered in ``huren.cli`` as ``app.add_typer(network_app, name="network")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from huren.node.besu import (
    DEFAULT_BLOCK_PERIOD_S,
    DEFAULT_CHAIN_ID,
    DEFAULT_P2P_PORT,
    DEFAULT_RPC_PORT,
    BesuConfigError,
    fault_tolerance,
    make_spec,
    plan_network,
    quorum,
    write_network,
)

__all__ = ["network_app"]

network_app = typer.Typer(
    help="Write the configuration of a consortium chain network.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)


@network_app.callback()
def _network() -> None:
    """Write the configuration of a consortium chain network."""


@network_app.command("besu")
def besu(
    out: Annotated[Path, typer.Option("--out", help="directory to write the network into")],
    center: Annotated[
        list[str] | None,
        typer.Option("--center", help="a center's short name (repeat; at least one)"),
    ] = None,
    host: Annotated[
        list[str] | None,
        typer.Option(
            "--host",
            help="NAME=IP:PORT, a center's P2P address as the others dial it (repeat); "
            "unnamed centers get 127.0.0.1 and --p2p-port + their index",
        ),
    ] = None,
    chain_id: Annotated[int, typer.Option(help="the chain id")] = DEFAULT_CHAIN_ID,
    block_period: Annotated[
        int, typer.Option(help="QBFT blockperiodseconds: seconds between blocks")
    ] = DEFAULT_BLOCK_PERIOD_S,
    request_timeout: Annotated[
        int | None,
        typer.Option(help="QBFT requesttimeoutseconds (default: twice the block period)"),
    ] = None,
    p2p_port: Annotated[int, typer.Option(help="first P2P port of local centers")] = (
        DEFAULT_P2P_PORT
    ),
    rpc_port: Annotated[int, typer.Option(help="first JSON-RPC port (on 127.0.0.1)")] = (
        DEFAULT_RPC_PORT
    ),
    force: Annotated[bool, typer.Option(help="write into a non-empty --out directory")] = False,
) -> None:
    """Write a Hyperledger Besu QBFT network in which every center runs a validator.

    Per center: fresh node and operator keys (mode 0600), config.toml and start.sh.
    Shared: genesis.json, static-nodes.json, founders.json and deploy.md (the next steps).
    """
    try:
        spec = make_spec(
            center or [],
            host or [],
            chain_id=chain_id,
            block_period=block_period,
            request_timeout=request_timeout,
            p2p_port=p2p_port,
            rpc_port=rpc_port,
        )
        network = plan_network(spec)
        write_network(network, out, force=force)
    except BesuConfigError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(code=2) from None

    n = len(network.centers)
    table = Table(title=f"Besu QBFT network, chain id {network.chain_id}")
    for column in ("center", "validator", "operator", "P2P", "RPC"):
        table.add_column(column, overflow="fold")
    for c in network.centers:
        table.add_row(c.name, c.validator, c.operator, c.p2p.netloc, c.rpc_url)
    console.print(table)
    console.print(
        f"{n} validator(s): blocks need {quorum(n)} online; "
        f"tolerates {fault_tolerance(n)} faulty validator(s)."
    )
    for warning in network.warnings():
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    console.print(
        f"Written to [bold]{escape(str(out))}[/bold]. Each center gets its own directory "
        "(it holds that center's keys); next steps are in deploy.md."
    )
