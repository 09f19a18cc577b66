"""Deterministic dev simulators of the bank-card port and of SMS codes.

``SimulatedBank`` knows the card BINs below (issuer prefixes of the ten supported banks'
debit cards, as commonly published; a dev table, not an authoritative BIN list) and
answers a scripted outcome per ``bind``/``unbind`` call (``script(...)``; default ``OK``):
``REFUSE`` (name, card and phone do not match), ``TIMEOUT`` (the bank did it but the answer
was lost: a retry with the same request id gets the same token) and ``TIMEOUT_LOST`` (the
request never arrived).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Mapping
from enum import StrEnum

from huren.node.billing.cards import BindRequest, CardBinding
from huren.node.billing.errors import BankRefused, BankTimeout, SmsCodeRejected

__all__ = ["DEV_BINS", "BankOutcome", "InMemorySmsCodes", "SimulatedBank"]

DEV_BINS: Mapping[str, str] = {
    "622202": "ICBC", "621226": "ICBC",
    "622660": "CEB", "622666": "CEB",
    "622260": "BOCOM", "622262": "BOCOM",
    "621700": "CCB", "436742": "CCB",
    "621661": "BOC", "456351": "BOC",
    "622622": "CMBC", "415599": "CMBC",
    "622848": "ABC", "622845": "ABC",
    "622521": "SPDB", "622518": "SPDB",
    "621799": "PSBC", "622188": "PSBC",
    "622588": "CMB", "621483": "CMB",
}  # fmt: skip


class BankOutcome(StrEnum):
    OK = "ok"
    REFUSE = "refuse"
    TIMEOUT = "timeout"
    TIMEOUT_LOST = "timeout_lost"


class SimulatedBank:
    def __init__(self, bins: Mapping[str, str] = DEV_BINS) -> None:
        self._bins = dict(bins)
        self._script: deque[BankOutcome] = deque()
        self.bound: dict[str, str] = {}  # token -> bank code
        self._tokens: dict[str, str] = {}  # request id -> token

    def script(self, *outcomes: BankOutcome) -> None:
        self._script.extend(outcomes)

    def _next(self) -> BankOutcome:
        return self._script.popleft() if self._script else BankOutcome.OK

    def identify(self, card_number: str) -> str | None:
        return self._bins.get(card_number[:6])

    def bind(self, request: BindRequest) -> CardBinding:
        outcome = self._next()
        if outcome is BankOutcome.TIMEOUT_LOST:
            raise BankTimeout("the bank did not answer (scripted TIMEOUT_LOST)")
        if outcome is BankOutcome.REFUSE:
            raise BankRefused("the bank refused: name, card and reserved phone do not match")
        bank = self.identify(request.card_number)
        if bank is None:
            raise BankRefused("the bank does not know this card")
        token = self._tokens.setdefault(
            request.request_id, "tok_" + hashlib.sha256(request.request_id.encode()).hexdigest()
        )
        self.bound[token] = bank
        if outcome is BankOutcome.TIMEOUT:
            raise BankTimeout("the bank did not answer (scripted TIMEOUT; it did bind)")
        return CardBinding(token, bank)

    def unbind(self, token: str) -> None:
        outcome = self._next()
        if outcome in (BankOutcome.TIMEOUT, BankOutcome.TIMEOUT_LOST):
            raise BankTimeout("the bank did not answer the unbind (scripted)")
        if outcome is BankOutcome.REFUSE:
            raise BankRefused("the bank refused the unbind (scripted)")
        self.bound.pop(token, None)


class InMemorySmsCodes:
    """SMS codes for tests and dev: ``issue`` returns the code 'sent'; ``verify`` accepts it
    once for the same phone and purpose."""

    def __init__(self) -> None:
        self._codes: dict[tuple[str, str], str] = {}
        self._sent = 0

    def issue(self, phone: str, purpose: str) -> str:
        self._sent += 1
        code = f"{(self._sent * 7919 + 100_000) % 1_000_000:06d}"
        self._codes[(phone, purpose)] = code
        return code

    def verify(self, phone: str, purpose: str, code: str) -> None:
        expected = self._codes.get((phone, purpose))
        if expected is None or expected != code:
            raise SmsCodeRejected("the SMS code is wrong or was not sent to this phone")
        del self._codes[(phone, purpose)]
