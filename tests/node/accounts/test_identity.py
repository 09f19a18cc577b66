"""Identity verification: the three methods, local checks before any provider call, the
providers' refusals, failures and timeouts, one identity per account and one account per
identity, and what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from huren.node.accounts.errors import InvalidPhone
from huren.node.db.identity_tables import Identity
from huren.node.identity import IdentityMethod, IdentityService
from huren.node.identity.checks import InvalidBankCard, InvalidResidentId
from huren.node.identity.errors import (
    AlreadyVerified,
    CertificationExpired,
    CertificationPending,
    IdentityMismatch,
    IdentityRejected,
    IdentityTaken,
    InvalidName,
    NotVerified,
    UnknownCertification,
)
from huren.node.ports import Ports, PortTimeout, PortUnavailable
from tests.node.accounts.conftest import SECRET, FakeClock, Phones

ID_A = "11010519491231002X"  # GB 11643-1999's examples
ID_B = "440524188001010014"
CARD = "4111111111111111"  # Visa's test number (Luhn-valid)


class CountingPorts:
    """Wraps the simulated ports and counts provider calls (none for bad input)."""

    def __init__(self, ports: Ports) -> None:
        self.calls = 0
        inner = ports

        class Counted:
            def __init__(self, target: object) -> None:
                self._target = target

            def __getattr__(outer_self, name: str) -> object:
                attr = getattr(outer_self._target, name)
                if not callable(attr):
                    return attr

                def call(*args: object) -> object:
                    self.calls += 1
                    return attr(*args)

                return call

        self.ports = Ports(
            sms=inner.sms,
            wechat=inner.wechat,
            cfca=Counted(inner.cfca),  # type: ignore[arg-type]
            alipay=Counted(inner.alipay),  # type: ignore[arg-type]
            bank=Counted(inner.bank),  # type: ignore[arg-type]
        )


@pytest.fixture
def counting(ports: Ports) -> CountingPorts:
    return CountingPorts(ports)


@pytest.fixture
def identity(db: Engine, counting: CountingPorts, clock: FakeClock) -> IdentityService:
    return IdentityService(db, counting.ports, SECRET, clock=clock)


def new_account(phones: Phones, phone: str) -> str:
    phones.clock.advance(60)
    return phones.accounts.login_sms(phone, phones.code(phone)).account.id


@pytest.fixture
def alice(phones: Phones) -> str:
    return new_account(phones, "13800138000")


def test_cfca(identity: IdentityService, alice: str, db: Engine) -> None:
    verified = identity.verify_cfca(alice, "张三", ID_A)
    assert verified.method is IdentityMethod.CFCA
    assert (verified.masked_name, verified.masked_id_number) == ("张*", "110***********002X")
    assert identity.identity(alice) == verified
    identity.check_matches(alice, "张三", ID_A.lower())
    with pytest.raises(IdentityMismatch):
        identity.check_matches(alice, "张四", ID_A)
    with pytest.raises(IdentityMismatch):
        identity.check_matches(alice, "张三", ID_B)
    with Session(db) as session:  # neither the name nor the number is stored
        row = session.exec(select(Identity)).one()
    stored = repr(row.model_dump())
    assert "张三" not in stored and ID_A not in stored and "19491231" not in stored
    assert row.id_commitment == identity.commitment(ID_A) and len(row.id_commitment) == 32


def test_bank_card(identity: IdentityService, alice: str) -> None:
    with pytest.raises(IdentityRejected) as rejected:
        identity.verify_bank_card(alice, "张三", ID_A, CARD, "13912340000")
    assert rejected.value.reason == "phone_mismatch"
    verified = identity.verify_bank_card(alice, "张三", ID_A, "4111 1111 1111 1111", "13912345678")
    assert verified.method is IdentityMethod.BANK_CARD


def test_alipay(identity: IdentityService, alice: str, phones: Phones, clock: FakeClock) -> None:
    started = identity.start_alipay(alice, "李四", ID_B)
    assert started.url.startswith("https://")
    bob = new_account(phones, "13900139000")
    with pytest.raises(UnknownCertification):  # not bob's certification
        identity.complete_alipay(bob, started.certify_id)
    verified = identity.complete_alipay(alice, started.certify_id)
    assert verified.method is IdentityMethod.ALIPAY and verified.masked_name == "李*"
    with pytest.raises(AlreadyVerified):
        identity.complete_alipay(alice, started.certify_id)


def test_alipay_failed_pending_and_expired(
    identity: IdentityService, alice: str, clock: FakeClock
) -> None:
    failed = identity.start_alipay(alice, "钱未通过", ID_A)
    with pytest.raises(IdentityRejected) as rejected:
        identity.complete_alipay(alice, failed.certify_id)
    assert rejected.value.reason == "face_failed"
    pending = identity.start_alipay(alice, "孙等待", ID_A)
    with pytest.raises(CertificationPending):
        identity.complete_alipay(alice, pending.certify_id)
    clock.advance(15 * 60)
    with pytest.raises(CertificationExpired):
        identity.complete_alipay(alice, pending.certify_id)
    with pytest.raises(PortTimeout):
        identity.start_alipay(alice, "李超时", ID_A)
    assert identity.identity(alice) is None


def test_provider_refusal_failure_and_timeout(
    identity: IdentityService, alice: str, counting: CountingPorts
) -> None:
    with pytest.raises(IdentityRejected) as rejected:
        identity.verify_cfca(alice, "王拒绝", ID_A)
    assert rejected.value.reason == "mismatch"
    with pytest.raises(PortTimeout):
        identity.verify_cfca(alice, "王超时", ID_A)
    with pytest.raises(PortUnavailable):
        identity.verify_bank_card(alice, "王故障", ID_A, CARD, "13912345678")
    assert identity.identity(alice) is None and counting.calls == 3
    identity.verify_cfca(alice, "王五", ID_A)  # nothing was recorded by the failures


def test_bad_input_never_reaches_a_provider(
    identity: IdentityService, alice: str, counting: CountingPorts
) -> None:
    with pytest.raises(InvalidResidentId):
        identity.verify_cfca(alice, "张三", "110105194912310021")
    with pytest.raises(InvalidBankCard):
        identity.verify_bank_card(alice, "张三", ID_A, "4111111111111112", "13912345678")
    with pytest.raises(InvalidPhone):
        identity.verify_bank_card(alice, "张三", ID_A, CARD, "12345")
    with pytest.raises(InvalidName):
        identity.verify_cfca(alice, "张三123", ID_A)
    with pytest.raises(InvalidResidentId):
        identity.start_alipay(alice, "张三", "99010519491231002X")
    assert counting.calls == 0


def test_one_identity_per_account_and_one_account_per_identity(
    identity: IdentityService, alice: str, phones: Phones, counting: CountingPorts
) -> None:
    identity.verify_cfca(alice, "张三", ID_A)
    calls = counting.calls
    with pytest.raises(AlreadyVerified):
        identity.verify_cfca(alice, "李四", ID_B)
    bob = new_account(phones, "13900139000")
    with pytest.raises(IdentityTaken):
        identity.verify_bank_card(bob, "张三", ID_A, CARD, "13912345678")
    with pytest.raises(IdentityTaken):
        identity.start_alipay(bob, "张三", ID_A)
    assert counting.calls == calls  # refused before asking anyone
    with pytest.raises(NotVerified):
        identity.check_matches(bob, "李四", ID_B)
    identity.verify_cfca(bob, "李四", ID_B)


def test_a_race_lost_at_insert_is_reported_not_crashed(
    identity: IdentityService, alice: str, phones: Phones
) -> None:
    bob = new_account(phones, "13900139000")
    started = identity.start_alipay(bob, "张三", ID_A)  # bob started first ...
    identity.verify_cfca(alice, "张三", ID_A)  # ... alice finished first
    with pytest.raises(IdentityTaken):
        identity.complete_alipay(bob, started.certify_id)
