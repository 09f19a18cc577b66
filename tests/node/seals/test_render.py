"""Rendered seals: geometry, colour and transparency are checked, not pixel snapshots."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from huren.node.seals.errors import CjkFontMissing, InvalidSealStyle
from huren.node.seals.fonts import find_cjk_font
from huren.node.seals.render import (
    SEAL_RED,
    EnterpriseSealStyle,
    PersonalLayout,
    PersonalSealStyle,
    parse_colour,
    render_enterprise_seal,
    render_personal_seal,
)


def decode(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    return np.asarray(image)


def ink(rgba: np.ndarray) -> np.ndarray:
    return rgba[:, :, 3] > 128


def ring_coverage(mask: np.ndarray, radius: float) -> float:
    """Share of 720 points on a circle about the centre that carry ink."""
    h, w = mask.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    hits = 0
    for k in range(720):
        a = 2 * math.pi * k / 720
        hits += bool(mask[round(cy + radius * math.sin(a)), round(cx + radius * math.cos(a))])
    return hits / 720


@pytest.fixture(scope="module")
def contract_seal() -> np.ndarray:
    style = EnterpriseSealStyle("上海某某科技有限公司", bottom_text="合同专用章", size_px=400)
    return decode(render_enterprise_seal(style))


def test_enterprise_seal_has_a_closed_ring(contract_seal: np.ndarray) -> None:
    mask = ink(contract_seal)
    radius = 400 / 2 * 0.96
    ring = radius * 0.065
    assert ring_coverage(mask, radius - ring / 2) == 1.0
    # Outside the ring is empty, and so is a circle just inside it below the text.
    assert ring_coverage(mask, radius + 3) == 0.0
    h = 400
    inner = radius - ring - 3
    lower = [
        mask[round(h / 2 + inner * math.sin(a)), round(h / 2 + inner * math.cos(a))]
        for a in np.linspace(math.radians(60), math.radians(120), 50)
    ]
    assert not any(lower)


def test_enterprise_seal_star_is_centred_and_points_up(contract_seal: np.ndarray) -> None:
    mask = ink(contract_seal)
    radius = 400 / 2 * 0.96
    ys, xs = np.nonzero(mask)
    centre = 199.5
    near = (xs - centre) ** 2 + (ys - centre) ** 2 <= (radius * 0.31) ** 2
    star_x, star_y = xs[near], ys[near]
    assert abs(star_x.mean() - centre) < 1.5  # symmetric left/right
    # The star's top point is on the vertical axis and about 0.30 R above the centre.
    top = star_y.min()
    assert abs(star_x[star_y == top].mean() - centre) < 2
    assert abs((centre - top) - radius * 0.30) < 3
    # Star area of a regular star with circumradius r: ~1.12 r^2.
    expected = 1.123 * (radius * 0.30) ** 2
    assert abs(near.sum() - expected) / expected < 0.08


def test_enterprise_seal_text_sits_on_the_upper_arc_and_under_the_star(
    contract_seal: np.ndarray,
) -> None:
    mask = ink(contract_seal)
    upper_band = mask[20:110, 60:340]  # between the ring and the star, upper half
    assert upper_band.mean() > 0.08
    bottom_text_band = mask[280:320, 120:280]
    assert bottom_text_band.mean() > 0.08
    plain = decode(render_enterprise_seal(EnterpriseSealStyle("上海某某科技有限公司")))
    assert not ink(plain)[280:320, 120:280].any()


def test_enterprise_seal_code_goes_on_the_lower_arc() -> None:
    with_code = ink(decode(render_enterprise_seal(EnterpriseSealStyle("某某公司", code="310115"))))
    without = ink(decode(render_enterprise_seal(EnterpriseSealStyle("某某公司"))))
    lower_arc = np.s_[335:368, 160:240]  # inside the ring, below the star
    assert with_code[lower_arc].sum() > 50
    assert not without[lower_arc].any()


def test_seal_is_red_on_transparency(contract_seal: np.ndarray) -> None:
    alpha = contract_seal[:, :, 3]
    assert alpha[0, 0] == alpha[0, -1] == alpha[-1, 0] == alpha[-1, -1] == 0
    opaque = contract_seal[alpha > 0]
    assert (opaque[:, :3] == SEAL_RED).all()
    assert 0.05 < (alpha > 128).mean() < 0.5  # ink, not a filled disc


@pytest.mark.parametrize(
    ("name", "layout", "cells"),
    [
        ("欧阳娜娜", PersonalLayout.AUTO, [(0, 0), (0, 1), (1, 0), (1, 1)]),
        ("张三丰", PersonalLayout.GRID_2X2, [(0, 0), (0, 1), (1, 0), (1, 1)]),
        ("张三", PersonalLayout.AUTO, [(0, None), (1, None)]),
        ("张小明", PersonalLayout.AUTO, [(0, None), (1, 0), (1, 1)]),
    ],
)
def test_personal_seal_fills_each_cell_of_its_layout(
    name: str, layout: PersonalLayout, cells: list[tuple[int, int | None]]
) -> None:
    colour = (31, 63, 191)
    rgba = decode(render_personal_seal(PersonalSealStyle(name, colour, layout, size_px=300)))
    alpha = rgba[:, :, 3]
    assert (rgba[alpha > 0][:, :3] == colour).all()
    mask = alpha > 128
    # The frame: every row and column near each edge carries ink along the whole side.
    for edge in (mask[12, 12:-12], mask[-13, 12:-12], mask[12:-12, 12], mask[12:-12, -13]):
        assert edge.all()
    assert not mask[0:3, 0:3].any()  # the margin outside the frame is transparent
    inner = mask[40:260, 40:260]  # inside the frame
    half = 110
    for col, row in cells:
        # col 0 is the right column (read first), 1 the left
        x0 = half if col == 0 else 0
        y_slices = [slice(0, 220)] if row is None else [slice(row * half, (row + 1) * half)]
        for ys in y_slices:
            assert inner[ys, x0 : x0 + half].mean() > 0.08, (name, col, row)
    if layout is PersonalLayout.AUTO and len(name) == 3:
        # The surname spans the full height of the right column: its ink reaches both ends.
        right = inner[:, half:]
        rows_with_ink = np.nonzero(right.any(axis=1))[0]
        assert rows_with_ink.min() < 20 and rows_with_ink.max() > 200


def test_personal_seal_defaults_to_red() -> None:
    rgba = decode(render_personal_seal(PersonalSealStyle("张三")))
    assert (rgba[rgba[:, :, 3] > 0][:, :3] == SEAL_RED).all()


@pytest.mark.parametrize(
    "build",
    [
        lambda: EnterpriseSealStyle("某"),
        lambda: EnterpriseSealStyle("某某 公司"),
        lambda: EnterpriseSealStyle("某某公司\n"),
        lambda: EnterpriseSealStyle("某某公司", bottom_text="合同专用章合同专用章合同"),
        lambda: EnterpriseSealStyle("某某公司", size_px=10),
        lambda: PersonalSealStyle("张"),
        lambda: PersonalSealStyle("欧阳娜娜娜"),
        lambda: PersonalSealStyle("张三", layout=PersonalLayout.GRID_2X2),
        lambda: PersonalSealStyle("欧阳娜娜", layout=PersonalLayout.THREE),
        lambda: PersonalSealStyle("张三", colour=parse_colour("red")),
        lambda: PersonalSealStyle("张三", colour=(256, 0, 0)),
    ],
)
def test_bad_styles_are_refused(build: object) -> None:
    with pytest.raises(InvalidSealStyle):
        build()  # type: ignore[operator]


def test_parse_colour() -> None:
    assert parse_colour("#1F3fbf") == (31, 63, 191)
    assert parse_colour((1, 2, 3)) == (1, 2, 3)


def test_missing_font_names_the_debian_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUREN_CJK_FONT", raising=False)
    with pytest.raises(CjkFontMissing, match="fonts-wqy-zenhei"):
        find_cjk_font((tmp_path / "none.ttc",))
    monkeypatch.setenv("HUREN_CJK_FONT", str(tmp_path / "nope.ttf"))
    with pytest.raises(CjkFontMissing, match="HUREN_CJK_FONT"):
        find_cjk_font()


def test_installed_font_is_found() -> None:
    assert find_cjk_font().is_file()
