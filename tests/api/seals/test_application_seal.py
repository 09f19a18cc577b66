"""The seal an application's stamped form brings (2.8, 2.11.3): when the CA approves a
personal application, the red seal on its photographed form becomes the person's personal
seal — unless the person has one already ("当电子私章中存在印章时，申领个人证书时，不会进行
抠章"); an enterprise claim's form gives the enterprise seal the same way."""

from __future__ import annotations

from typing import Any

import pytest

from huren.node.seal_management import FORM_LABEL, FormSeal
from tests.api.applications.conftest import ALICE, BOB, USCC
from tests.api.applications.test_flow import review
from tests.api.seals.conftest import AppApi, seal_photo, square
from tests.node.seals.photos import blank_page_photo

BASE = {"ca_id": "zjca", "platform_id": "jiaxing-ggzy", "validity_years": 1}


def apply(
    api: AppApi, headers: dict[str, str], who: tuple[str, str, str], form: bytes | None, **body: Any
) -> str:
    """A submitted application with the form photo attached (if any); its id."""
    fields = {"kind": "personal", "person_name": who[1], "id_number": who[2], **body}
    created = api.http.post("/v1/applications", json={**BASE, **fields}, headers=headers)
    assert created.status_code == 201, created.text
    app_id: str = created.json()["id"]
    if form is not None:
        put = api.http.put(
            f"/v1/applications/{app_id}/attachments/application_form",
            content=form,
            headers={**headers, "Content-Type": "image/jpeg"},
        )
        assert put.status_code == 200, put.text
    if fields["kind"] == "claim_enterprise":
        licence = api.http.put(
            f"/v1/applications/{app_id}/attachments/business_licence",
            content=blank_page_photo(1),
            headers=headers,
        )
        assert licence.status_code == 200, licence.text
    submitted = api.http.post(f"/v1/applications/{app_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    return app_id


def personal_seals(api: AppApi, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = api.http.get("/v1/seals/personal", headers=headers)
    assert listed.status_code == 200, listed.text
    seals: list[dict[str, Any]] = listed.json()
    return seals


def test_the_first_personal_application_brings_the_seal_and_the_next_does_not(
    api: AppApi,
) -> None:
    alice = api.person(ALICE)
    first = apply(api, alice, ALICE, seal_photo("personal", seed=11))
    assert personal_seals(api, alice) == []  # not before the CA approved
    assert review(api, first).status_code == 200
    [seal] = personal_seals(api, alice)
    assert (seal["source"], seal["label"]) == ("photo", FORM_LABEL)

    second = apply(api, alice, ALICE, seal_photo("personal", seed=12))
    assert review(api, second).status_code == 200
    assert [s["seal_id"] for s in personal_seals(api, alice)] == [seal["seal_id"]]
    assert api.node.applications.seals is not None
    assert api.node.applications.seals.on_application_approved(second) is FormSeal.ALREADY_HELD


def test_a_person_with_a_seal_gets_no_extraction(api: AppApi) -> None:
    bob = api.person(BOB)
    own = api.http.post("/v1/seals/personal/styled", json=square("李四"), headers=bob)
    assert own.status_code == 201, own.text
    app_id = apply(api, bob, BOB, seal_photo("personal", seed=13))
    assert review(api, app_id).status_code == 200
    assert [s["seal_id"] for s in personal_seals(api, bob)] == [own.json()["seal_id"]]


def test_a_form_without_a_seal_or_without_a_photo_brings_none(api: AppApi) -> None:
    alice = api.person(ALICE)
    unstamped = apply(api, alice, ALICE, blank_page_photo(5))
    assert review(api, unstamped).status_code == 200
    assert personal_seals(api, alice) == []
    no_form = apply(api, alice, ALICE, None)
    assert review(api, no_form).status_code == 200
    assert personal_seals(api, alice) == []
    seals = api.node.applications.seals
    assert seals is not None
    assert seals.on_application_approved(unstamped) is FormSeal.NO_SEAL_FOUND
    assert seals.on_application_approved(no_form) is FormSeal.NO_FORM


def test_a_claim_brings_the_enterprise_seal(api: AppApi) -> None:
    alice = api.person(ALICE)
    app_id = apply(
        api,
        alice,
        ALICE,
        seal_photo("enterprise", seed=14),
        kind="claim_enterprise",
        enterprise_name="嘉兴市某某建设有限公司",
        uscc=USCC,
    )
    approved = review(api, app_id)
    assert approved.status_code == 200, approved.text
    overview = api.http.get("/v1/seals", headers=alice).json()
    [group] = overview["enterprises"]
    assert group["role"] == "admin"
    [seal] = group["seals"]
    assert (seal["kind"], seal["source"]) == ("enterprise", "photo")
    assert overview["personal"] == []  # the claim's form is the enterprise's seal only


def test_a_failing_observer_does_not_undo_the_approval(
    api: AppApi, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(application_id: str) -> None:
        raise RuntimeError(f"observer down for {application_id}")

    api.node.applications.applications.approval_observers.insert(0, broken)
    alice = api.person(ALICE)
    app_id = apply(api, alice, ALICE, seal_photo("personal", seed=15))
    approved = review(api, app_id)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert "approval observer failed" in caplog.text
    assert len(personal_seals(api, alice)) == 1  # the next observer still ran
