"""``huren device …``: the phone's side from a terminal (the device SDK, ``huren.device``).

The device's files live in ``--home`` (HUREN_DEVICE_HOME); the co-signer is a node's API
(``--server``, HUREN_DEVICE_SERVER). The PIN is asked for, or read from HUREN_DEVICE_PIN.
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

    from huren.device.scan import ScanDevice
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


# -- scan-to-act (huren.device.scan) ----------------------------------------------------------


def _pin_now() -> str:
    """The PIN, from HUREN_DEVICE_PIN or asked for (only once an approval is decided)."""
    import os

    return os.environ.get("HUREN_DEVICE_PIN") or str(typer.prompt("PIN", hide_input=True))


@device_app.command()
def scan(
    payload: Annotated[str, typer.Argument(help="the scanned QR payload (its URL)")],
    approve: Annotated[
        bool | None, typer.Option("--approve/--deny", help="decide without being asked")
    ] = None,
    enrolment: Annotated[str | None, typer.Option(help="the signing key to use")] = None,
    fingerprint: Annotated[str | None, typer.Option(help="the certificate to use")] = None,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
    recipient: Annotated[
        list[str] | None,
        typer.Option(
            help="(encrypt) an offered encryption certificate to encrypt to, SHA-256 (repeat; "
            "default: this device's own)"
        ),
    ] = None,
) -> None:
    """Show what a scanned code asks to sign, then approve (with the PIN) or deny it. A bid
    tool's code (encrypt) lists the enterprise's encryption certificates to choose from; an
    opening hall's (decrypt) opens this device's entry of the bid file for the hall."""
    from huren.device.bid_scan import BidScanDevice
    from huren.device.errors import DeviceError
    from huren.device.scan import ScanDevice
    from huren.node.keysplit.errors import KeysplitError
    from huren.node.scan.errors import ScanError

    try:
        phone = ScanDevice(_device(home, server))
        scanned = phone.scan(payload)
        console.print(scanned.describe())
        bid = BidScanDevice(phone)
        if scanned.action == "encrypt":
            offered = bid.candidates(scanned, enrolment_id=enrolment, fingerprint=fingerprint)
            chosen = set(recipient or bid.own_encryption_certificates())
            for c in offered:
                mark = "x" if c.fingerprint in chosen else " "
                own = " (this device)" if c.own else ""
                console.print(f"  [{mark}] {c.fingerprint} {c.name}{own}", markup=False)
        decision = approve if approve is not None else typer.confirm("Approve?", default=False)
        if decision and scanned.action == "encrypt":
            answer = bid.choose(
                scanned,
                pin=_pin_now(),
                recipients=recipient or None,
                enrolment_id=enrolment,
                fingerprint=fingerprint,
            )
        elif decision and scanned.action == "decrypt":
            answer = bid.decrypt(scanned, pin=_pin_now())
        elif decision:
            answer = phone.approve(
                scanned, pin=_pin_now(), enrolment_id=enrolment, fingerprint=fingerprint
            )
        else:
            answer = phone.deny(scanned)
    except (DeviceError, KeysplitError, ScanError) as error:
        raise _fail(error) from None
    console.print(answer["status"])


session_app = typer.Typer(
    help="Signing sessions: the PIN once, then pushed sign requests are confirmed.",
    no_args_is_help=True,
)
device_app.add_typer(session_app, name="session")


def _phone(home: Path, server: str) -> ScanDevice:
    from huren.device.scan import ScanDevice

    return ScanDevice(_device(home, server))


@session_app.command("start")
def session_start(
    platform: Platform,
    pin: Pin,
    enrolment: Annotated[str | None, typer.Option(help="the signing key to use")] = None,
    fingerprint: Annotated[str | None, typer.Option(help="the certificate to use")] = None,
    ttl: Annotated[int, typer.Option(help="lifetime in seconds (60 to 28800)")] = 3600,
    auto_confirm: Annotated[bool, typer.Option(help="sign pushed requests unasked")] = False,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Start a signing session at a platform (the PIN once)."""
    from huren.device.errors import DeviceError
    from huren.device.sessions import SigningSession

    try:
        session = SigningSession.start(
            _phone(home, server),
            pin=pin,
            platform=platform,
            enrolment_id=enrolment,
            fingerprint=fingerprint,
            ttl_s=ttl,
            auto_confirm=auto_confirm,
        )
    except DeviceError as error:
        raise _fail(error) from None
    console.print(f"{session.session_id} until {session.info['expires_at']}")


@session_app.command("list")
def session_list(home: Home = DEFAULT_HOME, server: Server = DEFAULT_SERVER) -> None:
    """This device's signing sessions, newest first."""
    from huren.device.errors import DeviceError
    from huren.device.sessions import list_sessions

    try:
        rows = list_sessions(_phone(home, server))
    except DeviceError as error:
        raise _fail(error) from None
    for row in rows:
        state = "ended" if row["ended_at"] is not None else f"until {row['expires_at']}"
        auto = " auto-confirm" if row["auto_confirm"] else ""
        console.print(f"{row['session_id']} {row['platform']} {state}{auto}")


@session_app.command("end")
def session_end(
    session_id: Annotated[str, typer.Argument(help="the session")],
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """End a signing session now."""
    from huren.device.errors import DeviceError
    from huren.device.sessions import end_session

    try:
        end_session(_phone(home, server), session_id)
    except DeviceError as error:
        raise _fail(error) from None
    console.print("ended")


@session_app.command("run")
def session_run(
    session_id: Annotated[str, typer.Argument(help="the session")],
    pin: Pin,
    follow: Annotated[bool, typer.Option(help="keep receiving until the session ends")] = False,
    interval: Annotated[float, typer.Option(help="seconds between polls with --follow")] = 2.0,
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Receive the session's pending requests and confirm each (asked, or automatically when
    the session was started with --auto-confirm)."""
    import time

    from huren.device.errors import CosignerRefused, DeviceError
    from huren.device.scan import ScannedRequest
    from huren.device.sessions import SigningSession
    from huren.node.scan.errors import ScanError

    def ask(request: ScannedRequest) -> bool:
        console.print(request.describe())
        return bool(typer.confirm("Sign?", default=False))

    try:
        session = SigningSession.open(_phone(home, server), session_id, pin=pin)
        while True:
            report = session.run(ask)
            for rid in report.approved:
                console.print(f"{rid} approved")
            for rid in report.denied:
                console.print(f"{rid} denied")
            for rid, code in report.failed.items():
                console.print(f"{rid} refused: {code}")
            if not follow:
                break
            time.sleep(interval)  # the CLI's own pacing; tests run single passes
    except CosignerRefused as refused:
        if follow and refused.code == "SCAN_SESSION_STATE":
            console.print("the session ended")
            return
        raise _fail(refused) from None
    except (DeviceError, ScanError) as error:
        raise _fail(error) from None
