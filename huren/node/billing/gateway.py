"""The payment gateway port (Alipay / WeChat Pay and the like) and the messages it speaks.

A real adapter maps these onto its gateway's API: create a payment for a merchant trade
number (ours, unique per attempt), query it, close it, refund it (idempotent per refund
number), and turn a notification's raw body and signature into a ``PaymentNotification`` -
verifying the gateway's signature first, raising ``InvalidNotificationSignature`` otherwise.
Calls that get no answer in time raise ``GatewayTimeout``: the request may or may not have
taken effect, and only a query tells.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = [
    "PaymentCreated",
    "PaymentGateway",
    "PaymentNotification",
    "PaymentQuery",
    "PaymentRequest",
    "PaymentStatus",
]


class PaymentStatus(StrEnum):
    PENDING = "pending"  # created, the payer has not paid (yet): WAIT_BUYER_PAY, NOTPAY
    SUCCEEDED = "succeeded"  # TRADE_SUCCESS, SUCCESS
    FAILED = "failed"  # PAYERROR: the payment was tried and refused
    CLOSED = "closed"  # TRADE_CLOSED, CLOSED: closed unpaid (expired or closed by us)


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    trade_no: str  # the merchant's trade number: unique per payment attempt
    amount_fen: int
    subject: str  # what the payer sees, e.g. "zjca 证书申领 1年"
    expires_at: int  # unix seconds: the gateway closes the trade unpaid after this


@dataclass(frozen=True, slots=True)
class PaymentCreated:
    trade_no: str
    gateway_trade_no: str
    pay_url: str  # what the app opens (a QR code's content, a deep link)


@dataclass(frozen=True, slots=True)
class PaymentQuery:
    trade_no: str
    gateway_trade_no: str | None
    status: PaymentStatus
    amount_fen: int


@dataclass(frozen=True, slots=True)
class PaymentNotification:
    """A verified asynchronous notification. The same ``notify_id`` may arrive again (the
    gateway retries until acknowledged), and notifications may arrive out of order."""

    notify_id: str
    trade_no: str
    gateway_trade_no: str
    status: PaymentStatus
    amount_fen: int
    at: int


class PaymentGateway(Protocol):
    @property
    def name(self) -> str: ...

    def create_payment(self, request: PaymentRequest) -> PaymentCreated:
        """Raises ``GatewayTimeout`` (fate unknown) or ``GatewayRefused``."""
        ...

    def query_payment(self, trade_no: str) -> PaymentQuery:
        """Raises ``UnknownPayment`` when the gateway never received the trade."""
        ...

    def close_payment(self, trade_no: str) -> PaymentQuery:
        """Close a pending trade so that it can no longer be paid; returns its final state
        (which may be SUCCEEDED if the payer paid first)."""
        ...

    def refund(self, trade_no: str, refund_no: str, amount_fen: int) -> None:
        """Refund a succeeded trade; the same ``refund_no`` again refunds nothing more."""
        ...

    def parse_notification(self, body: bytes, signature: str) -> PaymentNotification:
        """Verify and decode a notification; ``InvalidNotificationSignature`` if forged."""
        ...
