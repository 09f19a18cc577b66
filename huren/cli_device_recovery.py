"""``huren device recover``: take over split keys on a new device with the recovery ticket
the holder's account received for an approved (and paid) recovery (证书找回). Registered on
``huren device`` (``huren.cli_device``)."""

from __future__ import annotations

from typing import Annotated

import typer

from huren.cli_device import (
    DEFAULT_HOME,
    DEFAULT_SERVER,
    Home,
    Pin,
    Server,
    _device,
    _fail,
    console,
    device_app,
)

__all__ = ["recover"]


@device_app.command()
def recover(
    ticket: Annotated[str, typer.Option(help="the one-time recovery ticket (hrt_…)")],
    enrolment: Annotated[
        list[str], typer.Option(help="an enrolment id the ticket names (repeat for each)")
    ],
    pin: Pin,
    label: Annotated[str, typer.Option(help="a name for this device")] = "",
    home: Home = DEFAULT_HOME,
    server: Server = DEFAULT_SERVER,
) -> None:
    """Reshare the recovered keys onto this device; their shares are sealed under the new
    PIN. The certificates stay the same; the old device is revoked."""
    from huren.device.errors import DeviceError
    from huren.device.recovery import recover as recover_keys
    from huren.node.keysplit.errors import KeysplitError

    try:
        stored = recover_keys(_device(home, server), ticket, enrolment, pin, label=label)
    except (DeviceError, KeysplitError) as error:
        raise _fail(error) from None
    for key in stored:
        group_key = bytes(key.public.group_public_key).hex()
        console.print(
            f"enrolment {key.enrolment_id} ({key.purpose}) recovered at epoch "
            f"{key.public.epoch}, group key {group_key}, certificates {', '.join(key.certificates)}"
        )
