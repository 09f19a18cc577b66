"""The invoice as a one-page A4 PDF, drawn with Pillow in a CJK font (the seals' font
lookup: Debian's fonts-wqy-zenhei by default, ``HUREN_CJK_FONT`` to override)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from huren.node.billing.bills import CST
from huren.node.billing.money import format_yuan
from huren.node.seals.fonts import cjk_font

__all__ = ["InvoiceLine", "InvoiceSheet", "render_invoice_pdf"]

_DPI = 150
_WIDTH, _HEIGHT = 1240, 1754  # A4 at 150 dpi
_MARGIN = 90
_KIND_NAMES = {"new": "证书申领", "renewal": "证书续期", "reapplication": "重新申领"}


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    order_id: str
    ca_id: str
    kind: str
    years: int
    amount_fen: int
    paid_at: int


@dataclass(frozen=True, slots=True)
class InvoiceSheet:
    invoice_id: str
    issued_at: int
    title: str
    tax_number: str
    email: str
    lines: Sequence[InvoiceLine]

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


def _date(at: int) -> str:
    return dt.datetime.fromtimestamp(at, CST).strftime("%Y-%m-%d")


def render_invoice_pdf(sheet: InvoiceSheet) -> bytes:
    image = Image.new("RGB", (_WIDTH, _HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    title, body, small = cjk_font(44), cjk_font(24), cjk_font(20)
    ink, red = (20, 20, 20), (160, 30, 30)
    draw.text((_WIDTH // 2, _MARGIN), "电子发票（普通发票）", font=title, fill=red, anchor="mt")
    y = _MARGIN + 90
    for label, value in (
        ("发票号码", sheet.invoice_id),
        ("开票日期", _date(sheet.issued_at)),
        ("购买方名称", sheet.title),
        ("纳税人识别号", sheet.tax_number),
        ("接收邮箱", sheet.email),
    ):
        draw.text((_MARGIN, y), f"{label}：{value}", font=body, fill=ink)
        y += 44
    y += 20
    draw.line((_MARGIN, y, _WIDTH - _MARGIN, y), fill=red, width=2)
    y += 16
    columns = (_MARGIN, _MARGIN + 380, _MARGIN + 700, _WIDTH - _MARGIN)
    for x, text in zip(columns, ("订单号", "项目", "支付日期"), strict=False):
        draw.text((x, y), text, font=body, fill=ink)
    draw.text((columns[3], y), "金额（元）", font=body, fill=ink, anchor="ra")
    y += 44
    for line in sheet.lines:
        item = f"{line.ca_id} {_KIND_NAMES.get(line.kind, line.kind)} {line.years}年"
        draw.text((columns[0], y), line.order_id, font=small, fill=ink)
        draw.text((columns[1], y), item, font=small, fill=ink)
        draw.text((columns[2], y), _date(line.paid_at), font=small, fill=ink)
        draw.text((columns[3], y), format_yuan(line.amount_fen), font=small, fill=ink, anchor="ra")
        y += 36
    y += 10
    draw.line((_MARGIN, y, _WIDTH - _MARGIN, y), fill=red, width=2)
    y += 16
    total = f"价税合计：¥{format_yuan(sheet.total_fen)}"
    draw.text((columns[3], y), total, font=body, fill=ink, anchor="ra")
    draw.text(
        (_MARGIN, _HEIGHT - _MARGIN),
        "由 huren 节点出具的开票凭证；正式税务发票以税务平台开具为准。",
        font=small,
        fill=(110, 110, 110),
        anchor="lb",
    )
    out = io.BytesIO()
    image.save(out, "PDF", resolution=_DPI, title=f"发票 {sheet.invoice_id}", author="huren")
    return _fix_free_entry(out.getvalue())


def _fix_free_entry(pdf: bytes) -> bytes:
    """Pillow writes the head of the free list as generation 65536, which strict readers
    (pyHanko) refuse: the maximum is 65535 (PDF 32000-1, 7.5.4). Same length, same offsets."""
    bad, good = b"0000000000 65536 f \n", b"0000000000 65535 f \n"
    at = pdf.rfind(b"\nxref\n")  # the table, not "startxref"
    index = pdf.find(bad, at)
    if at < 0 or index < 0:
        return pdf
    return pdf[:index] + good + pdf[index + len(bad) :]
