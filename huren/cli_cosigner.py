"""``huren cosigner …``: the node admin's side of the co-signer, over the node's API with the
node-admin key: issue enrolment tickets, bind issued certificates, unlock locked keys. (Later
the certificate application, PKI and identity services do these themselves.)"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    import httpx

cosigner_app = typer.Typer(help="Node admin: co-signer tickets and keys.", no_args_is_help=True)
console = Console(soft_wrap=True)

Server = Annotated[str, typer.Option(envvar="HUREN_NODE_URL", help="the node's API")]
AdminKey = Annotated[str, typer.Option(envvar="HUREN_ADMIN_API_KEY", help="the node-admin API key")]
DEFAULT_SERVER = "http://127.0.0.1:8700"


def http_client(server: str) -> httpx.Client:
    """The HTTP client the commands use (tests replace this to reach an app in process)."""
    import httpx

    return httpx.Client(base_url=server, timeout=30.0)


def _post(server: str, admin_key: str, path: str, body: dict[str, Any]) -> Any:
    with http_client(server) as http:
        response = http.post(path, json=body, headers={"Authorization": f"Bearer {admin_key}"})
    if response.status_code >= 400:
        try:
            problem = response.json()
            message = f"{problem['code']}: {problem['detail']}"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}"
        console.print(f"[red]{message}[/red]")
        raise typer.Exit(1)
    return None if response.status_code == 204 else response.json()


@cosigner_app.command()
def ticket(
    holder: Annotated[str, typer.Option(help="the holder's account reference")],
    recovery_key: Annotated[str, typer.Option(help="recovery public key, 64 hex digits")],
    admin_key: AdminKey,
    ttl_days: Annotated[int, typer.Option(min=1, max=90)] = 7,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Issue a one-time enrolment ticket (printed once)."""
    try:
        recovery = bytes.fromhex(recovery_key)
    except ValueError:
        console.print("[red]the recovery key is 64 hex digits[/red]")
        raise typer.Exit(2) from None
    body = {
        "holder": holder,
        "recovery_public_key": base64.b64encode(recovery).decode(),
        "ttl_s": ttl_days * 86_400,
    }
    issued = _post(server, admin_key, "/v1/cosigner/tickets", body)
    console.print(issued["ticket"])


@cosigner_app.command()
def bind(
    enrolment_id: Annotated[str, typer.Argument(help="the enrolment the certificate is for")],
    certificate: Annotated[Path, typer.Argument(help="DER file of the issued certificate")],
    admin_key: AdminKey,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Bind a certificate issued for an enrolment's group key; prints its fingerprint."""
    body = {"certificate": base64.b64encode(certificate.read_bytes()).decode()}
    bound = _post(server, admin_key, f"/v1/cosigner/enrolments/{enrolment_id}/certificates", body)
    console.print(bound["fingerprint"])


@cosigner_app.command()
def unlock(
    enrolment_id: Annotated[str, typer.Argument(help="the locked enrolment")],
    verified_by: Annotated[str, typer.Option(help="how the holder's identity was verified")],
    admin_key: AdminKey,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Unlock a key locked by wrong PINs after the holder's identity was verified again."""
    path = f"/v1/cosigner/enrolments/{enrolment_id}/unlock"
    _post(server, admin_key, path, {"verified_by": verified_by})
    console.print(f"enrolment {enrolment_id} unlocked")
