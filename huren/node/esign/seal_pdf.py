"""Put a visible e-seal on a PDF: a seal image at a chosen place, signed by the split key.

Each call appends one incremental update (a new signature field with the seal image as its
appearance, and the CMS signature over every byte before the signature value), so earlier
seals stay valid: an enterprise seal, then the legal representative's seal, on one document.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError, PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.stamp import StaticStampStyle

from huren.node.esign.errors import EsignError, InvalidSealRequest, UnreadablePdf
from huren.node.esign.signer import SplitKeySigner

__all__ = ["SealPlacement", "seal_pdf", "seal_style"]

# PDF field names are free text, but they end up in the form tree and in reports: keep them
# plain and short.
_FIELD_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_MAX_SIDE_PT = 14_400.0  # PDF's implementation limit on page size (200 inches)


@dataclass(frozen=True, slots=True)
class SealPlacement:
    """Where the seal goes: a page (0 = first) and a box in PDF points from the lower left."""

    page: int
    x: float
    y: float
    width: float
    height: float

    def __post_init__(self) -> None:
        if self.page < 0:
            raise InvalidSealRequest("page index must be 0 or more")
        for name in ("x", "y", "width", "height"):
            value = getattr(self, name)
            if not math.isfinite(value) or not 0 <= value <= _MAX_SIDE_PT:
                raise InvalidSealRequest(f"{name} must be between 0 and {_MAX_SIDE_PT:g} points")
        if self.width < 1 or self.height < 1:
            raise InvalidSealRequest("the seal box must be at least 1 point wide and high")

    def box(self) -> tuple[int, int, int, int]:
        return (
            round(self.x),
            round(self.y),
            round(self.x + self.width),
            round(self.y + self.height),
        )


def _open_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    try:
        return IncrementalPdfFileWriter(io.BytesIO(pdf))
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise UnreadablePdf(f"not a readable PDF: {exc}") from exc


def _media_box(reader: PdfFileReader, page: int) -> tuple[float, float, float, float]:
    page_count = int(reader.root["/Pages"]["/Count"])
    if page >= page_count:
        raise InvalidSealRequest(f"page {page} does not exist (the document has {page_count})")
    page_ref, _resources = reader.find_page_for_modification(page)  # type: ignore[no-untyped-call]
    node = page_ref.get_object()
    # MediaBox is inheritable: walk up the page tree until a node has one.
    while "/MediaBox" not in node:
        if "/Parent" not in node:
            raise UnreadablePdf(f"page {page} has no MediaBox")
        node = node["/Parent"]
    x0, y0, x1, y1 = (float(v) for v in node["/MediaBox"])
    return x0, y0, x1, y1


class _ClockedPdfSigner(signers.PdfSigner):
    """pyHanko reads the signing time from the system clock; huren injects its clocks."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._signing_time
        return session


def _existing_field_names(reader: PdfFileReader) -> set[str]:
    names: set[str] = set()
    for name, _value, _ref in fields.enumerate_sig_fields(reader, filled_status=None):
        names.add(str(name))
    return names


def seal_style(seal_png: bytes) -> StaticStampStyle:
    """The visible seal's appearance: the PNG filling the box (centred, aspect kept)."""
    try:
        opened = Image.open(io.BytesIO(seal_png), formats=["PNG"])
        opened.load()
    except (OSError, Image.DecompressionBombError) as exc:
        raise InvalidSealRequest(f"seal image must be a readable PNG: {exc}") from exc
    image = opened.convert("RGBA")
    return StaticStampStyle(
        background=PdfImage(image),
        background_opacity=1.0,
        border_width=0,
        # The seal fills the box (centred, aspect kept): no default 5 pt margin.
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(0, 0, 0, 0),
        ),
    )


def seal_pdf(
    pdf: bytes,
    *,
    signer: SplitKeySigner,
    seal_png: bytes,
    placement: SealPlacement,
    field_name: str,
    signing_time: datetime,
    reason: str | None = None,
    location: str | None = None,
) -> bytes:
    """Return ``pdf`` with one more visible seal; the input bytes are kept as a prefix.

    ``signing_time`` (timezone-aware, from the caller's clock) becomes the CMS signing-time
    attribute and the signature dictionary's /M.
    """
    if signing_time.tzinfo is None:
        raise InvalidSealRequest("signing time must be timezone-aware")
    if not _FIELD_NAME.fullmatch(field_name):
        raise InvalidSealRequest("field name: 1-64 of A-Z a-z 0-9 _ . -")
    style = seal_style(seal_png)

    writer = _open_writer(pdf)
    reader = writer.prev
    try:
        x0, y0, x1, y1 = _media_box(reader, placement.page)
        existing = _existing_field_names(reader)
    except EsignError:
        raise
    except (PdfError, KeyError, TypeError, ValueError) as exc:
        raise UnreadablePdf(f"the PDF's page tree or form is malformed: {exc}") from exc
    if (
        placement.x < x0
        or placement.y < y0
        or placement.x + placement.width > x1
        or placement.y + placement.height > y1
    ):
        raise InvalidSealRequest(
            f"the seal box does not fit page {placement.page} ({x1 - x0:g}x{y1 - y0:g} pt)"
        )
    if field_name in existing:
        raise InvalidSealRequest(f"the document already has a field named {field_name!r}")

    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha512",  # what Ed25519 in CMS requires (RFC 8419)
        reason=reason,
        location=location,
    )
    pdf_signer = _ClockedPdfSigner(
        metadata,
        signer=signer,
        signing_time=signing_time,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name, on_page=placement.page, box=placement.box()
        ),
    )
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out)
    except PdfReadError as exc:  # structure problems pyHanko finds only while writing
        raise UnreadablePdf(f"the PDF cannot be sealed: {exc}") from exc
    return out.getvalue()
