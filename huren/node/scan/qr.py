"""QR images of a payload (segno: pure Python, no image library needed for PNG or SVG)."""

from __future__ import annotations

import io

import segno

SCALE = 6
BORDER = 4


def png(payload: str, *, scale: int = SCALE) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def svg(payload: str, *, scale: int = SCALE) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(
        out, kind="svg", scale=scale, border=BORDER, xmldecl=False
    )
    return out.getvalue()
