"""Helpers of the split-key download tests: the co-signer on the application node's clock,
phones (devices) on the app in process, and a personal application brought to approval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, col, select

from huren.device.pin import TEST_PARAMS
from huren.device.sdk import Device
from huren.node.cosigner import at_rest
from huren.node.cosigner.service import CosignerService
from huren.node.db.cosigner_tables import CosignerCertificate
from huren.node.db.pki_tables import PkiIssuedCertificate
from tests.api.applications.conftest import AppApi
from tests.api.applications.test_flow import review

PIN = "135790"
PLATFORM = "jiaxing-ggzy"


def install_cosigner(api: AppApi) -> CosignerService:
    """The co-signer on the test's clock (certificates are valid from the clock's now)."""
    app = api.http.app
    service = CosignerService(
        api.node.engine,
        at_rest.DEV_KEK,
        clock=lambda: int(api.clock()),
        index_cache=app.state.index_cache,  # type: ignore[attr-defined]
    )
    app.state.cosigner = service  # type: ignore[attr-defined]
    return service


def phone(api: AppApi, home: Path) -> Device:
    http = httpx.Client(transport=api.http._transport, base_url="http://testserver")
    return Device(home, http, pin_params=TEST_PARAMS, clock=api.clock)


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def personal(api: AppApi, headers: dict[str, str], who: tuple[str, str, str]) -> str:
    """A personal application, submitted and approved by the CA: its id."""
    body = {
        "kind": "personal",
        "ca_id": "zjca",
        "platform_id": PLATFORM,
        "validity_years": 1,
        "person_name": who[1],
        "id_number": who[2],
    }
    created = api.http.post("/v1/applications", json=body, headers=headers)
    assert created.status_code == 201, created.text
    app_id = str(created.json()["id"])
    submitted = api.http.post(f"/v1/applications/{app_id}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    assert review(api, app_id).status_code == 200
    return app_id


def tickets(api: AppApi, headers: dict[str, str], app_id: str) -> dict[str, Any]:
    got = api.http.post(f"/v1/applications/{app_id}/enrolment-tickets", headers=headers)
    assert got.status_code == 201, got.text
    result: dict[str, Any] = got.json()
    return result


def enrol_both(device: Device, issued: dict[str, Any]) -> dict[str, str]:
    """Each ticket's key enrolled: purpose -> enrolment id."""
    return {
        t["purpose"]: device.enrol(t["ticket"], PIN, purpose=t["purpose"]).enrolment_id
        for t in issued["tickets"]
    }


def download(
    api: AppApi, headers: dict[str, str], app_id: str, signing: str, encryption: str | None
) -> Any:
    body: dict[str, Any] = {"key_source": "enrolment", "signing_enrolment": signing}
    if encryption is not None:
        body["encryption_enrolment"] = encryption
    return api.http.post(f"/v1/applications/{app_id}/download", json=body, headers=headers)


def reserved(api: AppApi, app_id: str) -> list[str]:
    """The PKI's issuance rows of this application (reserved, signed or committed)."""
    with Session(api.node.engine) as session:
        rows = session.exec(
            select(PkiIssuedCertificate.request_id).where(
                col(PkiIssuedCertificate.request_id).startswith(f"{app_id}-")
            )
        ).all()
    return sorted(rows)


def bound(api: AppApi, enrolment_id: str) -> list[bytes]:
    with Session(api.node.engine) as session:
        rows = session.exec(
            select(CosignerCertificate.fingerprint).where(
                CosignerCertificate.enrolment_id == enrolment_id
            )
        ).all()
    return sorted(bytes(f) for f in rows)
