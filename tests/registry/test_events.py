"""The typed event stream: every event type, chain order, agreement with the views, speed."""

from __future__ import annotations

import time

import pytest

from huren.registry.backend import RawLog
from huren.registry.client import MEMBER_ROLE, ca_operator_role
from huren.registry.errors import EventDecodeError
from huren.registry.event_types import (
    EVENT_TYPES,
    CertificateRecorded,
    MemberAdded,
    ProposalCreated,
    RoleAdminChanged,
    RoleGranted,
)
from huren.registry.events import EventStream, decode_log, decode_logs, topic0_of
from huren.registry.types import Right, Scope, SetQuorumAction
from tests.registry.conftest import CA_ID, ISSUER_KEY, PLATFORM_ID, Network, make_cert, new_account


def exercise_everything(net: Network) -> None:
    """Make the contracts emit every one of their events at least once."""
    a, b = (net.client(c) for c in net.centers[:2])
    ca = net.ca
    staff, enterprise = make_cert(kind=2), make_cert(kind=1)
    ca.record_certificates(CA_ID, ISSUER_KEY, [staff, enterprise])
    ca.revoke_certificate(enterprise.fingerprint, 4)
    enterprise2 = make_cert(kind=1, predecessor=enterprise.fingerprint)
    ca.record_certificate(CA_ID, ISSUER_KEY, enterprise2)
    a.bind_certificate(staff.fingerprint, PLATFORM_ID, b"\x01" * 32)
    a.unbind_certificate(staff.fingerprint, PLATFORM_ID, b"\x02" * 32)
    ca.grant_authorization(staff.fingerprint, PLATFORM_ID, enterprise2.fingerprint, Right.LOGIN)
    ca.revoke_authorization(staff.fingerprint, PLATFORM_ID)
    colleague = new_account(net.backend)
    ca.grant_ca_operator(CA_ID, colleague.address)
    ca.revoke_ca_operator(CA_ID, colleague.address)
    b.vote(a.propose_set_quorum(60).proposal_id, True)
    b.vote(a.propose_suspend_ca(CA_ID).proposal_id, True)
    rejected = a.propose_retire_platform(PLATFORM_ID).proposal_id
    b.vote(rejected, False)
    net.client(net.centers[2]).vote(rejected, False)
    b.vote(a.propose_remove_member(net.centers[0].address).proposal_id, True)  # retires platform


def test_every_event_type_in_chain_order(network: Network) -> None:
    exercise_everything(network)
    stream = EventStream(network.backend, network.deployment)
    events = list(stream.events())
    assert {type(e) for e in events} == set(EVENT_TYPES)
    positions = [(e.meta.block_number, e.meta.log_index) for e in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert list(stream.events(chunk_size=1)) == events
    head = network.backend.block_number()
    assert list(stream.events(network.deployment.block_number, head, chunk_size=7)) == events
    assert list(stream.events(0, network.deployment.block_number - 1)) == []

    founders = [e for e in events if isinstance(e, MemberAdded)]
    assert [(e.member, e.index) for e in founders] == [
        (c.address, i + 1) for i, c in enumerate(network.centers)
    ]
    assert founders[0].meta.block_number == network.deployment.block_number
    first = events[0]
    assert first.meta.address == network.deployment.consortium
    assert first.meta.block_hash == network.backend.block(first.meta.block_number).hash
    admin = next(e for e in events if isinstance(e, RoleAdminChanged))
    assert admin.role == MEMBER_ROLE
    operator_roles = [
        e for e in events if isinstance(e, RoleGranted) and e.role == ca_operator_role(CA_ID)
    ]
    assert operator_roles[0].account == network.operator.address
    quorum = [e for e in events if isinstance(e, ProposalCreated) and e.kind == 6]
    assert quorum[0].action == SetQuorumAction(60)

    only = list(stream.events(types=[ProposalCreated, CertificateRecorded]))
    assert only == [e for e in events if isinstance(e, ProposalCreated | CertificateRecorded)]


def test_recorded_events_match_views(network: Network) -> None:
    center = network.centers[2].address
    certs = [make_cert() for _ in range(20)]
    certs += [make_cert(scope=Scope.REGIONAL, center=center, predecessor=certs[0].fingerprint)]
    result = network.ca.record_certificates(CA_ID, ISSUER_KEY, certs)
    stream = EventStream(network.backend, network.deployment)
    recorded = list(stream.events_of(CertificateRecorded))
    assert recorded == result.events_of(CertificateRecorded)
    reader = network.client()
    for event, cert in zip(recorded, certs, strict=True):
        view = reader.certificate(event.fingerprint)
        assert event.holder == cert.holder and event.issuer_key_id == ISSUER_KEY
        assert (event.ca_id, event.kind, event.usage, event.scope, event.center) == (
            view.ca_id,
            view.kind,
            view.usage,
            view.scope,
            view.center,
        )
        assert (event.not_before, event.not_after, event.predecessor) == (
            view.not_before,
            view.not_after,
            view.predecessor,
        )
        assert event.meta.transaction_hash == result.transaction_hash


def test_bad_logs_raise() -> None:
    log = RawLog("0x" + "00" * 20, (b"\x07" * 32,), b"", 1, b"\0" * 32, b"\0" * 32, 0, 0)
    with pytest.raises(EventDecodeError):
        decode_log(log)
    topic = topic0_of(CertificateRecorded)
    short = RawLog(log.address, (topic, *(b"\1" * 32,) * 3), b"\0" * 31, 1, b"", b"", 0, 0)
    with pytest.raises(EventDecodeError, match="CertificateRecorded"):
        decode_log(short)
    assert len({topic0_of(cls) for cls in EVENT_TYPES}) == len(EVENT_TYPES)


def test_decode_speed(network: Network) -> None:
    """Decoding (not fetching) must stay well above 20,000 CertificateRecorded per second."""
    for _ in range(2):
        network.ca.record_certificates(CA_ID, ISSUER_KEY, [make_cert() for _ in range(1000)])
    addresses = [network.deployment.registry]
    logs = network.backend.get_logs(0, network.backend.block_number(), addresses)
    assert len(logs) == 2000
    started = time.perf_counter()
    events = decode_logs(logs)
    rate = len(events) / (time.perf_counter() - started)
    assert all(isinstance(e, CertificateRecorded) for e in events)
    assert rate > 20_000, f"{rate:.0f} events/s"
