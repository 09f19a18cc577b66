"""Finding a CJK font by path: seal text is Chinese, and Pillow's own font has no such glyphs.

The Debian package ``fonts-wqy-zenhei`` (installed by scripts/install.sh) is the default; Noto
CJK and WenQuanYi Micro Hei are accepted when present. ``HUREN_CJK_FONT`` names another file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from huren.node.seals.errors import CjkFontMissing

__all__ = ["CJK_FONT_CANDIDATES", "CJK_FONT_PACKAGE", "cjk_font", "find_cjk_font"]

CJK_FONT_PACKAGE = "fonts-wqy-zenhei"
CJK_FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)


def find_cjk_font(candidates: tuple[Path, ...] = CJK_FONT_CANDIDATES) -> Path:
    """The first CJK font file that exists; ``HUREN_CJK_FONT`` wins when it is set."""
    override = os.environ.get("HUREN_CJK_FONT")
    if override:
        path = Path(override)
        if not path.is_file():
            raise CjkFontMissing(f"HUREN_CJK_FONT={override} is not a file")
        return path
    for path in candidates:
        if path.is_file():
            return path
    looked = ", ".join(str(p) for p in candidates)
    raise CjkFontMissing(
        f"no CJK font found (looked at {looked}); install the Debian package "
        f"{CJK_FONT_PACKAGE} (apt-get install {CJK_FONT_PACKAGE}) or set HUREN_CJK_FONT"
    )


@lru_cache(maxsize=32)
def _load(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size=size)


def cjk_font(size: int, path: Path | None = None) -> ImageFont.FreeTypeFont:
    """A CJK font at ``size`` pixels (cached: loading a .ttc costs milliseconds)."""
    return _load(path or find_cjk_font(), size)
