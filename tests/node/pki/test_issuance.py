"""Issuance: intent recorded before signing, records on chain in batches, download only
once committed, one issuance per request id, recovery after a crash at every step, and
revocation by the issuing CA."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import Session, select

from huren.node import demo
from huren.node.db.models import Certificate
from huren.node.db.pki_tables import IssuanceState, PkiIssuedCertificate
from huren.node.pki.errors import (
    AlreadyRevoked,
    CertificateNotCommitted,
    InvalidIssuanceRequest,
    RequestConflict,
    UnknownCa,
    UnknownIssuedCertificate,
)
from huren.node.pki.issuance import YEAR_S, IssuanceService
from huren.node.pki.profiles import PersonalSubject, StaffSubject
from huren.registry import errors as registry_errors
from huren.registry.types import (
    CertificateKind,
    CertificateStatus,
    KeyUsage,
    RevocationReason,
    Scope,
)
from tests.node.pki.conftest import ENTERPRISE, PkiEnv, openssl, split_chain


class Crash(BaseException):
    """A process death between two steps (not an Exception: nothing may catch it)."""


def rows(env: PkiEnv) -> list[PkiIssuedCertificate]:
    with Session(env.engine) as session:
        return list(session.exec(select(PkiIssuedCertificate)))


def test_issued_certificates_are_recorded_on_chain_and_verify(env: PkiEnv, tmp_path: Path) -> None:
    nantong = demo.center_account("nantong").address
    requests = [
        env.request(),
        env.request(usage=KeyUsage.ENCRYPTION, validity_years=3),
        env.request(subject=StaffSubject(ENTERPRISE, "张三"), ca_id="jsca"),
        env.request(subject=PersonalSubject("李四"), scope=Scope.REGIONAL, center=nantong),
    ]
    issued = env.pki.issuance.issue_many(requests)
    env.index()
    for request, result in zip(requests, issued, strict=True):
        assert result.committed and result.der is not None
        assert result.fingerprint == hashlib.sha256(result.der).digest()
        with Session(env.engine) as session:
            record = session.get(Certificate, result.fingerprint)
        assert record is not None, "the index holds the chain record"
        assert record.ca_id == request.ca_id
        assert record.issuer_key_id == demo.issuer_key_id(request.ca_id)
        assert (record.kind, record.usage, record.scope) == (
            request.kind,
            request.usage,
            request.scope,
        )
        assert record.center == request.center
        assert record.holder == request.holder
        assert record.not_after - record.not_before == request.validity_years * YEAR_S
        assert record.transaction_hash == result.transaction_hash
        chain = env.pki.issuance.chain_pem(result.fingerprint)
        leaf, issuing, root = split_chain(chain, tmp_path)
        openssl("verify", "-x509_strict", "-CAfile", root, "-untrusted", issuing, leaf)
    # Two CAs: one batch each, every zjca record in one transaction.
    zjca_txs = {
        r.transaction_hash for r, q in zip(issued, requests, strict=True) if q.ca_id == "zjca"
    }
    assert len(zjca_txs) == 1


def test_batches_respect_the_batch_size(env: PkiEnv) -> None:
    service = IssuanceService(
        env.engine, env.pki.cas, env.client, clock=lambda: int(env.clock()), batch_size=2
    )
    issued = service.issue_many([env.request() for _ in range(5)])
    assert len({r.transaction_hash for r in issued}) == 3
    assert all(r.committed for r in issued)


def test_a_certificate_is_not_downloadable_before_its_record_is_committed(env: PkiEnv) -> None:
    service = env.pki.issuance
    serial = service.reserve(env.request())
    assert service.status(serial).state == IssuanceState.RESERVED
    fingerprint = service.sign(serial)
    assert service.status(serial).state == IssuanceState.SIGNED
    with pytest.raises(CertificateNotCommitted):
        service.chain_pem(fingerprint)
    assert service.commit_pending() == 1
    assert service.chain_pem(fingerprint).count(b"BEGIN CERTIFICATE") == 3
    with pytest.raises(UnknownIssuedCertificate):
        service.chain_pem(b"\x01" * 32)


def test_a_request_id_issues_once(env: PkiEnv) -> None:
    request = env.request()
    first = env.pki.issuance.issue(request)
    again = env.pki.issuance.issue(request)
    assert again == first
    assert len(rows(env)) == 1
    other = env.request(request_id=request.request_id)
    with pytest.raises(RequestConflict):
        env.pki.issuance.issue(other)


def test_bad_requests_are_refused_before_anything_is_written(env: PkiEnv) -> None:
    for fields in (
        {"validity_years": 0},
        {"validity_years": 4},
        {"validity_years": True},
        {"scope": Scope.REGIONAL},  # no center
        {"center": demo.center_account("nantong").address},  # alliance with a center
        {"holder": b"\x00" * 32},
        {"predecessor": b"short"},
        {"kind": CertificateKind.PERSONAL},  # an enterprise subject
        {"request_id": ""},
        {"approved_by": ""},
    ):
        with pytest.raises(InvalidIssuanceRequest):
            env.request(**fields)
    with pytest.raises(UnknownCa):
        env.pki.issuance.issue(env.request(ca_id="nosuch"))
    assert rows(env) == []


def test_a_reverted_batch_goes_back_to_signed_and_nothing_is_downloadable(env: PkiEnv) -> None:
    # A predecessor the chain does not know makes recordCertificates revert, whole batch.
    bad = env.request(predecessor=b"\x07" * 32)
    good = env.request()
    service = env.pki.issuance
    serials = service.reserve_many([good, bad])
    service.sign_many(serials)
    with pytest.raises(registry_errors.ContractError):
        service.commit_pending()
    assert {r.state for r in rows(env)} == {IssuanceState.SIGNED}
    for serial in serials:
        fingerprint = service.status(serial).fingerprint
        assert fingerprint is not None
        with pytest.raises(CertificateNotCommitted):
            service.chain_pem(fingerprint)


# -- crashes ---------------------------------------------------------------------------------


def test_crash_after_reserving_recovers_with_the_same_serial(env: PkiEnv) -> None:
    serial = env.pki.issuance.reserve(env.request())
    # crash: the process dies before signing; a new one recovers
    restarted = env.new_pki().issuance
    restarted.recover()
    result = restarted.status(serial)
    assert result.committed and result.fingerprint is not None
    assert restarted.chain_pem(result.fingerprint)


def test_crash_after_signing_recovers_the_same_certificate(env: PkiEnv) -> None:
    service = env.pki.issuance
    serial = service.reserve(env.request())
    fingerprint = service.sign(serial)
    restarted = env.new_pki().issuance
    restarted.recover()
    assert restarted.status(serial).fingerprint == fingerprint
    assert restarted.status(serial).committed


def test_resigning_a_reserved_intent_gives_identical_bytes(env: PkiEnv) -> None:
    service = env.pki.issuance
    serial = service.reserve(env.request())
    with Session(env.engine) as session:
        row = session.get(PkiIssuedCertificate, serial)
        assert row is not None
    leaf = service._leaf(row)
    ca = service.ca(row.ca_id)
    assert leaf.sign(ca) == leaf.sign(ca)
    fingerprint = service.sign(serial)
    der = leaf.sign(ca).public_bytes(serialization.Encoding.DER)
    assert fingerprint == hashlib.sha256(der).digest()


class _SendsThenCrashes:
    """A registry client whose record_certificates reaches the chain, then the process dies
    before the node hears back."""

    def __init__(self, real: Any, *, send: bool) -> None:
        self.real = real
        self.send = send

    def record_certificates(self, *args: Any) -> Any:
        if self.send:
            self.real.record_certificates(*args)
        raise Crash


@pytest.mark.parametrize("reached_chain", [True, False])
def test_crash_around_the_chain_write_recovers_without_double_records(
    env: PkiEnv, reached_chain: bool
) -> None:
    service = env.pki.issuance
    real = service._clients["zjca"]
    service._clients["zjca"] = _SendsThenCrashes(real, send=reached_chain)  # type: ignore[assignment]
    request = env.request()
    with pytest.raises(Crash):
        service.issue(request)
    (row,) = rows(env)
    assert row.state == IssuanceState.SUBMITTED
    before = real.certificate_count()
    restarted = env.new_pki().issuance
    restarted.recover()
    status = restarted.status(row.serial)
    assert status.committed and status.fingerprint == row.fingerprint
    # Recorded exactly once: by the crashed process, or by the recovery.
    assert real.certificate_count() == before + (0 if reached_chain else 1)
    env.index()
    with Session(env.engine) as session:
        assert session.get(Certificate, row.fingerprint) is not None


# -- revocation ------------------------------------------------------------------------------


def test_the_issuing_ca_revokes_on_chain(env: PkiEnv) -> None:
    result = env.pki.issuance.issue(env.request())
    assert result.fingerprint is not None
    env.pki.issuance.revoke(result.fingerprint, RevocationReason.KEY_COMPROMISE)
    env.index()
    with Session(env.engine) as session:
        record = session.get(Certificate, result.fingerprint)
        assert record is not None
        assert record.status == CertificateStatus.REVOKED
        assert record.revocation_reason == RevocationReason.KEY_COMPROMISE
        assert record.revoked_by == demo.ca_operator_account("zjca").address
        (row,) = session.exec(select(PkiIssuedCertificate)).all()
        assert row.revocation_transaction_hash == record.revoked_transaction_hash
    with pytest.raises(AlreadyRevoked):
        env.pki.issuance.revoke(result.fingerprint, RevocationReason.SUPERSEDED)


def test_revocation_refuses_unknown_uncommitted_and_bad_reasons(env: PkiEnv) -> None:
    service = env.pki.issuance
    with pytest.raises(UnknownIssuedCertificate):
        service.revoke(b"\x05" * 32, RevocationReason.UNSPECIFIED)
    fingerprint = service.sign(service.reserve(env.request()))
    with pytest.raises(CertificateNotCommitted):
        service.revoke(fingerprint, RevocationReason.UNSPECIFIED)
    service.commit_pending()
    for reason in (6, 7, 8, 11):  # hold and removeFromCRL are reversible; 7 unassigned
        with pytest.raises(InvalidIssuanceRequest):
            service.revoke(fingerprint, reason)


def test_a_batch_mined_after_a_crash_is_settled_not_reported(env: PkiEnv) -> None:
    # The crashed process's batch was still pending when recovery asked the chain (as on a
    # JSON-RPC chain): recovery sends it again, the chain says already recorded.
    service = env.pki.issuance
    first, second = env.request(), env.request()
    serials = service.reserve_many([first, second])
    fingerprints = service.sign_many(serials)
    with Session(env.engine) as session:
        rows_ = [session.get(PkiIssuedCertificate, s) for s in serials]
    assert all(r is not None for r in rows_)
    real = service._clients["zjca"]
    # The first record is mined "late", after the node decided it was not on chain.
    real.record_certificates(
        "zjca", demo.issuer_key_id("zjca"), [service_input(service, serials[0])]
    )
    assert service.commit_pending() == 2  # the batch reverts as already recorded ...
    assert service.status(serials[0]).committed  # ... and is settled with the chain
    assert service.status(serials[1]).state == IssuanceState.SIGNED
    assert service.commit_pending() == 1
    assert all(service.status(s).committed for s in serials)
    assert real.certificate(fingerprints[1]).fingerprint == fingerprints[1]


def service_input(service: IssuanceService, serial: str) -> Any:
    from huren.node.pki.request import certificate_input

    with Session(service.engine) as session:
        row = session.get(PkiIssuedCertificate, serial)
        assert row is not None
        return certificate_input(row)


def test_recovery_survives_a_ca_the_chain_refuses(env: PkiEnv) -> None:
    # Signed for jsca and zjca; the chain refuses jsca's batch (a predecessor it does not
    # know, as it would refuse a CA suspended meanwhile): recovery commits zjca's and leaves
    # jsca's signed, without failing the node's start.
    service = env.pki.issuance
    refused = env.request(ca_id="jsca", predecessor=b"\x09" * 32)
    fine = env.request()
    serials = service.reserve_many([refused, fine])
    service.sign_many(serials)
    restarted = env.new_pki().issuance
    restarted.recover()
    assert restarted.status(serials[0]).state == IssuanceState.SIGNED
    assert restarted.status(serials[1]).committed
    with pytest.raises(registry_errors.ContractError):
        restarted.commit_pending()


def test_issuers_of_names_the_issuing_and_root_ca_of_our_certificates_only(env: PkiEnv) -> None:
    zj, js = env.pki.issuance.issue_many([env.request(), env.request(ca_id="jsca")])
    assert zj.der is not None and js.der is not None
    for result, ca_id in ((zj, "zjca"), (js, "jsca")):
        leaf = x509.load_der_x509_certificate(result.der)
        ca = env.pki.ca(ca_id)
        assert env.pki.issuers_of(leaf) == [ca.issuing, ca.root]
    # Not ours: a certificate another key signed under the same issuer name.
    forged_key = ec.generate_private_key(ec.SECP256R1())
    leaf = x509.load_der_x509_certificate(zj.der)
    forged = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(leaf.issuer)
        .public_key(leaf.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(leaf.not_valid_before_utc)
        .not_valid_after(leaf.not_valid_after_utc)
        .sign(forged_key, hashes.SHA256())
    )
    assert env.pki.issuers_of(forged) == []
