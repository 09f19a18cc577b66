"""Bank cards (银行卡管理): bind with name, card number, reserved phone and SMS code; list;
unbind. Only what is needed is stored: the masked number (first 6, last 4), the bank, the
holder's name, the masked phone, and the token the bank's port returns for the binding.

Two ports: ``BankCardPort`` (the banks, or an aggregator: identify the bank of a card,
bind, unbind) and ``SmsCodeVerifier`` (the accounts' SMS codes). Supported banks are the
manual's ten (2.18.3).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.billing.errors import (
    CardAlreadyBound,
    CardNotFound,
    InvalidCardNumber,
    InvalidCardRequest,
    UnsupportedBank,
)
from huren.node.billing.events import Clock, record
from huren.node.db.billing_tables import BankCardRow
from huren.node.db.engine import write_session

__all__ = [
    "SMS_PURPOSE_BIND_CARD",
    "SUPPORTED_BANKS",
    "BankCard",
    "BankCardPort",
    "BankCards",
    "BindRequest",
    "CardBinding",
    "SmsCodeVerifier",
    "luhn_valid",
    "mask_card_number",
]

SMS_PURPOSE_BIND_CARD = "bind_bank_card"
SUPPORTED_BANKS: Mapping[str, str] = {
    "ICBC": "中国工商银行",
    "CEB": "中国光大银行",
    "BOCOM": "交通银行",
    "CCB": "中国建设银行",
    "BOC": "中国银行",
    "CMBC": "中国民生银行",
    "ABC": "中国农业银行",
    "SPDB": "上海浦东发展银行",
    "PSBC": "中国邮政储蓄银行",
    "CMB": "招商银行",
}
_CARD = re.compile(r"[0-9]{15,19}")
_PHONE = re.compile(r"1[3-9][0-9]{9}")


def luhn_valid(digits: str) -> bool:
    """The Luhn (ISO/IEC 7812-1) check over a string of digits."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def normalize_card_number(text: str) -> str:
    value = text.replace(" ", "")
    if not _CARD.fullmatch(value):
        raise InvalidCardNumber("a card number has 15-19 digits")
    if not luhn_valid(value):
        raise InvalidCardNumber("the card number's check digit (Luhn) is wrong")
    return value


def mask_card_number(number: str) -> str:
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


class SmsCodeVerifier(Protocol):
    """The accounts' SMS codes: raises ``SmsCodeRejected`` unless ``code`` is the live code
    sent to ``phone`` for ``purpose`` (and uses it up)."""

    def verify(self, phone: str, purpose: str, code: str) -> None: ...


@dataclass(frozen=True, slots=True)
class BindRequest:
    request_id: str  # the same for a retry of the same card by the same account
    holder_name: str
    card_number: str
    phone: str


@dataclass(frozen=True, slots=True)
class CardBinding:
    token: str
    bank_code: str


class BankCardPort(Protocol):
    def identify(self, card_number: str) -> str | None:
        """The bank code of a card by its BIN (issuer prefix), or None."""
        ...

    def bind(self, request: BindRequest) -> CardBinding:
        """Check name, card and reserved phone with the bank; raises ``BankRefused`` or
        ``BankTimeout``. Idempotent per ``request_id``."""
        ...

    def unbind(self, token: str) -> None:
        """Raises ``BankTimeout``; unbinding an unknown token is not an error."""
        ...


@dataclass(frozen=True, slots=True)
class BankCard:
    card_id: str
    account_ref: str
    holder_name: str
    bank_code: str
    bank_name: str
    masked_number: str
    masked_phone: str
    bound_at: int


def _card(row: BankCardRow) -> BankCard:
    return BankCard(
        row.card_id, row.account_ref, row.holder_name, row.bank_code,
        SUPPORTED_BANKS.get(row.bank_code, row.bank_code), row.masked_number, row.masked_phone,
        row.bound_at,
    )  # fmt: skip


class BankCards:
    def __init__(
        self, engine: Engine, bank: BankCardPort, sms: SmsCodeVerifier, clock: Clock
    ) -> None:
        self._engine = engine
        self._bank = bank
        self._sms = sms
        self._clock = clock

    def add(
        self, account_ref: str, *, holder_name: str, card_number: str, phone: str, sms_code: str
    ) -> BankCard:
        name = holder_name.strip()
        if not 1 <= len(name) <= 60 or not name.isprintable():
            raise InvalidCardRequest("holder name: 1-60 printable characters")
        if not _PHONE.fullmatch(phone):
            raise InvalidCardRequest("the reserved phone is not a mainland mobile number")
        number = normalize_card_number(card_number)
        bank_code = self._bank.identify(number)
        if bank_code not in SUPPORTED_BANKS:
            raise UnsupportedBank(
                "this card's bank is not supported; supported: "
                + "、".join(SUPPORTED_BANKS.values())
            )
        self._sms.verify(phone, SMS_PURPOSE_BIND_CARD, sms_code)
        request_id = hashlib.sha256(f"{account_ref}\0{number}".encode()).hexdigest()[:32]
        binding = self._bank.bind(BindRequest(request_id, name, number, phone))
        now = self._clock()
        row = BankCardRow(
            card_id="card_" + secrets.token_hex(12), account_ref=account_ref, holder_name=name,
            bank_code=binding.bank_code, masked_number=mask_card_number(number),
            masked_phone=f"{phone[:3]}****{phone[-4:]}", card_token=binding.token, bound_at=now,
        )  # fmt: skip
        try:
            with write_session(self._engine) as session:
                session.add(row)
                record(
                    session, at=now, actor=account_ref, subject_kind="card",
                    subject_id=row.card_id, action="bound", to_state="bound",
                    detail=f"{row.bank_code} {row.masked_number}",
                )  # fmt: skip
                session.flush()
        except IntegrityError as exc:  # the bank gave this account's existing binding back
            raise CardAlreadyBound(f"{row.masked_number} is already bound") from exc
        return _card(row)

    def list(self, account_ref: str) -> list[BankCard]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(BankCardRow)
                .where(BankCardRow.account_ref == account_ref)
                .order_by(col(BankCardRow.bound_at), col(BankCardRow.card_id))
            ).all()
            return [_card(row) for row in rows]

    def unbind(self, account_ref: str, card_id: str) -> None:
        with Session(self._engine) as session:
            row = session.get(BankCardRow, card_id)
            if row is None or row.account_ref != account_ref:
                raise CardNotFound(f"no card {card_id}")
            token = row.card_token
        self._bank.unbind(token)  # first: a timeout leaves the card bound on both sides
        with write_session(self._engine) as session:
            current = session.get(BankCardRow, card_id, with_for_update=True)
            if current is None:
                return  # a concurrent unbind finished first
            session.delete(current)
            record(
                session, at=self._clock(), actor=account_ref, subject_kind="card",
                subject_id=card_id, action="unbound", from_state="bound", to_state="unbound",
                detail=f"{current.bank_code} {current.masked_number}",
            )  # fmt: skip
