"""Account SMS codes confirm a bank card's binding (billing's ``SmsCodeVerifier`` through
``AccountSmsCodes``): single use, their own purpose, wrong tries counted, expiry; every
account code error becomes billing's ``SmsCodeRejected``."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from huren.node.accounts import Purpose
from huren.node.accounts.codes import CODE_TTL_S, MAX_TRIES
from huren.node.billing.cards import SMS_PURPOSE_BIND_CARD
from huren.node.billing.errors import SmsCodeRejected
from huren.node.billing_sms import AccountSmsCodes
from huren.node.db.accounts_tables import SmsCode
from huren.node.ports.simulators import SimulatedSms
from tests.node.accounts.conftest import FakeClock, Phones

RESERVED = "13900139000"


def test_a_bind_card_code_verifies_once(phones: Phones) -> None:
    verifier = AccountSmsCodes(phones.accounts)
    code = phones.code(RESERVED, Purpose.BIND_BANK_CARD)
    assert Purpose.BIND_BANK_CARD.value == SMS_PURPOSE_BIND_CARD
    sms = phones.accounts.ports.sms
    assert isinstance(sms, SimulatedSms) and "绑定银行卡" in sms.outbox(RESERVED)[0].text
    verifier.verify(RESERVED, SMS_PURPOSE_BIND_CARD, code)
    with pytest.raises(SmsCodeRejected):
        verifier.verify(RESERVED, SMS_PURPOSE_BIND_CARD, code)


def test_wrong_tries_are_counted_then_the_code_is_dead(phones: Phones, db: Engine) -> None:
    verifier = AccountSmsCodes(phones.accounts)
    code = phones.code(RESERVED, Purpose.BIND_BANK_CARD)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(MAX_TRIES):
        with pytest.raises(SmsCodeRejected, match="tries left"):
            verifier.verify(RESERVED, SMS_PURPOSE_BIND_CARD, wrong)
    with Session(db) as session:  # committed although the verification raised
        assert session.exec(select(SmsCode)).one().attempts == MAX_TRIES
    with pytest.raises(SmsCodeRejected):
        verifier.verify(RESERVED, SMS_PURPOSE_BIND_CARD, code)


def test_other_purposes_expiry_and_unknown_purposes_are_rejected(
    phones: Phones, clock: FakeClock
) -> None:
    verifier = AccountSmsCodes(phones.accounts)
    login = phones.code(RESERVED, Purpose.LOGIN)
    with pytest.raises(SmsCodeRejected):
        verifier.verify(RESERVED, SMS_PURPOSE_BIND_CARD, login)
    with pytest.raises(SmsCodeRejected):
        verifier.verify(RESERVED, "no_such_purpose", login)
    clock.advance(61)
    code = phones.code(RESERVED, Purpose.BIND_BANK_CARD)
    clock.advance(CODE_TTL_S)
    with pytest.raises(SmsCodeRejected, match="expired"):
        verifier.verify(RESERVED, SMS_PURPOSE_BIND_CARD, code)
