"""Authorizations over the API on the embedded chain: the admin's sealed request, the CA's
review, the grant on chain (recognition follows), listing by platform and person, deletion
by platform, rejection, and what a stranger admin cannot do."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from huren.node.audit.oplog import Operation, OperationLog
from huren.node.enterprises.letters import LetterKind
from huren.node.recognition import recognize
from huren.registry.types import Reason, RevocationReason, Right
from tests.api.applications.conftest import ALICE, BOB, problem
from tests.api.applications.test_flow import messages
from tests.api.enterprises.conftest import Admin, EntApi, Held

CAROL = ("13800138003", "王五", "320402199001010017")  # check character per GB 11643
PLATFORM = "jiaxing-ggzy"


def _recognized(api: EntApi, fingerprint: bytes, action: Right) -> tuple[bool, Reason]:
    api.index()
    with Session(api.node.engine) as session:
        answer = recognize(session, fingerprint, PLATFORM, action, int(api.clock()))
    return answer.recognized, answer.reasons


def _ask(
    api: EntApi,
    admin: Admin,
    staff: Held,
    rights: Right,
    platforms: tuple[str, ...] = (PLATFORM,),
    *,
    letter: dict[str, str] | None = None,
) -> Any:
    names = [(r.name or "").lower() for r in Right if rights & r]
    if letter is None:
        letter = api.letter(
            admin.certificate,
            LetterKind.AUTHORIZATION_GRANT,
            admin.uscc,
            staff.signing_fingerprint.hex(),
            rights=rights,
            platforms=platforms,
        )
    body = {
        "staff_fingerprint": staff.signing_fingerprint.hex(),
        "platforms": list(platforms),
        "rights": names,
        "letter": letter,
    }
    return api.http.post(
        f"/v1/enterprises/{admin.enterprise_id}/authorizations", json=body, headers=admin.headers
    )


def _ca(api: EntApi, request_id: str, verb: str, **body: str) -> Any:
    return api.http.post(
        f"/v1/ca/zjca/authorizations/{request_id}/{verb}",
        json={"reviewer": "王审核", **body},
        headers=api.admin(),
    )


def test_grant_recognize_list_delete_reject(ent: EntApi) -> None:
    api = ent
    admin = api.claim_enterprise(ALICE)
    bob, staff = api.join(admin, BOB)
    bob_id = api.account_id(BOB[0])
    assert _recognized(api, staff.signing_fingerprint, Right.SIGN) == (
        False,
        Reason.NOT_AUTHORIZED,
    )

    first_letter = api.letter(
        admin.certificate,
        LetterKind.AUTHORIZATION_GRANT,
        admin.uscc,
        staff.signing_fingerprint.hex(),
        rights=Right.SIGN | Right.DECRYPT,
        platforms=(PLATFORM,),
    )
    asked = _ask(api, admin, staff, Right.SIGN | Right.DECRYPT, letter=first_letter)
    assert asked.status_code == 201, asked.text
    (request,) = asked.json()
    assert request["state"] == "pending" and request["rights"] == ["sign", "decrypt"]
    assert "authorization_requested" in messages(api, bob)
    # Nothing is pending twice for one certificate and platform.
    problem(_ask(api, admin, staff, Right.SIGN), 409, "AUTHORIZATION_PENDING")

    queue = api.http.get("/v1/ca/zjca/authorizations", headers=api.admin()).json()
    assert [r["id"] for r in queue] == [request["id"]]
    problem(
        api.http.get("/v1/ca/jsca/authorizations/" + request["id"], headers=api.admin()),
        404,
        "AUTHORIZATION_NOT_FOUND",
    )
    assert api.http.get("/v1/ca/zjca/authorizations", headers=bob).status_code in (401, 403)

    granted = _ca(api, request["id"], "approve")
    assert granted.status_code == 200, granted.text
    assert granted.json()["state"] == "granted" and len(granted.json()["grant_transactions"]) == 2
    problem(_ca(api, request["id"], "approve"), 409, "ILLEGAL_AUTHORIZATION_STATE")
    assert "authorization_granted" in messages(api, bob)
    # The same letter again: refused (each nonce is accepted once).
    replay = _ask(api, admin, staff, Right.SIGN | Right.DECRYPT, letter=first_letter)
    problem(replay, 409, "LETTER_REPLAYED")

    # Recognition follows the chain: signing certificate for sign, encryption one for decrypt.
    assert _recognized(api, staff.signing_fingerprint, Right.SIGN) == (True, Reason(0))
    assert _recognized(api, staff.encryption_fingerprint, Right.DECRYPT) == (True, Reason(0))
    assert _recognized(api, staff.signing_fingerprint, Right.LOGIN) == (
        False,
        Reason.NOT_AUTHORIZED,
    )

    base = f"/v1/enterprises/{admin.enterprise_id}/authorizations"
    by_platform = api.http.get(base, params={"platform_id": PLATFORM}, headers=admin.headers)
    by_person = api.http.get(base, params={"account_id": bob_id}, headers=admin.headers)
    assert [r["id"] for r in by_platform.json()] == [request["id"]]
    assert by_person.json() == by_platform.json()
    assert (
        api.http.get(base, params={"platform_id": "alliance"}, headers=admin.headers).json() == []
    )
    assert [r["id"] for r in api.http.get(base, headers=bob).json()] == [request["id"]]  # own

    # Delete by platform: revoked on chain, recognition ends.
    deleted = api.http.delete(base, params={"platform_id": PLATFORM}, headers=admin.headers)
    assert deleted.status_code == 200, deleted.text
    assert [r["state"] for r in deleted.json()] == ["revoked"]
    assert len(deleted.json()[0]["revoke_transactions"]) == 2
    assert _recognized(api, staff.signing_fingerprint, Right.SIGN) == (
        False,
        Reason.NOT_AUTHORIZED,
    )
    assert "authorization_revoked" in messages(api, bob)
    problem(
        api.http.delete(base, params={"platform_id": PLATFORM}, headers=admin.headers),
        404,
        "AUTHORIZATION_NOT_FOUND",
    )
    history = api.http.get(base, params={"history": True}, headers=admin.headers).json()
    assert [r["state"] for r in history] == ["revoked"]

    # A rejection goes back to the admin with its reason.
    second = _ask(api, admin, staff, Right.LOGIN).json()[0]
    problem(_ca(api, second["id"], "reject"), 422, "VALIDATION_FAILED")
    rejected = _ca(api, second["id"], "reject", reason="授权书不清晰")
    assert rejected.json()["state"] == "rejected"
    assert "authorization_rejected" in messages(api, admin.headers)

    # Delete by person: pending ones are withdrawn (no chain write).
    third = _ask(api, admin, staff, Right.SEAL).json()[0]
    withdrawn = api.http.delete(base, params={"account_id": bob_id}, headers=admin.headers)
    assert [(r["id"], r["state"]) for r in withdrawn.json()] == [(third["id"], "withdrawn")]

    with api.node.engine.connect() as conn:  # every change traced (操作追溯)
        traced = [r.record for r in OperationLog.rows(conn)]
    changes = [r for r in traced if r.operation == Operation.AUTHORIZATION_CHANGE]
    # requested, granted, revoked; requested, rejected; requested, withdrawn
    assert len(changes) == 7

    # The chain refuses a grant for a staff certificate revoked since the request: the
    # answer is the chain's code, and the request stays approved-but-not-granted.
    fourth = _ask(api, admin, staff, Right.LOGIN).json()[0]
    api.node.pki.issuance.revoke(staff.signing_fingerprint, RevocationReason.KEY_COMPROMISE)
    api.index()
    problem(_ca(api, fourth["id"], "approve"), 409, "CERTIFICATE_NOT_ACTIVE")
    detail = api.http.get(f"/v1/ca/zjca/authorizations/{fourth['id']}", headers=api.admin())
    assert detail.json()["state"] == "granting"
    assert {r.subject for r in changes} == {staff.signing_fingerprint.hex()}
    assert {r.platform for r in changes} == {PLATFORM}

    # The CA rejects the stuck request: the node reads the chain (no grant of it there) first.
    rejected = _ca(api, fourth["id"], "reject", reason="证书已吊销")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected" and rejected.json()["reason"] == "证书已吊销"
    assert api.http.get("/v1/ca/zjca/authorizations", headers=api.admin()).json() == []
    problem(_ca(api, fourth["id"], "approve"), 409, "ILLEGAL_AUTHORIZATION_STATE")
    with api.node.engine.connect() as conn:
        traced = [r.record for r in OperationLog.rows(conn)]
    # the fourth request asked and rejected
    assert sum(r.operation == Operation.AUTHORIZATION_CHANGE for r in traced) == len(changes) + 2


def test_letters_refused_and_strangers_see_nothing(ent: EntApi) -> None:
    api = ent
    admin = api.claim_enterprise(ALICE)
    bob, staff = api.join(admin, BOB)
    cert, uscc, subject = admin.certificate, admin.uscc, staff.signing_fingerprint.hex()
    kind = LetterKind.AUTHORIZATION_GRANT

    def letter(**over: Any) -> dict[str, str]:
        fields: dict[str, Any] = {"rights": Right.SIGN, "platforms": (PLATFORM,), **over}
        held = fields.pop("held", cert)
        return api.letter(
            held,
            fields.pop("kind", kind),
            fields.pop("uscc", uscc),
            fields.pop("subject", subject),
            **fields,
        )

    cases = [
        (letter(rights=Right.SEAL), 422, "LETTER_MISMATCH"),
        (letter(platforms=("alliance",)), 422, "LETTER_MISMATCH"),
        (letter(kind=LetterKind.ADMIN_TRANSFER), 422, "LETTER_MISMATCH"),
        (letter(subject="ab" * 32), 422, "LETTER_MISMATCH"),
        (letter(issued_at=int(api.clock()) - 3600), 422, "LETTER_EXPIRED"),
        (letter(held=staff), 403, "LETTER_CERTIFICATE_NOT_HELD"),  # bob's, not the admin's
        ({**letter(), "signature": letter()["signature"]}, 422, "LETTER_SIGNATURE_INVALID"),
        ({**letter(), "statement": "bm90IGEgbGV0dGVy"}, 422, "INVALID_LETTER"),
        ({**letter(), "signature": "%%%"}, 422, "INVALID_LETTER"),
        ({**letter(), "certificate": "-----BEGIN CERTIFICATE-----\nAA==\n"}, 422, "INVALID_LETTER"),
    ]
    for sealed, status, code in cases:
        problem(_ask(api, admin, staff, Right.SIGN, letter=sealed), status, code)

    # Bad requests of the admin: a platform not on chain, a certificate not of a member.
    problem(_ask(api, admin, staff, Right.SIGN, ("nowhere",)), 404, "UNKNOWN_PLATFORM")
    fake = Held(staff.keys, admin.certificate.signing_fingerprint, b"", b"")
    problem(_ask(api, admin, fake, Right.SIGN), 422, "NOT_STAFF_CERTIFICATE")
    problem(  # staff cannot ask
        api.http.post(
            f"/v1/enterprises/{admin.enterprise_id}/authorizations",
            json={
                "staff_fingerprint": subject,
                "platforms": [PLATFORM],
                "rights": ["sign"],
                "letter": letter(),
            },
            headers=bob,
        ),
        403,
        "NOT_ENTERPRISE_ADMIN",
    )

    # Carol administers another enterprise: she sees and changes nothing of Alice's.
    other = api.claim_enterprise(
        CAROL, enterprise_name="南通某某有限公司", uscc="91330400MA2B3C4D56"
    )
    base = f"/v1/enterprises/{admin.enterprise_id}"
    for method, path, body in (
        ("GET", "/members", None),
        ("GET", "/invitations", None),
        ("GET", "/authorizations", None),
        ("POST", "/invitations", {"name": "赵六", "phone": "13900000001"}),
        ("DELETE", f"/members/{api.account_id(BOB[0])}", None),
        ("DELETE", "/authorizations?platform_id=" + PLATFORM, None),
        ("DELETE", "/authorizations/0123456789abcdef", None),
        (
            "POST",
            "/authorizations",
            {
                "staff_fingerprint": subject,
                "platforms": [PLATFORM],
                "rights": ["sign"],
                "letter": letter(),
            },
        ),
        (
            "POST",
            "/admin-transfer",
            {"transferee_account_id": other.account_id, "letter": letter()},
        ),
    ):
        answer = api.http.request(method, base + path, json=body, headers=other.headers)
        problem(answer, 404, "ENTERPRISE_NOT_FOUND")
    # Her own enterprise with Alice's staff certificate, sealed by her own certificate.
    theirs = api.letter(
        other.certificate, kind, other.uscc, subject, rights=Right.SIGN, platforms=(PLATFORM,)
    )
    problem(_ask(api, other, staff, Right.SIGN, letter=theirs), 422, "NOT_STAFF_CERTIFICATE")
    # Alice's letter used for Carol's enterprise: not her enterprise's certificate.
    problem(_ask(api, other, staff, Right.SIGN, letter=letter()), 422, "NOT_STAFF_CERTIFICATE")
    assert api.http.get("/v1/ca/zjca/authorizations", headers=api.admin()).json() == []
