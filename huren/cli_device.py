"""``huren device …``: the phone's side from a terminal (the device SDK, ``huren.device``).

The device's files live in ``--home`` (HUREN_DEVICE_HOME); the co-signer is a node's API
(``--server``, HUREN_DEVICE_SERVER). The PIN is asked for, or read from HUREN_DEVICE_PIN.

More commands register on ``device_app`` from their own modules: ``huren.cli_device_scan``
(scan, session …), ``huren.cli_device_recovery`` (recover) and ``huren.cli_zones`` (zone …).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    import httpx

    from huren.device.sdk import Device

device_app = typer.Typer(
    help="The holder's device: split keys with the co-signer.", no_args_is_help=True
)
console = Console(soft_wrap=True)  # ids and hex stay on one line

Home = Annotated[Path, typer.Option(envvar="HUREN_DEVICE_HOME", help="the device's files")]
Server = Annotated[
    str, typer.Option(envvar="HUREN_DEVICE_SERVER", help="the node API holding the co-signer")
]
Pin = Annotated[
    str, typer.Option(prompt=True, hide_input=True, envvar="HUREN_DEVICE_PIN", help="the PIN")
]
Platform = Annotated[str, typer.Option(help="the platform the key acts at")]
Enrolment = Annotated[str, typer.Argument(help="the enrolment id of the key")]
DEFAULT_HOME = Path.home() / ".huren-device"
DEFAULT_SERVER = "http://127.0.0.1:8700"


def http_client(server: str) -> httpx.Client:
    """The HTTP client the commands use (tests replace this to reach an app in process)."""
    import httpx

    return httpx.Client(base_url=server, timeout=30.0)


def _device(home: Path, server: str) -> Device:
    from huren.device.sdk import Device

    return Device(home, http_client(server))


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]{error}[/red]")
    return typer.Exit(1)


@device_app.command()
def enrol(
    ticket: Annotated[str, typer.Option(help="the one-time enrolment ticket")],
    pin: Pin,
    purpose: Annotated[str, typer.Option(help="signing or encryption")] = "signing",
    label: Annotated[str, typer.Option(help="a name for this device")] = "",
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Generate a split key with the co-signer; the device share is sealed under the PIN."""
    from huren.device.errors import DeviceError
    from huren.node.keysplit.errors import KeysplitError

    try:
        stored = _device(home, server).enrol(ticket, pin, purpose=purpose, label=label)
    except (DeviceError, KeysplitError) as error:
        raise _fail(error) from None
    group_key = bytes(stored.public.group_public_key).hex()
    console.print(f"enrolment {stored.enrolment_id} ({purpose}), group key {group_key}")


@device_app.command("add-certificate")
def add_certificate(
    enrolment_id: Enrolment,
    certificate: Annotated[Path, typer.Argument(help="DER file of the issued certificate")],
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Keep a certificate issued for the key (several per device)."""
    from huren.device.errors import DeviceError

    try:
        fingerprint = _device(home, server).add_certificate(enrolment_id, certificate.read_bytes())
    except DeviceError as error:
        raise _fail(error) from None
    console.print(fingerprint)


@device_app.command()
def sign(
    enrolment_id: Enrolment,
    file: Annotated[Path, typer.Argument(help="file whose SHA-256 digest is signed")],
    platform: Platform,
    pin: Pin,
    action: Annotated[str, typer.Option(help="login, sign or seal")] = "sign",
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Sign the file's SHA-256 with the co-signer; prints the Ed25519 signature in hex."""
    from huren.device.errors import DeviceError
    from huren.node.keysplit.errors import KeysplitError

    digest = hashlib.sha256(file.read_bytes()).digest()
    try:
        signature = _device(home, server).sign(
            enrolment_id, digest, pin=pin, platform=platform, action=action
        )
    except (DeviceError, KeysplitError) as error:
        raise _fail(error) from None
    console.print(signature.hex())


@device_app.command()
def decrypt(
    enrolment_id: Enrolment,
    file: Annotated[Path, typer.Argument(help="an HPKE enc‖ciphertext (AES-256-GCM) file")],
    platform: Platform,
    pin: Pin,
    info: Annotated[str, typer.Option(help="the HPKE info string")] = "",
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Open an HPKE message to the key; the plaintext goes to standard output."""
    from huren.device.errors import DeviceError
    from huren.node.keysplit.errors import KeysplitError

    try:
        plaintext = _device(home, server).decrypt(
            enrolment_id, file.read_bytes(), pin=pin, platform=platform, info=info.encode()
        )
    except (DeviceError, KeysplitError) as error:
        raise _fail(error) from None
    sys.stdout.buffer.write(plaintext)


@device_app.command("change-pin")
def change_pin(
    enrolment_id: Enrolment,
    pin: Pin,
    new_pin: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="new PIN")
    ],
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Re-seal the share under a new PIN and rotate the PIN proof at the co-signer."""
    from huren.device.errors import DeviceError

    try:
        _device(home, server).change_pin(enrolment_id, pin, new_pin)
    except DeviceError as error:
        raise _fail(error) from None
    console.print("PIN changed")


@device_app.command("list")
def list_keys(home: Home = DEFAULT_HOME, server: Server = DEFAULT_SERVER) -> None:
    """This device's keys as the co-signer knows them (certificates, lock state)."""
    from huren.device.errors import DeviceError

    try:
        keys = _device(home, server).enrolments()
    except DeviceError as error:
        raise _fail(error) from None
    for key in keys:
        state = "LOCKED" if key["locked"] else "ok"
        certificates = ", ".join(key["fingerprints"]) or "no certificate yet"
        console.print(f"{key['enrolment_id']} {key['purpose']} {state}: {certificates}")


@device_app.command()
def devices(home: Home = DEFAULT_HOME, server: Server = DEFAULT_SERVER) -> None:
    """The holder's devices."""
    from huren.device.errors import DeviceError

    try:
        rows = _device(home, server).devices()
    except DeviceError as error:
        raise _fail(error) from None
    for row in rows:
        console.print(f"{row['device_id']} {row['label']!r} last seen {row['last_seen_at']}")


@device_app.command()
def revoke(
    device_id: Annotated[str, typer.Argument(help="the device to revoke (see devices)")],
    enrolment: Annotated[str, typer.Option(help="a key of this device, whose PIN is asked")],
    pin: Pin,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Revoke one of the holder's devices, e.g. a lost phone."""
    from huren.device.errors import DeviceError

    try:
        _device(home, server).revoke_device(device_id, enrolment_id=enrolment, pin=pin)
    except DeviceError as error:
        raise _fail(error) from None
    console.print(f"device {device_id} revoked")


@device_app.command()
def sessions(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """The holder's recent co-signing records: what was signed where, and when."""
    from huren.device.errors import DeviceError

    try:
        rows = _device(home, server).sessions(limit)
    except DeviceError as error:
        raise _fail(error) from None
    for row in rows:
        console.print(
            f"{row['at']} {row['operation']} {row['result']} {row['platform'] or '-'} "
            f"{row['action'] or '-'} {row['digest'] or ''}"
        )


@device_app.command()
def download(
    application_id: Annotated[str, typer.Argument(help="the paid application's id")],
    token: Annotated[
        str,
        typer.Option(
            envvar="HUREN_ACCOUNT_TOKEN",
            prompt=True,
            hide_input=True,
            help="the account's access token (Bearer)",
        ),
    ],
    pin: Pin,
    label: Annotated[str, typer.Option(help="a name for this device")] = "",
    new_keys: Annotated[
        bool, typer.Option(help="forget keys enrolled for this application before")
    ] = False,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Enrol the application's keys with the co-signer and download its certificates."""
    from huren.device.download import download_certificates
    from huren.device.errors import DeviceError
    from huren.node.keysplit.errors import KeysplitError

    try:
        done = download_certificates(
            _device(home, server), application_id, token, pin, label=label, new_keys=new_keys
        )
    except (DeviceError, KeysplitError) as error:
        raise _fail(error) from None
    console.print(f"signing {done.signing_fingerprint} (enrolment {done.signing_enrolment})")
    console.print(
        f"encryption {done.encryption_fingerprint} "
        f"(enrolment {done.encryption_enrolment or 'none: a key kept from before'})"
    )
    for warning in done.warnings:
        console.print(f"[yellow]{warning}[/yellow]")
