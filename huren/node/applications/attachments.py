"""Attachments: reading uploads by content, and the application form to print and stamp.

An upload is judged by its bytes, never by its name: the magic bytes say what it is
(PNG, JPEG or PDF), the declared Content-Type must agree (``application/octet-stream``
declares nothing), and the file must decode (images through the seals' bomb-safe reader,
PDFs through pyHanko's parser, which must find at least one page). The size limit sits below
the API's 1 MiB request-body limit.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from huren.node.applications.errors import (
    AttachmentMislabelled,
    AttachmentTooLarge,
    AttachmentUnreadable,
    UnsupportedAttachment,
)
from huren.node.applications.model import AttachmentKind
from huren.node.seals.fonts import cjk_font
from huren.node.seals.images import open_upload

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "CheckedUpload",
    "check_media",
    "check_upload",
    "render_form_pdf",
]

MAX_ATTACHMENT_BYTES = 900 * 1024
MAX_ATTACHMENT_PIXELS = 30_000_000
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
)
ACCEPTED: dict[AttachmentKind, frozenset[str]] = {
    AttachmentKind.BUSINESS_LICENCE: frozenset({"image/png", "image/jpeg"}),
    AttachmentKind.APPLICATION_FORM: frozenset({"image/png", "image/jpeg", "application/pdf"}),
}
_UNDECLARED = {"", "application/octet-stream"}


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    media_type: str
    data: bytes
    sha256: bytes


def sniff(data: bytes) -> str | None:
    return next((media for magic, media in _MAGIC if data.startswith(magic)), None)


def check_media(data: bytes, declared: str | None, accepted: frozenset[str], what: str) -> str:
    """The media type of an upload by its magic bytes, if it is within the size limit, one
    of ``accepted`` and agrees with the declared Content-Type; a typed error if not. (Also
    what seal uploads go through: one set of limits and codes for every upload.)"""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(f"an upload has at most {MAX_ATTACHMENT_BYTES} bytes")
    media = sniff(data)
    if media is None or media not in accepted:
        raise UnsupportedAttachment(
            f"a {what} is one of {', '.join(sorted(accepted))}"
            + ("" if media is None else f", not {media}")
        )
    label = (declared or "").split(";")[0].strip().lower()
    if label not in _UNDECLARED and label != media:
        raise AttachmentMislabelled(f"declared {label}, but the content is {media}")
    return media


def check_upload(kind: AttachmentKind, data: bytes, declared: str | None) -> CheckedUpload:
    """The upload if it is an acceptable, decodable file of ``kind``; a typed error if not."""
    media = check_media(data, declared, ACCEPTED[kind], kind.value)
    if media == "application/pdf":
        _check_pdf(data)
    else:
        formats = ("PNG",) if media == "image/png" else ("JPEG",)
        open_upload(
            data,
            formats,
            AttachmentUnreadable,
            max_bytes=MAX_ATTACHMENT_BYTES,
            max_pixels=MAX_ATTACHMENT_PIXELS,
        )
    return CheckedUpload(media, data, hashlib.sha256(data).digest())


def _check_pdf(data: bytes) -> None:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        pages = int(reader.root["/Pages"]["/Count"])
    except (PdfError, KeyError, TypeError, ValueError, OSError, IndexError) as exc:
        raise AttachmentUnreadable(f"not a readable PDF: {exc}") from exc
    if pages < 1:
        raise AttachmentUnreadable("the PDF has no pages")


def render_form_pdf(title: str, lines: list[tuple[str, str]]) -> bytes:
    """The application form (A4 at 100 dpi) to print, sign, stamp and scan back."""
    page = Image.new("RGB", (827, 1169), "white")
    draw = ImageDraw.Draw(page)
    draw.text((413, 80), title, font=cjk_font(34), fill="black", anchor="mm")
    font = cjk_font(20)
    y = 150
    for label, value in lines:
        draw.text((80, y), f"{label}：", font=font, fill="black")
        draw.text((300, y), value, font=font, fill="black")
        draw.line((300, y + 28, 747, y + 28), fill="gray")
        y += 48
    y += 40
    for label in ("申请人签字", "单位盖章", "日期"):
        draw.text((80, y), f"{label}：", font=font, fill="black")
        y += 90
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=100.0)
    return out.getvalue()
