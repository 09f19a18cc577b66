"""``/v1/upkeep``: the upkeep job's last pass and a pass now, for the node-admin key; an
expiring certificate's holder finds the reminder in the inbox, once."""

from __future__ import annotations

import time

from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.engine import write_session
from tests.api.access_table import account_token
from tests.api.conftest import ApiEnv

DAY = 86_400


def test_the_last_pass_and_a_pass_now(env: ApiEnv) -> None:
    first = env.http.get("/v1/upkeep", headers=env.headers())
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["running"] is False and body["interval_s"] is None  # no thread: built by hand
    assert body["tasks"] == [
        "revoke_superseded",
        "expire_orders",
        "finish_authorization_revocations",
        "notify_expiring",
        "remind_reissue_downloads",
    ]
    ran = env.http.post("/v1/upkeep/run", headers=env.headers())
    assert ran.status_code == 200, ran.text
    report = ran.json()
    assert report["ok"] is True and [t["name"] for t in report["tasks"]] == body["tasks"]
    assert all(t["error"] is None for t in report["tasks"])
    again = env.http.get("/v1/upkeep", headers=env.headers()).json()
    assert again["last"] == report


def test_a_platform_key_is_refused_and_a_node_without_upkeep_says_so(env: ApiEnv) -> None:
    refused = env.http.get("/v1/upkeep", headers=env.headers("alliance"))
    assert refused.status_code == 403 and refused.json()["code"] == "ADMIN_ONLY"
    upkeep, env.services.upkeep = env.services.upkeep, None
    try:
        for method, path in (("GET", "/v1/upkeep"), ("POST", "/v1/upkeep/run")):
            answer = env.http.request(method, path, headers=env.headers())
            assert answer.status_code == 503 and answer.json()["code"] == "UPKEEP_UNAVAILABLE"
    finally:
        env.services.upkeep = upkeep


def test_the_holder_of_an_expiring_certificate_is_told_once(env: ApiEnv) -> None:
    token = account_token(env.http, "13900139077")
    auth = {"Authorization": f"Bearer {token}"}
    account_id = env.http.get("/v1/account", headers=auth).json()["id"]
    now = int(time.time())
    fingerprint = bytes.fromhex("ab" * 32)
    with write_session(env.services.engine) as session:
        session.add(
            Application(
                id="upkeep0000000001",
                account_id=account_id,
                kind="personal",
                state="downloaded",
                ca_id="zjca",
                platform_id="alliance",
                center="0x" + "0" * 40,
                validity_years=1,
                fee_fen=0,
                person_name="王五",
                holder=b"\x04" * 32,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        session.add(
            HeldCertificate(
                fingerprint=fingerprint,
                account_id=account_id,
                application_id="upkeep0000000001",
                ca_id="zjca",
                usage=1,
                partner=b"\x09" * 32,
                name="王五",
                not_before=now - 300 * DAY,
                not_after=now + 12 * DAY,
            )
        )
    for _ in range(2):
        report = env.http.post("/v1/upkeep/run", headers=env.headers()).json()
        assert report["ok"] is True
    inbox = env.http.get("/v1/messages", headers=auth).json()
    expiring = [m for m in inbox if m["kind"] == "certificate_expiring"]
    assert len(expiring) == 1
    (message,) = expiring
    assert message["title"] == "证书即将到期"
    assert message["action"] == f"certificate:{fingerprint.hex()}/renew"
    assert message["params"]["days_left"] == 12
