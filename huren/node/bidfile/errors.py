"""The bid-file service's errors: one root, a typed error for every way a file can be bad.

``status`` and ``code`` say how an API would report each (the service knows nothing of HTTP
beyond these two values), as in ``huren.node.recognition``.
"""

from __future__ import annotations

__all__ = [
    "BidFileError",
    "ChunkAuthenticationFailed",
    "EmptyFinalChunk",
    "FileTooLarge",
    "HeaderAuthenticationFailed",
    "InvalidChunkSize",
    "InvalidEncapsulation",
    "KeyCertificateMismatch",
    "KeyUnwrapFailed",
    "MalformedHeader",
    "NotABidFile",
    "NotARecipient",
    "NotAnEncryptionCertificate",
    "PayloadError",
    "RecipientNotRecognized",
    "TooManyRecipients",
    "TrailingData",
    "TruncatedFile",
    "UnsupportedSuite",
    "UnsupportedVersion",
    "UnusableKey",
]


class BidFileError(Exception):
    """Root of the bid-file errors."""

    status = 400
    code = "BID_FILE_ERROR"


# -- building a file ---------------------------------------------------------------------------


class NotAnEncryptionCertificate(BidFileError, ValueError):
    """The certificate does not hold an X25519 key (or is no certificate at all)."""

    status = 422
    code = "NOT_AN_ENCRYPTION_CERTIFICATE"


class TooManyRecipients(BidFileError, ValueError):
    """None, more than ``MAX_RECIPIENTS``, or the same certificate twice."""

    status = 422
    code = "BAD_RECIPIENT_LIST"


class InvalidChunkSize(BidFileError, ValueError):
    """A chunk size outside the format's limits was asked for."""

    status = 422
    code = "INVALID_CHUNK_SIZE"


class KeyCertificateMismatch(BidFileError, ValueError):
    """The private key given is not the one whose public key the certificate holds."""

    status = 422
    code = "KEY_CERTIFICATE_MISMATCH"


class UnusableKey(BidFileError, ValueError):
    """The private key does not load: not PKCS#8, not X25519, or its password is missing or
    wrong."""

    status = 422
    code = "UNUSABLE_KEY"


class FileTooLarge(BidFileError):
    """More chunks than the 32-bit chunk counter can number."""

    status = 413
    code = "BID_FILE_TOO_LARGE"


class RecipientNotRecognized(BidFileError):
    """A recipient certificate is not recognized for ``encrypt`` at the platform;
    ``refusals`` maps each refused fingerprint to its reason codes."""

    status = 422
    code = "RECIPIENT_NOT_RECOGNIZED"

    def __init__(self, platform_id: str, refusals: dict[bytes, list[str]]) -> None:
        self.platform_id = platform_id
        self.refusals = refusals
        listed = "; ".join(f"{fp.hex()}: {', '.join(r)}" for fp, r in refusals.items())
        super().__init__(f"not recognized for encrypt at {platform_id}: {listed}")


# -- reading the header ------------------------------------------------------------------------


class NotABidFile(BidFileError):
    """The magic bytes are not there."""

    code = "NOT_A_BID_FILE"


class UnsupportedVersion(BidFileError):
    code = "UNSUPPORTED_BID_FILE_VERSION"


class UnsupportedSuite(BidFileError):
    code = "UNSUPPORTED_BID_FILE_SUITE"


class MalformedHeader(BidFileError):
    """A header field is out of its range, repeated, or the header ends early."""

    code = "MALFORMED_BID_FILE_HEADER"


class NotARecipient(BidFileError):
    """The key's certificate is not among the file's recipients."""

    status = 403
    code = "NOT_A_RECIPIENT"


class InvalidEncapsulation(BidFileError):
    """The encapsulated key is not a usable X25519 point (the DH output is all zero)."""

    code = "INVALID_ENCAPSULATION"


class KeyUnwrapFailed(BidFileError):
    """The content key wrapped for this certificate does not open: the wrong private key, or
    the recipient entry (or the header fields it is bound to) was changed."""

    code = "KEY_UNWRAP_FAILED"


class HeaderAuthenticationFailed(BidFileError):
    """The header's MAC does not verify under the content key: a header field was changed
    (another recipient's entry, say) or the header was spliced from another file."""

    code = "HEADER_AUTHENTICATION_FAILED"


# -- reading the chunks ------------------------------------------------------------------------


class PayloadError(BidFileError):
    """Something is wrong at chunk ``index``. Everything written before it came from
    authenticated chunks, but the output as a whole is INVALID: discard it."""

    code = "BID_FILE_PAYLOAD_ERROR"

    def __init__(self, index: int, message: str) -> None:
        self.index = index
        super().__init__(f"chunk {index}: {message}; the output is invalid as a whole")


class ChunkAuthenticationFailed(PayloadError):
    """A chunk does not authenticate at its position: changed, reordered, spliced from
    another file, or cut short in its middle."""

    code = "CHUNK_AUTHENTICATION_FAILED"


class TruncatedFile(PayloadError):
    """The file ends on a chunk sealed as not final: chunks were cut off its end (or the
    file ends inside the header, or has no chunk at all)."""

    code = "TRUNCATED_BID_FILE"


class TrailingData(PayloadError):
    """A chunk sealed as final is followed by more data."""

    code = "BID_FILE_TRAILING_DATA"


class EmptyFinalChunk(PayloadError):
    """An empty final chunk after others: never written by the encryptor (non-canonical)."""

    code = "BID_FILE_EMPTY_FINAL_CHUNK"
