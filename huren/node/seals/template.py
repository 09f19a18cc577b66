"""The seal template (印章模板, 2.11.3.2.1) to print, stamp or sign, photograph and upload.

An A4 page at 100 dpi: a title, how to photograph it, and one square box (60 mm, as large as
common seals) in grey. Nothing on it is red, so the extraction (``seals.extract``) finds only
the ink put in the box.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw

from huren.node.seals.fonts import cjk_font

__all__ = ["TEMPLATE_BOX", "render_seal_template", "seal_template_pdf"]

_PAGE = (827, 1169)  # A4 at 100 dpi
_BOX_SIDE = 236  # 60 mm
TEMPLATE_BOX = (
    (_PAGE[0] - _BOX_SIDE) // 2,
    330,
    (_PAGE[0] + _BOX_SIDE) // 2,
    330 + _BOX_SIDE,
)  # left, top, right, bottom in page pixels
_GREY = (150, 150, 150)
_LINES = (
    "1. 打印本页，在下方框内加盖印章或签上姓名。",
    "2. 在光线均匀处拍照，印章完整、清晰，不被文字遮挡。",
    "3. 在【拍照上传】中上传照片，系统自动抠出印章。",
)


def render_seal_template() -> Image.Image:
    """The page as an RGB image (what the PDF holds)."""
    page = Image.new("RGB", _PAGE, "white")
    draw = ImageDraw.Draw(page)
    draw.text((_PAGE[0] // 2, 90), "电子印章模板", font=cjk_font(36), fill="black", anchor="mm")
    font = cjk_font(20)
    for i, line in enumerate(_LINES):
        draw.text((110, 160 + 40 * i), line, font=font, fill=(40, 40, 40))
    draw.rectangle(TEMPLATE_BOX, outline=_GREY, width=2)
    left, _top, right, bottom = TEMPLATE_BOX
    below = ((left + right) // 2, bottom + 28)
    draw.text(below, "盖章或签名处", font=font, fill=_GREY, anchor="mm")
    return page


@cache
def seal_template_pdf() -> bytes:
    out = io.BytesIO()
    render_seal_template().save(out, format="PDF", resolution=100.0)
    return out.getvalue()
