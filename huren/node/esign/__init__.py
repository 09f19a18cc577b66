"""PDF e-seals: visible seal images signed with the holder's split Ed25519 key (pyHanko)."""

from __future__ import annotations

from huren.node.esign.errors import (
    EsignError,
    InvalidSealRequest,
    RawSignatureInvalid,
    SealedDocumentModified,
    SealNotIntact,
    SealNotTrusted,
    UnreadablePdf,
)
from huren.node.esign.frost_signer import FrostRawSigner, SigningParty
from huren.node.esign.seal_pdf import SealPlacement, seal_pdf
from huren.node.esign.signer import LocalEd25519RawSigner, RawEd25519Signer, SplitKeySigner
from huren.node.esign.verify import SealReport, verify_seals

__all__ = [
    "EsignError",
    "FrostRawSigner",
    "InvalidSealRequest",
    "LocalEd25519RawSigner",
    "RawEd25519Signer",
    "RawSignatureInvalid",
    "SealNotIntact",
    "SealNotTrusted",
    "SealPlacement",
    "SealReport",
    "SealedDocumentModified",
    "SigningParty",
    "SplitKeySigner",
    "UnreadablePdf",
    "seal_pdf",
    "verify_seals",
]
