"""Typed errors of the zones, each with its HTTP status and stable code (the API maps the
root, ``ZoneError``, in one place). ``problem_extra`` carries what a client acts on."""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyBound",
    "CertificateKeyUnavailable",
    "CertificateMismatch",
    "CertificateNotRecognized",
    "InvalidStatement",
    "NotBound",
    "NotCertificateHolder",
    "NotPlatformCenter",
    "PlatformRetired",
    "StatementExpired",
    "StatementMismatch",
    "StatementReplayed",
    "StatementSignatureInvalid",
    "UnknownCertificate",
    "UnknownPlatform",
    "ZoneError",
    "ZoneNotFound",
]


class ZoneError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "ZONE_ERROR"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.problem_extra: dict[str, Any] = extra


class InvalidStatement(ZoneError, ValueError):
    """Bytes that are not a canonical zone statement, or fields out of their form."""

    status = 422
    code = "INVALID_ZONE_STATEMENT"


class StatementMismatch(ZoneError):
    """A well-formed statement for something else: another action, account or chain."""

    status = 422
    code = "ZONE_STATEMENT_MISMATCH"


class StatementExpired(ZoneError):
    status = 422
    code = "ZONE_STATEMENT_EXPIRED"


class StatementReplayed(ZoneError):
    status = 409
    code = "ZONE_STATEMENT_REPLAYED"


class StatementSignatureInvalid(ZoneError):
    status = 403
    code = "ZONE_SIGNATURE_INVALID"


class UnknownPlatform(ZoneError):
    status = 404
    code = "UNKNOWN_PLATFORM"


class PlatformRetired(ZoneError):
    status = 409
    code = "PLATFORM_RETIRED"


class NotPlatformCenter(ZoneError):
    """Only the platform's center records its zone; this node acts for another center.
    (The contract's own refusal has the same code.)"""

    status = 403
    code = "NOT_PLATFORM_CENTER"


class UnknownCertificate(ZoneError):
    status = 404
    code = "UNKNOWN_CERTIFICATE"


class NotCertificateHolder(ZoneError):
    status = 403
    code = "NOT_CERTIFICATE_HOLDER"


class CertificateNotRecognized(ZoneError):
    status = 403
    code = "CERTIFICATE_NOT_RECOGNIZED"


class CertificateKeyUnavailable(ZoneError):
    """The node knows no public key for the certificate: present the certificate."""

    status = 422
    code = "CERTIFICATE_KEY_UNAVAILABLE"


class CertificateMismatch(ZoneError):
    """A presented certificate that is not the statement's, or carries no Ed25519 key."""

    status = 422
    code = "CERTIFICATE_MISMATCH"


class AlreadyBound(ZoneError):
    status = 409
    code = "ALREADY_BOUND"


class NotBound(ZoneError):
    status = 409
    code = "NOT_BOUND"


class ZoneNotFound(ZoneError):
    """Nothing of the caller's: unknown, or another holder's (the same answer)."""

    status = 404
    code = "ZONE_NOT_FOUND"
