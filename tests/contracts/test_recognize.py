"""CertificateRegistry recognition: recognize and recognizeAt, every reason alone and combined."""

from __future__ import annotations

import pytest

from huren.registry.errors import InvalidAction
from huren.registry.types import CertificateKind, KeyUsage, Reason, Recognition, Right, Scope
from tests.contracts.conftest import (
    ALLIANCE,
    ENC,
    ENT,
    JX,
    K1,
    NOT_AFTER,
    NOT_BEFORE,
    NT,
    PERSON_JX,
    STAFF,
    STAFF_ENC,
    T_TEST,
    XC,
    ZJCA,
    Net,
    cert,
    fp,
)

R = Reason
OK = Recognition(True, Reason(0))
NOPE = fp("nope")
SIGNING_ACTIONS = [Right.LOGIN, Right.SIGN, Right.SEAL]
ENCRYPTION_ACTIONS = [Right.ENCRYPT, Right.DECRYPT]


def no(reasons: Reason) -> Recognition:
    return Recognition(False, reasons)


@pytest.mark.parametrize(
    ("fingerprint", "platform", "action", "expected"),
    [
        *((ENT, p, 0, OK) for p in (JX, NT, XC, ALLIANCE)),
        *((ENT, JX, a, OK) for a in SIGNING_ACTIONS),
        *((ENT, JX, a, no(R.WRONG_USAGE)) for a in ENCRYPTION_ACTIONS),
        (ENC, NT, 0, OK),
        *((ENC, NT, a, OK) for a in ENCRYPTION_ACTIONS),
        *((ENC, NT, a, no(R.WRONG_USAGE)) for a in SIGNING_ACTIONS),
        (ENT, "nope", 0, no(R.UNKNOWN_PLATFORM)),
        (NOPE, JX, 0, no(R.UNKNOWN_CERTIFICATE)),
        (NOPE, JX, Right.ENCRYPT, no(R.UNKNOWN_CERTIFICATE)),
        (NOPE, "nope", 0, no(R.UNKNOWN_CERTIFICATE | R.UNKNOWN_PLATFORM)),
        (PERSON_JX, JX, Right.SIGN, OK),
        (PERSON_JX, ALLIANCE, 0, OK),  # the alliance platform is Jiaxing's
        (PERSON_JX, NT, 0, no(R.OUT_OF_SCOPE)),
        (PERSON_JX, XC, Right.DECRYPT, no(R.OUT_OF_SCOPE | R.WRONG_USAGE)),
        (PERSON_JX, "nope", 0, no(R.OUT_OF_SCOPE | R.UNKNOWN_PLATFORM)),
        (STAFF, JX, 0, no(R.NOT_AUTHORIZED)),
        (STAFF, JX, Right.LOGIN, no(R.NOT_AUTHORIZED)),
        (STAFF, "nope", 0, no(R.NOT_AUTHORIZED | R.UNKNOWN_PLATFORM)),
        (STAFF_ENC, JX, Right.SIGN, no(R.NOT_AUTHORIZED | R.WRONG_USAGE)),
    ],
)
def test_recognition_of_the_template(net: Net, fingerprint, platform, action, expected) -> None:
    assert net.view.recognize(fingerprint, platform, action) == expected
    at = net.now()
    assert net.view.recognize_at(fingerprint, platform, at, action) == expected


@pytest.mark.parametrize("action", [3, 5, 6, 7, 24, 32, 64, 128, 255])
def test_invalid_actions(net: Net, action: int) -> None:
    for ask in (
        lambda v: v.recognize(ENT, JX, action),
        lambda v: v.recognize_at(NOPE, "nope", NOT_BEFORE, action),
    ):
        with pytest.raises(InvalidAction) as e:
            ask(net.view)
        assert e.value.action == action


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (0, no(R.NOT_YET_VALID)),
        (NOT_BEFORE - 1, no(R.NOT_YET_VALID)),
        (NOT_BEFORE, OK),
        (NOT_AFTER, OK),
        (NOT_AFTER + 1, no(R.EXPIRED)),
        (2**64 - 1, no(R.EXPIRED)),
    ],
)
def test_validity_window(net: Net, at: int, expected: Recognition) -> None:
    assert net.view.recognize_at(ENT, JX, at) == expected


def test_recognize_uses_the_latest_blocks_time(net: Net) -> None:
    start = int(net.clock.now) + 100
    c = cert("later", not_before=start, not_after=start + 1_000)
    net.as_("op").record_certificate(ZJCA, K1, c)
    assert net.view.recognize(c.fingerprint, JX) == no(R.NOT_YET_VALID)
    net.clock.now = start
    net.mine()
    assert net.view.recognize(c.fingerprint, JX) == OK
    net.clock.now = start + 1_001
    net.mine()
    assert net.view.recognize(c.fingerprint, JX) == no(R.EXPIRED)
    assert net.view.recognize(c.fingerprint, JX, block=net.backend.block_number() - 1) == OK


def test_suspension_lifts_recognition_until_reaccreditation(net: Net) -> None:
    net.govern(lambda c: c.propose_suspend_ca(ZJCA))
    for f in (ENT, ENC, PERSON_JX):
        assert net.view.recognize(f, JX) == no(R.CA_NOT_ACCREDITED)
    assert net.view.recognize(PERSON_JX, NT) == no(R.CA_NOT_ACCREDITED | R.OUT_OF_SCOPE)
    net.govern(lambda c: c.propose_accredit_ca(ZJCA, "ZJCA", [net.addr("op")], [K1]))
    assert net.view.recognize(ENT, JX) == OK


def test_revoked(net: Net) -> None:
    net.as_("op").revoke_certificate(ENT, 1)
    assert net.view.recognize(ENT, JX) == no(R.REVOKED)
    assert net.view.recognize(ENT, JX, Right.ENCRYPT) == no(R.REVOKED | R.WRONG_USAGE)
    revoked_at = net.view.certificate(ENT).revoked_at
    # Revocation is dated: asked about a time before it, the certificate was fine.
    assert net.view.recognize_at(ENT, JX, revoked_at - 1) == OK
    assert net.view.recognize_at(ENT, JX, revoked_at) == no(R.REVOKED)


def test_retired_platform(net: Net) -> None:
    net.govern(lambda c: c.propose_retire_platform(NT))
    assert net.view.recognize(ENT, NT) == no(R.PLATFORM_RETIRED)
    assert net.view.recognize(PERSON_JX, NT) == no(R.PLATFORM_RETIRED | R.OUT_OF_SCOPE)
    assert net.view.recognize(ENT, JX) == OK


def test_regional_certificate_of_a_removed_center(net: Net) -> None:
    net.govern(lambda c: c.propose_remove_member(net.addr("jiaxing")), proposer="nantong")
    assert net.view.recognize(PERSON_JX, JX) == no(R.PLATFORM_RETIRED)
    assert net.view.recognize(PERSON_JX, NT) == no(R.OUT_OF_SCOPE)
    assert net.view.recognize(ENT, NT) == OK


def test_regional_certificates_of_each_center(net: Net) -> None:
    certs = [
        cert(f"r-{n}", scope=Scope.REGIONAL, center=net.addr(n)) for n in ("nantong", "xuancheng")
    ]
    net.as_("op").record_certificates(ZJCA, K1, certs)
    nt, xc = (c.fingerprint for c in certs)
    assert [net.view.recognize(nt, p) for p in (NT, XC, JX)] == [
        OK,
        no(R.OUT_OF_SCOPE),
        no(R.OUT_OF_SCOPE),
    ]
    assert [net.view.recognize(xc, p) for p in (NT, XC, ALLIANCE)] == [
        no(R.OUT_OF_SCOPE),
        OK,
        no(R.OUT_OF_SCOPE),
    ]


@pytest.mark.parametrize(
    ("rights", "action", "expected"),
    [
        (Right.LOGIN, 0, OK),
        (Right.LOGIN, Right.LOGIN, OK),
        (Right.LOGIN, Right.SIGN, no(R.NOT_AUTHORIZED)),
        (Right.SIGN | Right.SEAL, Right.SEAL, OK),
        (Right.SIGN | Right.SEAL, Right.LOGIN, no(R.NOT_AUTHORIZED)),
        (Right(31), Right.SIGN, OK),
        (Right(31), Right.ENCRYPT, no(R.WRONG_USAGE)),  # a signing certificate
        (Right.ENCRYPT, Right.ENCRYPT, no(R.WRONG_USAGE)),
        (Right.ENCRYPT, Right.DECRYPT, no(R.NOT_AUTHORIZED | R.WRONG_USAGE)),
    ],
)
def test_staff_rights(net: Net, rights: Right, action: int, expected: Recognition) -> None:
    net.as_("op").grant_authorization(STAFF, JX, ENT, rights)
    assert net.view.recognize(STAFF, JX, action) == expected
    assert net.view.recognize(STAFF, NT, action).reasons & R.NOT_AUTHORIZED  # per platform


def test_staff_encryption_certificate(net: Net) -> None:
    net.as_("op").grant_authorization(STAFF_ENC, XC, ENT, Right.ENCRYPT | Right.LOGIN)
    assert net.view.recognize(STAFF_ENC, XC, Right.ENCRYPT) == OK
    assert net.view.recognize(STAFF_ENC, XC, Right.DECRYPT) == no(R.NOT_AUTHORIZED)
    assert net.view.recognize(STAFF_ENC, XC, Right.LOGIN) == no(R.WRONG_USAGE)
    assert net.view.recognize(STAFF_ENC, XC, 0) == OK


def test_withdrawn_authorization(net: Net) -> None:
    net.as_("op").grant_authorization(STAFF, JX, ENT, Right.LOGIN)
    net.as_("op").revoke_authorization(STAFF, JX)
    assert net.view.recognize(STAFF, JX, Right.LOGIN) == no(R.NOT_AUTHORIZED)


def test_every_reason_at_once(net: Net) -> None:
    staff = cert(
        "all-wrong",
        kind=CertificateKind.STAFF,
        usage=KeyUsage.SIGNING,
        scope=Scope.REGIONAL,
        center=net.addr("jiaxing"),
    )
    net.as_("op").record_certificate(ZJCA, K1, staff)
    net.as_("op").revoke_certificate(staff.fingerprint, 1)
    net.govern(lambda c: c.propose_suspend_ca(ZJCA))
    net.govern(lambda c: c.propose_retire_platform(NT))
    f = staff.fingerprint
    late = no(
        R.CA_NOT_ACCREDITED
        | R.REVOKED
        | R.EXPIRED
        | R.OUT_OF_SCOPE
        | R.PLATFORM_RETIRED
        | R.NOT_AUTHORIZED
        | R.WRONG_USAGE
    )
    assert net.view.recognize_at(f, NT, NOT_AFTER + 1, Right.DECRYPT) == late
    early = no(  # revoked after NOT_BEFORE: not yet revoked then
        R.CA_NOT_ACCREDITED
        | R.NOT_YET_VALID
        | R.OUT_OF_SCOPE
        | R.UNKNOWN_PLATFORM
        | R.NOT_AUTHORIZED
        | R.WRONG_USAGE
    )
    assert net.view.recognize_at(f, "nope", NOT_BEFORE - 1, Right.ENCRYPT) == early


def test_a_staff_authorization_is_as_good_as_its_enterprise_certificate(net: Net) -> None:
    """The grant stands on the enterprise certificate: revoked or expired, it grants nothing."""
    short_ent = cert("short-ent", not_after=T_TEST + 1_000)
    net.as_("op").record_certificate(ZJCA, K1, short_ent)
    net.as_("op").grant_authorization(STAFF, JX, short_ent.fingerprint, Right.LOGIN)
    net.as_("op").grant_authorization(STAFF, NT, ENT, Right.LOGIN)
    assert net.view.recognize(STAFF, JX, Right.LOGIN) == OK
    assert net.view.recognize_at(STAFF, JX, T_TEST + 1_001, Right.LOGIN) == no(R.NOT_AUTHORIZED)
    net.as_("op").revoke_certificate(ENT, 3)  # affiliationChanged
    revoked_at = net.view.certificate(ENT).revoked_at
    assert net.view.recognize(STAFF, NT, Right.LOGIN) == no(R.NOT_AUTHORIZED)
    assert net.view.recognize_at(STAFF, NT, revoked_at - 1, Right.LOGIN) == OK
