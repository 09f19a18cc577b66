"""变更企业信息's error cases over the API (the flow is test_enterprise_change_chosen.py):
every bad choice a typed 4xx writing nothing; a choice gone stale before the CA's approval
and a second change waiting for the first; a replacement's download that fails on chain
finished by the retry; an order for one pair paying for no change of two."""

from __future__ import annotations

from typing import Any

from cryptography.x509 import ocsp
from sqlmodel import Session, col, func, select

from huren.node.applications.model import ApplicationState
from huren.node.db.applications_tables import Application, ApplicationTransition
from huren.node.db.billing_tables import OrderRow
from huren.node.db.enterprise_change_tables import EnterpriseChange, EnterpriseChangeChoice
from huren.node.db.enterprises_tables import Enterprise
from huren.registry import errors as registry_errors
from huren.registry.types import RevocationReason
from tests.api.applications.conftest import ENTERPRISE, USCC, AppApi, Keys, problem
from tests.api.applications.test_enterprise_change_chosen import (
    BASE,
    DAVE,
    NEW_USCC,
    OTHER_USCC,
    UNIT_FEE,
    _approve,
    _change,
    _enterprise,
    _leave,
    _pending,
)
from tests.api.applications.test_flow import attach_all, claim, issue, ocsp_status


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
    """Also: a holder who left after the payment gets no certificate naming the enterprise."""
    e = _enterprise(api)
    alice, bob, carol = e["alice"], e["bob"], e["carol"]
    chosen = [bob["signing_fingerprint"], carol["signing_fingerprint"]]
    change = _change(api, alice, chosen, new_uscc=None).json()  # the name only
    app_id = change["application"]["id"]
    assert change["application"]["fee_fen"] == 2 * UNIT_FEE and change["new_uscc"] == USCC
    attach_all(api, alice, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    assert _approve(api, app_id).status_code == 200
    api.start_payment(alice, app_id)
    assert [r.text for r in api.deliver()] == ["success"]
    (reissue,) = _pending(api, bob["headers"])
    (carols,) = _pending(api, carol["headers"])
    _leave(api, carol["signing_fingerprint"])
    carol_url = f"/v1/applications/{carols['id']}/download"
    left = api.http.post(carol_url, json=Keys.new().body(carols["id"]), headers=carol["headers"])
    problem(left, 409, "HOLDER_NOT_MEMBER")
    client = api.node.applications.desk.issuance._clients["zjca"]
    record = client.record_certificates

    def reverted(*args: object, **kwargs: object) -> object:
        raise registry_errors.CaNotAccredited("zjca")

    keys, url = Keys.new(), f"/v1/applications/{reissue['id']}/download"
    client.record_certificates = reverted  # type: ignore[assignment, method-assign]
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
        assert sorted(r.state for r in rows) == ["downloaded", "paid"]  # Carol's: nothing
    assert ocsp_status(api, carol["signing_chain_pem"]) == ocsp.OCSPCertStatus.GOOD


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
