"""What an enterprise change's choice of certificates can get wrong (each a 4xx with its
own code; all under ``ApplicationError``)."""

from __future__ import annotations

from huren.node.applications.errors import ApplicationError

__all__ = [
    "CertificateNotActive",
    "ChangeInProgress",
    "DuplicateCertificate",
    "HolderNotMember",
    "NoCertificatesChosen",
    "NotEnterpriseCertificate",
    "NothingChanged",
    "ReplacementPending",
]


class NoCertificatesChosen(ApplicationError, ValueError):
    status = 422
    code = "NO_CERTIFICATES_CHOSEN"


class DuplicateCertificate(ApplicationError, ValueError):
    status = 422
    code = "DUPLICATE_CERTIFICATE"


class NotEnterpriseCertificate(ApplicationError, ValueError):
    """Not a signing certificate issued to this enterprise (an enterprise or staff
    certificate of another enterprise, a personal one, an encryption certificate, none)."""

    status = 422
    code = "NOT_ENTERPRISE_CERTIFICATE"


class NothingChanged(ApplicationError, ValueError):
    """The name and USCC named are the enterprise's already."""

    status = 422
    code = "NOTHING_CHANGED"


class CertificateNotActive(ApplicationError):
    """Revoked, expired, or replaced already."""

    status = 409
    code = "CERTIFICATE_NOT_ACTIVE"


class HolderNotMember(ApplicationError):
    """The certificate's holder left the enterprise (or never was a member)."""

    status = 409
    code = "HOLDER_NOT_MEMBER"


class ReplacementPending(ApplicationError):
    """Another application replaces or renews this certificate already (past submission)."""

    status = 409
    code = "REPLACEMENT_PENDING"


class ChangeInProgress(ApplicationError):
    """Another change of the enterprise is with the CA, or approved and not yet paid."""

    status = 409
    code = "CHANGE_IN_PROGRESS"
