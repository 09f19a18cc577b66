"""CertificateRegistry zone bindings (bind/unbind) and staff authorizations (grant/revoke)."""

from __future__ import annotations

import pytest

from huren.registry.errors import (
    AlreadyBound,
    CaNotAccredited,
    CertificateNotActive,
    EmptyEvidence,
    InvalidRights,
    NotAuthorized,
    NotBound,
    NotCaOperator,
    NotPlatformCenter,
    OutOfScope,
    PlatformNotActive,
    UnknownCertificate,
    UnknownPlatform,
    WrongCertificateKind,
)
from huren.registry.types import Authorization, CertificateKind, Right
from tests.contracts.conftest import (
    AHCA_ENT,
    ALLIANCE,
    ENC,
    ENT,
    JX,
    K1,
    NT,
    PERSON_JX,
    STAFF,
    STAFF_ENC,
    T_TEST,
    ZERO32,
    ZJCA,
    Net,
    cert,
    emitted,
    error_args,
    fp,
)

EV1, EV2 = fp("evidence:bind"), fp("evidence:unbind")
NOPE = fp("nope")
ALL = Right(31)


def _retire(net: Net, platform_id: str) -> None:
    net.govern(lambda c: c.propose_retire_platform(platform_id))


# -- zones -----------------------------------------------------------------------------------


def test_bind_and_unbind(net: Net) -> None:
    j = net.addr("jiaxing")
    assert net.view.binding(ENT, JX) is None
    bound = net.as_("jiaxing").bind_certificate(ENT, JX, EV1)
    assert emitted(bound) == [("CertificateBound", ENT, JX, EV1, j)]
    assert net.view.binding(ENT, JX) == EV1 and net.view.binding(ENT, ALLIANCE) is None
    net.as_("jiaxing").bind_certificate(ENT, ALLIANCE, EV2)  # the same center's other platform
    unbound = net.as_("jiaxing").unbind_certificate(ENT, JX, EV2)
    assert emitted(unbound) == [("CertificateUnbound", ENT, JX, EV2, j)]
    assert net.view.binding(ENT, JX) is None and net.view.binding(ENT, ALLIANCE) == EV2
    net.as_("jiaxing").bind_certificate(ENT, JX, EV2)  # rebinding after unbinding works
    assert net.view.binding(ENT, JX) == EV2


def test_any_kind_binds_but_a_regional_one_only_at_its_center(net: Net) -> None:
    for f in (ENC, STAFF, AHCA_ENT):
        net.as_("nantong").bind_certificate(f, NT, EV1)
        assert net.view.binding(f, NT) == EV1
    with pytest.raises(OutOfScope) as e:
        net.as_("nantong").bind_certificate(PERSON_JX, NT, EV1)  # regional to Jiaxing
    assert (e.value.fingerprint, e.value.platform_id) == (PERSON_JX, NT)
    net.as_("jiaxing").bind_certificate(PERSON_JX, JX, EV1)
    assert net.view.binding(PERSON_JX, JX) == EV1


@pytest.mark.parametrize("op", ["bind", "unbind"])
@pytest.mark.parametrize(
    ("who", "platform", "evidence", "error", "args"),
    [
        ("jiaxing", "nope", EV1, UnknownPlatform, ("nope",)),
        ("nantong", JX, EV1, NotPlatformCenter, (JX, "nantong")),
        ("outsider", JX, EV1, NotPlatformCenter, (JX, "outsider")),
        ("jiaxing", JX, ZERO32, EmptyEvidence, ()),
    ],
)
def test_zone_reverts(net: Net, op, who, platform, evidence, error, args) -> None:
    net.as_("jiaxing").bind_certificate(ENT, JX, EV1)
    client = net.as_(who)
    send = client.bind_certificate if op == "bind" else client.unbind_certificate
    with pytest.raises(error) as e:
        send(ENC if op == "bind" else ENT, platform, evidence)
    assert error_args(e.value) == net.resolve(args)
    assert net.view.binding(ENT, JX) == EV1 and net.view.binding(ENC, JX) is None


@pytest.mark.parametrize("op", ["bind", "unbind"])
def test_retired_platforms_take_no_new_bindings_but_release_old_ones(net: Net, op: str) -> None:
    net.as_("jiaxing").bind_certificate(ENT, JX, EV1)
    _retire(net, JX)
    client = net.as_("jiaxing")
    if op == "bind":
        with pytest.raises(PlatformNotActive) as e:
            client.bind_certificate(ENC, JX, EV2)
        assert e.value.platform_id == JX
        assert net.view.binding(ENT, JX) == EV1
    else:
        client.unbind_certificate(ENT, JX, EV2)
        assert net.view.binding(ENT, JX) is None


def test_bind_reverts_on_the_certificate(net: Net) -> None:
    with pytest.raises(UnknownCertificate) as u:
        net.as_("jiaxing").bind_certificate(NOPE, JX, EV1)
    assert u.value.fingerprint == NOPE
    net.as_("jiaxing").bind_certificate(ENT, JX, EV1)
    with pytest.raises(AlreadyBound) as a:
        net.as_("jiaxing").bind_certificate(ENT, JX, EV2)
    assert (a.value.fingerprint, a.value.platform_id) == (ENT, JX)
    assert net.view.binding(ENT, JX) == EV1
    net.as_("op").revoke_certificate(ENC, 1)
    with pytest.raises(CertificateNotActive) as n:
        net.as_("jiaxing").bind_certificate(ENC, JX, EV1)
    assert n.value.fingerprint == ENC


def test_unbind_reverts_when_not_bound_and_works_after_revocation(net: Net) -> None:
    for f in (ENT, NOPE):
        with pytest.raises(NotBound) as e:
            net.as_("jiaxing").unbind_certificate(f, JX, EV2)
        assert (e.value.fingerprint, e.value.platform_id) == (f, JX)
    net.as_("jiaxing").bind_certificate(ENT, JX, EV1)
    net.as_("op").revoke_certificate(ENT, 1)
    assert net.view.binding(ENT, JX) == EV1
    net.as_("jiaxing").unbind_certificate(ENT, JX, EV2)
    assert net.view.binding(ENT, JX) is None


# -- authorizations --------------------------------------------------------------------------


@pytest.mark.parametrize("rights", [Right.LOGIN, Right.SIGN | Right.SEAL, ALL])
def test_grant_and_revoke_authorization(net: Net, rights: Right) -> None:
    op = net.addr("op")
    assert net.view.authorization(STAFF, JX) is None
    granted = net.as_("op").grant_authorization(STAFF, JX, ENT, rights)
    assert emitted(granted) == [("AuthorizationGranted", STAFF, JX, ENT, rights, op)]
    assert net.view.authorization(STAFF, JX) == Authorization(STAFF, JX, ENT, rights)
    assert net.view.authorization(STAFF, NT) is None
    replaced = net.as_("op").grant_authorization(STAFF, JX, AHCA_ENT, Right.DECRYPT)
    assert emitted(replaced) == [("AuthorizationGranted", STAFF, JX, AHCA_ENT, Right.DECRYPT, op)]
    assert net.view.authorization(STAFF, JX) == Authorization(STAFF, JX, AHCA_ENT, Right.DECRYPT)
    revoked = net.as_("op").revoke_authorization(STAFF, JX)
    assert emitted(revoked) == [("AuthorizationRevoked", STAFF, JX, AHCA_ENT, op)]
    assert net.view.authorization(STAFF, JX) is None
    with pytest.raises(NotAuthorized) as e:
        net.as_("op").revoke_authorization(STAFF, JX)
    assert (e.value.staff_fingerprint, e.value.platform_id) == (STAFF, JX)


@pytest.mark.parametrize("rights", [0, 32, 255])
def test_invalid_rights(net: Net, rights: int) -> None:
    with pytest.raises(InvalidRights) as e:
        net.as_("op").grant_authorization(STAFF, JX, ENT, rights)
    assert e.value.rights == rights


K = CertificateKind


@pytest.mark.parametrize(
    ("staff", "enterprise", "who", "error", "args"),
    [
        (NOPE, ENT, "op", UnknownCertificate, (NOPE,)),
        (STAFF, NOPE, "op", UnknownCertificate, (NOPE,)),
        (STAFF, ENT, "op2", NotCaOperator, (ZJCA, "op2")),
        (STAFF, ENT, "outsider", NotCaOperator, (ZJCA, "outsider")),
        (ENT, ENT, "op", WrongCertificateKind, (ENT, K.STAFF, K.ENTERPRISE)),
        (PERSON_JX, ENT, "op", WrongCertificateKind, (PERSON_JX, K.STAFF, K.PERSONAL)),
        (STAFF, STAFF_ENC, "op", WrongCertificateKind, (STAFF_ENC, K.ENTERPRISE, K.STAFF)),
        (STAFF, PERSON_JX, "op", WrongCertificateKind, (PERSON_JX, K.ENTERPRISE, K.PERSONAL)),
    ],
    ids=[
        "unknown-staff",
        "unknown-enterprise",
        "other-ca",
        "outsider",
        "enterprise-as-staff",
        "personal-as-staff",
        "staff-as-enterprise",
        "personal-as-enterprise",
    ],
)
def test_grant_reverts_on_certificates(net: Net, staff, enterprise, who, error, args) -> None:
    with pytest.raises(error) as e:
        net.as_(who).grant_authorization(staff, JX, enterprise, Right.LOGIN)
    assert error_args(e.value) == net.resolve(args)


def test_the_enterprise_certificate_may_come_from_another_ca(net: Net) -> None:
    net.as_("op").grant_authorization(STAFF, JX, AHCA_ENT, Right.SIGN)
    assert net.view.authorization(STAFF, JX).enterprise_fingerprint == AHCA_ENT


@pytest.mark.parametrize("which", ["staff", "enterprise"])
def test_grant_needs_active_certificates(net: Net, which: str) -> None:
    revoked = STAFF if which == "staff" else ENT
    net.as_("op").revoke_certificate(revoked, 1)
    with pytest.raises(CertificateNotActive) as e:
        net.as_("op").grant_authorization(STAFF, JX, ENT, Right.LOGIN)
    assert e.value.fingerprint == revoked


def test_grant_needs_an_active_platform(net: Net) -> None:
    with pytest.raises(UnknownPlatform) as u:
        net.as_("op").grant_authorization(STAFF, "nope", ENT, Right.LOGIN)
    assert u.value.platform_id == "nope"
    net.as_("op").grant_authorization(STAFF, JX, ENT, Right.LOGIN)
    _retire(net, JX)
    with pytest.raises(PlatformNotActive) as r:
        net.as_("op").grant_authorization(STAFF, JX, ENT, Right.SIGN)
    assert r.value.platform_id == JX
    assert net.view.authorization(STAFF, JX).rights == Right.LOGIN  # kept, as is
    net.as_("op").revoke_authorization(STAFF, JX)  # withdrawing still works


def test_revoke_authorization_reverts(net: Net) -> None:
    net.as_("op").grant_authorization(STAFF, JX, ENT, Right.LOGIN)
    with pytest.raises(UnknownCertificate) as u:
        net.as_("op").revoke_authorization(NOPE, JX)
    assert u.value.fingerprint == NOPE
    for who in ("op2", "jiaxing"):
        with pytest.raises(NotCaOperator) as e:
            net.as_(who).revoke_authorization(STAFF, JX)
        assert (e.value.ca_id, e.value.account) == (ZJCA, net.addr(who))
    with pytest.raises(NotAuthorized) as n:
        net.as_("op").revoke_authorization(STAFF, NT)
    assert (n.value.staff_fingerprint, n.value.platform_id) == (STAFF, NT)
    net.as_("op").revoke_certificate(STAFF, 1)  # a revoked staff certificate's grant still goes
    net.as_("op").revoke_authorization(STAFF, JX)
    assert net.view.authorization(STAFF, JX) is None


def test_grant_needs_an_accredited_ca(net: Net) -> None:
    net.govern(lambda c: c.propose_suspend_ca(ZJCA))
    with pytest.raises(CaNotAccredited) as e:
        net.as_("op").grant_authorization(STAFF, JX, ENT, Right.LOGIN)
    assert e.value.ca_id == ZJCA


@pytest.mark.parametrize("which", ["staff", "enterprise"])
def test_grant_and_bind_need_certificates_within_their_validity(net: Net, which: str) -> None:
    short = cert("short", not_after=T_TEST + 100, kind=CertificateKind.STAFF)
    short_ent = cert("short-ent", not_after=T_TEST + 100)
    net.as_("op").record_certificates(ZJCA, K1, [short, short_ent])
    net.clock.advance(200)
    expired = short if which == "staff" else short_ent
    staff, enterprise = (
        (short.fingerprint, ENT) if which == "staff" else (STAFF, short_ent.fingerprint)
    )
    with pytest.raises(CertificateNotActive) as e:
        net.as_("op").grant_authorization(staff, JX, enterprise, Right.LOGIN)
    assert e.value.fingerprint == expired.fingerprint
    with pytest.raises(CertificateNotActive):
        net.as_("jiaxing").bind_certificate(expired.fingerprint, JX, EV1)
