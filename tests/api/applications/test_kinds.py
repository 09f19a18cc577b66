"""The other kinds over the API: join (the enterprise admin approves first), admin transfer
(no certificate, free: carried out on the CA's approval), enterprise change (re-issues,
warns, revokes the replaced pair as superseded, renames the enterprise), expiry
("expiring soon", then expired: renewal refused, re-application accepted), recovery."""

from __future__ import annotations

from typing import Any

from cryptography.x509 import ocsp
from sqlmodel import Session, select

from huren.node.audit.oplog import Operation, OperationLog
from huren.node.db.accounts_tables import Account
from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.registry.backend import ChainUnavailable
from tests.api.applications.conftest import ALICE, BOB, USCC, AppApi, Keys, join_letter, problem
from tests.api.applications.test_flow import (
    attach_all,
    claim,
    issue,
    messages,
    ocsp_status,
    review,
)


def _create(api: AppApi, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    base = {"ca_id": "zjca", "platform_id": "jiaxing-ggzy", "validity_years": 1}
    created = api.http.post("/v1/applications", json={**base, **body}, headers=headers)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


def _submit(api: AppApi, headers: dict[str, str], app_id: str) -> dict[str, Any]:
    attach_all(api, headers, app_id)
    done = api.http.post(f"/v1/applications/{app_id}/submit", headers=headers)
    assert done.status_code == 200, done.text
    result: dict[str, Any] = done.json()
    return result


def _claimed(api: AppApi, alice: dict[str, str]) -> dict[str, Any]:
    app_id = claim(api, alice)["id"]
    _submit(api, alice, app_id)
    return issue(api, alice, app_id, Keys.new())


BASE = {"ca_id": "zjca", "platform_id": "jiaxing-ggzy", "validity_years": 1}
NEW_USCC = "91330400MA2B3C4D56"  # check character computed with GB 32100's weights


def _account(api: AppApi, phone: str) -> str:
    with Session(api.node.engine) as session:
        account = session.exec(select(Account).where(Account.phone == phone)).one()
        return account.id


def _roles(api: AppApi) -> dict[str, str]:
    with Session(api.node.engine) as session:
        return {m.account_id: m.role for m in session.exec(select(EnterpriseMember)).all()}


def test_join_needs_the_admin_then_admin_transfer(api: AppApi) -> None:
    alice = api.person(ALICE)
    keys = Keys.new()
    claim_id = claim(api, alice)["id"]
    _submit(api, alice, claim_id)
    claimed = issue(api, alice, claim_id, keys)
    bob = api.person(BOB)
    person = {"person_name": BOB[1], "id_number": BOB[2]}
    join = _create(api, bob, kind="join_enterprise", uscc=USCC, **person)
    assert _submit(api, bob, join["id"])["state"] == "awaiting_admin"
    assert "join_request" in messages(api, alice)
    assert api.http.get("/v1/ca/zjca/applications", headers=api.admin()).json() == []
    queue = api.http.get("/v1/applications/staff-requests", headers=alice).json()
    assert [a["id"] for a in queue] == [join["id"]]
    url = f"/v1/applications/{join['id']}/admin-review"
    problem(api.http.post(url, json={"approve": True}, headers=bob), 404, "APPLICATION_NOT_FOUND")
    problem(api.http.post(url, json={"approve": True}, headers=alice), 422, "LETTER_REQUIRED")
    sealed = {
        "approve": True,
        "letter": join_letter(api, keys, claimed["signing_chain_pem"], join["id"]),
    }
    assert api.http.post(url, json=sealed, headers=alice).json()["state"] == "submitted"
    staff = issue(api, bob, join["id"], Keys.new())
    assert "join_approved" in messages(api, bob)
    assert (
        "/"
        in api.http.get(
            f"/v1/holder/certificates/{staff['signing_fingerprint']}", headers=bob
        ).json()["name"]
    )
    assert sorted(_roles(api).values()) == ["admin", "staff"]
    problem(
        api.http.post(
            "/v1/applications",
            json={
                "kind": "join_enterprise",
                "ca_id": "zjca",
                "platform_id": "jiaxing-ggzy",
                "validity_years": 1,
                "uscc": USCC,
                **person,
            },
            headers=bob,
        ),
        409,
        "ALREADY_MEMBER",
    )

    # Admin transfer without a certificate: the admin names a staff member; free, done on
    # the CA's approval.
    transfer_to = {"kind": "admin_transfer", "uscc": USCC}
    problem(
        api.http.post("/v1/applications", json={**BASE, **transfer_to}, headers=bob),
        403,
        "NOT_ENTERPRISE_ADMIN",
    )
    stranger = {**BASE, **transfer_to, "transferee_phone": "13900000000"}
    problem(
        api.http.post("/v1/applications", json=stranger, headers=alice), 422, "INVALID_APPLICATION"
    )
    transfer = _create(api, alice, **transfer_to, transferee_phone=BOB[0])
    assert transfer["fee_fen"] == 0
    _submit(api, alice, transfer["id"])
    done = api.http.post(
        f"/v1/ca/zjca/applications/{transfer['id']}/approve",
        json={"reviewer": "王审核"},
        headers=api.admin(),
    ).json()
    assert done["state"] == "completed"
    roles = _roles(api)
    assert roles[_account(api, BOB[0])] == "admin" and roles[_account(api, ALICE[0])] == "staff"
    assert "admin_transferred" in messages(api, alice) and "admin_transferred" in messages(api, bob)
    with api.node.engine.connect() as conn:  # traced in the operation log (操作追溯)
        traced = [r.record for r in OperationLog.rows(conn)]
    assert [r.actor for r in traced if r.operation == Operation.ADMIN_TRANSFER] == [
        _account(api, ALICE[0])
    ]
    problem(
        api.http.post(
            f"/v1/applications/{transfer['id']}/download",
            json=Keys.new().body(transfer["id"]),
            headers=alice,
        ),
        404,
        "APPLICATION_NOT_FOUND",
    )


def test_enterprise_change_reissues_warns_and_supersedes(api: AppApi) -> None:
    alice = api.person(ALICE)
    old = _claimed(api, alice)
    change = _create(
        api,
        alice,
        kind="enterprise_change",
        predecessor=old["signing_fingerprint"],
        enterprise_name="嘉兴市某某建设集团有限公司",
        uscc=NEW_USCC,
    )
    _submit(api, alice, change["id"])
    desk = api.node.applications.desk
    revoke = desk.issuance.revoke

    def chain_down(fingerprint: bytes, reason: object) -> bytes:
        raise ChainUnavailable("the chain cannot be reached")

    assert review(api, change["id"]).status_code == 200
    api.start_payment(alice, change["id"])  # paid, the change is carried out (completed)
    assert [r.text for r in api.deliver()] == ["success"]
    # The one certificate chosen (the old form: ``predecessor``) is Alice's to download
    # through her change_reissue application (see test_enterprise_change_chosen.py).
    listed = api.http.get("/v1/applications?state=pending", headers=alice).json()
    (reissue,) = [a["id"] for a in listed if a["kind"] == "change_reissue"]
    desk.issuance.revoke = chain_down  # type: ignore[assignment, method-assign]
    try:
        got = api.http.post(
            f"/v1/applications/{reissue}/download",
            json=Keys.new().body(reissue),
            headers=alice,
        )  # issued; the revocation failed
    finally:
        desk.issuance.revoke = revoke  # type: ignore[method-assign]
    assert got.status_code == 200, got.text
    new = got.json()
    api.index()
    assert any(w.startswith("ENCRYPTION_KEY_REPLACED") for w in new["warnings"])
    assert ocsp_status(api, old["signing_chain_pem"]) == ocsp.OCSPCertStatus.GOOD
    assert desk.revoke_superseded() == 2  # the retry revokes the replaced pair
    assert desk.revoke_superseded() == 0
    api.index()
    for pem in (old["signing_chain_pem"], old["encryption_chain_pem"]):
        assert ocsp_status(api, pem) == ocsp.OCSPCertStatus.REVOKED
    assert ocsp_status(api, new["signing_chain_pem"]) == ocsp.OCSPCertStatus.GOOD
    with Session(api.node.engine) as session:
        (enterprise,) = session.exec(select(Enterprise)).all()
        assert (enterprise.name, enterprise.uscc) == ("嘉兴市某某建设集团有限公司", NEW_USCC)
    problem(
        api.http.post(
            "/v1/applications",
            json={
                "kind": "renewal",
                "ca_id": "zjca",
                "platform_id": "jiaxing-ggzy",
                "validity_years": 1,
                "predecessor": old["signing_fingerprint"],
            },
            headers=alice,
        ),
        422,
        "INVALID_APPLICATION",
    )


def test_expiring_soon_then_expired_then_reapplication_and_recovery(api: AppApi) -> None:
    alice = api.person(ALICE)
    old = _claimed(api, alice)
    api.clock.advance(340 * 86_400)
    alice = api.login(ALICE[0])  # access tokens live 15 minutes
    active = api.http.get("/v1/holder/certificates?status=active", headers=alice).json()
    assert len(active) == 2 and all(c["expiring_soon"] for c in active), active
    # Recovery (a lost phone): new keys, the old pair revoked as superseded.
    lost = {"kind": "recovery", "predecessor": old["signing_fingerprint"]}
    problem(
        api.http.post("/v1/applications", json={**BASE, **lost}, headers=alice),
        422,
        "INVALID_APPLICATION",
    )
    recovery = _create(api, alice, **lost, person_name=ALICE[1], id_number=ALICE[2])
    _submit(api, alice, recovery["id"])
    recovered = issue(api, alice, recovery["id"], Keys.new())
    api.index()
    assert ocsp_status(api, old["signing_chain_pem"]) == ocsp.OCSPCertStatus.REVOKED
    assert recovered["warnings"]
    # A CSR-made recovery issues at download: there is no ticket to be told about.
    assert "recovery_ready" not in messages(api, alice)
    api.clock.advance(400 * 86_400)
    alice = api.login(ALICE[0])
    expired = api.http.get("/v1/holder/certificates?status=expired", headers=alice).json()
    assert recovered["signing_fingerprint"] in {c["fingerprint"] for c in expired}
    renew = {"kind": "renewal", "predecessor": recovered["signing_fingerprint"]}
    base = {"ca_id": "zjca", "platform_id": "jiaxing-ggzy", "validity_years": 1}
    problem(
        api.http.post("/v1/applications", json={**base, **renew}, headers=alice),
        422,
        "INVALID_APPLICATION",
    )
    again = _create(api, alice, kind="reapplication", predecessor=recovered["signing_fingerprint"])
    _submit(api, alice, again["id"])
    reissued = issue(api, alice, again["id"], Keys.new())
    assert reissued["signing_fingerprint"] not in (
        old["signing_fingerprint"],
        recovered["signing_fingerprint"],
    )
