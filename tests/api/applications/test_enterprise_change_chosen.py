"""变更企业信息 over the API, end to end on the embedded chain: the admin (Alice, holding the
enterprise certificate) and two staff holders (Bob, Carol). The admin lists the candidates,
chooses her enterprise certificate and Bob's staff certificate (not Carol's), the CA reviews
the one change, the admin pays one order for both, the enterprise record is renamed, and
each holder downloads their own replacement with their own keys; the replaced pairs are
revoked as superseded, Carol's certificate stays as it was. The error cases are in
test_enterprise_change_errors.py."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from sqlmodel import Session, select

from huren.node.applications.attachments import render_form_pdf
from huren.node.applications.enterprise_change import ChangeView, ChoiceView
from huren.node.applications.views import ApplicationView
from huren.node.db.applications_tables import (
    HeldCertificate,
)
from huren.node.db.billing_tables import OrderRow
from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.node.db.models import Certificate
from tests.api.applications.conftest import ALICE, BOB, ENTERPRISE, USCC, AppApi, Keys, problem
from tests.api.applications.test_flow import attach_all, claim, issue, messages, ocsp_status
from tests.api.applications.test_kinds import _join_letter

# Resident IDs with their GB 11643 check characters (computed with identity.checks' weights).
CAROL = ("13800138003", "王五", "330402199001011230")
DAVE = ("13800138004", "赵六", "320102198505123452")
NEW_NAME = "嘉兴市某某建设集团有限公司"
NEW_USCC = "91330400MA2B3C4D56"  # check character by GB 32100's weights
OTHER_USCC = "91320100MA1XYY12KW"  # likewise: Dave's enterprise
BASE = {"ca_id": "zjca", "platform_id": "jiaxing-ggzy", "validity_years": 1}
UNIT_FEE = 30_000  # zjca, a new pair for one year, in billing's dev price list


def _join(
    api: AppApi,
    admin: dict[str, str],
    sealing: tuple[Keys, dict[str, Any]],
    who: tuple[str, str, str],
) -> dict[str, Any]:
    """``who`` joins the enterprise (the admin approves with a letter sealed by ``sealing``,
    the enterprise certificate's keys and download) and downloads a staff certificate."""
    headers = api.person(who)
    body = {**BASE, "kind": "join_enterprise", "uscc": USCC, "person_name": who[1]}
    created = api.http.post("/v1/applications", json={**body, "id_number": who[2]}, headers=headers)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    attach_all(api, headers, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=headers).status_code == 200
    url = f"/v1/applications/{app_id}/admin-review"
    letter = _join_letter(api, sealing[0], sealing[1], app_id)
    approved = api.http.post(url, json={"approve": True, "letter": letter}, headers=admin)
    assert approved.status_code == 200, approved.text
    return {"headers": headers, **issue(api, headers, app_id, Keys.new())}


def _enterprise(api: AppApi) -> dict[str, Any]:
    alice = api.person(ALICE)
    app_id = claim(api, alice)["id"]
    attach_all(api, alice, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    keys = Keys.new()
    admin_cert = issue(api, alice, app_id, keys)
    bob = _join(api, alice, (keys, admin_cert), BOB)
    carol = _join(api, alice, (keys, admin_cert), CAROL)
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


def _subject(chain_pem: str) -> dict[str, str]:
    leaf = x509.load_pem_x509_certificates(chain_pem.encode())[0]
    return {a.oid.dotted_string: str(a.value) for a in leaf.subject}


def _pending(api: AppApi, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed = api.http.get("/v1/applications?state=pending", headers=headers)
    assert listed.status_code == 200, listed.text
    return [a for a in listed.json() if a["kind"] == "change_reissue"]


def test_the_admin_chooses_two_certificates_one_review_one_payment_each_holder_downloads(
    api_any_db: AppApi,
) -> None:
    api = api_any_db  # SQLite and PostgreSQL
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
    assert change["choices"][1]["label"].startswith(f"{ENTERPRISE} / {BOB[1]} {bob_fp[:16]}")
    form = api.http.get(f"/v1/applications/{app_id}/form.pdf", headers=alice)
    assert form.status_code == 200 and form.content.startswith(b"%PDF-")  # 企业变更申领表
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


def test_the_change_form_names_three_choices_and_counts_the_rest() -> None:
    """One A4 page: the first three chosen pairs by name, the others counted."""
    app = ApplicationView(
        id="0123456789abcdef", kind="enterprise_change", state="draft", ca_id="zjca",
        platform_id="jiaxing-ggzy", validity_years=1, fee_fen=5 * UNIT_FEE, enterprise_id="e",
        enterprise_name=NEW_NAME, uscc=NEW_USCC, person_name=None, predecessor=None,
        reason=None, signing_fingerprint=None, encryption_fingerprint=None, created_at=0,
        updated_at=0,
    )  # fmt: skip
    choices = tuple(
        ChoiceView(f"{i:064x}", "acct", None, None, None, None, f"证书{i}") for i in range(5)
    )
    view = ChangeView(app, "e", ENTERPRISE, USCC, NEW_NAME, NEW_USCC, None, choices)
    lines = view.form_lines()
    assert ("原企业名称", ENTERPRISE) in lines and ("新统一社会信用代码", NEW_USCC) in lines
    assert [v for k, v in lines if k.startswith("证书 ")] == ["证书0", "证书1", "证书2"]
    assert lines[-1] == ("", "另 2 对，见 CA 审核页")
    assert render_form_pdf("企业变更申领表", lines).startswith(b"%PDF-")
