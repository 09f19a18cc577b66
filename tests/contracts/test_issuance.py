"""CertificateRegistry issuance: recordCertificate and recordCertificates, with every check."""

from __future__ import annotations

import pytest

from huren.registry.errors import (
    CaNotAccredited,
    CertificateAlreadyRecorded,
    EmptyBatch,
    EmptyHolderCommitment,
    InvalidCertificateInput,
    InvalidKind,
    InvalidScope,
    InvalidUsage,
    InvalidValidity,
    NotCaOperator,
    UnknownCertificate,
    UnknownIssuerKey,
    UnknownPredecessor,
    ZeroFingerprint,
)
from huren.registry.types import (
    CertificateInput,
    CertificateKind,
    CertificateRecord,
    CertificateStatus,
    KeyUsage,
    Scope,
)
from tests.contracts.conftest import (
    AHCA,
    ENT,
    HOLDER,
    K1,
    K2,
    K3,
    NOT_AFTER,
    NOT_BEFORE,
    PERSON_JX,
    ZERO32,
    ZJCA,
    Net,
    cert,
    emitted,
    error_args,
    fp,
    raw_cert,
)

TEMPLATE_COUNT = 6
MAX40 = 2**40 - 1


def recorded(c, ca_id=ZJCA, key=K1):
    return (
        "CertificateRecorded",
        c.fingerprint,
        ca_id,
        c.holder,
        key,
        c.predecessor,
        c.kind,
        c.usage,
        c.scope,
        c.center,
        c.not_before,
        c.not_after,
    )


def test_template_certificates(net: Net) -> None:
    assert net.view.certificate_count() == TEMPLATE_COUNT
    assert net.view.certificate(PERSON_JX) == CertificateRecord(
        PERSON_JX,
        ZJCA,
        None,
        NOT_BEFORE,
        NOT_AFTER,
        CertificateKind.PERSONAL,
        KeyUsage.SIGNING,
        Scope.REGIONAL,
        net.addr("jiaxing"),
        CertificateStatus.ACTIVE,
        None,
        None,
    )
    with pytest.raises(UnknownCertificate) as e:
        net.view.certificate(fp("nope"))
    assert e.value.fingerprint == fp("nope")


def test_record_one(net: Net) -> None:
    c = cert(
        "renewal",
        predecessor=ENT,
        kind=CertificateKind.STAFF,
        usage=KeyUsage.ENCRYPTION,
        scope=Scope.REGIONAL,
        center=net.addr("nantong"),
        not_after=MAX40,
    )
    result = net.as_("op").record_certificate(ZJCA, K1, c)
    assert emitted(result) == [recorded(c)]
    assert net.view.certificate(c.fingerprint) == CertificateRecord(
        c.fingerprint,
        ZJCA,
        ENT,
        NOT_BEFORE,
        MAX40,
        CertificateKind.STAFF,
        KeyUsage.ENCRYPTION,
        Scope.REGIONAL,
        net.addr("nantong"),
        CertificateStatus.ACTIVE,
        None,
        None,
    )
    assert net.view.certificate_count() == TEMPLATE_COUNT + 1


def test_record_batch(net: Net) -> None:
    j, n = net.addr("jiaxing"), net.addr("nantong")
    certs = [
        cert("b0", scope=Scope.REGIONAL, center=j),
        cert("b1", scope=Scope.REGIONAL, center=j, kind=CertificateKind.PERSONAL),
        cert("b2", scope=Scope.REGIONAL, center=n),
        cert("b3"),
        cert("b4", scope=Scope.REGIONAL, center=j, predecessor=fp("b0")),  # recorded just above
        cert("b5", holder=fp("holder:other"), not_before=0, not_after=1),
    ]
    result = net.as_("op2").record_certificates(AHCA, K2, certs)
    assert emitted(result) == [recorded(c, AHCA, K2) for c in certs]
    assert net.view.certificate_count() == TEMPLATE_COUNT + len(certs)
    for c in certs:
        r = net.view.certificate(c.fingerprint)
        assert (r.ca_id, r.center, r.predecessor, r.kind, r.not_before, r.not_after) == (
            AHCA,
            c.center,
            c.predecessor,
            c.kind,
            c.not_before,
            c.not_after,
        )


# Each bad record, the error it raises and that error's arguments (fingerprint of "bad").
BAD = fp("bad")
CASES = [
    ({"fingerprint": ZERO32}, ZeroFingerprint, ()),
    ({"fingerprint": ENT}, CertificateAlreadyRecorded, (ENT,)),
    ({"holder": ZERO32}, EmptyHolderCommitment, (BAD,)),
    ({"kind": 0}, InvalidKind, (BAD, 0)),
    ({"kind": 4}, InvalidKind, (BAD, 4)),
    ({"usage": 0}, InvalidUsage, (BAD, 0)),
    ({"usage": 3}, InvalidUsage, (BAD, 3)),
    ({"not_after": NOT_BEFORE}, InvalidValidity, (BAD, NOT_BEFORE, NOT_BEFORE)),
    ({"not_after": NOT_BEFORE - 1}, InvalidValidity, (BAD, NOT_BEFORE, NOT_BEFORE - 1)),
    ({"not_after": MAX40 + 1}, InvalidValidity, (BAD, NOT_BEFORE, MAX40 + 1)),
    ({"center": "jiaxing"}, InvalidScope, (BAD, 1, "jiaxing")),
    ({"scope": 2}, InvalidScope, (BAD, 2, 0)),
    ({"scope": 2, "center": "outsider"}, InvalidScope, (BAD, 2, "outsider")),
    ({"scope": 0}, InvalidScope, (BAD, 0, 0)),
    ({"scope": 3}, InvalidScope, (BAD, 3, 0)),
    ({"scope": 0, "center": "jiaxing"}, InvalidScope, (BAD, 0, "jiaxing")),
    ({"predecessor": fp("nope")}, UnknownPredecessor, (BAD, fp("nope"))),
    ({"predecessor": BAD}, UnknownPredecessor, (BAD, BAD)),
]
IDS = [
    "zero-fp",
    "recorded",
    "no-holder",
    "kind-0",
    "kind-4",
    "usage-0",
    "usage-3",
    "empty-validity",
    "reversed-validity",
    "past-uint40",
    "alliance-with-center",
    "regional-without-center",
    "regional-non-member",
    "scope-0",
    "scope-3",
    "scope-0-with-center",
    "unknown-predecessor",
    "self-predecessor",
]


def _bad(net: Net, fields: dict) -> CertificateInput:
    fields = {k: net.addr(v) if k == "center" else v for k, v in fields.items()}
    return raw_cert("bad", **fields)


def _expected(net: Net, args: tuple) -> tuple:
    return tuple(int(net.addr(a), 16) if a in net.accounts else a for a in args)


@pytest.mark.parametrize(("fields", "error", "args"), CASES, ids=IDS)
@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
def test_record_rejects_bad_records(net: Net, fields, error, args, batch: bool) -> None:
    bad = _bad(net, fields)
    good = cert("good", scope=Scope.REGIONAL, center=net.addr("nantong"))
    with pytest.raises(error) as e:
        if batch:  # the bad record comes second: the good one before it is not kept
            net.as_("op").record_certificates(ZJCA, K1, [good, bad])
        else:
            net.as_("op").record_certificate(ZJCA, K1, bad)
    assert error_args(e.value) == _expected(net, args)
    assert net.view.certificate_count() == TEMPLATE_COUNT
    with pytest.raises(UnknownCertificate):
        net.view.certificate(good.fingerprint)


def test_the_client_checks_records_itself() -> None:
    with pytest.raises(InvalidCertificateInput):
        cert("x", fingerprint=ZERO32)
    with pytest.raises(InvalidCertificateInput):
        cert("x", scope=Scope.REGIONAL)


def test_duplicate_within_one_batch(net: Net) -> None:
    with pytest.raises(CertificateAlreadyRecorded) as e:
        net.as_("op").record_certificates(ZJCA, K1, [cert("a"), cert("b"), cert("a")])
    assert e.value.fingerprint == fp("a")
    assert net.view.certificate_count() == TEMPLATE_COUNT


def test_regional_center_must_still_be_a_member(net: Net) -> None:
    x = net.addr("xuancheng")
    net.govern(lambda c: c.propose_remove_member(x))
    for batch in (False, True):
        with pytest.raises(InvalidScope) as e:
            c = cert("x", scope=Scope.REGIONAL, center=x)
            if batch:
                net.as_("op").record_certificates(ZJCA, K1, [c])
            else:
                net.as_("op").record_certificate(ZJCA, K1, c)
        assert (e.value.scope, e.value.center) == (2, int(x, 16))


def test_empty_batch(net: Net) -> None:
    with pytest.raises(EmptyBatch):
        net.as_("op").record_certificates(ZJCA, K1, [])


@pytest.mark.parametrize(
    ("who", "ca_id", "key", "error", "args"),
    [
        ("outsider", ZJCA, K1, NotCaOperator, (ZJCA, "outsider")),
        ("op2", ZJCA, K1, NotCaOperator, (ZJCA, "op2")),
        ("jiaxing", ZJCA, K1, NotCaOperator, (ZJCA, "jiaxing")),
        ("op", ZJCA, K2, UnknownIssuerKey, (ZJCA, K2)),
        ("op", ZJCA, K3, UnknownIssuerKey, (ZJCA, K3)),
        ("op", "nope", K1, CaNotAccredited, ("nope",)),
    ],
)
@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
def test_record_needs_issuance_authority(net: Net, who, ca_id, key, error, args, batch) -> None:
    with pytest.raises(error) as e:
        if batch:
            net.as_(who).record_certificates(ca_id, key, [cert("x")])
        else:
            net.as_(who).record_certificate(ca_id, key, cert("x"))
    assert error_args(e.value) == net.resolve(args)
    assert net.view.certificate_count() == TEMPLATE_COUNT


def test_suspended_ca_cannot_record_until_reaccredited(net: Net) -> None:
    net.govern(lambda c: c.propose_suspend_ca(ZJCA))
    for send in (
        lambda c: c.record_certificate(ZJCA, K1, cert("x")),
        lambda c: c.record_certificates(ZJCA, K1, [cert("x")]),
    ):
        with pytest.raises(CaNotAccredited) as e:
            send(net.as_("op"))
        assert e.value.ca_id == ZJCA
    net.govern(lambda c: c.propose_accredit_ca(ZJCA, "ZJCA", [net.addr("op")], [K3]))
    with pytest.raises(UnknownIssuerKey):
        net.as_("op").record_certificate(ZJCA, K1, cert("x"))
    net.as_("op").record_certificate(ZJCA, K3, cert("x"))
    assert net.view.certificate(fp("x")).ca_id == ZJCA


def test_a_colleague_granted_by_the_operator_records(net: Net) -> None:
    net.as_("op").grant_ca_operator(ZJCA, net.addr("colleague"))
    result = net.as_("colleague").record_certificate(ZJCA, K1, cert("x", holder=HOLDER))
    assert emitted(result) == [recorded(cert("x"))]
