"""Errors of billing: one root, each with the API's status and stable code."""

from __future__ import annotations

__all__ = [
    "AlreadyInvoiced",
    "AlreadyPaid",
    "AmountMismatch",
    "BankRefused",
    "BankTimeout",
    "BillingError",
    "CardAlreadyBound",
    "CardNotFound",
    "GatewayRefused",
    "GatewayTimeout",
    "InvalidBillQuery",
    "InvalidCardNumber",
    "InvalidCardRequest",
    "InvalidInvoiceRequest",
    "InvalidMoney",
    "InvalidNotificationSignature",
    "InvalidOrderRequest",
    "InvalidOrderState",
    "InvalidPriceList",
    "InvalidTaxNumber",
    "InvoiceNotFound",
    "NotPaid",
    "NothingToInvoice",
    "OrderNotFound",
    "PaymentInProgress",
    "PriceNotFound",
    "RefundPending",
    "SmsCodeRejected",
    "UnknownPayment",
    "UnsupportedBank",
]


class BillingError(Exception):
    """Root of the billing errors; ``status`` and ``code`` are how the API reports them."""

    status = 400
    code = "BILLING_ERROR"


class InvalidMoney(BillingError, ValueError):
    status = 422
    code = "INVALID_AMOUNT"


class InvalidPriceList(BillingError, ValueError):
    status = 422
    code = "INVALID_PRICE_LIST"


class PriceNotFound(BillingError):
    """No price for this CA, kind and validity in the price list in force."""

    status = 404
    code = "PRICE_NOT_FOUND"


class InvalidBillQuery(BillingError, ValueError):
    """A bill listing's month or page that cannot be right."""

    status = 422
    code = "INVALID_BILL_QUERY"


class InvalidOrderRequest(BillingError, ValueError):
    status = 422
    code = "INVALID_ORDER_REQUEST"


class OrderNotFound(BillingError):
    status = 404
    code = "ORDER_NOT_FOUND"


class InvalidOrderState(BillingError):
    """The order's state does not allow this step (e.g. refunding an unpaid order)."""

    status = 409
    code = "INVALID_ORDER_STATE"


class AlreadyPaid(InvalidOrderState):
    code = "ALREADY_PAID"


class PaymentInProgress(InvalidOrderState):
    """The order's current payment is still pending at the gateway."""

    code = "PAYMENT_IN_PROGRESS"


class NotPaid(BillingError):
    """The certificate download needs a paid order for its application."""

    status = 402
    code = "NOT_PAID"


class AmountMismatch(BillingError):
    """A gateway reported an amount other than the order's: refused, nothing changes."""

    status = 422
    code = "AMOUNT_MISMATCH"


class InvalidNotificationSignature(BillingError):
    status = 401
    code = "INVALID_NOTIFICATION_SIGNATURE"


class UnknownPayment(BillingError):
    """A notification or query names a payment this node never started."""

    status = 404
    code = "UNKNOWN_PAYMENT"


class GatewayTimeout(BillingError):
    """The gateway did not answer in time: the request's fate is unknown until a query."""

    status = 504
    code = "GATEWAY_TIMEOUT"


class GatewayRefused(BillingError):
    status = 502
    code = "GATEWAY_REFUSED"


class RefundPending(BillingError):
    """A refund was sent but not confirmed (gateway timeout); refunding again is safe."""

    status = 504
    code = "REFUND_PENDING"


class InvalidTaxNumber(BillingError, ValueError):
    status = 422
    code = "INVALID_TAX_NUMBER"


class InvalidInvoiceRequest(BillingError, ValueError):
    status = 422
    code = "INVALID_INVOICE_REQUEST"


class NothingToInvoice(BillingError):
    """An order named is not paid, not the owner's, or unknown."""

    status = 409
    code = "ORDER_NOT_INVOICEABLE"


class AlreadyInvoiced(BillingError):
    status = 409
    code = "ALREADY_INVOICED"


class InvoiceNotFound(BillingError):
    status = 404
    code = "INVOICE_NOT_FOUND"


class InvalidCardNumber(BillingError, ValueError):
    """Not 15-19 digits, or the Luhn check digit is wrong."""

    status = 422
    code = "INVALID_CARD_NUMBER"


class InvalidCardRequest(BillingError, ValueError):
    """A holder name or reserved phone number that cannot be right."""

    status = 422
    code = "INVALID_CARD_REQUEST"


class UnsupportedBank(BillingError):
    status = 422
    code = "UNSUPPORTED_BANK"


class SmsCodeRejected(BillingError):
    status = 422
    code = "SMS_CODE_REJECTED"


class BankRefused(BillingError):
    """The bank refused the binding (name, card and reserved phone do not match)."""

    status = 422
    code = "BANK_REFUSED"


class BankTimeout(BillingError):
    status = 504
    code = "BANK_TIMEOUT"


class CardAlreadyBound(BillingError):
    status = 409
    code = "CARD_ALREADY_BOUND"


class CardNotFound(BillingError):
    status = 404
    code = "CARD_NOT_FOUND"
