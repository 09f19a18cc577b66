"""``huren device zone …``: bind a certificate to a platform's zone and unbind it, from the
phone's side (``huren.device.zones``). The account's access token comes from ``--token``
(HUREN_ACCOUNT_TOKEN); the SMS code is sent with ``zone code`` and given with ``--code``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from huren import cli_device
from huren.cli_device import DEFAULT_HOME, DEFAULT_SERVER, Enrolment, Home, Pin, Server

if TYPE_CHECKING:
    from huren.device.zones import ZoneClient

zone_app = typer.Typer(help="Zones (专区): bind and unbind certificates.", no_args_is_help=True)

Token = Annotated[
    str, typer.Option(envvar="HUREN_ACCOUNT_TOKEN", help="the account's access token")
]
Fingerprint = Annotated[str, typer.Argument(help="the certificate's fingerprint (64 hex)")]
PlatformId = Annotated[str, typer.Option("--platform", help="the platform whose zone it is")]
Code = Annotated[str, typer.Option(help="the SMS code (huren device zone code …)")]
Certificate = Annotated[
    Path | None, typer.Option(help="DER of the certificate, if the node knows no key for it")
]


def _zones(home: Path, server: str, token: str) -> ZoneClient:
    from huren.device.zones import ZoneClient

    http = cli_device.http_client(server)
    return ZoneClient(cli_device._device(home, server), http, token)


@zone_app.command("code")
def code(
    action: Annotated[Literal["bind", "unbind"], typer.Argument(help="bind or unbind")],
    token: Token,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Have the node text a code for binding or unbinding to the account's phone."""
    from huren.device.errors import DeviceError

    try:
        sent = _zones(home, server, token).request_code(action)
    except DeviceError as error:
        raise cli_device._fail(error) from None
    cli_device.console.print(f"code sent; valid {sent['expires_in']} s")


def _change(
    action: Literal["bind", "unbind"],
    enrolment_id: str,
    fingerprint: str,
    platform: str,
    code: str,
    pin: str,
    token: str,
    certificate: Path | None,
    home: Path,
    server: str,
) -> None:
    from huren.device.errors import DeviceError
    from huren.node.keysplit.errors import KeysplitError

    der = None if certificate is None else certificate.read_bytes()
    client = _zones(home, server, token)
    change = client.bind if action == "bind" else client.unbind
    try:
        done = change(enrolment_id, fingerprint, platform, pin=pin, code=code, certificate_der=der)
    except (DeviceError, KeysplitError) as error:
        raise cli_device._fail(error) from None
    cli_device.console.print(
        f"{action} {done['fingerprint']} at {done['platform_id']}: evidence "
        f"{done['evidence_hash']}, transaction {done['transaction_hash']}"
    )


@zone_app.command()
def bind(
    enrolment_id: Enrolment,
    fingerprint: Fingerprint,
    platform: PlatformId,
    code: Code,
    pin: Pin,
    token: Token,
    certificate: Certificate = None,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Bind the certificate to the platform's zone (signed with the split key)."""
    _change(
        "bind", enrolment_id, fingerprint, platform, code, pin, token, certificate, home, server
    )


@zone_app.command()
def unbind(
    enrolment_id: Enrolment,
    fingerprint: Fingerprint,
    platform: PlatformId,
    code: Code,
    pin: Pin,
    token: Token,
    certificate: Certificate = None,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Unbind the certificate from the platform's zone."""
    _change(
        "unbind", enrolment_id, fingerprint, platform, code, pin, token, certificate, home, server
    )


@zone_app.command("list")
def list_zones(token: Token, home: Home = DEFAULT_HOME, server: Server = DEFAULT_SERVER) -> None:
    """The zones the account's certificates are bound to."""
    from huren.device.errors import DeviceError

    try:
        rows = _zones(home, server, token).zones()
    except DeviceError as error:
        raise cli_device._fail(error) from None
    if not rows:
        cli_device.console.print("no zone")
    for row in rows:
        cli_device.console.print(
            f"{row['fingerprint']} {row['platform_id']} ({row['platform_name'] or '-'}) "
            f"evidence {row['evidence_hash']} block {row['block_number']}"
        )
