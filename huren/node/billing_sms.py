"""Billing's ``SmsCodeVerifier`` over the accounts' SMS codes: a bank card is bound with a
code the accounts service sent to the card's reserved phone (purpose ``bind_bank_card``,
requested through ``POST /v1/auth/sms-codes``). Account code errors become billing's
``SmsCodeRejected``; a wrong try still counts towards the code's limit."""

from __future__ import annotations

from huren.node.accounts.codes import Purpose
from huren.node.accounts.errors import (
    CodeExpired,
    CodeNotRequested,
    CodeTriesExhausted,
    WrongCode,
)
from huren.node.accounts.service import AccountService
from huren.node.billing.errors import SmsCodeRejected

__all__ = ["AccountSmsCodes"]


class AccountSmsCodes:
    def __init__(self, accounts: AccountService) -> None:
        self._accounts = accounts

    def verify(self, phone: str, purpose: str, code: str) -> None:
        try:
            self._accounts.use_code(phone, Purpose(purpose), code)
        except ValueError as exc:  # an unknown purpose, or a phone the accounts refuse
            raise SmsCodeRejected(f"no SMS code serves this: {exc}") from None
        except (WrongCode, CodeNotRequested, CodeExpired, CodeTriesExhausted) as exc:
            raise SmsCodeRejected(str(exc)) from None
