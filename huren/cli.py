"""The ``huren`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from huren import cli_device_scan  # noqa: F401 - registers huren device scan, session …
from huren.cli_audit import audit_app
from huren.cli_audit_proofs import proofs_app
from huren.cli_bid import bid_app
from huren.cli_cosigner import cosigner_app
from huren.cli_device import device_app
from huren.cli_device_recovery import recover as _device_recover  # noqa: F401 - registers it
from huren.cli_network import network_app
from huren.cli_pki import pki_app
from huren.cli_upkeep import upkeep_app
from huren.cli_zones import zone_app

if TYPE_CHECKING:
    from huren.node.settings import Settings
    from huren.registry.deploy import FoundingMember

app = typer.Typer(help="huren: CA mutual recognition on a consortium chain.", no_args_is_help=True)
app.add_typer(network_app, name="network")
app.add_typer(bid_app, name="bid")
app.add_typer(pki_app, name="pki")
app.add_typer(audit_app, name="audit")
# The proofs' commands (verify-proof, verify-consistency, verify-oplog) sit beside replay.
audit_app.registered_commands += proofs_app.registered_commands
app.add_typer(device_app, name="device")
device_app.add_typer(zone_app, name="zone")  # huren device zone …
app.add_typer(cosigner_app, name="cosigner")
app.add_typer(upkeep_app, name="upkeep")
console = Console()

DataDir = Annotated[Path | None, typer.Option(help="node data directory [HUREN_DATA_DIR]")]
Host = Annotated[str | None, typer.Option(help="API listen address [HUREN_HOST]")]
Port = Annotated[int | None, typer.Option(help="API port [HUREN_PORT]")]


def _settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from huren.node.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]settings: {error['msg']}[/red]")
        raise typer.Exit(2) from None


def _run(settings: Settings) -> None:
    import uvicorn

    from huren.api.app import create_app
    from huren.node.node import Node, NodeError
    from huren.node.pki.errors import PkiError
    from huren.registry.backend import BackendError
    from huren.registry.errors_base import RegistryError

    console.print(f"opening node data in [bold]{settings.data_dir.resolve()}[/bold] ...")
    try:
        node = Node.open(settings)
    except (NodeError, RegistryError, BackendError, PkiError) as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(2) from None
    d = node.deployment
    console.print(
        f"chain {d.chain_id}: Consortium {d.consortium}, CertificateRegistry {d.registry}"
    )
    console.print(f"operator {node.operator.address}")
    base_url = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    if node.demo_api_key is not None:
        console.print(f"demo platform API key (alliance): [bold]{node.demo_api_key}[/bold]")
        # The demo platform site holds that key server-side (docs/platform-pages.md).
        console.print(f"demo platform pages: [bold]{base_url}/platform/alliance/[/bold]")
        console.print(f"node-admin API key: in {settings.data_dir / 'admin-api-key'}")
    console.print(f"API on [bold]http://{settings.host}:{settings.port}[/bold] (docs at /docs)")
    uvicorn.run(
        create_app(node),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
    )


@app.command()
def serve(data_dir: DataDir = None, host: Host = None, port: Port = None) -> None:
    """Run a node with its API on the embedded chain; a dev node seeds the demo consortium on
    its first start and reuses its data directory after."""
    _run(_settings(data_dir=data_dir, host=host, port=port))


@app.command()
def node(
    chain_url: Annotated[str, typer.Option(help="JSON-RPC URL of the consortium chain")],
    chain_id: Annotated[int, typer.Option(help="the chain id the node pins")],
    operator_key: Annotated[Path, typer.Option(help="file with this center's operator key")],
    deployment: Annotated[
        Path | None, typer.Option(help="deployment.json to copy into the data directory")
    ] = None,
    data_dir: DataDir = None,
    host: Host = None,
    port: Port = None,
) -> None:
    """Run a node with its API against an external chain (anvil, Besu QBFT)."""
    import shutil

    settings = _settings(
        env="prod",
        chain_url=chain_url,
        chain_id=chain_id,
        operator_key_file=operator_key,
        data_dir=data_dir,
        host=host,
        port=port,
    )
    if deployment is not None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(deployment, settings.data_dir / "deployment.json")
    _run(settings)


@app.command()
def deploy(
    chain_url: Annotated[str, typer.Option(help="JSON-RPC URL of the consortium chain")],
    chain_id: Annotated[int, typer.Option(help="the chain id the deployment pins")],
    operator_key: Annotated[Path, typer.Option(help="file with the deploying center's key")],
    founder: Annotated[
        list[str] | None,
        typer.Option(help="a founding center as ADDRESS:NAME:REGION_CODE (repeat)"),
    ] = None,
    founders: Annotated[
        Path | None,
        typer.Option(help="founders.json written by `huren network besu` (name, regionCode)"),
    ] = None,
    out: Annotated[Path, typer.Option(help="where to write deployment.json")] = Path(
        "deployment.json"
    ),
    voting_period: Annotated[int, typer.Option(help="seconds a proposal stays open")] = 7 * 86400,
) -> None:
    """Deploy the contracts once for a consortium and write deployment.json for every node."""
    from eth_account import Account

    from huren.registry.backend import BackendError
    from huren.registry.deploy import deploy as deploy_contracts
    from huren.registry.deploy import save_deployment
    from huren.registry.errors_base import RegistryError
    from huren.registry.jsonrpc import JsonRpcBackend

    members = _founders(founder or [], founders)
    deployer = Account.from_key(operator_key.read_text().strip())
    try:
        backend = JsonRpcBackend(chain_url, chain_id=chain_id)
        try:
            result = deploy_contracts(backend, deployer, members, voting_period)
        finally:
            backend.close()
    except (RegistryError, BackendError) as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(2) from None
    save_deployment(out, result)
    console.print(f"Consortium {result.consortium}, CertificateRegistry {result.registry}")
    console.print(f"wrote {out}")


def _founders(specs: list[str], founders_file: Path | None) -> list[FoundingMember]:
    import json

    from huren.registry.deploy import FoundingMember

    members = []
    for spec in specs:
        parts = spec.split(":")
        if len(parts) != 3 or not parts[2].isdigit():
            console.print(f"[red]--founder {spec!r}: expected ADDRESS:NAME:REGION_CODE[/red]")
            raise typer.Exit(2)
        members.append(FoundingMember(parts[0], parts[1], int(parts[2])))
    if founders_file is not None:
        raw = json.loads(founders_file.read_text(encoding="utf-8"))
        for entry in raw.get("founders", []):
            if not isinstance(entry.get("regionCode"), int) or not entry.get("name"):
                center = entry.get("center")
                console.print(
                    f"[red]{founders_file}: fill in name and regionCode of {center}[/red]"
                )
                raise typer.Exit(2)
            members.append(FoundingMember(entry["account"], entry["name"], entry["regionCode"]))
    if not members:
        console.print("[red]name the founding centers with --founder or --founders[/red]")
        raise typer.Exit(2)
    return members


@app.command()
def demo(
    data_dir: Annotated[
        Path | None, typer.Option(help="node data directory (default: a fresh temporary one)")
    ] = None,
) -> None:
    """Show cross-region recognition step by step on a dev node with the demo consortium."""
    import tempfile

    from rich.table import Table

    from huren.node.demo_scenario import Step, run
    from huren.node.node import Node

    with tempfile.TemporaryDirectory(prefix="huren-demo-") as tmp:
        node = Node.open(_settings(data_dir=data_dir or Path(tmp)), start_indexer=False)
        table: Table | None = None

        def say(step: Step) -> None:
            nonlocal table
            if step.platform_id is None:
                if table is not None:
                    console.print(table)
                    table = None
                console.print(f"[bold]>[/bold] {step.text}")
                return
            if table is not None and table.title != step.text:
                console.print(table)
                table = None
            if table is None:
                table = Table(title=step.text, title_justify="left")
                for column in ("platform", "recognized", "reasons"):
                    table.add_column(column)
            verdict = "[green]yes[/green]" if step.recognized else "[red]no[/red]"
            table.add_row(step.platform_id, verdict, ", ".join(step.reasons))

        try:
            run(node, say)
            if table is not None:
                console.print(table)
        finally:
            node.close()


@app.command()
def version() -> None:
    """Print huren's version."""
    from importlib.metadata import version as dist_version

    console.print(dist_version("huren"))


if __name__ == "__main__":
    app()
