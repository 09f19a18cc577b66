"""证书找回审核通过: the holder of a split-key recovery is told, once, when the recovery is
approved and paid (the ticket for the new phone can then be asked for), and not before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.applications.conftest import AppApi, png_bytes, problem
from tests.api.applications.recovery_support import RecoveryWorld, build_world
from tests.api.applications.test_flow import review


def _inbox(world: RecoveryWorld, kind: str) -> list[dict[str, Any]]:
    listed = world.api.http.get("/v1/messages", headers=world.alice)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
    return [m for m in items if m["kind"] == kind]


def test_the_holder_is_told_once_when_the_recovery_is_paid(api: AppApi, tmp_path: Path) -> None:
    world = build_world(api, tmp_path)
    alice = world.alice
    started = api.http.post("/v1/recoveries", json=world.start_body(), headers=alice)
    assert started.status_code == 201, started.text
    app_id = started.json()["application"]["id"]
    put = api.http.put(
        f"/v1/applications/{app_id}/attachments/application_form",
        content=png_bytes(),
        headers={**alice, "Content-Type": "image/png"},
    )
    assert put.status_code == 200, put.text
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    assert review(api, app_id).status_code == 200
    # Approved but unpaid: no ticket yet, and no message saying there is one.
    assert _inbox(world, "recovery_ready") == []
    # Nor a "download your certificate" message: a split-key recovery downloads nothing.
    assert _inbox(world, "certificate_ready") == []
    problem(
        api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=alice), 409, "RECOVERY_NOT_READY"
    )

    api.pay(alice, app_id)
    (message,) = _inbox(world, "recovery_ready")
    assert message["title"] == "证书找回审核通过"
    assert message["action"] == f"recovery:{app_id}/ticket"
    assert message["params"] == {"application_id": app_id}
    assert app_id in message["body"]
    # The action it names works now.
    ticket = api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=alice)
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["ticket"]

    # Asking for a ticket again, or the payment notification delivered again, tells nothing new.
    assert api.http.post(f"/v1/recoveries/{app_id}/ticket", headers=alice).status_code == 201
    assert api.deliver() == []
    assert len(_inbox(world, "recovery_ready")) == 1
