"""An enterprise's seals (电子公章, 2.11.3.1 and 2.12.3.1) over the API: the admin adds and
edits the enterprise seal, the legal representative's seal and signature; staff only view;
other enterprises' people see nothing; 我的印章 lists everything one sees."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.api.seals.conftest import (
    People,
    problem,
    round_,
    seal_photo,
    signature_png,
    square,
)


def _base(people: People) -> str:
    return f"/v1/enterprises/{people.enterprise.id}/seals"


def test_the_admin_adds_all_three_kinds_and_staff_see_them(people: People) -> None:
    base = _base(people)
    made = people.post(
        people.alice,
        f"{base}/enterprise/styled",
        json=round_(bottom_text="合同专用章", code="3304000012345"),
    )
    assert made.status_code == 201, made.text
    enterprise_seal = made.json()
    assert (enterprise_seal["owner_kind"], enterprise_seal["owner_id"]) == (
        "enterprise",
        people.enterprise.id,
    )
    image = Image.open(io.BytesIO(people.get(people.bob, enterprise_seal["image"]).content))
    pixels = np.asarray(image)
    ink = pixels[pixels[:, :, 3] > 200][:, :3]
    assert (ink == (218, 32, 38)).all()  # the seal red
    assert image.width == image.height  # round, in a square canvas

    legal = people.post(
        people.alice, f"{base}/legal_representative/styled", json=square("张三", "#da2026")
    )
    assert legal.status_code == 201, legal.text
    signature = people.post(
        people.alice, f"{base}/legal_representative_signature/handwriting", content=signature_png()
    )
    assert signature.status_code == 201, signature.text
    photo = people.post(people.alice, f"{base}/enterprise/photo", content=seal_photo("enterprise"))
    assert photo.status_code == 201, photo.text
    assert photo.json()["source"] == "photo"

    listed = people.get(people.bob, base)
    assert listed.status_code == 200
    assert sorted(s["kind"] for s in listed.json()) == [
        "enterprise",
        "enterprise",
        "legal_representative",
        "legal_representative_signature",
    ]
    for seal in listed.json():  # staff view each one and its image
        assert people.get(people.bob, f"/v1/seals/{seal['seal_id']}").status_code == 200
        assert people.get(people.bob, seal["image"]).status_code == 200

    overview = people.get(people.bob, "/v1/seals").json()
    assert overview["personal"] == []
    [group] = overview["enterprises"]
    assert (group["enterprise_id"], group["role"]) == (people.enterprise.id, "staff")
    assert len(group["seals"]) == 4
    assert people.get(people.carol, "/v1/seals").json() == {"personal": [], "enterprises": []}


def test_staff_only_view(people: People) -> None:
    base = _base(people)
    seal = people.post(people.alice, f"{base}/enterprise/styled", json=round_()).json()
    url = f"/v1/seals/{seal['seal_id']}"
    bob = people.bob
    problem(
        people.post(bob, f"{base}/enterprise/styled", json=round_()), 403, "SEAL_PERMISSION_DENIED"
    )
    problem(
        people.post(bob, f"{base}/enterprise/photo", content=seal_photo("enterprise")),
        403,
        "SEAL_PERMISSION_DENIED",
    )
    problem(
        people.post(
            bob, f"{base}/legal_representative_signature/handwriting", content=signature_png()
        ),
        403,
        "SEAL_PERMISSION_DENIED",
    )
    problem(people.put(bob, f"{url}/styled", json=round_()), 403, "SEAL_PERMISSION_DENIED")
    problem(
        people.put(bob, f"{url}/photo", content=seal_photo("enterprise")),
        403,
        "SEAL_PERMISSION_DENIED",
    )
    relabel = people.api.http.patch(url, json={"label": "x"}, headers=bob)
    problem(relabel, 403, "SEAL_PERMISSION_DENIED")
    problem(people.api.http.delete(url, headers=bob), 403, "SEAL_PERMISSION_DENIED")
    assert people.get(people.alice, url).json()["image_sha256"] == seal["image_sha256"]


def test_the_admin_edits_but_does_not_delete(people: People) -> None:
    base = _base(people)
    seal = people.post(people.alice, f"{base}/enterprise/styled", json=round_()).json()
    url = f"/v1/seals/{seal['seal_id']}"
    edited = people.put(people.alice, f"{url}/styled", json=round_(bottom_text="财务专用章"))
    assert edited.status_code == 200, edited.text
    assert edited.json()["image_sha256"] != seal["image_sha256"]
    problem(people.api.http.delete(url, headers=people.alice), 403, "SEAL_PERMISSION_DENIED")
    # A square style does not fit an enterprise seal; handwriting does not either.
    problem(people.put(people.alice, f"{url}/styled", json=square()), 422, "INVALID_SEAL_STYLE")
    problem(
        people.put(people.alice, f"{url}/handwriting", content=signature_png()),
        422,
        "INVALID_SEAL_RECORD",
    )


def test_other_enterprises_people_see_nothing(people: People) -> None:
    base = _base(people)
    seal = people.post(people.alice, f"{base}/enterprise/styled", json=round_()).json()
    url = f"/v1/seals/{seal['seal_id']}"
    carol = people.carol
    problem(people.get(carol, base), 403, "SEAL_PERMISSION_DENIED")
    problem(people.get(carol, url), 404, "SEAL_NOT_FOUND")
    problem(people.get(carol, f"{url}/image"), 404, "SEAL_NOT_FOUND")
    problem(people.put(carol, f"{url}/styled", json=round_()), 404, "SEAL_NOT_FOUND")
    problem(people.api.http.patch(url, json={"label": "x"}, headers=carol), 404, "SEAL_NOT_FOUND")
    problem(
        people.post(carol, f"{base}/enterprise/styled", json=round_()),
        403,
        "SEAL_PERMISSION_DENIED",
    )
    unknown = "/v1/enterprises/0000000000000000/seals"
    problem(people.get(people.alice, unknown), 403, "SEAL_PERMISSION_DENIED")


def test_kinds_sources_and_limits(people: People) -> None:
    base, alice = _base(people), people.alice
    assert (
        people.post(alice, f"{base}/legal_representative/styled", json=square()).status_code == 201
    )
    again = people.post(alice, f"{base}/legal_representative/styled", json=square())
    problem(again, 409, "SEAL_LIMIT_REACHED")
    for url, body, code in (
        (f"{base}/enterprise/styled", square(), "INVALID_SEAL_STYLE"),
        (f"{base}/legal_representative_signature/styled", square(), "INVALID_SEAL_RECORD"),
        (f"{base}/personal/styled", round_(), "VALIDATION_FAILED"),
        (f"{base}/enterprise/styled", round_(name="某"), "INVALID_SEAL_STYLE"),
        (
            f"{base}/enterprise/styled",
            round_(bottom_text="合同专用章合同专用章合同"),
            "INVALID_SEAL_STYLE",
        ),
    ):
        problem(people.post(alice, url, json=body), 422, code)
    handwritten = people.post(alice, f"{base}/enterprise/handwriting", content=signature_png())
    problem(handwritten, 422, "INVALID_SEAL_RECORD")
    signature_photo = people.post(
        alice, f"{base}/legal_representative_signature/photo", content=seal_photo()
    )
    problem(signature_photo, 422, "INVALID_SEAL_RECORD")
    problem(people.get(alice, "/v1/enterprises/not-an-id/seals"), 422, "VALIDATION_FAILED")
    assert len(people.get(alice, base).json()) == 1
