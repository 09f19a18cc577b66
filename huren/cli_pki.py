"""``huren pki``: create a CA institution's keys and certificates for a node.

Registered in ``huren.cli`` as ``app.add_typer(pki_app, name="pki")``.

``huren pki new-ca`` writes the directory a node loads from ``data/pki/<ca_id>/`` (see
``huren.node.pki.ca``) and the root key to a separate file meant to go offline, and prints
the issuer key id that the CA's accreditation proposal must list. The passphrase comes from
``HUREN_CA_PASSPHRASE`` or a prompt.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from eth_account import Account
from rich.console import Console

from huren.node.pki.ca import CaUrls, CertificateAuthority, build_ca_certificates, save_ca_files
from huren.node.pki.errors import PkiError

__all__ = ["pki_app"]

pki_app = typer.Typer(help="CA keys and certificates for a node.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@pki_app.callback()
def _pki() -> None:
    """CA keys and certificates for a node."""


@pki_app.command("new-ca")
def new_ca(
    ca_id: Annotated[str, typer.Option(help="the CA's id on chain, e.g. zjca")],
    name: Annotated[str, typer.Option(help="the CA institution's name")],
    public_url: Annotated[str, typer.Option(help="how clients reach the node (AIA URLs)")],
    operator_key: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="hex key of the CA's operator")
    ],
    data_dir: Annotated[Path, typer.Option(help="the node's data directory")] = Path("data"),
    root_key_out: Annotated[
        Path, typer.Option(help="where the root key goes (encrypted; keep it offline)")
    ] = Path("root.key.pem"),
) -> None:
    """Generate a root and an issuing CA (P-256) and write them for the node."""
    passphrase = os.environ.get("HUREN_CA_PASSPHRASE") or typer.prompt(
        "CA passphrase", hide_input=True, confirmation_prompt=True
    )
    directory = data_dir / "pki" / ca_id
    if directory.exists() or root_key_out.exists():
        err_console.print(f"[red]{directory} or {root_key_out} exists: not overwriting[/red]")
        raise typer.Exit(2)
    try:
        operator = Account.from_key(operator_key.read_text().strip())
    except ValueError as exc:
        err_console.print(f"[red]{operator_key}: not a private key ({exc})[/red]")
        raise typer.Exit(2) from None
    root_key = ec.generate_private_key(ec.SECP256R1())
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    urls = CaUrls(public_url, ca_id)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        root, issuing = build_ca_certificates(ca_id, name, root_key, issuing_key, urls, now)
        ca = CertificateAuthority(ca_id, root, issuing, issuing_key, operator, urls)
        save_ca_files(directory, ca, passphrase.encode(), bytes(operator.key))
    except PkiError as exc:
        err_console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(2) from None
    fd = os.open(root_key_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            root_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(passphrase.encode()),
            )
        )
    console.print(f"CA {ca_id} written to {directory}; root key in {root_key_out}")
    console.print(f"operator {operator.address}")
    console.print(f"issuer key id (for the accreditation proposal): 0x{ca.issuer_key_id.hex()}")
