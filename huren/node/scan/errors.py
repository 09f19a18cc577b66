"""The scan flows' one exception root and its typed refusals (``status`` and ``code`` say how
the API reports each; docs/scan.md lists them)."""

from __future__ import annotations

from typing import Any


class ScanError(Exception):
    """Root of every refusal raised by ``huren.node.scan``."""

    status = 400
    code = "SCAN_ERROR"

    @property
    def problem_extra(self) -> dict[str, Any]:
        """Extension members of the API's problem JSON."""
        return {}


class InvalidScanRequest(ScanError, ValueError):
    """What a platform asked for is malformed (unknown action, bad digest, bad bind...)."""

    status = 422
    code = "INVALID_SCAN_REQUEST"


class UnknownScanRequest(ScanError):
    """No such request, or not the caller's (another platform's request, a wrong nonce)."""

    status = 404
    code = "UNKNOWN_SCAN_REQUEST"


class PayloadInvalid(ScanError):
    """A QR payload that does not parse or whose node signature does not verify."""

    status = 422
    code = "SCAN_PAYLOAD_INVALID"


class ScanExpired(ScanError):
    """The request (its challenge) expired before it was answered."""

    status = 410
    code = "SCAN_REQUEST_EXPIRED"


class AlreadyAnswered(ScanError):
    """The request was answered already: it is single use, a second answer is a replay."""

    status = 409
    code = "SCAN_REQUEST_USED"


class SignatureInvalid(ScanError):
    """The signature does not verify under the certificate's key over what was asked."""

    status = 422
    code = "SCAN_SIGNATURE_INVALID"


class CertificateInvalid(ScanError):
    """The certificate sent is not DER, not Ed25519, or not the one fingerprinted."""

    status = 422
    code = "SCAN_CERTIFICATE_INVALID"


class NotRecognized(ScanError):
    """The certificate is not recognized at the request's platform for its action."""

    status = 403
    code = "SCAN_CERTIFICATE_NOT_RECOGNIZED"

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons

    @property
    def problem_extra(self) -> dict[str, Any]:
        return {"reasons": self.reasons}


class BindMismatch(ScanError):
    """The certificate's subject is not the enterprise (name and USCC) the platform bound."""

    status = 403
    code = "SCAN_BIND_MISMATCH"


class SessionError(ScanError):
    """A signing session that is unknown, not the caller's, ended or expired."""

    status = 409
    code = "SCAN_SESSION_STATE"
