"""Errors of PDF e-sealing: one root, each with the API's status and machine-readable code."""

from __future__ import annotations

__all__ = [
    "EsignError",
    "InvalidSealRequest",
    "RawSignatureInvalid",
    "SealNotIntact",
    "SealNotTrusted",
    "SealedDocumentModified",
    "UnreadablePdf",
]


class EsignError(Exception):
    """Root of the e-seal errors; ``status`` and ``code`` are how the API reports them."""

    status = 400
    code = "ESIGN_ERROR"


class InvalidSealRequest(EsignError, ValueError):
    """A placement, image, field name or certificate that cannot be used."""

    status = 422
    code = "INVALID_SEAL_REQUEST"


class UnreadablePdf(EsignError, ValueError):
    status = 422
    code = "UNREADABLE_PDF"


class RawSignatureInvalid(EsignError):
    """The raw signer (phone + co-signer) returned a signature the certificate's key rejects.

    Checked before the signature is embedded, so a broken split-key signing round never yields
    a PDF that looks sealed but fails every verifier.
    """

    status = 502
    code = "RAW_SIGNATURE_INVALID"


class SealNotIntact(EsignError):
    """The signed bytes changed after sealing, or the signature does not match them."""

    status = 422
    code = "SEAL_NOT_INTACT"


class SealNotTrusted(EsignError):
    """The signing certificate does not chain to a trusted root (or its chain is invalid)."""

    status = 422
    code = "SEAL_NOT_TRUSTED"


class SealedDocumentModified(EsignError):
    """Changes after a seal go beyond what a later seal may add."""

    status = 422
    code = "SEALED_DOCUMENT_MODIFIED"
