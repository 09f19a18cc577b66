"""Personal seals (电子私章, 2.11.3.2) over the API: the three ways to make one, at most three,
edit, relabel, delete, the image with its ETag, nobody else sees them, and every bad input
a typed 4xx."""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image

from huren.node.applications.attachments import MAX_ATTACHMENT_BYTES
from tests.api.seals.conftest import (
    People,
    jpeg,
    png,
    problem,
    seal_photo,
    signature_png,
    square,
)
from tests.node.seals.photos import blank_page_photo

PERSONAL = "/v1/seals/personal"


def _image(people: People, who: dict[str, str], seal_id: str) -> Image.Image:
    got = people.get(who, f"/v1/seals/{seal_id}/image")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(got.content))


def test_a_styled_seal_in_a_chosen_colour(people: People) -> None:
    made = people.post(people.alice, f"{PERSONAL}/styled", json={**square(), "label": "蓝章"})
    assert made.status_code == 201, made.text
    seal = made.json()
    assert (seal["kind"], seal["source"], seal["label"]) == ("personal", "rendered", "蓝章")
    assert (seal["owner_kind"], seal["owner_id"]) == ("person", people.ids["alice"])
    image = _image(people, people.alice, seal["seal_id"])
    assert image.mode == "RGBA"
    pixels = np.asarray(image)
    ink = pixels[pixels[:, :, 3] > 200][:, :3]
    assert len(ink) > 0 and (ink == (0x1A, 0x3C, 0x8E)).all()  # the chosen colour, only
    assert pixels[0, 0, 3] == 0  # transparent around the frame
    listed = people.get(people.alice, PERSONAL).json()
    assert [s["seal_id"] for s in listed] == [seal["seal_id"]]


def test_a_handwritten_seal_and_a_photo_seal(people: People) -> None:
    hand = people.post(
        people.alice,
        f"{PERSONAL}/handwriting",
        content=signature_png(),
        headers={"Content-Type": "image/png"},
        params={"label": "签名"},
    )
    assert hand.status_code == 201, hand.text
    assert hand.json()["source"] == "handwriting"
    written = _image(people, people.alice, hand.json()["seal_id"])
    assert written.width < 600  # cropped to the ink
    photo = people.post(
        people.alice,
        f"{PERSONAL}/photo",
        content=seal_photo(),
        headers={"Content-Type": "image/jpeg"},
    )
    assert photo.status_code == 201, photo.text
    extracted = _image(people, people.alice, photo.json()["seal_id"])
    alpha = np.asarray(extracted)[:, :, 3]
    assert alpha.min() == 0 and (alpha > 128).mean() > 0.05  # a seal on transparency
    red = np.asarray(extracted)[alpha > 128][:, :3].astype(int)
    assert (red[:, 0] - red[:, 1:].max(axis=1)).mean() > 60  # red ink


def test_at_most_three_personal_seals_then_delete_frees_a_place(people: People) -> None:
    made = [people.post(people.bob, f"{PERSONAL}/styled", json=square("李四")) for _ in range(3)]
    assert [m.status_code for m in made] == [201, 201, 201]
    fourth = people.post(people.bob, f"{PERSONAL}/styled", json=square("李四"))
    problem(fourth, 409, "SEAL_LIMIT_REACHED")
    # Uploads are refused for the limit before their bytes are even looked at.
    for route in ("photo", "handwriting"):
        junk = people.post(people.bob, f"{PERSONAL}/{route}", content=b"not an image")
        problem(junk, 409, "SEAL_LIMIT_REACHED")
    first = made[0].json()["seal_id"]
    deleted = people.api.http.delete(f"/v1/seals/{first}", headers=people.bob)
    assert deleted.status_code == 204
    problem(people.get(people.bob, f"/v1/seals/{first}"), 404, "SEAL_NOT_FOUND")
    again = people.post(people.bob, f"{PERSONAL}/styled", json=square("李四"))
    assert again.status_code == 201, again.text
    assert len(people.get(people.bob, PERSONAL).json()) == 3


def test_edit_relabel_and_the_image_etag(people: People) -> None:
    made = people.post(people.alice, f"{PERSONAL}/styled", json=square()).json()
    url = f"/v1/seals/{made['seal_id']}"
    first = people.get(people.alice, f"{url}/image")
    etag = first.headers["etag"]
    assert etag == f'"{hashlib.sha256(first.content).hexdigest()}"' == f'"{made["image_sha256"]}"'
    same = people.get(people.alice, f"{url}/image", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""

    people.api.clock.advance(5)
    edited = people.put(people.alice, f"{url}/styled", json=square(colour="#da2026"))
    assert edited.status_code == 200, edited.text
    assert edited.json()["image_sha256"] != made["image_sha256"]
    assert edited.json()["updated_at"] > made["created_at"] == edited.json()["created_at"]
    changed = people.get(people.alice, f"{url}/image", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag

    by_hand = people.put(
        people.alice,
        f"{url}/handwriting",
        content=signature_png(),
        params={"label": "手写"},
    )
    assert by_hand.status_code == 200, by_hand.text
    assert (by_hand.json()["source"], by_hand.json()["label"]) == ("handwriting", "手写")
    relabelled = people.api.http.patch(url, json={"label": "常用"}, headers=people.alice)
    assert relabelled.status_code == 200, relabelled.text
    assert relabelled.json()["label"] == "常用"
    assert relabelled.json()["image_sha256"] == by_hand.json()["image_sha256"]


def test_nobody_else_sees_or_touches_a_personal_seal(people: People) -> None:
    made = people.post(people.alice, f"{PERSONAL}/styled", json=square()).json()
    url = f"/v1/seals/{made['seal_id']}"
    for who in (people.bob, people.carol):  # Bob shares an enterprise with Alice: no matter
        problem(people.get(who, url), 404, "SEAL_NOT_FOUND")
        problem(people.get(who, f"{url}/image"), 404, "SEAL_NOT_FOUND")
        problem(people.put(who, f"{url}/styled", json=square()), 404, "SEAL_NOT_FOUND")
        problem(people.put(who, f"{url}/photo", content=seal_photo()), 404, "SEAL_NOT_FOUND")
        problem(people.api.http.delete(url, headers=who), 404, "SEAL_NOT_FOUND")
        assert people.get(who, PERSONAL).json() == []
    assert people.get(people.alice, url).status_code == 200
    problem(people.get(people.alice, "/v1/seals/seal_0000000000000000"), 404, "SEAL_NOT_FOUND")


def test_bad_styles_are_typed_422s(people: People) -> None:
    url = f"{PERSONAL}/styled"
    for body, code in (
        (square(colour="red"), "INVALID_SEAL_STYLE"),
        (square(colour="#12345"), "INVALID_SEAL_STYLE"),
        (square(name="张"), "INVALID_SEAL_STYLE"),
        (square(name="张 三"), "INVALID_SEAL_STYLE"),
        (square(layout="2x2", name="欧阳"), "INVALID_SEAL_STYLE"),
        (square(layout="diagonal"), "VALIDATION_FAILED"),
        ({"style": {"shape": "round", "name": "某某公司"}}, "INVALID_SEAL_STYLE"),
        ({"style": {"shape": "oval", "name": "张三"}}, "VALIDATION_FAILED"),
        ({**square(), "label": "x" * 41}, "VALIDATION_FAILED"),
        ({**square(), "size_px": 5000}, "VALIDATION_FAILED"),
    ):
        problem(people.post(people.alice, url, json=body), 422, code)
    assert people.get(people.alice, PERSONAL).json() == []


def test_bad_uploads_are_typed_4xx(people: People) -> None:
    hand, photo = f"{PERSONAL}/handwriting", f"{PERSONAL}/photo"
    opaque = png(Image.new("RGB", (300, 120), "white"))
    as_jpeg = jpeg(Image.open(io.BytesIO(signature_png())))
    post = people.post
    problem(post(people.alice, hand, content=opaque), 422, "INVALID_HANDWRITING")
    problem(post(people.alice, hand, content=as_jpeg), 415, "UNSUPPORTED_ATTACHMENT")
    problem(
        post(people.alice, hand, content=signature_png(), headers={"Content-Type": "image/jpeg"}),
        415,
        "ATTACHMENT_MISLABELLED",
    )
    problem(post(people.alice, hand, content=b""), 415, "UNSUPPORTED_ATTACHMENT")
    problem(post(people.alice, photo, content=b"%PDF-1.7\n"), 415, "UNSUPPORTED_ATTACHMENT")
    problem(post(people.alice, photo, content=blank_page_photo(3)), 422, "NO_SEAL_FOUND")
    truncated = seal_photo()[:4000]
    problem(post(people.alice, photo, content=truncated), 422, "UNREADABLE_PHOTO")
    big = b"\x89PNG\r\n\x1a\n" + bytes(MAX_ATTACHMENT_BYTES)
    problem(post(people.alice, hand, content=big), 413, "ATTACHMENT_TOO_LARGE")
    huge = bytes(1024 * 1024 + 1)
    problem(post(people.alice, photo, content=huge), 413, "PAYLOAD_TOO_LARGE")
    long_label = {"label": "x" * 41}
    problem(
        post(people.alice, photo, params=long_label, content=seal_photo()), 422, "VALIDATION_FAILED"
    )
    assert people.get(people.alice, PERSONAL).json() == []


def test_without_a_token_nothing(people: People) -> None:
    for url in ("/v1/seals", PERSONAL, f"/v1/enterprises/{people.enterprise.id}/seals"):
        problem(people.api.http.get(url), 401, "UNAUTHENTICATED")


def test_labels_hold_no_control_characters(people: People) -> None:
    for label in ("a\x00b", "tab\there", "\u200b"):
        made = people.post(people.alice, f"{PERSONAL}/styled", json={**square(), "label": label})
        problem(made, 422, "INVALID_SEAL_RECORD")
    assert people.get(people.alice, PERSONAL).json() == []
