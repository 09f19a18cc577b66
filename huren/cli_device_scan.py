"""``huren device scan`` and ``huren device session …``: scan-to-act and signing sessions
(``huren.device.scan``, ``huren.device.sessions``). Registered on ``huren device``
(``huren.cli_device``); the commands reach the co-signer through ``cli_device._device``, so
whatever replaces ``cli_device.http_client`` (the tests) applies here too."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from huren import cli_device
from huren.cli_device import (
    DEFAULT_HOME,
    DEFAULT_SERVER,
    Home,
    Pin,
    Platform,
    Server,
    _fail,
    console,
    device_app,
)

if TYPE_CHECKING:
    from huren.device.scan import ScanDevice

__all__ = ["scan", "session_app"]


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
        phone = ScanDevice(cli_device._device(home, server))
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

    return ScanDevice(cli_device._device(home, server))


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
