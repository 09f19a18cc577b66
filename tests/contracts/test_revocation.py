"""CertificateRegistry revocation: revokeCertificate and revokeCertificates."""

from __future__ import annotations

import pytest

from huren.registry.errors import (
    AlreadyRevoked,
    EmptyBatch,
    InvalidRevocationReason,
    LengthMismatch,
    NotCaOperator,
    UnknownCertificate,
)
from huren.registry.types import CertificateStatus, RevocationReason
from tests.contracts.conftest import (
    AHCA,
    AHCA_ENT,
    ENC,
    ENT,
    K1,
    STAFF,
    ZJCA,
    Net,
    cert,
    emitted,
    fp,
)

VALID = [0, 1, 2, 3, 4, 5, 9, 10]
INVALID = [6, 7, 8, 11, 255]


def revoked(fingerprint, reason, at, by, ca_id=ZJCA):
    return ("CertificateRevoked", fingerprint, ca_id, RevocationReason(reason), at, by)


def test_revoke_one(net: Net) -> None:
    result = net.as_("op").revoke_certificate(ENT, RevocationReason.KEY_COMPROMISE)
    now = net.now()
    assert emitted(result) == [revoked(ENT, 1, now, net.addr("op"))]
    record = net.view.certificate(ENT)
    assert (record.status, record.revocation_reason, record.revoked_at, record.revoked) == (
        CertificateStatus.REVOKED,
        RevocationReason.KEY_COMPROMISE,
        now,
        True,
    )
    assert net.view.certificate(ENC).status == CertificateStatus.ACTIVE
    assert net.view.certificate_count() == 6  # revocation records nothing new


def test_revoke_a_batch_with_every_valid_reason(net: Net) -> None:
    fps = [fp(f"r{r}") for r in VALID]
    net.as_("op").record_certificates(ZJCA, K1, [cert(f"r{r}") for r in VALID])
    net.clock.advance(100)
    result = net.as_("op").revoke_certificates(fps, VALID)
    now = net.now()
    assert emitted(result) == [
        revoked(f, r, now, net.addr("op")) for f, r in zip(fps, VALID, strict=True)
    ]
    for f, r in zip(fps, VALID, strict=True):
        record = net.view.certificate(f)
        assert (record.status, record.revocation_reason, record.revoked_at) == (
            CertificateStatus.REVOKED,
            r,
            now,
        )


@pytest.mark.parametrize("reason", INVALID)
@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
def test_invalid_reasons(net: Net, reason: int, batch: bool) -> None:
    with pytest.raises(InvalidRevocationReason) as e:
        if batch:
            net.as_("op").revoke_certificates([ENC, ENT], [1, reason])
        else:
            net.as_("op").revoke_certificate(ENT, reason)
    assert (e.value.fingerprint, e.value.reason) == (ENT, reason)
    assert net.view.certificate(ENC).status == CertificateStatus.ACTIVE  # all or none


@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
def test_unknown_certificate(net: Net, batch: bool) -> None:
    with pytest.raises(UnknownCertificate) as e:
        if batch:
            net.as_("op").revoke_certificates([ENT, fp("nope")], [1, 1])
        else:
            net.as_("op").revoke_certificate(fp("nope"), 1)
    assert e.value.fingerprint == fp("nope")
    assert net.view.certificate(ENT).status == CertificateStatus.ACTIVE


@pytest.mark.parametrize("who", ["op2", "outsider", "jiaxing", "colleague"])
@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
def test_only_the_issuing_cas_operators_revoke(net: Net, who: str, batch: bool) -> None:
    with pytest.raises(NotCaOperator) as e:
        if batch:
            net.as_(who).revoke_certificates([ENT], [1])
        else:
            net.as_(who).revoke_certificate(ENT, 1)
    assert (e.value.ca_id, e.value.account) == (ZJCA, net.addr(who))


def test_a_batch_spanning_two_cas_needs_both(net: Net) -> None:
    with pytest.raises(NotCaOperator) as e:
        net.as_("op").revoke_certificates([ENT, STAFF, AHCA_ENT], [1, 1, 1])
    assert (e.value.ca_id, e.value.account) == (AHCA, net.addr("op"))
    assert net.view.certificate(ENT).status == CertificateStatus.ACTIVE
    net.as_("op2").grant_ca_operator(AHCA, net.addr("op"))
    result = net.as_("op").revoke_certificates([ENT, AHCA_ENT, STAFF], [1, 4, 5])
    assert [e[2] for e in emitted(result)] == [ZJCA, AHCA, ZJCA]


def test_already_revoked(net: Net) -> None:
    net.as_("op").revoke_certificate(ENT, 4)
    for send in (
        lambda c: c.revoke_certificate(ENT, 1),
        lambda c: c.revoke_certificates([ENC, ENT], [1, 1]),
    ):
        with pytest.raises(AlreadyRevoked) as e:
            send(net.as_("op"))
        assert e.value.fingerprint == ENT
    assert net.view.certificate(ENT).revocation_reason == RevocationReason.SUPERSEDED
    assert net.view.certificate(ENC).status == CertificateStatus.ACTIVE


def test_duplicate_within_one_batch(net: Net) -> None:
    with pytest.raises(AlreadyRevoked) as e:
        net.as_("op").revoke_certificates([ENT, ENC, ENT], [1, 1, 1])
    assert e.value.fingerprint == ENT
    assert net.view.certificate(ENT).status == CertificateStatus.ACTIVE


@pytest.mark.parametrize(
    ("fps", "reasons", "expected"), [(2, 1, (2, 1)), (1, 2, (1, 2)), (1, 0, (1, 0))]
)
def test_length_mismatch(net: Net, fps: int, reasons: int, expected) -> None:
    with pytest.raises(LengthMismatch) as e:
        net.as_("op").revoke_certificates([ENT, ENC][:fps], [1, 1][:reasons])
    assert (e.value.expected, e.value.actual) == expected


def test_empty_batch(net: Net) -> None:
    with pytest.raises(EmptyBatch):
        net.as_("op").revoke_certificates([], [])
    with pytest.raises(EmptyBatch):  # emptiness is checked before the lengths
        net.as_("op").revoke_certificates([], [1])


def test_revocation_continues_while_the_ca_is_suspended(net: Net) -> None:
    net.govern(lambda c: c.propose_suspend_ca(ZJCA))
    net.as_("op").revoke_certificate(ENT, RevocationReason.CESSATION_OF_OPERATION)
    net.as_("op").revoke_certificates([ENC], [RevocationReason.CA_COMPROMISE])
    assert net.view.certificate(ENT).status == net.view.certificate(ENC).status == 2


def test_a_former_operator_can_no_longer_revoke(net: Net) -> None:
    net.as_("op").grant_ca_operator(ZJCA, net.addr("colleague"))
    net.as_("colleague").revoke_ca_operator(ZJCA, net.addr("op"))
    with pytest.raises(NotCaOperator):
        net.as_("op").revoke_certificate(ENT, 1)
    result = net.as_("colleague").revoke_certificate(ENT, 1)
    assert emitted(result)[0][-1] == net.addr("colleague")
