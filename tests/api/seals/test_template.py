"""The seal template (2.11.3.2.1): downloaded, stamped in its box, photographed and uploaded,
it gives the seal and nothing of the page."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from huren.node.seals.render import PersonalSealStyle, render_personal_seal
from huren.node.seals.template import TEMPLATE_BOX, render_seal_template
from tests.api.seals.conftest import People, problem

SEAL_SIDE = 200


def stamped_photo() -> bytes:
    """The printed template stamped in its box (ink multiplies the paper), photographed:
    a little noise, JPEG."""
    page = np.asarray(render_seal_template(), dtype=np.float32) / 255
    seal = Image.open(
        io.BytesIO(render_personal_seal(PersonalSealStyle("张三", size_px=SEAL_SIDE)))
    )
    alpha = np.asarray(seal, dtype=np.float32)[:, :, 3:] / 255
    ink = np.array([196, 28, 40], dtype=np.float32) / 255
    left, top = TEMPLATE_BOX[0] + 18, TEMPLATE_BOX[1] + 18
    region = page[top : top + SEAL_SIDE, left : left + SEAL_SIDE]
    region *= 1 - 0.85 * alpha * (1 - ink)
    rng = np.random.default_rng(5)
    noisy = np.clip(page * 255 + rng.normal(0, 4, page.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, format="JPEG", quality=80)
    return out.getvalue()


def test_the_template_is_a_one_page_pdf(people: People) -> None:
    got = people.get(people.alice, "/v1/seals/template.pdf")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    reader = PdfFileReader(io.BytesIO(got.content), strict=False)
    assert int(reader.root["/Pages"]["/Count"]) == 1
    problem(people.api.http.get("/v1/seals/template.pdf"), 401, "UNAUTHENTICATED")


def test_a_stamped_template_gives_the_seal_alone(people: People) -> None:
    made = people.post(people.alice, "/v1/seals/personal/photo", content=stamped_photo())
    assert made.status_code == 201, made.text
    image = Image.open(io.BytesIO(people.get(people.alice, made.json()["image"]).content))
    # Cropped to the seal: about its size, not the box's or the page's.
    assert abs(image.width - SEAL_SIDE) <= 12 and abs(image.height - SEAL_SIDE) <= 12
    alpha = np.asarray(image)[:, :, 3]
    assert (alpha > 128).mean() > 0.1
