"""The co-signer tests' world: a co-signer with a clock the tests move, installed on the
module's app, and a device holding a signing and an encryption key whose certificates are
bound, recorded on chain and indexed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from huren.device.sdk import Device
from huren.node.cosigner import at_rest
from huren.node.cosigner.service import CosignerService
from tests.api.conftest import ApiEnv
from tests.api.cosigner.support import (
    HOLDER,
    PIN,
    RECOVERY,
    Clock,
    Wiretap,
    issue_and_record,
    tapped_device,
    ticket,
)


@dataclass
class World:
    env: ApiEnv
    clock: Clock
    service: CosignerService
    device: Device
    tap: Wiretap
    signing_id: str
    encryption_id: str
    signing_der: bytes
    encryption_der: bytes


@pytest.fixture(scope="module")
def world(env: ApiEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    clock = Clock()
    app = env.http.app
    service = CosignerService(
        env.services.engine, at_rest.DEV_KEK, clock=clock, index_cache=app.state.index_cache
    )
    app.state.cosigner = service
    device, tap = tapped_device(env, tmp_path_factory.mktemp("phone"), clock)
    signing = device.enrol(
        ticket(env, HOLDER, RECOVERY.public_key), PIN, recovery_public_key=RECOVERY.public_key
    )
    encryption = device.enrol(ticket(env, HOLDER, RECOVERY.public_key), PIN, purpose="encryption")
    signing_der = issue_and_record(env, signing.enrolment_id, signing.public, "signing")
    encryption_der = issue_and_record(env, encryption.enrolment_id, encryption.public, "encryption")
    device.add_certificate(signing.enrolment_id, signing_der)
    device.add_certificate(encryption.enrolment_id, encryption_der)
    yield World(
        env,
        clock,
        service,
        device,
        tap,
        signing.enrolment_id,
        encryption.enrolment_id,
        signing_der,
        encryption_der,
    )
    del app.state.cosigner
