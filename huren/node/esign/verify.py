"""Check every e-seal of a PDF with pyHanko's validator against the given trusted roots.

``verify_seals`` raises on the first seal that is not intact, not trusted, or followed by
changes beyond what a later seal may add (new signature fields with their appearance); it
returns one report per seal otherwise. Revocation is not checked here: the node answers that
from the chain's records (recognition), which pyHanko knows nothing about.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from huren.node.esign.errors import (
    SealedDocumentModified,
    SealNotIntact,
    SealNotTrusted,
    UnreadablePdf,
)
from huren.node.esign.signer import to_asn1

__all__ = ["SealReport", "verify_seals"]

# After a seal, a later seal's incremental update adds a signature field, its widget and its
# appearance: pyHanko grades that FORM_FILLING. Anything above is a change to the content.
_ALLOWED_AFTER_SEAL = ModificationLevel.FORM_FILLING


@dataclass(frozen=True, slots=True)
class SealReport:
    """One seal that verified: who sealed, and what changed after it."""

    field_name: str
    signer_subject: str
    signer_fingerprint_sha256: str
    signed_at: datetime | None
    intact: bool
    trusted: bool
    modification_level: str  # NONE, LTA_UPDATES or FORM_FILLING
    covers_entire_file: bool


def verify_seals(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    at: datetime,
) -> list[SealReport]:
    """Validate every signature in ``pdf`` at time ``at``; raise on the first failure."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise UnreadablePdf(f"not a readable PDF: {exc}") from exc
    if not embedded:
        raise SealNotIntact("the document carries no seal")
    reports: list[SealReport] = []
    roots = [to_asn1(root) for root in trust_roots]
    for sig in embedded:
        context = ValidationContext(trust_roots=roots, moment=at, allow_fetching=False)
        status = validate_pdf_signature(sig, context)
        name = str(sig.field_name)
        if not (status.intact and status.valid):
            raise SealNotIntact(f"seal {name!r}: the signed bytes or the signature do not match")
        if not status.trusted:
            raise SealNotTrusted(
                f"seal {name!r}: no valid path to a trusted root ({status.trust_problem_indic})"
            )
        level = status.modification_level
        if level is None or level > _ALLOWED_AFTER_SEAL or status.docmdp_ok is False:
            raise SealedDocumentModified(
                f"seal {name!r}: the document was changed after sealing ({level})"
            )
        cert = status.signing_cert
        reports.append(
            SealReport(
                field_name=name,
                signer_subject=cert.subject.human_friendly,
                signer_fingerprint_sha256=cert.sha256.hex(),
                signed_at=status.signer_reported_dt,
                intact=status.intact,
                trusted=status.trusted,
                modification_level=level.name,
                covers_entire_file=sig.coverage is not None and sig.coverage.name == "ENTIRE_FILE",
            )
        )
    return reports
