"""A deterministic payment gateway for development and tests, behaving like Alipay / WeChat
Pay: it creates trades, notifies asynchronously with Ed25519-signed JSON bodies, answers
queries, closes and refunds. What happens to each payment is scripted: ``script(...)`` queues
outcomes that the next ``create_payment`` calls take in order (default: ``SUCCEED``).

Notifications are not sent anywhere: they wait in ``outbox`` (body, signature) until the
test or the dev console delivers them (``take_outbox``), in any order, as often as wanted.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from huren.node.billing.errors import (
    GatewayRefused,
    GatewayTimeout,
    InvalidNotificationSignature,
    UnknownPayment,
)
from huren.node.billing.gateway import (
    PaymentCreated,
    PaymentNotification,
    PaymentQuery,
    PaymentRequest,
    PaymentStatus,
)

__all__ = ["Outcome", "SignedNotification", "SimulatedGateway"]


class Outcome(StrEnum):
    SUCCEED = "succeed"  # paid at once; one success notification
    FAIL = "fail"  # the payment is refused (e.g. insufficient balance); a failed notification
    DUPLICATE = "duplicate"  # paid; the success notification is sent twice (same notify_id)
    OUT_OF_ORDER = "out_of_order"  # paid; success notified first, a stale "pending" after it
    SILENT = "silent"  # paid, but no notification ever comes: only a query tells
    ABANDON = "abandon"  # the payer never pays: pending until closed
    TIMEOUT_PAID = "timeout_paid"  # create times out, yet the trade exists and gets paid
    TIMEOUT_LOST = "timeout_lost"  # create times out and the gateway never got the trade
    REFUSE = "refuse"  # create is refused outright (e.g. merchant misconfigured)
    WRONG_AMOUNT = "wrong_amount"  # paid, but the notification reports one fen less
    FORGED = "forged"  # paid; the notification's signature is not the gateway's
    REFUND_TIMEOUT = "refund_timeout"  # paid; the first refund call times out (yet refunds)
    REFUND_REFUSED = "refund_refused"  # paid; refunds are refused


@dataclass(frozen=True, slots=True)
class SignedNotification:
    body: bytes
    signature: str


@dataclass
class _Trade:
    request: PaymentRequest
    gateway_trade_no: str
    outcome: Outcome
    status: PaymentStatus
    refunded: set[str]
    refund_calls: int = 0


class SimulatedGateway:
    def __init__(self, *, seed: bytes = b"huren-dev-gateway", clock: Callable[[], int]) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest())
        self._forger = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"forger").digest())
        self.public_key: Ed25519PublicKey = self._key.public_key()
        self._clock = clock
        self._script: deque[Outcome] = deque()
        self._trades: dict[str, _Trade] = {}
        self.outbox: list[SignedNotification] = []
        self._notified = 0

    @property
    def name(self) -> str:
        return "simulator"

    def script(self, *outcomes: Outcome) -> None:
        self._script.extend(outcomes)

    def take_outbox(self) -> list[SignedNotification]:
        taken, self.outbox = self.outbox, []
        return taken

    # -- the port ---------------------------------------------------------------------------

    def create_payment(self, request: PaymentRequest) -> PaymentCreated:
        outcome = self._script.popleft() if self._script else Outcome.SUCCEED
        if outcome is Outcome.REFUSE:
            raise GatewayRefused("the simulator refused the trade (scripted REFUSE)")
        if outcome is Outcome.TIMEOUT_LOST:
            raise GatewayTimeout("the simulator did not answer (scripted TIMEOUT_LOST)")
        if request.trade_no in self._trades:
            raise GatewayRefused(f"duplicate merchant trade number {request.trade_no}")
        gateway_trade_no = "sim" + hashlib.sha256(request.trade_no.encode()).hexdigest()[:24]
        trade = _Trade(request, gateway_trade_no, outcome, PaymentStatus.PENDING, set())
        self._trades[request.trade_no] = trade
        self._play(trade)
        if outcome is Outcome.TIMEOUT_PAID:
            raise GatewayTimeout("the simulator did not answer (scripted TIMEOUT_PAID)")
        return PaymentCreated(request.trade_no, gateway_trade_no, f"simpay://{gateway_trade_no}")

    def query_payment(self, trade_no: str) -> PaymentQuery:
        trade = self._trade(trade_no)
        if trade.status is PaymentStatus.PENDING and self._clock() > trade.request.expires_at:
            trade.status = PaymentStatus.CLOSED  # the gateway closes unpaid trades itself
        return PaymentQuery(
            trade_no, trade.gateway_trade_no, trade.status, trade.request.amount_fen
        )

    def close_payment(self, trade_no: str) -> PaymentQuery:
        trade = self._trade(trade_no)
        if trade.status is PaymentStatus.PENDING:
            trade.status = PaymentStatus.CLOSED
        return self.query_payment(trade_no)

    def refund(self, trade_no: str, refund_no: str, amount_fen: int) -> None:
        trade = self._trade(trade_no)
        if trade.status is not PaymentStatus.SUCCEEDED:
            raise GatewayRefused(f"trade {trade_no} is {trade.status.value}, not refundable")
        if amount_fen != trade.request.amount_fen:
            raise GatewayRefused("the simulator refunds whole trades only")
        trade.refund_calls += 1
        if trade.outcome is Outcome.REFUND_REFUSED:
            raise GatewayRefused("refund refused (scripted REFUND_REFUSED)")
        trade.refunded.add(refund_no)  # idempotent per refund number
        if trade.outcome is Outcome.REFUND_TIMEOUT and trade.refund_calls == 1:
            raise GatewayTimeout("refund timed out (scripted REFUND_TIMEOUT)")

    def refunds_of(self, trade_no: str) -> frozenset[str]:
        return frozenset(self._trade(trade_no).refunded)

    def parse_notification(self, body: bytes, signature: str) -> PaymentNotification:
        try:
            self.public_key.verify(base64.b64decode(signature, validate=True), body)
            fields = json.loads(body)
            return PaymentNotification(
                notify_id=str(fields["notify_id"]),
                trade_no=str(fields["out_trade_no"]),
                gateway_trade_no=str(fields["trade_no"]),
                status=PaymentStatus(fields["status"]),
                amount_fen=int(fields["total_fen"]),
                at=int(fields["notify_time"]),
            )
        except (InvalidSignature, ValueError, KeyError, TypeError) as exc:
            raise InvalidNotificationSignature(
                "the notification is not signed by the gateway"
            ) from exc

    # -- behaviour --------------------------------------------------------------------------

    def _trade(self, trade_no: str) -> _Trade:
        trade = self._trades.get(trade_no)
        if trade is None:
            raise UnknownPayment(f"the gateway has no trade {trade_no}")
        return trade

    def _play(self, trade: _Trade) -> None:
        outcome = trade.outcome
        if outcome is Outcome.ABANDON:
            return
        if outcome is Outcome.FAIL:
            trade.status = PaymentStatus.FAILED
            self._notify(trade, PaymentStatus.FAILED)
            return
        trade.status = PaymentStatus.SUCCEEDED
        if outcome in (Outcome.SILENT, Outcome.TIMEOUT_PAID):
            return
        amount = trade.request.amount_fen - (1 if outcome is Outcome.WRONG_AMOUNT else 0)
        success = self._notify(trade, PaymentStatus.SUCCEEDED, amount=amount)
        if outcome is Outcome.DUPLICATE:
            self.outbox.append(success)
        elif outcome is Outcome.OUT_OF_ORDER:
            self._notify(trade, PaymentStatus.PENDING)
        elif outcome is Outcome.FORGED:
            self.outbox[-1] = self._sign(success.body, self._forger)

    def _notify(
        self, trade: _Trade, status: PaymentStatus, *, amount: int | None = None
    ) -> SignedNotification:
        self._notified += 1
        body = json.dumps(
            {
                "notify_id": f"n{self._notified}",
                "out_trade_no": trade.request.trade_no,
                "trade_no": trade.gateway_trade_no,
                "status": status.value,
                "total_fen": trade.request.amount_fen if amount is None else amount,
                "notify_time": self._clock(),
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        signed = self._sign(body, self._key)
        self.outbox.append(signed)
        return signed

    @staticmethod
    def _sign(body: bytes, key: Ed25519PrivateKey) -> SignedNotification:
        return SignedNotification(body, base64.b64encode(key.sign(body)).decode())
