"""Handwritten signatures (手写签名): a PNG with transparency, checked and normalized.

Checked: the bytes are a PNG by content (whatever the file was called), within the byte and
pixel limits, not animated, with an alpha channel (or a tRNS transparent colour) that is
really used: a good share of the image is transparent and some of it is ink.

Normalized: converted to RGBA, cropped to the ink plus a small margin, scaled down to at most
``MAX_SIDE`` pixels (never up), fully transparent pixels zeroed, re-encoded without metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from huren.node.seals.errors import InvalidHandwriting
from huren.node.seals.images import open_upload, to_png

__all__ = [
    "MAX_HANDWRITING_BYTES",
    "MAX_SIDE",
    "MIN_SIDE",
    "NormalizedHandwriting",
    "normalize_handwriting",
]

MAX_HANDWRITING_BYTES = 5 * 1024 * 1024
MAX_INPUT_SIDE = 6000
MIN_SIDE = 32
MAX_SIDE = 800
_MIN_TRANSPARENT_SHARE = 0.2  # a signature leaves most of its box empty
_MIN_INK_SHARE = 0.002
_INK_ALPHA = 128
_EMPTY_ALPHA = 16


@dataclass(frozen=True, slots=True)
class NormalizedHandwriting:
    png: bytes
    width: int
    height: int


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def normalize_handwriting(data: bytes) -> NormalizedHandwriting:
    image = open_upload(
        data,
        ("PNG",),
        InvalidHandwriting,
        max_bytes=MAX_HANDWRITING_BYTES,
        max_pixels=MAX_INPUT_SIDE * MAX_INPUT_SIDE,
    )
    if getattr(image, "is_animated", False):
        raise InvalidHandwriting("animated PNGs are not accepted")
    width, height = image.size
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_INPUT_SIDE:
        raise InvalidHandwriting(
            f"the image is {width}x{height}; sides must be {MIN_SIDE} to {MAX_INPUT_SIDE} pixels"
        )
    if not _has_transparency(image):
        raise InvalidHandwriting("the PNG has no transparency (alpha channel or tRNS)")
    rgba = np.array(image.convert("RGBA"))
    alpha = rgba[:, :, 3]
    if (alpha < _EMPTY_ALPHA).mean() < _MIN_TRANSPARENT_SHARE:
        raise InvalidHandwriting("the PNG's background is not transparent")
    ink = alpha >= _INK_ALPHA
    if ink.mean() < _MIN_INK_SHARE:
        raise InvalidHandwriting("the PNG holds no visible handwriting")

    ys, xs = np.nonzero(alpha >= _EMPTY_ALPHA)
    margin = max(2, round(0.04 * max(xs.max() - xs.min(), ys.max() - ys.min())))
    left, top = max(int(xs.min()) - margin, 0), max(int(ys.min()) - margin, 0)
    right, bottom = min(int(xs.max()) + margin + 1, width), min(int(ys.max()) + margin + 1, height)
    rgba = rgba[top:bottom, left:right]
    rgba[rgba[:, :, 3] == 0, :3] = 0  # hidden colour values carry nothing we want to keep
    out = Image.fromarray(rgba)
    if max(out.size) > MAX_SIDE:
        factor = MAX_SIDE / max(out.size)
        size = (max(1, round(out.width * factor)), max(1, round(out.height * factor)))
        out = out.resize(size, Image.Resampling.LANCZOS)
    return NormalizedHandwriting(png=to_png(out), width=out.width, height=out.height)
