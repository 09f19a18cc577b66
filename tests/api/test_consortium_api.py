"""Consortium reads from the index and governance writes through the node's operator."""

from __future__ import annotations

from huren.node import demo
from tests.api.conftest import ApiEnv


def test_reads_need_a_key(env: ApiEnv) -> None:
    for path in ("members", "cas", "platforms", "proposals", "quorum"):
        r = env.http.get(f"/v1/consortium/{path}")
        assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"


def test_members_cas_and_platforms_come_from_the_index(env: ApiEnv) -> None:
    h = env.headers("alliance")  # a platform key reads the consortium too
    members = env.http.get("/v1/consortium/members", headers=h).json()
    assert [m["region_code"] for m in members] == [c.region_code for c in demo.CENTERS]
    assert all(m["active"] and m["last_event"]["transaction_hash"] for m in members)
    cas = {c["id"]: c for c in env.http.get("/v1/consortium/cas", headers=h).json()}
    assert set(cas) == {c.ca_id for c in demo.CAS}
    zjca = cas["zjca"]
    assert zjca["status"] == "accredited"
    assert zjca["operators"] == [demo.ca_operator_account("zjca").address]
    assert zjca["issuer_key_ids"] == ["0x" + demo.issuer_key_id("zjca").hex()]
    assert env.http.get("/v1/consortium/cas/zjca", headers=h).json() == zjca
    r = env.http.get("/v1/consortium/cas/nope", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_CA"
    platforms = env.http.get("/v1/consortium/platforms", headers=h).json()
    assert {p["id"] for p in platforms} == {p.platform_id for p in demo.PLATFORMS}
    one = env.http.get("/v1/consortium/platforms/nantong-ggzy", headers=h).json()
    assert one["center"] == demo.center_account("nantong").address and one["active"]
    r = env.http.get("/v1/consortium/platforms/nope", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_PLATFORM"
    assert env.http.get("/v1/consortium/quorum", headers=h).json()["percent"] == 50


def test_proposals_with_their_votes_and_decoded_actions(env: ApiEnv) -> None:
    h = env.headers()
    proposals = env.http.get("/v1/consortium/proposals", headers=h).json()
    assert len(proposals) == len(demo.CAS) + len(demo.PLATFORMS)
    assert [p["id"] for p in proposals] == sorted((p["id"] for p in proposals), reverse=True)
    first = proposals[-1]
    assert first["kind"] == "accredit_ca" and first["status"] == "executed"
    assert first["action"]["ca_id"] == "zjca"
    assert first["action"]["issuer_key_ids"] == ["0x" + demo.issuer_key_id("zjca").hex()]
    assert len(first["votes"]) == 2 and all(v["support"] for v in first["votes"])
    executed = env.http.get("/v1/consortium/proposals?status=executed&limit=2", headers=h).json()
    assert len(executed) == 2
    assert env.http.get("/v1/consortium/proposals?status=open", headers=h).json() == []
    one = env.http.get(f"/v1/consortium/proposals/{first['id']}", headers=h).json()
    assert one == first
    r = env.http.get("/v1/consortium/proposals/999", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_PROPOSAL"


def test_governance_writes_need_the_admin_key(env: ApiEnv) -> None:
    body = {"kind": "set_quorum", "quorum_percent": 60}
    r = env.http.post("/v1/consortium/proposals", json=body)
    assert r.status_code == 401
    r = env.http.post("/v1/consortium/proposals", json=body, headers=env.headers("alliance"))
    assert r.status_code == 403 and r.json()["code"] == "ADMIN_ONLY"
    r = env.http.post("/v1/consortium/proposals/1/votes", json={"support": True})
    assert r.status_code == 401


def test_propose_vote_and_see_it_executed_in_the_index(env: ApiEnv) -> None:
    h = env.headers()
    body = {
        "kind": "register_platform",
        "platform_id": "api-test-ggzy",
        "center": demo.center_account("jiaxing").address,
        "name": "API test platform",
    }
    r = env.http.post("/v1/consortium/proposals", json=body, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "open" and created["transaction_hash"].startswith("0x")
    pid = created["proposal_id"]
    r = env.http.post(f"/v1/consortium/proposals/{pid}/votes", json={"support": True}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "ALREADY_VOTED"
    assert r.json()["arguments"]["id"] == pid
    env.as_(demo.center_account("nantong")).vote(pid, True)
    env.index()
    shown = env.http.get(f"/v1/consortium/proposals/{pid}", headers=h).json()
    assert shown["status"] == "executed" and shown["action"]["platform_id"] == "api-test-ggzy"
    platform = env.http.get("/v1/consortium/platforms/api-test-ggzy", headers=h).json()
    assert platform["active"] is True


def test_contract_reverts_become_problems_with_the_error_name(env: ApiEnv) -> None:
    h = env.headers()
    r = env.http.post(
        "/v1/consortium/proposals", json={"kind": "suspend_ca", "ca_id": "nope"}, headers=h
    )
    assert r.status_code == 409 and r.json()["code"] == "CA_NOT_ACCREDITED"
    r = env.http.post("/v1/consortium/proposals/999/votes", json={"support": False}, headers=h)
    assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_PROPOSAL"
    body = {"kind": "add_member", "account": "0x" + "00" * 20, "name": "x", "region_code": 330400}
    r = env.http.post("/v1/consortium/proposals", json=body, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "ZERO_ADDRESS"
    r = env.http.post("/v1/consortium/proposals", json={"kind": "nope"}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "VALIDATION_FAILED"


def test_an_open_proposal_past_its_expiry_reads_as_expired(env: ApiEnv) -> None:
    h = env.headers()
    r = env.http.post(
        "/v1/consortium/proposals", json={"kind": "set_quorum", "quorum_percent": 66}, headers=h
    )
    pid = r.json()["proposal_id"]
    env.index()
    assert env.http.get(f"/v1/consortium/proposals/{pid}", headers=h).json()["status"] == "open"
    from sqlmodel import Session

    from huren.node.db import models as m

    with Session(env.services.engine) as session:  # pretend a week went by
        row = session.get(m.Proposal, pid)
        assert row is not None
        row.expires_at = 1
        session.add(row)
        session.commit()
    assert env.http.get(f"/v1/consortium/proposals/{pid}", headers=h).json()["status"] == "expired"
    expired = env.http.get("/v1/consortium/proposals?status=expired", headers=h).json()
    assert [p["id"] for p in expired] == [pid]
