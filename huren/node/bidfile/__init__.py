"""Bid files encrypted once to several encryption certificates (多证书加密投标文件).

``encrypt`` writes a versioned header with one HPKE-wrapped content key per recipient
certificate, then the content in AES-256-GCM STREAM chunks; ``decrypt`` opens it with any one
recipient's key, given as a ``Decapsulator`` (whole or split). The format is in
``docs/bidfile.md``. The policy over the node's recognition index is in
``huren.node.bidfile.policy`` (not imported here: it needs the database layer).
"""

from __future__ import annotations

from huren.node.bidfile.errors import (
    BidFileError,
    ChunkAuthenticationFailed,
    EmptyFinalChunk,
    FileTooLarge,
    HeaderAuthenticationFailed,
    InvalidChunkSize,
    InvalidEncapsulation,
    KeyCertificateMismatch,
    KeyUnwrapFailed,
    MalformedHeader,
    NotABidFile,
    NotAnEncryptionCertificate,
    NotARecipient,
    PayloadError,
    RecipientNotRecognized,
    TooManyRecipients,
    TrailingData,
    TruncatedFile,
    UnsupportedSuite,
    UnsupportedVersion,
    UnusableKey,
)
from huren.node.bidfile.header import DEFAULT_CHUNK_SIZE, Header, RecipientEntry, read_header
from huren.node.bidfile.recipients import (
    Decapsulator,
    LocalX25519Decapsulator,
    Recipient,
    RecipientPolicy,
    load_certificate,
)
from huren.node.bidfile.stream import (
    DecryptionSummary,
    EncryptionSummary,
    OpenedHeader,
    Randomness,
    SystemRandomness,
    decrypt,
    decrypt_payload,
    encrypt,
    open_header,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BidFileError",
    "ChunkAuthenticationFailed",
    "Decapsulator",
    "DecryptionSummary",
    "EmptyFinalChunk",
    "EncryptionSummary",
    "FileTooLarge",
    "Header",
    "HeaderAuthenticationFailed",
    "InvalidChunkSize",
    "InvalidEncapsulation",
    "KeyCertificateMismatch",
    "KeyUnwrapFailed",
    "LocalX25519Decapsulator",
    "MalformedHeader",
    "NotABidFile",
    "NotARecipient",
    "NotAnEncryptionCertificate",
    "OpenedHeader",
    "PayloadError",
    "Randomness",
    "Recipient",
    "RecipientEntry",
    "RecipientNotRecognized",
    "RecipientPolicy",
    "SystemRandomness",
    "TooManyRecipients",
    "TrailingData",
    "TruncatedFile",
    "UnsupportedSuite",
    "UnsupportedVersion",
    "UnusableKey",
    "decrypt",
    "decrypt_payload",
    "encrypt",
    "load_certificate",
    "open_header",
    "read_header",
]
