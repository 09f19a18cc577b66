"""Extracting a seal from a photo of a stamped page (抠章) into a transparent PNG.

The steps (docs/seals.md explains them and their limits):

1. Decode by content (JPEG, PNG or WebP), apply the EXIF orientation, and work at most
   ``WORK_SIDE`` pixels on the long side.
2. Estimate the paper's colour at every pixel (a max filter on a small copy, which ink strokes
   cannot survive, then a blur) and divide it out per channel. This removes uneven light,
   shadows and a colour cast, and turns every pixel into the ink's transmission: paper is 1,
   red ink has red near 1 and green/blue low, black print is low everywhere.
3. Redness = red - max(green, blue) of the normalized pixel. Red ink scores high, paper, black
   text and grey shadows score near 0; where black text crosses the seal both are absorbed and
   the pixel is (correctly) not seal.
4. Hysteresis: pixels above ``STRONG`` seed the mask, which grows into pixels above ``WEAK``
   next to it; isolated specks (fewer than a few ink neighbours) are dropped.
5. The mask is coarsened into blocks, nearby blocks are joined, and the connected group with
   the most ink is the seal; the output is cropped to it.
6. The PNG has one ink colour (the median of the seal's strong pixels) and an alpha that
   follows the ink density up to the seal's median redness (opaque from there), so the
   extracted seal looks stamped, not cut out, whether the ink was bright red or crimson.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

from huren.node.seals.errors import NoSealFound, UnreadablePhoto
from huren.node.seals.images import open_upload, to_png

__all__ = ["STRONG", "WEAK", "WORK_SIDE", "ExtractedSeal", "extract_seal"]

FloatArray = npt.NDArray[np.floating[Any]]
BoolArray = npt.NDArray[np.bool_]

WORK_SIDE = 1600
STRONG = 0.18  # redness of ink that is certainly seal
WEAK = 0.07  # redness that counts when it touches strong ink (faint edges, thin strokes)
_BLOCK = 8
_MIN_SEAL_SIDE = 32  # pixels at working size
_MIN_SEAL_SHARE = 0.0005  # of the photo's pixels


@dataclass(frozen=True, slots=True)
class ExtractedSeal:
    """The seal as a transparent PNG and where it was: ``box`` in the photo's pixels
    (left, top, right, bottom, after EXIF orientation), ``scale`` = output px per photo px."""

    png: bytes
    box: tuple[int, int, int, int]
    scale: float
    ink_rgb: tuple[int, int, int]


def _paper(rgb: FloatArray) -> FloatArray:
    """Per-pixel paper colour: what is left when ink is filtered out, smoothly varying."""
    h, w, _ = rgb.shape
    factor = max(1, max(h, w) // 96)
    small = Image.fromarray((rgb * 255).astype(np.uint8)).reduce(factor)
    # Strokes narrower than the filter vanish under a max filter (paper is the brightest).
    small = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(2))
    paper = np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32) / 255
    return np.maximum(paper, 1 / 255)


def _smooth(values: FloatArray) -> FloatArray:
    """A slight blur: sensor noise and JPEG's 2x2 colour blocks make ink edges speckled."""
    # Separable [1 2 1] / 4 binomial kernel (a Gaussian of sigma ~0.7), edges replicated.
    p = np.pad(values, 1, mode="edge")
    rows = (p[:-2, :] + 2 * p[1:-1, :] + p[2:, :]) / 4
    return ((rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]) / 4).astype(np.float32)


def _grow(seeds: BoolArray, allowed: BoolArray, rounds: int = 4) -> BoolArray:
    grown = seeds & allowed
    for _ in range(rounds):
        image = Image.fromarray(grown.astype(np.uint8) * 255)
        dilated = np.asarray(image.filter(ImageFilter.MaxFilter(3))) > 0
        grown = dilated & allowed
    return grown


def _drop_specks(mask: BoolArray, min_neighbours: int = 4) -> BoolArray:
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    density = np.asarray(image.filter(ImageFilter.BoxBlur(2)), dtype=np.float32) / 255
    return mask & (density * 25 >= min_neighbours)


def _largest_group(mask: BoolArray) -> tuple[int, int, int, int] | None:
    """Bounding box (pixels) of the connected group of ink blocks with the most ink."""
    h, w = mask.shape
    bh, bw = -(-h // _BLOCK), -(-w // _BLOCK)
    padded = np.zeros((bh * _BLOCK, bw * _BLOCK), dtype=np.float32)
    padded[:h, :w] = mask
    ink = padded.reshape(bh, _BLOCK, bw, _BLOCK).sum(axis=(1, 3))
    occupied = ink >= 2
    # Join blocks across the gaps between a seal's ring, text and star (up to 2 blocks).
    joined = (
        np.asarray(
            Image.fromarray(occupied.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(5))
        )
        > 0
    )
    label = np.zeros((bh, bw), dtype=np.int32)
    best: tuple[float, tuple[int, int, int, int]] | None = None
    current = 0
    for start_y, start_x in zip(*np.nonzero(joined & occupied), strict=True):
        if label[start_y, start_x]:
            continue
        current += 1
        label[start_y, start_x] = current
        queue = deque([(int(start_y), int(start_x))])
        total = 0.0
        y0, x0, y1, x1 = bh, bw, -1, -1
        while queue:
            y, x = queue.popleft()
            if occupied[y, x]:
                total += float(ink[y, x])
                y0, x0, y1, x1 = min(y0, y), min(x0, x), max(y1, y), max(x1, x)
            for ny in (y - 1, y, y + 1):
                for nx in (x - 1, x, x + 1):
                    if 0 <= ny < bh and 0 <= nx < bw and joined[ny, nx] and not label[ny, nx]:
                        label[ny, nx] = current
                        queue.append((ny, nx))
        if best is None or total > best[0]:
            best = (total, (x0 * _BLOCK, y0 * _BLOCK, (x1 + 1) * _BLOCK, (y1 + 1) * _BLOCK))
    return None if best is None else best[1]


def extract_seal(photo: bytes) -> ExtractedSeal:
    """Find the seal in ``photo`` and return it cropped, on transparency."""
    image = open_upload(photo, ("JPEG", "PNG", "WEBP"), UnreadablePhoto).convert("RGB")
    original_w, original_h = image.size
    scale = min(1.0, WORK_SIDE / max(original_w, original_h))
    if scale < 1.0:
        image = image.resize(
            (round(original_w * scale), round(original_h * scale)), Image.Resampling.LANCZOS
        )
    rgb = np.asarray(image, dtype=np.float32) / 255
    normalized = np.clip(rgb / _paper(rgb), 0.0, 1.0)
    red, green, blue = normalized[:, :, 0], normalized[:, :, 1], normalized[:, :, 2]
    redness = _smooth(red - np.maximum(green, blue))

    mask = _grow(redness > STRONG, redness > WEAK)
    mask = _drop_specks(mask)
    h, w = mask.shape
    box = _largest_group(mask)
    if box is None:
        raise NoSealFound("no seal-coloured ink in the photo")
    left, top, right, bottom = box
    right, bottom = min(right, w), min(bottom, h)
    region = mask[top:bottom, left:right]
    ys, xs = np.nonzero(region)
    if (
        len(ys) < _MIN_SEAL_SHARE * w * h
        or min(xs.max() - xs.min(), ys.max() - ys.min()) + 1 < _MIN_SEAL_SIDE
    ):
        raise NoSealFound("the red ink in the photo is too small to be a seal")
    margin = 2
    left, right = left + max(int(xs.min()) - margin, 0), left + int(xs.max()) + margin + 1
    top, bottom = top + max(int(ys.min()) - margin, 0), top + int(ys.max()) + margin + 1
    right, bottom = min(right, w), min(bottom, h)

    crop_mask = mask[top:bottom, left:right]
    crop_redness = redness[top:bottom, left:right]
    strong = crop_mask & (crop_redness > STRONG)
    ink = np.median(normalized[top:bottom, left:right][strong], axis=0) * 255
    ink_rgb = (int(ink[0]), int(ink[1]), int(ink[2]))
    # Opaque from this seal's typical ink strength up, so pale or crimson ink comes out as
    # solid as bright red does.
    full = max(float(np.median(crop_redness[strong])), WEAK + 0.05)
    alpha = np.clip((crop_redness - WEAK) / (full - WEAK), 0.0, 1.0) * crop_mask
    rgba = np.empty((*crop_mask.shape, 4), dtype=np.uint8)
    rgba[:, :, :3] = ink_rgb
    rgba[:, :, 3] = np.round(alpha * 255).astype(np.uint8)
    return ExtractedSeal(
        png=to_png(Image.fromarray(rgba)),  # (h, w, 4) uint8 is RGBA
        box=(
            round(left / scale),
            round(top / scale),
            round(right / scale),
            round(bottom / scale),
        ),
        scale=scale,
        ink_rgb=ink_rgb,
    )
