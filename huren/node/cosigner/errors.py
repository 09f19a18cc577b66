"""The co-signer's one exception root and its typed refusals (``status`` and ``code`` say how
the API reports each, as for the key-splitting and recognition errors)."""

from __future__ import annotations

from typing import Any


class CosignerError(Exception):
    """Root of every refusal raised by ``huren.node.cosigner``."""

    status = 400
    code = "COSIGNER_ERROR"

    @property
    def problem_extra(self) -> dict[str, Any]:
        """Extension members of the API's problem JSON (machine-readable details)."""
        return {}


class InvalidRequest(CosignerError, ValueError):
    status = 422
    code = "INVALID_COSIGNER_REQUEST"


class TicketRefused(CosignerError):
    """Unknown, wrong, expired or already used enrolment ticket (one error for all)."""

    status = 403
    code = "ENROLMENT_TICKET_REFUSED"


class DeviceAuthFailed(CosignerError):
    """No valid device signature: unknown or revoked device, bad signature, stale clock."""

    status = 401
    code = "DEVICE_AUTH_FAILED"


class RequestReplayed(CosignerError):
    """A signed request whose nonce this device already used."""

    status = 409
    code = "REQUEST_REPLAYED"


class HolderMismatch(CosignerError):
    """A device belongs to one holder; a ticket or key of another holder is refused."""

    status = 403
    code = "HOLDER_MISMATCH"


class UnknownEnrolment(CosignerError):
    """No such enrolment of this device (another device's is reported the same way)."""

    status = 404
    code = "UNKNOWN_ENROLMENT"


class UnknownDevice(CosignerError):
    """No such device of the caller's holder."""

    status = 404
    code = "UNKNOWN_DEVICE"


class EnrolmentState(CosignerError):
    """The enrolment is not in the state the step needs (pending, finished, expired)."""

    status = 409
    code = "ENROLMENT_STATE"


class PinProofFailed(CosignerError):
    """The PIN proof is missing or does not verify; ``remaining`` tries are left."""

    status = 403
    code = "PIN_PROOF_FAILED"

    def __init__(self, message: str, remaining: int) -> None:
        super().__init__(message)
        self.remaining = remaining

    @property
    def problem_extra(self) -> dict[str, Any]:
        return {"remaining_tries": self.remaining}


class KeyLocked(CosignerError):
    """Too many consecutive PIN failures: the key is locked until identity is verified."""

    status = 423
    code = "KEY_LOCKED"


class CertificateNotBound(CosignerError):
    """The certificate is not bound to this enrolment (no certificate issued for its key yet,
    or another key's certificate)."""

    status = 409
    code = "CERTIFICATE_NOT_BOUND"


class CertificateMismatch(CosignerError):
    """A certificate offered for binding does not carry the enrolment's group key."""

    status = 422
    code = "CERTIFICATE_MISMATCH"


class NotRecognized(CosignerError):
    """The certificate is not recognized at the platform for the action; ``reasons`` says why."""

    status = 403
    code = "CERTIFICATE_NOT_RECOGNIZED"

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons

    @property
    def problem_extra(self) -> dict[str, Any]:
        return {"reasons": self.reasons}


class UnknownSigning(CosignerError):
    """Round two names a signing that round one did not start, or that expired."""

    status = 404
    code = "UNKNOWN_SIGNING"
