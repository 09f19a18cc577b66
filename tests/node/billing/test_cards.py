"""Bank cards: Luhn, supported banks by BIN, SMS code, the bank port's refusals and
timeouts, what is stored, list and unbind."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from huren.node.billing.bank_sim import DEV_BINS, BankOutcome, InMemorySmsCodes, SimulatedBank
from huren.node.billing.cards import (
    SMS_PURPOSE_BIND_CARD,
    SUPPORTED_BANKS,
    BankCards,
    luhn_valid,
    mask_card_number,
)
from huren.node.billing.errors import (
    BankRefused,
    BankTimeout,
    CardAlreadyBound,
    CardNotFound,
    InvalidCardNumber,
    InvalidCardRequest,
    SmsCodeRejected,
    UnsupportedBank,
)
from huren.node.billing.events import events_of
from huren.node.db.billing_tables import BankCardRow
from tests.node.billing.conftest import Clock

PHONE = "13800138000"


def with_check_digit(prefix: str) -> str:
    """``prefix`` plus the Luhn check digit that makes it valid."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


ICBC_CARD = with_check_digit("622202123456789012")  # 19 digits


class Env:
    def __init__(self, engine: Engine) -> None:
        self.bank = SimulatedBank()
        self.sms = InMemorySmsCodes()
        self.cards = BankCards(engine, self.bank, self.sms, Clock())
        self.engine = engine

    def add(self, card: str = ICBC_CARD, account: str = "acct-1", phone: str = PHONE):
        code = self.sms.issue(phone, SMS_PURPOSE_BIND_CARD)
        return self.cards.add(
            account, holder_name="张三", card_number=card, phone=phone, sms_code=code
        )


@pytest.fixture
def env(sqlite_engine: Engine) -> Env:
    return Env(sqlite_engine)


def test_luhn_vectors() -> None:
    # ISO/IEC 7812 examples: 79927398713 is the classic valid number; Visa's test card.
    assert luhn_valid("79927398713") and luhn_valid("4111111111111111")
    assert not luhn_valid("79927398710") and not luhn_valid("4111111111111112")


def test_every_supported_bank_binds_and_only_masks_are_stored(env: Env) -> None:
    assert set(DEV_BINS.values()) == set(SUPPORTED_BANKS)
    for i, (prefix, bank) in enumerate(DEV_BINS.items()):
        card = with_check_digit(f"{prefix}{i:012d}")
        bound = env.add(card)
        assert (bound.bank_code, bound.bank_name) == (bank, SUPPORTED_BANKS[bank])
        assert bound.masked_number == mask_card_number(card) == f"{card[:6]}*********{card[-4:]}"
        assert bound.masked_phone == "138****8000"
    assert len(env.cards.list("acct-1")) == len(DEV_BINS)
    with Session(env.engine) as session:
        rows = session.exec(select(BankCardRow)).all()
    stored = repr([r.model_dump() for r in rows])
    assert "012345678901" not in stored and PHONE not in stored  # no full numbers


@pytest.mark.parametrize(
    "card", [ICBC_CARD[:-1] + str((int(ICBC_CARD[-1]) + 1) % 10), "62220212345", "6222a21234567890"]
)
def test_bad_card_numbers(env: Env, card: str) -> None:
    with pytest.raises(InvalidCardNumber):
        env.add(card)


def test_unsupported_bank(env: Env) -> None:
    with pytest.raises(UnsupportedBank, match="招商银行"):
        env.add("4111111111111111")


def test_wrong_sms_code_binds_nothing(env: Env) -> None:
    env.sms.issue(PHONE, SMS_PURPOSE_BIND_CARD)
    with pytest.raises(SmsCodeRejected):
        env.cards.add(
            "acct-1", holder_name="张三", card_number=ICBC_CARD, phone=PHONE, sms_code="000000"
        )
    assert env.bank.bound == {} and env.cards.list("acct-1") == []


@pytest.mark.parametrize(("name", "phone"), [("", PHONE), ("张三", "1380013800"), ("张三", "2")])
def test_bad_name_or_phone(env: Env, name: str, phone: str) -> None:
    with pytest.raises(InvalidCardRequest):
        env.cards.add("acct-1", holder_name=name, card_number=ICBC_CARD, phone=phone, sms_code="1")


def test_bank_refusal_and_lost_timeout_store_nothing(env: Env) -> None:
    env.bank.script(BankOutcome.REFUSE, BankOutcome.TIMEOUT_LOST)
    with pytest.raises(BankRefused):
        env.add()
    with pytest.raises(BankTimeout):
        env.add()
    assert env.cards.list("acct-1") == [] and env.bank.bound == {}


def test_timeout_after_binding_then_retry_gets_the_same_binding(env: Env) -> None:
    env.bank.script(BankOutcome.TIMEOUT)
    with pytest.raises(BankTimeout):
        env.add()
    assert len(env.bank.bound) == 1  # the bank bound it
    card = env.add()  # the retry: same request id, same token
    assert len(env.bank.bound) == 1 and env.cards.list("acct-1") == [card]


def test_binding_a_card_twice(env: Env) -> None:
    env.add()
    with pytest.raises(CardAlreadyBound):
        env.add()
    other = env.add(account="acct-2")  # another account may bind the same card
    assert other.account_ref == "acct-2"


def test_unbind(env: Env) -> None:
    card = env.add()
    with pytest.raises(CardNotFound):
        env.cards.unbind("acct-2", card.card_id)
    env.bank.script(BankOutcome.TIMEOUT)
    with pytest.raises(BankTimeout):
        env.cards.unbind("acct-1", card.card_id)
    assert env.cards.list("acct-1") == [card]
    env.cards.unbind("acct-1", card.card_id)
    assert env.cards.list("acct-1") == [] and env.bank.bound == {}
    with Session(env.engine) as session:
        trail = [(e.action, e.to_state) for e in events_of(session, "card", card.card_id)]
    assert trail == [("bound", "bound"), ("unbound", "unbound")]
    with pytest.raises(CardNotFound):
        env.cards.unbind("acct-1", card.card_id)
