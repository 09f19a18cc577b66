"""CertificateRegistry through the typed client: issuance, views, revocation, zones,
authorizations, recognition, and representative reverts."""

from __future__ import annotations

import pytest

from huren.registry.abi import encode_record_batch
from huren.registry.client import RegistryClient, record_batch_gas
from huren.registry.client_core import REGISTRY
from huren.registry.errors import (
    AlreadyBound,
    AlreadyRevoked,
    BatchTooLarge,
    CaNotAccredited,
    CertificateAlreadyRecorded,
    InvalidAction,
    InvalidKind,
    InvalidRevocationReason,
    InvalidScope,
    LengthMismatch,
    NotAuthorized,
    NotBound,
    NotCaOperator,
    NotPlatformCenter,
    UnknownCertificate,
    UnknownIssuerKey,
    WrongCertificateKind,
)
from huren.registry.event_types import CertificateRecorded, CertificateRevoked
from huren.registry.events import EventStream
from huren.registry.ids import encode_id
from huren.registry.jsonrpc import JsonRpcBackend
from huren.registry.types import (
    Authorization,
    CertificateInput,
    CertificateKind,
    CertificateRecord,
    CertificateStatus,
    KeyUsage,
    Reason,
    Recognition,
    RevocationReason,
    Right,
    Scope,
)
from tests.registry.conftest import (
    CA_ID,
    ISSUER_KEY,
    PLATFORM_ID,
    START,
    Network,
    deploy_network,
    make_cert,
    setup_ca_and_platform,
)
from tests.support.anvil import AnvilProcess

EVIDENCE = b"\xee" * 32


def assert_matches(record: CertificateRecord, cert: CertificateInput) -> None:
    assert record.fingerprint == cert.fingerprint and record.ca_id == CA_ID
    assert (record.not_before, record.not_after) == (cert.not_before, cert.not_after)
    assert (record.kind, record.usage, record.scope) == (cert.kind, cert.usage, cert.scope)
    assert record.center == cert.center and record.predecessor == cert.predecessor
    assert record.status is CertificateStatus.ACTIVE and not record.revoked
    assert record.revocation_reason is None and record.revoked_at is None


def test_record_single(network: Network) -> None:
    cert = make_cert()
    result = network.ca.record_certificate(CA_ID, ISSUER_KEY, cert)
    (event,) = result.events
    assert isinstance(event, CertificateRecorded)
    assert (event.fingerprint, event.ca_id, event.holder) == (cert.fingerprint, CA_ID, cert.holder)
    assert event.issuer_key_id == ISSUER_KEY and event.meta.address == network.deployment.registry
    reader = network.client()
    assert_matches(reader.certificate(cert.fingerprint), cert)
    assert reader.certificate_count() == 1
    assert reader.recognize(cert.fingerprint, PLATFORM_ID) == Recognition(True, Reason(0))
    with pytest.raises(UnknownCertificate) as unknown:
        reader.certificate(b"\x01" * 32)
    assert unknown.value.fingerprint == b"\x01" * 32


def test_record_batch_and_views(network: Network) -> None:
    center = network.centers[1].address
    first = make_cert()
    network.ca.record_certificate(CA_ID, ISSUER_KEY, first)
    batch = [
        make_cert(),
        make_cert(kind=CertificateKind.ENTERPRISE, usage=KeyUsage.ENCRYPTION),
        make_cert(kind=CertificateKind.STAFF, scope=Scope.REGIONAL, center=center),
        make_cert(predecessor=first.fingerprint),
        *(make_cert(scope=Scope.REGIONAL, center=center) for _ in range(20)),
    ]
    result = network.ca.record_certificates(CA_ID, ISSUER_KEY, batch)
    recorded = result.events_of(CertificateRecorded)
    assert [e.fingerprint for e in recorded] == [c.fingerprint for c in batch]
    assert recorded[3].predecessor == first.fingerprint and recorded[2].center == center
    reader = network.client()
    for cert in batch:
        assert_matches(reader.certificate(cert.fingerprint), cert)
    assert reader.certificate_count() == 1 + len(batch)
    # Regional: recognized at its own center's platforms only (PLATFORM_ID is center 0's).
    assert reader.recognize(batch[4].fingerprint, PLATFORM_ID).reasons == Reason.OUT_OF_SCOPE


def test_batch_reverts_whole(network: Network) -> None:
    good, dup = make_cert(), make_cert()
    network.ca.record_certificate(CA_ID, ISSUER_KEY, dup)
    with pytest.raises(CertificateAlreadyRecorded) as caught:
        network.ca.record_certificates(CA_ID, ISSUER_KEY, [good, dup])
    assert caught.value.fingerprint == dup.fingerprint
    assert caught.value.transaction_hash is not None  # sent with a fixed gas limit, dropped
    assert caught.value.revert_data[:4] == CertificateAlreadyRecorded.selector
    with pytest.raises(UnknownCertificate):
        network.client().certificate(good.fingerprint)
    assert network.client().certificate_count() == 1

    bad = CertificateInput.unchecked(**{**_fields(make_cert()), "kind": 9})
    with pytest.raises(InvalidKind) as kind:
        network.ca.record_certificates(CA_ID, ISSUER_KEY, [good, bad])
    assert (kind.value.fingerprint, kind.value.kind) == (bad.fingerprint, 9)

    outsider = network.outsider.address
    stray = make_cert(scope=Scope.REGIONAL, center=outsider)
    with pytest.raises(InvalidScope) as scope:
        network.ca.record_certificate(CA_ID, ISSUER_KEY, stray)
    assert (scope.value.scope, scope.value.center) == (2, int(outsider, 16))

    with pytest.raises(BatchTooLarge):
        RegistryClient(
            network.backend, network.deployment, network.operator, max_batch=2
        ).record_certificates(CA_ID, ISSUER_KEY, [make_cert() for _ in range(3)])


def _fields(cert: CertificateInput) -> dict[str, object]:
    return {name: getattr(cert, name) for name in CertificateInput.__dataclass_fields__}


def test_issuance_authority_reverts(network: Network) -> None:
    cert = make_cert()
    with pytest.raises(NotCaOperator) as not_operator:
        network.client(network.outsider).record_certificate(CA_ID, ISSUER_KEY, cert)
    assert (not_operator.value.ca_id, not_operator.value.account) == (
        CA_ID,
        network.outsider.address,
    )
    with pytest.raises(CaNotAccredited) as unknown_ca:
        network.ca.record_certificates("other-ca", ISSUER_KEY, [cert])
    assert unknown_ca.value.ca_id == "other-ca"
    with pytest.raises(UnknownIssuerKey) as wrong_key:
        network.ca.record_certificate(CA_ID, b"\x33" * 32, cert)
    assert wrong_key.value.issuer_key_id == b"\x33" * 32


def test_revocation(network: Network) -> None:
    certs = [make_cert() for _ in range(4)]
    network.ca.record_certificates(CA_ID, ISSUER_KEY, certs)
    result = network.ca.revoke_certificate(certs[0].fingerprint, RevocationReason.KEY_COMPROMISE)
    (event,) = result.events_of(CertificateRevoked)
    assert event.reason is RevocationReason.KEY_COMPROMISE and event.by == network.operator.address
    record = network.client().certificate(certs[0].fingerprint)
    assert record.revoked and record.revocation_reason is RevocationReason.KEY_COMPROMISE
    assert (
        record.revoked_at
        == event.revoked_at
        == network.backend.block(result.block_number).timestamp
    )
    recognition = network.client().recognize(certs[0].fingerprint, PLATFORM_ID)
    assert not recognition and recognition.reasons == Reason.REVOKED
    with pytest.raises(AlreadyRevoked):
        network.ca.revoke_certificate(certs[0].fingerprint, RevocationReason.UNSPECIFIED)
    with pytest.raises(InvalidRevocationReason) as reason:
        network.ca.revoke_certificate(certs[1].fingerprint, 7)
    assert reason.value.reason == 7
    with pytest.raises(LengthMismatch) as mismatch:
        network.ca.revoke_certificates([c.fingerprint for c in certs[1:]], [0])
    assert (mismatch.value.expected, mismatch.value.actual) == (3, 1)
    reasons = [RevocationReason.SUPERSEDED, RevocationReason.AFFILIATION_CHANGED, 0]
    batch = network.ca.revoke_certificates([c.fingerprint for c in certs[1:]], reasons)
    assert len(batch.events_of(CertificateRevoked)) == 3
    assert network.client().certificate(certs[3].fingerprint).revocation_reason == 0


def test_zone_bindings(network: Network) -> None:
    cert = make_cert()
    network.ca.record_certificate(CA_ID, ISSUER_KEY, cert)
    center = network.client(network.centers[0])
    assert center.binding(cert.fingerprint, PLATFORM_ID) is None
    center.bind_certificate(cert.fingerprint, PLATFORM_ID, EVIDENCE)
    assert center.binding(cert.fingerprint, PLATFORM_ID) == EVIDENCE
    with pytest.raises(AlreadyBound) as bound:
        center.bind_certificate(cert.fingerprint, PLATFORM_ID, EVIDENCE)
    assert (bound.value.fingerprint, bound.value.platform_id) == (cert.fingerprint, PLATFORM_ID)
    with pytest.raises(NotPlatformCenter) as not_center:
        network.client(network.centers[1]).unbind_certificate(
            cert.fingerprint, PLATFORM_ID, EVIDENCE
        )
    assert not_center.value.account == network.centers[1].address
    center.unbind_certificate(cert.fingerprint, PLATFORM_ID, EVIDENCE)
    assert center.binding(cert.fingerprint, PLATFORM_ID) is None
    with pytest.raises(NotBound):
        center.unbind_certificate(cert.fingerprint, PLATFORM_ID, EVIDENCE)


def test_authorizations_and_recognition(network: Network) -> None:
    staff = make_cert(kind=CertificateKind.STAFF)
    enterprise = make_cert(kind=CertificateKind.ENTERPRISE)
    personal = make_cert()
    encryption = make_cert(usage=KeyUsage.ENCRYPTION)
    network.ca.record_certificates(CA_ID, ISSUER_KEY, [staff, enterprise, personal, encryption])
    reader = network.client()
    assert reader.authorization(staff.fingerprint, PLATFORM_ID) is None
    assert reader.recognize(staff.fingerprint, PLATFORM_ID).reasons == Reason.NOT_AUTHORIZED

    rights = Right.LOGIN | Right.SEAL
    network.ca.grant_authorization(staff.fingerprint, PLATFORM_ID, enterprise.fingerprint, rights)
    assert reader.authorization(staff.fingerprint, PLATFORM_ID) == Authorization(
        staff.fingerprint, PLATFORM_ID, enterprise.fingerprint, rights
    )
    assert reader.recognize(staff.fingerprint, PLATFORM_ID, Right.SEAL).recognized
    assert (
        reader.recognize(staff.fingerprint, PLATFORM_ID, Right.SIGN).reasons
        == Reason.NOT_AUTHORIZED
    )
    assert reader.recognize(encryption.fingerprint, PLATFORM_ID, Right.DECRYPT).recognized
    assert (
        reader.recognize(encryption.fingerprint, PLATFORM_ID, Right.SIGN).reasons
        == Reason.WRONG_USAGE
    )
    assert reader.recognize(personal.fingerprint, "nowhere").reasons == Reason.UNKNOWN_PLATFORM
    unknown = reader.recognize(b"\x09" * 32, "nowhere")
    assert unknown.reasons == Reason.UNKNOWN_CERTIFICATE | Reason.UNKNOWN_PLATFORM
    early = reader.recognize_at(personal.fingerprint, PLATFORM_ID, personal.not_before - 1)
    assert early.reasons == Reason.NOT_YET_VALID
    late = reader.recognize_at(personal.fingerprint, PLATFORM_ID, START + 400 * 86_400)
    assert late.reasons == Reason.EXPIRED
    with pytest.raises(InvalidAction) as action:
        reader.recognize(personal.fingerprint, PLATFORM_ID, 3)
    assert action.value.action == 3

    with pytest.raises(WrongCertificateKind) as kind:
        network.ca.grant_authorization(personal.fingerprint, PLATFORM_ID, enterprise.fingerprint, 1)
    assert (
        kind.value.expected is CertificateKind.STAFF
        and kind.value.actual is CertificateKind.PERSONAL
    )
    network.ca.revoke_authorization(staff.fingerprint, PLATFORM_ID)
    assert reader.authorization(staff.fingerprint, PLATFORM_ID) is None
    with pytest.raises(NotAuthorized) as not_authorized:
        network.ca.revoke_authorization(staff.fingerprint, PLATFORM_ID)
    assert not_authorized.value.staff_fingerprint == staff.fingerprint


@pytest.mark.anvil
def test_client_on_anvil(anvil: AnvilProcess) -> None:
    """The same client over JSON-RPC: deploy, govern, record, revert, stream."""
    backend = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id, faucet=anvil.faucet)
    try:
        net = deploy_network(backend)
        setup_ca_and_platform(net)
        now = backend.block(backend.block_number()).timestamp
        certs = [make_cert(not_before=now - 60, not_after=now + 86_400) for _ in range(200)]
        result = net.ca.record_certificates(CA_ID, ISSUER_KEY, certs)
        assert result.gas_used <= batch_gas(certs)
        assert net.client().recognize(certs[0].fingerprint, PLATFORM_ID).recognized
        with pytest.raises(CertificateAlreadyRecorded) as dup:
            net.ca.record_certificates(CA_ID, ISSUER_KEY, [make_cert(), certs[5]])
        assert dup.value.fingerprint == certs[5].fingerprint
        with pytest.raises(NotCaOperator):
            net.client(net.outsider).revoke_certificate(certs[0].fingerprint, 0)
        stream = EventStream(backend, net.deployment)
        recorded = list(stream.events_of(CertificateRecorded, chunk_size=3))
        assert [e.fingerprint for e in recorded] == [c.fingerprint for c in certs]
    finally:
        backend.close()


def batch_gas(certs: list[CertificateInput]) -> int:
    data = REGISTRY["recordCertificates"] + encode_record_batch(encode_id(CA_ID), ISSUER_KEY, certs)
    return record_batch_gas(data, certs)
