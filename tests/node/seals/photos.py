"""Synthetic photos of stamped pages, with the true seal and text masks (test vectors made
here, deterministic per seed): paper colour and fibre texture, printed black text lines that
cross the seal, the seal stamped with multiplicative, unevenly inked red, then the whole page
rotated a few degrees, lit unevenly, noised and JPEG-compressed as a phone would.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from huren.node.seals.fonts import cjk_font

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Photo:
    jpeg: bytes
    seal_mask: BoolArray  # where seal ink is, in photo pixels
    text_mask: BoolArray  # where black print is


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    coarse = rng.random((cells, cells)).astype(np.float32)
    image = Image.fromarray((coarse * 255).astype(np.uint8)).resize(
        (shape[1], shape[0]), Image.Resampling.BICUBIC
    )
    return np.asarray(image, dtype=np.float32) / 255


def make_photo(
    seal_png: bytes,
    *,
    seed: int,
    size: tuple[int, int] = (900, 700),
    seal_at: tuple[int, int] = (420, 260),
    rotate_deg: float = 4.0,
    ink: tuple[int, int, int] = (196, 28, 40),
    light: tuple[float, float] = (0.62, 1.0),
    noise_sigma: float = 6.0,
    jpeg_quality: int = 72,
) -> Photo:
    rng = np.random.default_rng(seed)
    width, height = size
    # Paper: off-white with fibre texture (fine grain and blotches).
    paper = np.empty((height, width, 3), dtype=np.float32)
    paper[:] = np.array([246, 242, 230], dtype=np.float32) / 255
    texture = 1 - 0.05 * _smooth_noise(rng, (height, width), 40)
    texture -= rng.normal(0, 0.012, (height, width)).astype(np.float32)
    page = paper * texture[:, :, None]

    # Printed text: dark grey lines across the page, some running through the seal.
    text_layer = Image.new("L", size, 0)
    draw = ImageDraw.Draw(text_layer)
    font = cjk_font(26)
    line = "投标人承诺所提交的投标文件内容真实有效并承担相应法律责任"
    for y in range(40, height - 30, 44):
        draw.text((30, y), line, font=font, fill=255)
    text = np.asarray(text_layer, dtype=np.float32) / 255
    page *= 1 - text[:, :, None] * (1 - np.array([38, 36, 40], dtype=np.float32) / 255)

    # The seal: multiplicative ink (light passes through), density varying across the seal.
    seal = Image.open(io.BytesIO(seal_png)).convert("RGBA")
    seal_alpha = np.zeros((height, width), dtype=np.float32)
    x, y = seal_at
    seal_alpha[y : y + seal.height, x : x + seal.width] = (
        np.asarray(seal.getchannel("A"), dtype=np.float32) / 255
    )
    density = 0.75 + 0.25 * _smooth_noise(rng, (height, width), 12)
    coverage = seal_alpha * density
    transmission = np.array(ink, dtype=np.float32) / 255
    page *= 1 - coverage[:, :, None] * (1 - transmission)

    # The camera: skew, uneven light (gradient + vignette), sensor noise, JPEG.
    photo = Image.fromarray(np.clip(page * 255, 0, 255).astype(np.uint8))
    fill = (120, 118, 110)  # desk showing at the rotated corners
    photo = photo.rotate(rotate_deg, resample=Image.Resampling.BICUBIC, fillcolor=fill)

    def warp(mask: np.ndarray) -> BoolArray:
        image = Image.fromarray((mask * 255).astype(np.uint8))
        rotated = image.rotate(rotate_deg, resample=Image.Resampling.BILINEAR)
        return np.asarray(rotated) > 127

    pixels = np.asarray(photo, dtype=np.float32)
    gx = np.linspace(light[0], light[1], width, dtype=np.float32)[None, :]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    vignette = 1 - 0.18 * (((xx - width / 2) / width) ** 2 + ((yy - height / 2) / height) ** 2)
    lit = pixels * (gx * vignette)[:, :, None] * np.array([1.0, 0.97, 0.9])  # warm lamp
    lit += rng.normal(0, noise_sigma, lit.shape)
    out = Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=jpeg_quality)
    return Photo(jpeg=buf.getvalue(), seal_mask=warp(seal_alpha > 0.5), text_mask=warp(text > 0.5))


def blank_page_photo(seed: int, size: tuple[int, int] = (600, 400)) -> bytes:
    """Text on paper, no seal: nothing red."""
    rng = np.random.default_rng(seed)
    page = np.full((size[1], size[0], 3), 235, dtype=np.float32)
    page += rng.normal(0, 5, page.shape)
    image = Image.fromarray(np.clip(page, 0, 255).astype(np.uint8))
    ImageDraw.Draw(image).text((20, 20), "投标文件", font=cjk_font(30), fill=(30, 30, 30))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=80)
    return buf.getvalue()
