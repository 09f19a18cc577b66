"""The applications package's one exception root; ``status`` and ``code`` say how the API
reports each error (stable UPPER_SNAKE codes, listed in docs/applications.md)."""

from __future__ import annotations

__all__ = [
    "AlreadyIssued",
    "AlreadyPaid",
    "ApplicationError",
    "ApplicationNotFound",
    "AttachmentMislabelled",
    "AttachmentMissing",
    "AttachmentTooLarge",
    "AttachmentUnreadable",
    "CaNotAccepting",
    "CertificateNotHeld",
    "IllegalTransition",
    "InvalidApplication",
    "InvalidCsr",
    "InvalidKeyProof",
    "NotEnterpriseAdmin",
    "NotPaid",
    "PaymentUnavailable",
    "UnknownPlatform",
    "UnsupportedAttachment",
    "WrongKeyType",
]


class ApplicationError(Exception):
    """Root of the applications' errors."""

    status = 500
    code = "APPLICATION_ERROR"


class InvalidApplication(ApplicationError, ValueError):
    status = 422
    code = "INVALID_APPLICATION"


class ApplicationNotFound(ApplicationError):
    """No such application, or not the caller's (the same answer: no probing)."""

    status = 404
    code = "APPLICATION_NOT_FOUND"


class UnknownPlatform(ApplicationError):
    status = 404
    code = "UNKNOWN_PLATFORM"


class CaNotAccepting(ApplicationError):
    """The CA is unknown to the chain, suspended, or not served by this node."""

    status = 409
    code = "CA_NOT_ACCREDITED"


class IllegalTransition(ApplicationError):
    """The action is not legal in the application's state (see ``TRANSITIONS``)."""

    status = 409
    code = "ILLEGAL_TRANSITION"


class NotEnterpriseAdmin(ApplicationError):
    status = 403
    code = "NOT_ENTERPRISE_ADMIN"


class AttachmentMissing(ApplicationError):
    status = 422
    code = "ATTACHMENT_MISSING"


class AttachmentTooLarge(ApplicationError):
    status = 413
    code = "ATTACHMENT_TOO_LARGE"


class UnsupportedAttachment(ApplicationError):
    """The content is none of the formats this attachment accepts."""

    status = 415
    code = "UNSUPPORTED_ATTACHMENT"


class AttachmentMislabelled(ApplicationError):
    """The declared Content-Type says one format, the bytes are another."""

    status = 415
    code = "ATTACHMENT_MISLABELLED"


class AttachmentUnreadable(ApplicationError, ValueError):
    """The magic bytes match but the file does not decode (truncated, corrupt)."""

    status = 422
    code = "ATTACHMENT_UNREADABLE"


class AlreadyPaid(ApplicationError):
    status = 409
    code = "ALREADY_PAID"


class NotPaid(ApplicationError):
    status = 402
    code = "NOT_PAID"


class PaymentUnavailable(ApplicationError):
    """The node has no payment gateway: nothing can be paid (or refunded) here."""

    status = 503
    code = "BILLING_UNAVAILABLE"


class InvalidCsr(ApplicationError, ValueError):
    """Not a PKCS#10 request, or its signature does not verify."""

    status = 422
    code = "INVALID_CSR"


class WrongKeyType(ApplicationError, ValueError):
    status = 422
    code = "WRONG_KEY_TYPE"


class InvalidKeyProof(ApplicationError, ValueError):
    """The encryption key's binding signature does not verify under the signing key."""

    status = 422
    code = "INVALID_KEY_PROOF"


class AlreadyIssued(ApplicationError):
    """The application's certificates were issued for other keys."""

    status = 409
    code = "ALREADY_ISSUED"


class CertificateNotHeld(ApplicationError):
    status = 404
    code = "CERTIFICATE_NOT_HELD"
