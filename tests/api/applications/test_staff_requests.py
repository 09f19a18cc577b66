"""Staff requests for enterprise certificates, renewals and re-applications go to the
enterprise admin first (manual 2.12.2.1, 2.12.2.3, 2.12.2.5), on the embedded chain: the
admin's inbox (证书授权, 证书续期), the admin's queue, the sealed ``staff_certificate``
letter, then the CA, payment and download; the admin's rejection with a reason reaches the
staff member; the admin's own applications skip the step; every bad input refused."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from huren.node.enterprises.letters import LetterKind
from tests.api.applications.conftest import ALICE, BOB, ENTERPRISE, Keys, problem
from tests.api.applications.test_flow import attach_all, review
from tests.api.enterprises.conftest import Admin, EntApi, ent  # noqa: F401

CAROL = ("13800138003", "王五", "320402199001010017")  # check character per GB 11643
OTHER_USCC = "91330400MA2B3C4D56"  # check character computed with GB 32100's weights
BASE = {"ca_id": "zjca", "platform_id": "jiaxing-ggzy", "validity_years": 1}


def _create(api: EntApi, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    created = api.http.post("/v1/applications", json={**BASE, **body}, headers=headers)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


def _submit(api: EntApi, headers: dict[str, str], app_id: str) -> str:
    attach_all(api, headers, app_id)
    done = api.http.post(f"/v1/applications/{app_id}/submit", headers=headers)
    assert done.status_code == 200, done.text
    state: str = done.json()["state"]
    return state


def _inbox(api: EntApi, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = api.http.get("/v1/messages", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
    return items


def _queue(api: EntApi, headers: dict[str, str]) -> list[str]:
    got = api.http.get("/v1/applications/staff-requests", headers=headers)
    assert got.status_code == 200, got.text
    return [a["id"] for a in got.json()]


def _admin_review(api: EntApi, admin: Admin, app_id: str, **body: Any) -> Any:
    return api.http.post(
        f"/v1/applications/{app_id}/admin-review", json=body, headers=admin.headers
    )


def _approve(api: EntApi, admin: Admin, app_id: str, kind: LetterKind, subject: str = "") -> Any:
    letter = api.letter(admin.certificate, kind, admin.uscc, subject or app_id)
    return _admin_review(api, admin, app_id, approve=True, letter=letter)


def _ca_pay_download(
    api: EntApi, headers: dict[str, str], app_id: str, *, renewal: bool = False
) -> dict[str, Any]:
    assert review(api, app_id).status_code == 200
    api.pay(headers, app_id)
    keys = Keys.new()
    got = api.http.post(
        f"/v1/applications/{app_id}/download",
        json=keys.body(app_id, with_encryption=not renewal),
        headers=headers,
    )
    assert got.status_code == 200, got.text
    api.index()
    result: dict[str, Any] = got.json()
    return result


def _subject(download: dict[str, Any]) -> tuple[list[str], list[str]]:
    leaf = x509.load_pem_x509_certificates(download["signing_chain_pem"].encode())[0]
    names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ids = leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    return [str(a.value) for a in names], [str(a.value) for a in ids]


def test_staff_certificate_and_renewal_go_through_the_admin(ent: EntApi) -> None:  # noqa: F811
    api = ent
    admin = api.claim_enterprise(ALICE)
    bob, staff = api.join(admin, BOB)
    person = {"person_name": BOB[1], "id_number": BOB[2]}

    # 办事人员新增企业证书: a staff certificate naming the enterprise and the person.
    request = _create(api, bob, kind="enterprise_certificate", uscc=admin.uscc, **person)
    assert _submit(api, bob, request["id"]) == "awaiting_admin"
    asked = [m for m in _inbox(api, admin.headers) if m["kind"] == "certificate_request"]
    assert [m["params"] for m in asked] == [{"request_id": request["id"], "staff_name": BOB[1]}]
    assert asked[0]["title"] == "证书授权"
    assert asked[0]["body"] == f"办事人员 {BOB[1]} 申请企业证书，请审核。"
    assert api.http.get("/v1/ca/zjca/applications", headers=api.admin()).json() == []
    assert _queue(api, admin.headers) == [request["id"]]
    # A join's letter does not approve a certificate, nor a letter for another application.
    wrong_kind = _approve(api, admin, request["id"], LetterKind.JOIN_APPROVAL)
    problem(wrong_kind, 422, "LETTER_MISMATCH")
    other = _approve(api, admin, request["id"], LetterKind.STAFF_CERTIFICATE, "ab" * 8)
    problem(other, 422, "LETTER_MISMATCH")
    problem(_admin_review(api, admin, request["id"], approve=True), 422, "LETTER_REQUIRED")
    approved = _approve(api, admin, request["id"], LetterKind.STAFF_CERTIFICATE)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "submitted"
    detail = api.http.get(f"/v1/applications/{request['id']}", headers=bob).json()
    actions = [(h["action"], h["actor"]) for h in detail["history"]]
    assert actions == [
        ("submit_to_admin", f"account:{api.account_id(BOB[0])}"),
        ("admin_approve", f"account:{admin.account_id}"),
    ]
    assert _queue(api, admin.headers) == []
    # Reviewed once: a second review finds no request waiting.
    again = _approve(api, admin, request["id"], LetterKind.STAFF_CERTIFICATE)
    problem(again, 404, "APPLICATION_NOT_FOUND")
    issued = _ca_pay_download(api, bob, request["id"])
    assert _subject(issued) == ([BOB[1]], [f"NTRCN-{admin.uscc}"])  # the person, the enterprise
    held = api.http.get(f"/v1/holder/certificates/{issued['signing_fingerprint']}", headers=bob)
    assert held.json()["name"] == f"{ENTERPRISE} / {BOB[1]}"
    assert "certificate_ready" in [m["kind"] for m in _inbox(api, bob)]

    # 办事人员续期企业证书: rejected first with a reason, resubmitted, approved.
    renewal = _create(api, bob, kind="renewal", predecessor=staff.signing_fingerprint.hex())
    assert _submit(api, bob, renewal["id"]) == "awaiting_admin"
    asked = [m for m in _inbox(api, admin.headers) if m["kind"] == "renewal_request"]
    assert [m["params"] for m in asked] == [{"request_id": renewal["id"], "staff_name": BOB[1]}]
    assert asked[0]["body"] == f"办事人员 {BOB[1]} 申请续期企业证书，请审核。"
    problem(_admin_review(api, admin, renewal["id"], approve=False), 422, "INVALID_APPLICATION")
    rejected = _admin_review(api, admin, renewal["id"], approve=False, reason="请先补充授权书")
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["state"], rejected.json()["reason"]) == ("rejected", "请先补充授权书")
    told = [m for m in _inbox(api, bob) if m["kind"] == "staff_request_rejected"]
    assert [m["params"] for m in told] == [
        {"application_id": renewal["id"], "reason": "请先补充授权书"}
    ]
    assert "请先补充授权书" in told[0]["body"] and "管理员" in told[0]["body"]
    done = api.http.post(f"/v1/applications/{renewal['id']}/submit", headers=bob)
    assert done.json()["state"] == "awaiting_admin"
    kinds = [m["kind"] for m in _inbox(api, admin.headers)]
    assert kinds.count("renewal_request") == 2
    approved = _approve(api, admin, renewal["id"], LetterKind.STAFF_CERTIFICATE)
    assert approved.json()["state"] == "submitted", approved.text
    renewed = _ca_pay_download(api, bob, renewal["id"], renewal=True)
    assert renewed["encryption_fingerprint"] != staff.encryption_fingerprint.hex()
    assert "renewal_ready" in [m["kind"] for m in _inbox(api, bob)]
    old = api.http.get(
        f"/v1/holder/certificates/{staff.signing_fingerprint.hex()}", headers=bob
    ).json()
    assert old["status"] == "replaced"

    # The admin's own renewal and enterprise certificate go straight to the CA.
    before = len(_inbox(api, admin.headers))
    own = _create(
        api, admin.headers, kind="renewal", predecessor=admin.certificate.signing_fingerprint.hex()
    )
    assert _submit(api, admin.headers, own["id"]) == "submitted"
    own_new = _create(api, admin.headers, kind="enterprise_certificate", uscc=admin.uscc)
    assert _submit(api, admin.headers, own_new["id"]) == "submitted"
    assert len(_inbox(api, admin.headers)) == before
    assert _queue(api, admin.headers) == []
    issued_own = _ca_pay_download(api, admin.headers, own_new["id"])
    assert _subject(issued_own) == ([ENTERPRISE], [f"NTRCN-{admin.uscc}"])
    # A personal certificate of a staff member does not go to the admin either.
    personal = _create(api, bob, kind="personal", **person)
    assert _submit(api, bob, personal["id"]) == "submitted"


def test_reapplication_of_an_expired_staff_certificate(ent: EntApi) -> None:  # noqa: F811
    api = ent
    admin = api.claim_enterprise(ALICE, validity_years=3)  # still valid to seal in a year
    bob, staff = api.join(admin, BOB)
    api.clock.advance(400 * 86_400)
    bob = api.login(BOB[0])
    admin.headers.update(api.login(ALICE[0]))
    renew = {"kind": "renewal", "predecessor": staff.signing_fingerprint.hex()}
    expired = api.http.post("/v1/applications", json={**BASE, **renew}, headers=bob)
    problem(expired, 422, "INVALID_APPLICATION")
    again = _create(api, bob, kind="reapplication", predecessor=staff.signing_fingerprint.hex())
    assert _submit(api, bob, again["id"]) == "awaiting_admin"
    asked = [m for m in _inbox(api, admin.headers) if m["kind"] == "certificate_request"]
    assert [m["params"]["request_id"] for m in asked] == [again["id"]]
    approved = _approve(api, admin, again["id"], LetterKind.STAFF_CERTIFICATE)
    assert approved.json()["state"] == "submitted", approved.text
    issued = _ca_pay_download(api, bob, again["id"])
    held = api.http.get(f"/v1/holder/certificates/{issued['signing_fingerprint']}", headers=bob)
    assert held.json()["name"] == f"{ENTERPRISE} / {BOB[1]}"


def test_bad_staff_requests(ent: EntApi) -> None:  # noqa: F811
    api = ent
    admin = api.claim_enterprise(ALICE)
    bob, staff = api.join(admin, BOB)
    bob_id = api.account_id(BOB[0])
    person = {"person_name": BOB[1], "id_number": BOB[2]}
    certificate = {**BASE, "kind": "enterprise_certificate", "uscc": admin.uscc}
    post = api.http.post

    # A staff certificate names the person (checked against the verified identity).
    problem(post("/v1/applications", json=certificate, headers=bob), 422, "INVALID_APPLICATION")
    wrong_person = {**certificate, "person_name": ALICE[1], "id_number": ALICE[2]}
    assert post("/v1/applications", json=wrong_person, headers=bob).status_code == 403

    # A non-member (another enterprise's admin) may not apply, nor review Bob's request.
    other = api.claim_enterprise(CAROL, enterprise_name="宣城市某某工程有限公司", uscc=OTHER_USCC)
    carol_person = {"person_name": CAROL[1], "id_number": CAROL[2]}
    stranger = post("/v1/applications", json={**certificate, **carol_person}, headers=other.headers)
    problem(stranger, 403, "NOT_ENTERPRISE_MEMBER")
    request = _create(api, bob, **{**certificate, **person})
    assert _submit(api, bob, request["id"]) == "awaiting_admin"
    assert _queue(api, other.headers) == []
    problem(
        _approve(api, other, request["id"], LetterKind.STAFF_CERTIFICATE),
        404,
        "APPLICATION_NOT_FOUND",
    )
    problem(
        _admin_review(api, other, request["id"], approve=False, reason="不是本企业"),
        404,
        "APPLICATION_NOT_FOUND",
    )
    # The staff member does not review their own request.
    own = post(
        f"/v1/applications/{request['id']}/admin-review",
        json={"approve": False, "reason": "x"},
        headers=bob,
    )
    problem(own, 404, "APPLICATION_NOT_FOUND")
    # Sealed by the other enterprise's certificate: not this enterprise's.
    foreign = api.letter(other.certificate, LetterKind.STAFF_CERTIFICATE, admin.uscc, request["id"])
    problem(
        _admin_review(api, admin, request["id"], approve=True, letter=foreign),
        403,
        "LETTER_CERTIFICATE_NOT_HELD",
    )
    # A letter approving another application cannot be carried over, nor used twice.
    second = _create(api, bob, kind="renewal", predecessor=staff.signing_fingerprint.hex())
    assert _submit(api, bob, second["id"]) == "awaiting_admin"
    letter = api.letter(admin.certificate, LetterKind.STAFF_CERTIFICATE, admin.uscc, second["id"])
    carried = _admin_review(api, admin, request["id"], approve=True, letter=letter)
    problem(carried, 422, "LETTER_MISMATCH")
    assert _admin_review(api, admin, second["id"], approve=True, letter=letter).is_success
    # Approved by the admin, then removed before the CA: the CA's approval is refused.
    removed = api.http.delete(
        f"/v1/enterprises/{admin.enterprise_id}/members/{bob_id}", headers=admin.headers
    )
    assert removed.status_code == 204, removed.text
    problem(review(api, second["id"]), 403, "NOT_ENTERPRISE_MEMBER")
    # A removed member's pending request is not approved (rejecting it is allowed) ...
    problem(
        _approve(api, admin, request["id"], LetterKind.STAFF_CERTIFICATE),
        403,
        "NOT_ENTERPRISE_MEMBER",
    )
    assert _queue(api, admin.headers) == [request["id"]]
    rejected = _admin_review(api, admin, request["id"], approve=False, reason="已离职")
    assert rejected.json()["state"] == "rejected"
    # ... nor resubmitted, and a removed member applies for none of its certificates.
    resubmit = post(f"/v1/applications/{request['id']}/submit", headers=bob)
    problem(resubmit, 403, "NOT_ENTERPRISE_MEMBER")
    renew = {**BASE, "kind": "renewal", "predecessor": staff.signing_fingerprint.hex()}
    problem(post("/v1/applications", json=renew, headers=bob), 403, "NOT_ENTERPRISE_MEMBER")
    problem(
        post("/v1/applications", json={**certificate, **person}, headers=bob),
        403,
        "NOT_ENTERPRISE_MEMBER",
    )
    # Unknown application: 404.
    problem(
        _admin_review(api, admin, "0" * 16, approve=False, reason="x"),
        404,
        "APPLICATION_NOT_FOUND",
    )
