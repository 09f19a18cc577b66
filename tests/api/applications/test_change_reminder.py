"""变更企业信息, the reminder: after a real change (review, one payment), the holder who
downloaded the replacement is left alone, the one who did not is reminded once by the
node's upkeep 7 days after the payment, and the one who left the enterprise is not."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from huren.node.db.messages_tables import Message
from huren.node.reminders import REISSUE_REMINDER_AFTER_S
from huren.node.upkeep import node_upkeep
from tests.api.applications.conftest import AppApi, Keys
from tests.api.applications.test_enterprise_change_chosen import (
    NEW_NAME,
    _approve,
    _change,
    _enterprise,
    _leave,
    _pending,
)
from tests.api.applications.test_flow import attach_all


def _reminders(api: AppApi) -> list[Message]:
    with Session(api.node.engine) as session:
        return list(
            session.exec(
                select(Message)
                .where(Message.kind == "reissue_not_downloaded")
                .order_by(col(Message.id))
            ).all()
        )


def _inbox_kinds(api: AppApi, headers: dict[str, str]) -> list[str]:
    body: Any = api.http.get("/v1/messages", headers=headers).json()
    items = body["items"] if isinstance(body, dict) else body
    return [m["kind"] for m in items]


def test_the_holder_who_did_not_download_is_reminded_once(api: AppApi) -> None:
    e = _enterprise(api)
    alice, bob, carol = e["alice"], e["bob"], e["carol"]
    chosen = [
        e["admin_cert"]["signing_fingerprint"],
        bob["signing_fingerprint"],
        carol["signing_fingerprint"],
    ]
    made = _change(api, alice, chosen)
    assert made.status_code == 201, made.text
    app_id = made.json()["application"]["id"]
    attach_all(api, alice, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    assert _approve(api, app_id).status_code == 200
    api.start_payment(alice, app_id)
    assert [r.text for r in api.deliver()] == ["success"]  # the change is now completed
    (bob_reissue,) = _pending(api, bob["headers"])
    (alice_reissue,) = _pending(api, alice)
    got = api.http.post(
        f"/v1/applications/{bob_reissue['id']}/download",
        json=Keys.new().body(bob_reissue["id"]),
        headers=bob["headers"],
    )
    assert got.status_code == 200, got.text  # Bob downloads; Alice does not
    _leave(api, carol["signing_fingerprint"], uscc=made.json()["new_uscc"])  # Carol leaves

    upkeep = node_upkeep(api.node.engine, desk=None, payments=None, authorizations=None, zones=None)
    paid_at = int(api.clock())
    assert upkeep.run_once(paid_at + REISSUE_REMINDER_AFTER_S - 60).ok
    assert _reminders(api) == []  # not yet

    for later in (REISSUE_REMINDER_AFTER_S, REISSUE_REMINDER_AFTER_S + 3600, 40 * 86_400):
        report = upkeep.run_once(paid_at + later)
        assert report.ok, report
    (reminder,) = _reminders(api)
    assert reminder.action == f"application:{alice_reissue['id']}/download"
    assert json.loads(reminder.params) == {
        "application_id": alice_reissue["id"],
        "enterprise_name": NEW_NAME,
    }
    assert _inbox_kinds(api, alice).count("reissue_not_downloaded") == 1
    assert "reissue_not_downloaded" not in _inbox_kinds(api, bob["headers"])
    assert "reissue_not_downloaded" not in _inbox_kinds(api, carol["headers"])
