"""The zones tests' world: the module's app with a co-signer and a zone service on one clock
the tests move, a holder's phone with a signing key enrolled and its certificate recorded
on chain by zjca and indexed, the holder's account (logged in through the API), and an SMS
gateway whose messages the tests read.

The zone service gets an accounts service of its own over the same database (same account
rows, its own clock and lenient send limits), so the tests can ask for many codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from huren.device.sdk import Device
from huren.device.zones import ZoneClient
from huren.node.accounts import AccountService
from huren.node.accounts.base import Policy
from huren.node.accounts.ratelimit import Limit
from huren.node.cosigner import at_rest
from huren.node.cosigner.service import CosignerService
from huren.node.ports.simulators import SimulatedSms, simulated_ports
from huren.node.zones.service import ZoneService
from tests.api.access_table import account_token
from tests.api.conftest import ApiEnv
from tests.api.cosigner.support import (
    HOLDER,
    PIN,
    RECOVERY,
    Clock,
    issue_and_record,
    tapped_device,
    ticket,
)

PHONE = "13900139101"
OTHER_PHONE = "13900139102"
PLATFORM = "jiaxing-ggzy"  # Jiaxing's: the test node acts for Jiaxing
LENIENT = Policy(
    sms_per_phone_minute=Limit(1000, 60, "codes a minute"),
    sms_per_phone_day=Limit(1000, 86_400, "codes a day"),
    sms_per_client_hour=Limit(1000, 3600, "codes an hour"),
)


@dataclass
class ZoneWorld:
    env: ApiEnv
    clock: Clock
    zones: ZoneService
    sms: SimulatedSms
    device: Device
    holder: ZoneClient  # the holder's account, signing with the device
    token: str
    account_id: str
    enrolment_id: str
    der: bytes
    fingerprint: str  # hex

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def code(self, action: str, token: str | None = None, phone: str = PHONE) -> str:
        """Ask for a code through the API and read it off the simulated gateway."""
        sent = self.env.http.post(
            "/v1/zones/sms-codes", json={"action": action}, headers=self.headers(token)
        )
        assert sent.status_code == 202, sent.text
        text = self.sms.outbox(phone)[0].text
        assert ("绑定专区" if action == "bind" else "解绑专区") in text
        found = re.search(r"\d{6}", text)
        assert found is not None
        return found.group()


@pytest.fixture(scope="module")
def zone_world(env: ApiEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZoneWorld]:
    clock = Clock()
    app = env.http.app
    engine = env.services.engine
    app.state.cosigner = CosignerService(
        engine, at_rest.DEV_KEK, clock=clock, index_cache=app.state.index_cache
    )
    device, _ = tapped_device(env, tmp_path_factory.mktemp("zone-phone"), clock)
    signing = device.enrol(
        ticket(env, HOLDER, RECOVERY.public_key), PIN, recovery_public_key=RECOVERY.public_key
    )
    der = issue_and_record(env, signing.enrolment_id, signing.public, "signing")
    fingerprint = device.add_certificate(signing.enrolment_id, der)
    ports = simulated_ports()
    assert isinstance(ports.sms, SimulatedSms)
    accounts = AccountService(engine, ports, b"zones-test-secret", clock=clock, policy=LENIENT)
    zones = ZoneService(engine, env.services.client, accounts, clock=clock)
    app.state.zones = zones
    token = account_token(env.http, PHONE)
    me = env.http.get("/v1/account", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    holder = ZoneClient(device, env.http, token, clock=clock)
    yield ZoneWorld(
        env,
        clock,
        zones,
        ports.sms,
        device,
        holder,
        token,
        me.json()["id"],
        signing.enrolment_id,
        der,
        fingerprint,
    )
    del app.state.zones
    del app.state.cosigner
