"""Handwriting uploads: real PNGs with used transparency pass and come out normalized."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from huren.node.seals.errors import InvalidHandwriting
from huren.node.seals.handwriting import MAX_SIDE, normalize_handwriting


def png(image: Image.Image, **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", **params)
    return buf.getvalue()


def signature(size: tuple[int, int] = (600, 240), mode: str = "RGBA") -> Image.Image:
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line(
        [(w * 0.2, h * 0.6), (w * 0.35, h * 0.3), (w * 0.5, h * 0.7), (w * 0.7, h * 0.35)],
        fill=(20, 20, 20, 255),
        width=max(2, h // 30),
    )
    return image if mode == "RGBA" else image.convert(mode)


def test_signature_is_cropped_to_its_ink_and_kept_transparent() -> None:
    result = normalize_handwriting(png(signature()))
    image = Image.open(io.BytesIO(result.png))
    assert image.format == "PNG" and image.mode == "RGBA"
    assert (image.width, image.height) == (result.width, result.height)
    # Ink spans x 120..420 and y 72..168 of 600x240: the crop is that plus a small margin.
    assert 300 <= image.width <= 340 and 96 <= image.height <= 136
    alpha = np.asarray(image.getchannel("A"))
    assert alpha[0, 0] == 0 and alpha.max() == 255
    rgba = np.asarray(image)
    assert (rgba[alpha == 0][:, :3] == 0).all()


def test_large_signature_is_scaled_down_not_up() -> None:
    big = normalize_handwriting(png(signature((3000, 1200))))
    assert max(big.width, big.height) == MAX_SIDE
    small = normalize_handwriting(png(signature((200, 80))))
    assert max(small.width, small.height) < 200


def test_metadata_is_dropped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone's phone")
    result = normalize_handwriting(png(signature(), pnginfo=info))
    assert "Author" not in Image.open(io.BytesIO(result.png)).info


def test_palette_png_with_trns_counts_as_transparent() -> None:
    image = Image.new("P", (300, 120), 0)
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    ImageDraw.Draw(image).line([(30, 60), (270, 60)], fill=1, width=6)
    result = normalize_handwriting(png(image, transparency=0))
    assert result.height < 40


def test_a_jpeg_renamed_png_is_refused() -> None:
    buf = io.BytesIO()
    signature().convert("RGB").save(buf, format="JPEG")
    with pytest.raises(InvalidHandwriting, match="PNG"):
        normalize_handwriting(buf.getvalue())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "PNG"),
        (png(signature(mode="RGB")), "no transparency"),
        (png(Image.new("RGBA", (300, 120), (0, 0, 0, 255))), "not transparent"),
        (png(Image.new("RGBA", (300, 120), (0, 0, 0, 0))), "no visible"),
        (png(Image.new("RGBA", (20, 300), (0, 0, 0, 0))), "sides"),
    ],
)
def test_bad_uploads(data: bytes, message: str) -> None:
    with pytest.raises(InvalidHandwriting, match=message):
        normalize_handwriting(data)


def test_oversized_upload_is_refused_by_size() -> None:
    with pytest.raises(InvalidHandwriting, match="bytes"):
        normalize_handwriting(b"\x89PNG\r\n\x1a\n" + bytes(6 * 1024 * 1024))


def test_animated_png_is_refused() -> None:
    frames = [signature((200, 80)), signature((200, 80))]
    buf = io.BytesIO()
    frames[0].save(buf, format="PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(InvalidHandwriting, match="animated"):
        normalize_handwriting(buf.getvalue())
