"""变更企业信息 over the API, end to end on the embedded chain: the admin (Alice, holding the
enterprise certificate) and two staff holders (Bob, Carol). The admin lists the candidates,
chooses her enterprise certificate and Bob's staff certificate (not Carol's), the CA reviews
the one change, the admin pays one order for both, the enterprise record is renamed, and
each holder downloads their own replacement with their own keys; the replaced pairs are
revoked as superseded, Carol's certificate stays as it was. Then every bad choice, each a
4xx with its code and nothing written; a choice gone stale before the CA's approval; and a
replacement's download that fails on chain and is finished by the retry."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from sqlmodel import Session, col, func, select

from huren.node.applications.model import ApplicationState
from huren.node.db.applications_tables import (
    Application,
    ApplicationTransition,
    HeldCertificate,
)
from huren.node.db.billing_tables import OrderRow
from huren.node.db.enterprise_change_tables import EnterpriseChange, EnterpriseChangeChoice
from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.node.db.models import Certificate
from huren.registry import errors as registry_errors
from huren.registry.types import RevocationReason
from tests.api.applications.conftest import ALICE, BOB, ENTERPRISE, USCC, AppApi, Keys, problem
from tests.api.applications.test_flow import attach_all, claim, issue, messages, ocsp_status

# Resident IDs with their GB 11643 check characters (computed with identity.checks' weights).
CAROL = ("13800138003", "王五", "330402199001011230")
DAVE = ("13800138004", "赵六", "320102198505123452")
NEW_NAME = "嘉兴市某某建设集团有限公司"
NEW_USCC = "91330400MA2B3C4D56"  # check character by GB 32100's weights
OTHER_USCC = "91320100MA1XYY12KW"  # likewise: Dave's enterprise
BASE = {"ca_id": "zjca", "platform_id": "jiaxing-ggzy", "validity_years": 1}
UNIT_FEE = 30_000  # zjca, a new pair for one year, in billing's dev price list


def _join(api: AppApi, admin: dict[str, str], who: tuple[str, str, str]) -> dict[str, Any]:
    """``who`` joins the enterprise (the admin approves) and downloads a staff certificate."""
    headers = api.person(who)
    body = {**BASE, "kind": "join_enterprise", "uscc": USCC, "person_name": who[1]}
    created = api.http.post("/v1/applications", json={**body, "id_number": who[2]}, headers=headers)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    attach_all(api, headers, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=headers).status_code == 200
    url = f"/v1/applications/{app_id}/admin-review"
    assert api.http.post(url, json={"approve": True}, headers=admin).status_code == 200
    return {"headers": headers, **issue(api, headers, app_id, Keys.new())}


def _enterprise(api: AppApi) -> dict[str, Any]:
    alice = api.person(ALICE)
    app_id = claim(api, alice)["id"]
    attach_all(api, alice, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    admin_cert = issue(api, alice, app_id, Keys.new())
    bob = _join(api, alice, BOB)
    carol = _join(api, alice, CAROL)
    return {"alice": alice, "admin_cert": admin_cert, "bob": bob, "carol": carol}


def _change(api: AppApi, headers: dict[str, str], certificates: list[str], **body: Any) -> Any:
    payload = {
        **BASE,
        "enterprise_uscc": USCC,
        "new_name": NEW_NAME,
        "new_uscc": NEW_USCC,
        "certificates": certificates,
        **body,
    }
    return api.http.post("/v1/enterprise-change", json=payload, headers=headers)


def _approve(api: AppApi, app_id: str) -> Any:
    url = f"/v1/ca/zjca/applications/{app_id}/approve"
    return api.http.post(url, json={"reviewer": "王审核"}, headers=api.admin())


def _rows(api: AppApi) -> tuple[int, ...]:
    with Session(api.node.engine) as session:
        tables = (
            Application,
            ApplicationTransition,
            EnterpriseChange,
            EnterpriseChangeChoice,
            OrderRow,
        )
        return tuple(session.exec(select(func.count()).select_from(t)).one() for t in tables)


def _subject(chain_pem: str) -> dict[str, str]:
    leaf = x509.load_pem_x509_certificates(chain_pem.encode())[0]
    return {a.oid.dotted_string: str(a.value) for a in leaf.subject}


def _pending(api: AppApi, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = api.http.get("/v1/applications?state=pending", headers=headers)
    assert listed.status_code == 200, listed.text
    return [a for a in listed.json() if a["kind"] == "change_reissue"]


def test_the_admin_chooses_two_certificates_one_review_one_payment_each_holder_downloads(
    api: AppApi,
) -> None:
    e = _enterprise(api)
    alice, bob, carol = e["alice"], e["bob"], e["carol"]
    admin_fp, bob_fp = e["admin_cert"]["signing_fingerprint"], bob["signing_fingerprint"]
    carol_fp = carol["signing_fingerprint"]

    # The candidates: every active enterprise and staff certificate, holder, kind, expiry.
    listed = api.http.get("/v1/enterprise-change/candidates", params={"uscc": USCC}, headers=alice)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["name"], body["uscc"]) == (ENTERPRISE, USCC)
    assert any(w.startswith("ENCRYPTION_KEY_REPLACED") for w in body["warnings"])
    by_fp = {c["fingerprint"]: c for c in body["certificates"]}
    assert set(by_fp) == {admin_fp, bob_fp, carol_fp}
    assert (by_fp[admin_fp]["kind"], by_fp[admin_fp]["holder_role"]) == ("enterprise", "admin")
    assert (by_fp[bob_fp]["kind"], by_fp[bob_fp]["holder_name"]) == ("staff", BOB[1])
    assert by_fp[carol_fp]["holder_role"] == "staff" and by_fp[carol_fp]["not_after"] > 0
    assert all(c["pending_application"] is None for c in by_fp.values())
    staff_list = api.http.get(
        "/v1/enterprise-change/candidates?uscc=" + USCC, headers=bob["headers"]
    )
    problem(staff_list, 403, "NOT_ENTERPRISE_ADMIN")

    # The change: two pairs chosen, one application, the fee for two.
    made = _change(api, alice, [admin_fp, bob_fp])
    assert made.status_code == 201, made.text
    change = made.json()
    app_id = change["application"]["id"]
    assert change["application"]["fee_fen"] == 2 * UNIT_FEE
    assert (change["old_name"], change["new_name"], change["new_uscc"]) == (
        ENTERPRISE,
        NEW_NAME,
        NEW_USCC,
    )
    assert [c["predecessor"] for c in change["choices"]] == [admin_fp, bob_fp]
    for years, unit in ((2, 56_000), (1, UNIT_FEE)):  # an edit quotes both pairs again
        edited = api.http.patch(
            f"/v1/applications/{app_id}", json={"validity_years": years}, headers=alice
        )
        assert edited.json()["fee_fen"] == 2 * unit, edited.text
    problem(
        api.http.post(f"/v1/applications/{app_id}/submit", headers=alice), 422, "ATTACHMENT_MISSING"
    )
    attach_all(api, alice, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    ca_view = api.http.get(f"/v1/ca/zjca/enterprise-changes/{app_id}", headers=api.admin())
    assert ca_view.status_code == 200 and len(ca_view.json()["choices"]) == 2
    assert _pending(api, bob["headers"]) == []  # nothing for the holders before approval

    # One CA review: each chosen certificate becomes its holder's pending application.
    assert _approve(api, app_id).json()["state"] == "approved"
    assert "enterprise_change_approved" in messages(api, alice)
    (bob_reissue,) = _pending(api, bob["headers"])
    assert bob_reissue["state"] == "approved" and bob_reissue["enterprise_name"] == NEW_NAME
    assert bob_reissue["predecessor"] == bob_fp and bob_reissue["fee_fen"] == 0
    assert _pending(api, carol["headers"]) == []
    problem(
        api.http.post(
            f"/v1/applications/{bob_reissue['id']}/download",
            json=Keys.new().body(bob_reissue["id"]),
            headers=bob["headers"],
        ),
        402,
        "NOT_PAID",
    )
    problem(  # the holder pays nothing: the change's order pays
        api.http.post(f"/v1/applications/{bob_reissue['id']}/payment", headers=bob["headers"]),
        422,
        "INVALID_APPLICATION",
    )
    with Session(api.node.engine) as session:  # the record keeps its name until payment
        (enterprise,) = session.exec(select(Enterprise)).all()
        assert enterprise.name == ENTERPRISE

    # One payment: the order is for two certificates, their sum.
    started = api.start_payment(alice, app_id)
    assert started["amount_fen"] == 2 * UNIT_FEE
    shown = api.http.get(f"/v1/billing/orders/{started['order_id']}", headers=alice).json()
    assert (shown["quantity"], shown["amount_fen"]) == (2, 2 * UNIT_FEE)
    assert [r.text for r in api.deliver()] == ["success"]
    done = api.http.get(f"/v1/enterprise-change/{app_id}", headers=alice).json()
    assert done["application"]["state"] == "completed" and done["carried_out_at"] is not None
    assert [c["reissue_state"] for c in done["choices"]] == ["paid", "paid"]
    with Session(api.node.engine) as session:
        (enterprise,) = session.exec(select(Enterprise)).all()
        assert (enterprise.name, enterprise.uscc) == (NEW_NAME, NEW_USCC)
        order = session.exec(select(OrderRow).where(OrderRow.application_id == app_id)).one()
        assert (order.quantity, order.amount_fen, order.state) == (2, 2 * UNIT_FEE, "paid")
    assert "certificate_ready" in messages(api, bob["headers"])
    (alice_reissue,) = _pending(api, alice)
    assert alice_reissue["state"] == "paid"

    # Bob downloads his own replacement: a staff certificate naming the new enterprise.
    bob_keys = Keys.new()
    url = f"/v1/applications/{bob_reissue['id']}/download"
    got = api.http.post(url, json=bob_keys.body(bob_reissue["id"]), headers=bob["headers"])
    assert got.status_code == 200, got.text
    new_bob = got.json()
    assert any(w.startswith("ENCRYPTION_KEY_REPLACED") for w in new_bob["warnings"])
    subject = _subject(new_bob["signing_chain_pem"])
    assert subject[NameOID.ORGANIZATION_NAME.dotted_string] == NEW_NAME
    assert subject[NameOID.COMMON_NAME.dotted_string] == BOB[1]
    again = api.http.post(url, json=bob_keys.body(bob_reissue["id"]), headers=bob["headers"])
    assert again.json()["signing_fingerprint"] == new_bob["signing_fingerprint"]
    problem(  # not Alice's to download
        api.http.post(url, json=Keys.new().body(bob_reissue["id"]), headers=alice),
        404,
        "APPLICATION_NOT_FOUND",
    )

    # Alice downloads the enterprise certificate's replacement.
    alice_url = f"/v1/applications/{alice_reissue['id']}/download"
    got = api.http.post(alice_url, json=Keys.new().body(alice_reissue["id"]), headers=alice)
    assert got.status_code == 200, got.text
    new_admin = got.json()
    assert _subject(new_admin["signing_chain_pem"])[NameOID.COMMON_NAME.dotted_string] == NEW_NAME
    api.index()

    # On chain: predecessor links; the replaced pairs revoked; Carol's untouched.
    with Session(api.node.engine) as session:
        for new, old in ((new_bob, bob), (new_admin, e["admin_cert"])):
            for usage in ("signing_fingerprint", "encryption_fingerprint"):
                record = session.get(Certificate, bytes.fromhex(new[usage]))
                assert record is not None and record.predecessor == bytes.fromhex(old[usage])
    for old in (bob, e["admin_cert"]):
        for pem in (old["signing_chain_pem"], old["encryption_chain_pem"]):
            assert ocsp_status(api, pem) == ocsp.OCSPCertStatus.REVOKED
    assert ocsp_status(api, carol["signing_chain_pem"]) == ocsp.OCSPCertStatus.GOOD
    assert ocsp_status(api, new_bob["signing_chain_pem"]) == ocsp.OCSPCertStatus.GOOD
    carol_certs = api.http.get("/v1/holder/certificates", headers=carol["headers"]).json()
    assert {c["status"] for c in carol_certs} == {"active"}
    assert all(c["name"].startswith(ENTERPRISE + " /") for c in carol_certs)
    replaced = api.http.get("/v1/holder/certificates?status=revoked", headers=bob["headers"])
    assert {c["fingerprint"] for c in replaced.json()} == {bob_fp, bob["encryption_fingerprint"]}
    final = api.http.get(f"/v1/enterprise-change/{app_id}", headers=alice).json()
    assert [c["reissue_state"] for c in final["choices"]] == ["downloaded", "downloaded"]
    assert final["choices"][1]["signing_fingerprint"] == new_bob["signing_fingerprint"]

    # The candidates now: the two replacements and Carol's (under the new USCC).
    listed = api.http.get(
        "/v1/enterprise-change/candidates", params={"uscc": NEW_USCC}, headers=alice
    ).json()
    assert {c["fingerprint"] for c in listed["certificates"]} == {
        new_admin["signing_fingerprint"],
        new_bob["signing_fingerprint"],
        carol_fp,
    }


def test_every_bad_choice_is_a_typed_4xx_and_writes_nothing(api: AppApi) -> None:
    e = _enterprise(api)
    alice, bob, carol = e["alice"], e["bob"], e["carol"]
    admin_fp, bob_fp = e["admin_cert"]["signing_fingerprint"], bob["signing_fingerprint"]
    carol_fp = carol["signing_fingerprint"]
    dave = api.person(DAVE)
    other_app = claim(
        api,
        dave,
        uscc=OTHER_USCC,
        enterprise_name="南京某某有限公司",
        person_name=DAVE[1],
        id_number=DAVE[2],
    )["id"]
    attach_all(api, dave, other_app)
    assert api.http.post(f"/v1/applications/{other_app}/submit", headers=dave).status_code == 200
    dave_fp = issue(api, dave, other_app, Keys.new())["signing_fingerprint"]
    before = _rows(api)

    cases: list[tuple[Any, int, str]] = [
        (_change(api, alice, []), 422, "NO_CERTIFICATES_CHOSEN"),
        (_change(api, alice, [bob_fp, bob_fp]), 422, "DUPLICATE_CERTIFICATE"),
        (_change(api, alice, [dave_fp]), 422, "NOT_ENTERPRISE_CERTIFICATE"),
        (_change(api, alice, [bob["encryption_fingerprint"]]), 422, "NOT_ENTERPRISE_CERTIFICATE"),
        (_change(api, alice, ["ab" * 32]), 422, "NOT_ENTERPRISE_CERTIFICATE"),
        (_change(api, alice, [bob_fp], new_uscc="91330400MA2B3C4D57"), 422, "INVALID_ENTERPRISE"),
        (_change(api, alice, [bob_fp], new_uscc=OTHER_USCC), 409, "ENTERPRISE_CLAIMED"),
        (_change(api, alice, [bob_fp], new_name=ENTERPRISE, new_uscc=USCC), 422, "NOTHING_CHANGED"),
        (_change(api, alice, [bob_fp], new_name=" 空格 "), 422, "INVALID_ENTERPRISE"),
        (_change(api, bob["headers"], [bob_fp]), 403, "NOT_ENTERPRISE_ADMIN"),
        (_change(api, dave, [dave_fp], enterprise_uscc=USCC), 403, "NOT_ENTERPRISE_ADMIN"),
        (_change(api, alice, [bob_fp], enterprise_uscc=NEW_USCC), 404, "ENTERPRISE_NOT_FOUND"),
        (_change(api, alice, [bob_fp], platform_id="nowhere"), 404, "UNKNOWN_PLATFORM"),
        (_change(api, alice, [bob_fp], ca_id="nosuchca"), 409, "CA_NOT_ACCREDITED"),
        (
            api.http.post(
                "/v1/applications",
                json={**BASE, "kind": "change_reissue", "predecessor": bob_fp},
                headers=bob["headers"],
            ),
            422,
            "INVALID_APPLICATION",
        ),
    ]
    for response, status, code in cases:
        problem(response, status, code)
    assert _change(api, alice, ["not-hex"]).status_code == 422  # the schema's pattern
    assert _rows(api) == before

    # A staff member who left: their certificate is no candidate and cannot be chosen.
    _leave(api, carol_fp)
    problem(_change(api, alice, [admin_fp, carol_fp]), 409, "HOLDER_NOT_MEMBER")
    listed = api.http.get("/v1/enterprise-change/candidates", params={"uscc": USCC}, headers=alice)
    assert carol_fp not in {c["fingerprint"] for c in listed.json()["certificates"]}

    # A revoked certificate is not active.
    api.node.applications.desk.issuance.revoke(
        bytes.fromhex(admin_fp), RevocationReason.KEY_COMPROMISE
    )
    problem(_change(api, alice, [admin_fp]), 409, "CERTIFICATE_NOT_ACTIVE")

    # A replacement already under way (Bob's renewal, submitted): shown, not choosable.
    renewal = api.http.post(
        "/v1/applications",
        json={**BASE, "kind": "renewal", "predecessor": bob_fp},
        headers=bob["headers"],
    ).json()
    assert (
        api.http.post(
            f"/v1/applications/{renewal['id']}/submit", headers=bob["headers"]
        ).status_code
        == 200
    )
    problem(_change(api, alice, [bob_fp]), 409, "REPLACEMENT_PENDING")
    listed = api.http.get("/v1/enterprise-change/candidates", params={"uscc": USCC}, headers=alice)
    (bob_candidate,) = listed.json()["certificates"]
    assert bob_candidate["pending_application"] == renewal["id"]
    assert _rows(api)[2:] == before[2:]  # no change, no choice, no order written


def _leave(api: AppApi, fingerprint: str, uscc: str = USCC) -> None:
    """The holder of ``fingerprint`` leaves the enterprise (personnel removal is another
    area's: the membership row goes)."""
    with Session(api.node.engine) as session:
        held = session.get(HeldCertificate, bytes.fromhex(fingerprint))
        assert held is not None
        enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).one()
        member = session.get(EnterpriseMember, (enterprise.id, held.account_id))
        assert member is not None
        session.delete(member)
        session.commit()


def test_a_stale_choice_fails_the_approval_and_a_second_change_waits(api: AppApi) -> None:
    e = _enterprise(api)
    alice, bob = e["alice"], e["bob"]
    bob_fp, carol_fp = bob["signing_fingerprint"], e["carol"]["signing_fingerprint"]
    first = _change(api, alice, [bob_fp, carol_fp]).json()["application"]["id"]
    second = _change(api, alice, [e["admin_cert"]["signing_fingerprint"]]).json()
    second_id = second["application"]["id"]  # two drafts are allowed
    attach_all(api, alice, first)
    assert api.http.post(f"/v1/applications/{first}/submit", headers=alice).status_code == 200
    # While one is with the CA, no further change of the enterprise is started.
    problem(_change(api, alice, [bob_fp], new_name="另一个名称"), 409, "CHANGE_IN_PROGRESS")
    attach_all(api, alice, second_id)
    assert api.http.post(f"/v1/applications/{second_id}/submit", headers=alice).status_code == 200
    # The CA approves one of two submitted; the other waits until that one is paid.
    assert _approve(api, second_id).json()["state"] == "approved"
    problem(_approve(api, first), 409, "CHANGE_IN_PROGRESS")
    # The approved change holds its new USCC: nobody claims it meanwhile.
    dave = api.person(DAVE)
    person = {"person_name": DAVE[1], "id_number": DAVE[2]}
    grab = {**BASE, "kind": "claim_enterprise", "uscc": NEW_USCC, "enterprise_name": "某公司"}
    taken = api.http.post("/v1/applications", json={**grab, **person}, headers=dave)
    problem(taken, 409, "ENTERPRISE_CLAIMED")
    api.start_payment(alice, second_id)
    assert [r.text for r in api.deliver()] == ["success"]
    # Carol leaves before the review: the approval fails whole, nothing made.
    _leave(api, carol_fp, NEW_USCC)
    problem(_approve(api, first), 409, "HOLDER_NOT_MEMBER")
    with Session(api.node.engine) as session:
        made = session.exec(select(Application).where(Application.kind == "change_reissue"))
        assert [r.predecessor for r in made] == [bytes.fromhex(second["choices"][0]["predecessor"])]
        row = session.get(Application, first)
        assert row is not None and row.state == ApplicationState.SUBMITTED.value
    rejected = api.http.post(
        f"/v1/ca/zjca/applications/{first}/reject",
        json={"reviewer": "王审核", "reason": "办事人员已离职，请重新选择证书"},
        headers=api.admin(),
    )
    assert rejected.json()["state"] == "rejected"
    again = _change(api, alice, [bob_fp], enterprise_uscc=NEW_USCC, new_name="又一个名称")
    assert again.status_code == 201, again.text  # a new choice


def test_a_replacement_download_failing_on_chain_is_finished_by_the_retry(api: AppApi) -> None:
    e = _enterprise(api)
    alice, bob = e["alice"], e["bob"]
    change = _change(api, alice, [bob["signing_fingerprint"]], new_uscc=None).json()
    app_id = change["application"]["id"]
    assert change["application"]["fee_fen"] == UNIT_FEE and change["new_uscc"] == USCC
    attach_all(api, alice, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    assert _approve(api, app_id).status_code == 200
    api.start_payment(alice, app_id)
    assert [r.text for r in api.deliver()] == ["success"]
    (reissue,) = _pending(api, bob["headers"])
    client = api.node.applications.desk.issuance._clients["zjca"]
    record = client.record_certificates

    def reverted(*args: object, **kwargs: object) -> object:
        raise registry_errors.CaNotAccredited("zjca")

    keys, url = Keys.new(), f"/v1/applications/{reissue['id']}/download"
    client.record_certificates = reverted  # type: ignore[method-assign]
    try:
        failed = api.http.post(url, json=keys.body(reissue["id"]), headers=bob["headers"])
        problem(failed, 409, "CA_NOT_ACCREDITED")
    finally:
        client.record_certificates = record  # type: ignore[method-assign]
    (still,) = _pending(api, bob["headers"])
    assert still["state"] == "paid"
    other = api.http.post(url, json=Keys.new().body(reissue["id"]), headers=bob["headers"])
    problem(other, 409, "ALREADY_ISSUED")
    done = api.http.post(url, json=keys.body(reissue["id"]), headers=bob["headers"])
    assert done.status_code == 200, done.text
    api.index()
    assert ocsp_status(api, bob["signing_chain_pem"]) == ocsp.OCSPCertStatus.REVOKED
    with Session(api.node.engine) as session:
        rows = session.exec(
            select(Application).where(col(Application.kind) == "change_reissue")
        ).all()
        assert [r.state for r in rows] == ["downloaded"]


def test_an_order_for_one_certificate_pays_for_no_change_of_two(api: AppApi) -> None:
    """The change's order is for its two pairs: one made by hand through
    ``/v1/billing/orders`` for the change at one pair's price pays for nothing."""
    e = _enterprise(api)
    alice = e["alice"]
    chosen = [e["bob"]["signing_fingerprint"], e["carol"]["signing_fingerprint"]]
    app_id = _change(api, alice, chosen).json()["application"]["id"]
    attach_all(api, alice, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    assert _approve(api, app_id).status_code == 200
    body = {"application_id": app_id, "ca_id": "zjca", "kind": "new", "years": 1}
    order = api.http.post("/v1/billing/orders", json=body, headers=alice)
    assert order.status_code == 201 and order.json()["amount_fen"] == UNIT_FEE, order.text
    paid = api.http.post(f"/v1/billing/orders/{order.json()['order_id']}/pay", headers=alice)
    assert paid.status_code == 200, paid.text
    assert [r.text for r in api.deliver()] == ["success"]
    view = api.http.get(f"/v1/enterprise-change/{app_id}", headers=alice).json()
    assert view["application"]["state"] == "approved" and view["carried_out_at"] is None
    assert [c["reissue_state"] for c in view["choices"]] == ["approved", "approved"]
    problem(
        api.http.post(f"/v1/applications/{app_id}/payment", headers=alice),
        409,
        "INVALID_ORDER_STATE",
    )
    with Session(api.node.engine) as session:
        (enterprise,) = session.exec(select(Enterprise)).all()
        assert enterprise.name == ENTERPRISE
