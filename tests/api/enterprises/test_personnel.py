"""Personnel over the API: members, invitations (SMS and message; a refused SMS leaves the
invitation unsent), removal (authorizations revoked on chain, recognition ends), admin
transfer with a certificate (immediate, sealed, traced)."""

from __future__ import annotations

from sqlmodel import Session

from huren.node.audit.oplog import Operation, OperationLog
from huren.node.enterprises.letters import LetterKind
from huren.node.recognition import recognize
from huren.registry.types import Reason, Right
from tests.api.applications.conftest import ALICE, BOB, problem
from tests.api.applications.test_flow import messages
from tests.api.enterprises.conftest import EntApi
from tests.api.enterprises.test_authorizations import PLATFORM, _ask, _ca


def test_members_invite_remove_with_revocation(ent: EntApi) -> None:
    api = ent
    admin = api.claim_enterprise(ALICE)
    bob, staff = api.join(admin, BOB)
    bob_id = api.account_id(BOB[0])
    base = f"/v1/enterprises/{admin.enterprise_id}"

    listed = api.http.get(f"{base}/members", headers=admin.headers).json()
    assert [(m["account_id"], m["role"]) for m in listed] == [
        (admin.account_id, "admin"),
        (bob_id, "staff"),
    ]
    assert listed[1]["phone"] == "138****8002" and listed[1]["name"] is not None
    problem(api.http.get(f"{base}/members", headers=bob), 403, "NOT_ENTERPRISE_ADMIN")
    assert [e["role"] for e in api.http.get("/v1/enterprises", headers=bob).json()] == ["staff"]

    # Invitations: an SMS to the number; a number with an account also gets a message.
    invite = {"name": "赵六", "phone": "139 0000 0001"}
    sent = api.http.post(f"{base}/invitations", json=invite, headers=admin.headers)
    assert sent.status_code == 201, sent.text
    assert sent.json()["state"] == "sent" and sent.json()["phone"] == "139****0001"
    outbox = api.node.account_services.dev_sms_outbox
    assert outbox is not None and "邀请您加入企业" in outbox.outbox("13900000001")[0].text
    refused = api.http.post(
        f"{base}/invitations", json={"name": "钱七", "phone": "13900000000"}, headers=admin.headers
    )
    problem(refused, 422, "UPSTREAM_REFUSED")  # the simulator blocks numbers ending 0000
    invitations = api.http.get(f"{base}/invitations", headers=admin.headers).json()
    assert sorted((i["name"], i["state"]) for i in invitations) == [
        ("赵六", "sent"),
        ("钱七", "unsent"),
    ]
    for bad in ({"name": " 赵六", "phone": "13900000001"}, {"name": "赵六", "phone": "12345"}):
        problem(
            api.http.post(f"{base}/invitations", json=bad, headers=admin.headers),
            422,
            "INVALID_INVITATION",
        )
    carol = api.login("13800138003")  # an account, not a member: told in the app too
    carol_invite = {"name": "王五", "phone": "13800138003"}
    assert api.http.post(f"{base}/invitations", json=carol_invite, headers=admin.headers).is_success
    assert "enterprise_invitation" in messages(api, carol)
    bob_again = api.http.post(
        f"{base}/invitations", json={"name": "李四", "phone": "13800138009"}, headers=admin.headers
    )
    assert bob_again.status_code == 201
    member = {"name": "李四", "phone": BOB[0]}
    problem(
        api.http.post(f"{base}/invitations", json=member, headers=admin.headers),
        422,
        "INVALID_INVITATION",
    )

    # Bob holds a granted authorization; removing him revokes it on chain.
    request = _ask(api, admin, staff, Right.SIGN).json()[0]
    assert _ca(api, request["id"], "approve").json()["state"] == "granted"
    problem(
        api.http.delete(f"{base}/members/{admin.account_id}", headers=admin.headers),
        409,
        "CANNOT_REMOVE_ADMIN",
    )
    removed = api.http.delete(f"{base}/members/{bob_id}", headers=admin.headers)
    assert removed.status_code == 204, removed.text
    problem(
        api.http.delete(f"{base}/members/{bob_id}", headers=admin.headers), 404, "MEMBER_NOT_FOUND"
    )
    assert "removed_from_enterprise" in messages(api, bob)
    assert "authorization_revoked" in messages(api, bob)
    history = api.http.get(
        f"{base}/authorizations", params={"history": True}, headers=admin.headers
    ).json()
    assert [r["state"] for r in history] == ["revoked"]
    api.index()
    with Session(api.node.engine) as session:
        answer = recognize(
            session, staff.signing_fingerprint, PLATFORM, Right.SIGN, int(api.clock())
        )
    assert answer.reasons == Reason.NOT_AUTHORIZED
    assert api.http.get("/v1/enterprises", headers=bob).json() == []
    problem(api.http.get(f"{base}/authorizations", headers=bob), 404, "ENTERPRISE_NOT_FOUND")


def test_admin_transfer_with_a_certificate(ent: EntApi) -> None:
    api = ent
    admin = api.claim_enterprise(ALICE)
    invitations = f"/v1/enterprises/{admin.enterprise_id}/invitations"
    invite = {"name": BOB[1], "phone": BOB[0]}
    assert api.http.post(invitations, json=invite, headers=admin.headers).status_code == 201
    bob, _ = api.join(admin, BOB)  # the invitation is accepted by joining
    assert [i["state"] for i in api.http.get(invitations, headers=admin.headers).json()] == [
        "accepted"
    ]
    bob_id = api.account_id(BOB[0])
    url = f"/v1/enterprises/{admin.enterprise_id}/admin-transfer"

    def sealed(subject: str) -> dict[str, str]:
        return api.letter(admin.certificate, LetterKind.ADMIN_TRANSFER, admin.uscc, subject)

    wrong = {"transferee_account_id": bob_id, "letter": sealed(admin.account_id)}
    problem(api.http.post(url, json=wrong, headers=admin.headers), 422, "LETTER_MISMATCH")
    to_self = {"transferee_account_id": admin.account_id, "letter": sealed(admin.account_id)}
    problem(api.http.post(url, json=to_self, headers=admin.headers), 422, "NOT_STAFF_MEMBER")
    body = {"transferee_account_id": bob_id, "letter": sealed(bob_id)}
    problem(api.http.post(url, json=body, headers=bob), 403, "NOT_ENTERPRISE_ADMIN")
    done = api.http.post(url, json=body, headers=admin.headers)
    assert done.status_code == 200, done.text
    assert {m["account_id"]: m["role"] for m in done.json()} == {
        bob_id: "admin",
        admin.account_id: "staff",
    }
    assert "admin_transferred" in messages(api, bob)
    assert "admin_transferred" in messages(api, admin.headers)
    # Alice is staff now: her enterprise certificate seals nothing more for the enterprise.
    again = {"transferee_account_id": admin.account_id, "letter": sealed(admin.account_id)}
    problem(api.http.post(url, json=again, headers=admin.headers), 403, "NOT_ENTERPRISE_ADMIN")
    with api.node.engine.connect() as conn:
        traced = [r.record for r in OperationLog.rows(conn)]
    assert [(r.actor, r.subject) for r in traced if r.operation == Operation.ADMIN_TRANSFER] == [
        (admin.account_id, admin.enterprise_id)
    ]
