"""The node's account-side services, built together over one database, secret and ports:
accounts and tokens, identity verification, the inbox, and in dev the readable SMS outbox.

Ports: a dev or test node runs the deterministic simulators (``huren.node.ports.simulators``);
a production node gets ports that answer ``PortNotConfigured`` until real adapters are
passed in (the simulators would verify anyone).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import Engine

from huren.node.accounts import AccountService
from huren.node.identity import IdentityService
from huren.node.messages import Inbox
from huren.node.ports import Ports
from huren.node.ports.simulators import SimulatedSms, simulated_ports, unconfigured_ports

__all__ = ["AccountServices", "build_account_services"]


@dataclass(frozen=True)
class AccountServices:
    accounts: AccountService
    identity: IdentityService
    inbox: Inbox
    dev_sms_outbox: SimulatedSms | None  # only on a dev node: codes a person can read


def build_account_services(
    engine: Engine,
    secret: bytes,
    *,
    env: str,
    ports: Ports | None = None,
    clock: Callable[[], float] = time.time,
    hasher: PasswordHasher | None = None,
) -> AccountServices:
    if ports is None:
        ports = simulated_ports() if env in ("dev", "test") else unconfigured_ports()
    outbox = ports.sms if env == "dev" and isinstance(ports.sms, SimulatedSms) else None
    return AccountServices(
        accounts=AccountService(engine, ports, secret, clock=clock, hasher=hasher),
        identity=IdentityService(engine, ports, secret, clock=clock),
        inbox=Inbox(engine, clock=clock),
        dev_sms_outbox=outbox,
    )
