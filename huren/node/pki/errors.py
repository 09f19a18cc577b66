"""The PKI's one exception root. ``status`` and ``code`` say how the API reports each
error (a stable UPPER_SNAKE code), as ``huren.node.recognition.RecognitionError`` does."""

from __future__ import annotations

__all__ = [
    "AlreadyRevoked",
    "CaKeyError",
    "CaNotAccredited",
    "CertificateNotCommitted",
    "InvalidIssuanceRequest",
    "InvalidSubject",
    "PkiError",
    "RequestConflict",
    "UnknownCa",
    "UnknownIssuedCertificate",
]


class PkiError(Exception):
    """Root of the PKI's errors."""

    status = 500
    code = "PKI_ERROR"


class UnknownCa(PkiError):
    """No CA of that id is loaded into this node."""

    status = 404
    code = "UNKNOWN_CA"


class CaNotAccredited(PkiError):
    """The CA (or its issuing key) is not accredited in the node's index of the chain."""

    status = 409
    code = "CA_NOT_ACCREDITED"


class CaKeyError(PkiError):
    """A CA's key or certificate files are missing, unreadable or do not match."""

    status = 500
    code = "CA_KEY_ERROR"


class InvalidSubject(PkiError, ValueError):
    """A certificate subject that a profile refuses (bad USCC, empty name, ...)."""

    status = 422
    code = "INVALID_SUBJECT"


class InvalidIssuanceRequest(PkiError, ValueError):
    """An approved issuance request that cannot be issued as it stands (key type, validity,
    scope, ...)."""

    status = 422
    code = "INVALID_ISSUANCE_REQUEST"


class RequestConflict(PkiError):
    """The request id was used before for a different request."""

    status = 409
    code = "ISSUANCE_REQUEST_CONFLICT"


class UnknownIssuedCertificate(PkiError):
    """This node issued no certificate with that fingerprint or serial."""

    status = 404
    code = "UNKNOWN_ISSUED_CERTIFICATE"


class CertificateNotCommitted(PkiError):
    """The certificate is issued but its record is not yet committed on chain."""

    status = 409
    code = "CERTIFICATE_NOT_COMMITTED"


class AlreadyRevoked(PkiError):
    """The certificate's revocation is recorded on chain already (revocation is final)."""

    status = 409
    code = "ALREADY_REVOKED"
