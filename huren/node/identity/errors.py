"""The identity package's errors: one root, ``IdentityError``; ``status`` and ``code`` are
how the API reports each."""

from __future__ import annotations

__all__ = [
    "AlreadyVerified",
    "CertificationExpired",
    "CertificationPending",
    "IdentityError",
    "IdentityMismatch",
    "IdentityRejected",
    "IdentityTaken",
    "InvalidName",
    "NotVerified",
    "UnknownCertification",
]


class IdentityError(Exception):
    status = 400
    code = "IDENTITY_ERROR"

    @property
    def headers(self) -> dict[str, str] | None:
        return None


class InvalidName(IdentityError, ValueError):
    status = 422
    code = "INVALID_NAME"


class AlreadyVerified(IdentityError):
    """The account has its verified identity already (one per account)."""

    status = 409
    code = "ALREADY_VERIFIED"


class IdentityTaken(IdentityError):
    """This ID number is the verified identity of another account (one account each)."""

    status = 409
    code = "IDENTITY_TAKEN"


class IdentityRejected(IdentityError):
    """The provider said no; ``reason`` is its reason (``mismatch``, ``phone_mismatch``,
    ``face_failed``, ...)."""

    status = 422
    code = "IDENTITY_REJECTED"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class UnknownCertification(IdentityError):
    status = 404
    code = "UNKNOWN_CERTIFICATION"


class CertificationPending(IdentityError):
    """The holder has not finished the face check in Alipay yet: ask again later."""

    status = 409
    code = "CERTIFICATION_PENDING"


class CertificationExpired(IdentityError):
    status = 409
    code = "CERTIFICATION_EXPIRED"


class NotVerified(IdentityError):
    status = 404
    code = "NOT_VERIFIED"


class IdentityMismatch(IdentityError):
    """The name and ID number given are not the account's verified identity."""

    status = 403
    code = "IDENTITY_MISMATCH"
