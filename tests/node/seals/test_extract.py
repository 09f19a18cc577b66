"""Seal extraction from synthetic photos (see photos.py): the extracted mask must match the
known seal mask and must not take the black text printed across the seal."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from huren.node.seals.errors import NoSealFound, UnreadablePhoto
from huren.node.seals.extract import extract_seal
from huren.node.seals.render import (
    EnterpriseSealStyle,
    PersonalSealStyle,
    render_enterprise_seal,
    render_personal_seal,
)
from tests.node.seals.photos import BoolArray, Photo, blank_page_photo, make_photo

IOU_MIN = 0.82
TEXT_TAKEN_MAX = 0.005


def extracted_mask(photo: Photo) -> tuple[BoolArray, Image.Image]:
    seal = extract_seal(photo.jpeg)
    image = Image.open(io.BytesIO(seal.png))
    assert image.format == "PNG" and image.mode == "RGBA"
    alpha = np.asarray(image.getchannel("A")) > 128
    left, top, right, bottom = seal.box
    assert (right - left, bottom - top) == (image.width, image.height)
    mask = np.zeros_like(photo.seal_mask)
    mask[top:bottom, left:right] = alpha
    return mask, image


def score(photo: Photo, mask: BoolArray) -> tuple[float, float]:
    """IoU against the true seal outside black print (and its 2 px anti-aliased halo, where
    the seal is hidden or darkened by print), and the share of print taken as seal."""
    halo = np.asarray(
        Image.fromarray(photo.text_mask.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(5))
    )
    visible = ~(halo > 0)
    truth = photo.seal_mask & visible
    got = mask & visible
    iou = float((truth & got).sum() / (truth | got).sum())
    print_only = photo.text_mask & ~photo.seal_mask
    taken = float((mask & print_only).sum() / print_only.sum())
    return iou, taken


ENTERPRISE = render_enterprise_seal(
    EnterpriseSealStyle("上海某某科技有限公司", bottom_text="合同专用章", size_px=300)
)
PERSONAL = render_personal_seal(PersonalSealStyle("欧阳娜娜", size_px=160))


@pytest.mark.parametrize(
    ("seal", "kwargs"),
    [
        (ENTERPRISE, dict(seed=1)),
        (ENTERPRISE, dict(seed=2, rotate_deg=-3.0, light=(1.0, 0.55))),
        (ENTERPRISE, dict(seed=3, rotate_deg=6.0, noise_sigma=9.0, jpeg_quality=55)),
        (ENTERPRISE, dict(seed=4, ink=(170, 40, 70), seal_at=(80, 300))),  # crimson, darker
        (PERSONAL, dict(seed=5, seal_at=(600, 420), rotate_deg=2.0)),
    ],
)
def test_extracted_seal_matches_the_stamped_one(seal: bytes, kwargs: dict[str, object]) -> None:
    photo = make_photo(seal, **kwargs)  # type: ignore[arg-type]
    mask, image = extracted_mask(photo)
    iou, taken = score(photo, mask)
    assert iou >= IOU_MIN, iou
    assert taken <= TEXT_TAKEN_MAX, taken
    # Cropped to the seal: the box is about the rotated seal's bounding box.
    ys, xs = np.nonzero(photo.seal_mask)
    assert abs(image.width - (xs.max() - xs.min())) <= 12
    assert abs(image.height - (ys.max() - ys.min())) <= 12
    # Transparent around the seal, one red ink colour in it.
    rgba = np.asarray(image)
    assert rgba[0, 0, 3] == 0 and rgba[-1, -1, 3] == 0
    r, g, b = rgba[rgba[:, :, 3] > 0][0, :3].tolist()
    assert r > 120 and r > 1.6 * max(g, b)


def test_black_text_over_the_seal_is_not_seal() -> None:
    photo = make_photo(ENTERPRISE, seed=7)
    mask, _ = extracted_mask(photo)
    inside = photo.text_mask & photo.seal_mask
    core = np.asarray(
        Image.fromarray(inside.astype(np.uint8) * 255).filter(ImageFilter.MinFilter(3))
    )
    # The print's core where it crosses seal ink absorbs the red too: it must stay out.
    assert core.any()
    assert (mask & (core > 0)).sum() / (core > 0).sum() < 0.05


def test_a_page_without_a_seal() -> None:
    with pytest.raises(NoSealFound):
        extract_seal(blank_page_photo(seed=1))


def test_a_red_speck_is_not_a_seal() -> None:
    image = Image.new("RGB", (400, 300), (236, 236, 230))
    image.paste((200, 30, 40), (100, 100, 106, 106))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    with pytest.raises(NoSealFound, match="too small"):
        extract_seal(buf.getvalue())


@pytest.mark.parametrize("data", [b"", b"not an image", b"GIF89a" + bytes(100)])
def test_unreadable_photos(data: bytes) -> None:
    with pytest.raises(UnreadablePhoto):
        extract_seal(data)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    buf = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(buf, format="PNG")  # 50 MP, a few KB
    with pytest.raises(UnreadablePhoto, match="pixels"):
        extract_seal(buf.getvalue())


def test_exif_orientation_is_applied() -> None:
    photo = make_photo(ENTERPRISE, seed=8)
    upright = Image.open(io.BytesIO(photo.jpeg))
    # A phone stores the sensor's pixels sideways and says so in the EXIF orientation tag.
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    buf = io.BytesIO()
    sideways.save(buf, format="JPEG", quality=90, exif=exif.tobytes())
    seal = extract_seal(buf.getvalue())
    reference = extract_seal(photo.jpeg)
    assert all(abs(a - b) <= 3 for a, b in zip(seal.box, reference.box, strict=True))


def test_a_smaller_red_mark_elsewhere_is_ignored() -> None:
    photo = make_photo(ENTERPRISE, seed=9)
    image = Image.open(io.BytesIO(photo.jpeg)).convert("RGB")
    ImageDraw.Draw(image).line([(40, 640), (300, 630)], fill=(200, 40, 40), width=4)  # red pen
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=85)
    left, top, right, bottom = extract_seal(buf.getvalue()).box
    ys, xs = np.nonzero(photo.seal_mask)
    assert abs(left - xs.min()) <= 6 and abs(right - xs.max()) <= 8
    assert abs(top - ys.min()) <= 6 and abs(bottom - ys.max()) <= 8
