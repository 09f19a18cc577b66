"""The CA review API with a CA operator's account token: an account granted CA operator of
zjca (the console role, ``huren.node.console_roles``) reads zjca's queue, detail and
attachments and decides, recorded as the reviewer; it may not name another reviewer. The
admin key still works and must name one. Another CA's operator, an auditor, a plain account,
a platform key and garbage are refused; a revoked grant refuses the next call."""

from __future__ import annotations

from typing import Any

from huren.node.console_roles import ConsoleRoleService
from tests.api.applications.conftest import ALICE, BOB, AppApi, png_bytes, problem
from tests.api.applications.test_flow import attach_all, claim

ZJCA, JSCA, AUDITOR = "13800138501", "13800138502", "13800138503"


def roles_of(api: AppApi) -> ConsoleRoleService:
    service: ConsoleRoleService = api.http.app.state.console_roles  # type: ignore[attr-defined]
    return service


def granted(api: AppApi, phone: str, role: str, ca_id: str | None) -> tuple[dict[str, str], str]:
    headers = api.login(phone)
    grant = roles_of(api).grant(phone, role, ca_id, "test")
    return headers, grant.account_id


def submitted_personal(api: AppApi, who: tuple[str, str, str]) -> str:
    headers = api.person(who)
    body = {"kind": "personal", "ca_id": "zjca", "platform_id": "jiaxing-ggzy",
            "validity_years": 1, "person_name": who[1], "id_number": who[2]}  # fmt: skip
    app_id: str = api.http.post("/v1/applications", json=body, headers=headers).json()["id"]
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=headers).status_code == 200
    return app_id


def test_a_cas_operator_reviews_with_its_account_token(api: AppApi) -> None:
    alice = api.person(ALICE)
    claim_id = claim(api, alice)["id"]
    attach_all(api, alice, claim_id)
    api.http.post(f"/v1/applications/{claim_id}/submit", headers=alice).raise_for_status()
    personal_id = submitted_personal(api, BOB)
    operator, operator_id = granted(api, ZJCA, "ca-operator", "zjca")
    base = "/v1/ca/zjca/applications"

    queue = api.http.get(base, headers=operator)
    assert [a["id"] for a in queue.json()] == [claim_id, personal_id]
    detail = api.http.get(f"{base}/{claim_id}", headers=operator).json()
    assert {a["kind"] for a in detail["attachments"]} == {"business_licence", "application_form"}
    licence = api.http.get(f"{base}/{claim_id}/attachments/business_licence", headers=operator)
    assert licence.content == png_bytes()

    problem(
        api.http.post(f"{base}/{claim_id}/approve", json={"reviewer": "王审核"}, headers=operator),
        422,
        "REVIEWER_NOT_ALLOWED",
    )
    rejected = api.http.post(
        f"{base}/{claim_id}/reject", json={"reason": "营业执照不清晰"}, headers=operator
    )
    assert rejected.status_code == 200, rejected.text
    body: dict[str, Any] = rejected.json()
    assert body["state"] == "rejected"
    history = api.http.get(f"{base}/{claim_id}", headers=operator).json()["history"]
    assert history[-1]["actor"] == f"ca:zjca:account:{operator_id}"

    # the admin key names the reviewer, as before
    problem(api.http.post(f"{base}/{personal_id}/approve", json={}, headers=api.admin()),
            422, "REVIEWER_REQUIRED")  # fmt: skip
    approved = api.http.post(
        f"{base}/{personal_id}/approve", json={"reviewer": "王审核"}, headers=api.admin()
    )
    assert approved.json()["state"] == "approved"
    history = api.http.get(f"{base}/{personal_id}", headers=api.admin()).json()["history"]
    assert history[-1]["actor"] == "ca:zjca:王审核"


def test_everyone_else_is_refused(api: AppApi) -> None:
    app_id = submitted_personal(api, ALICE)
    other, _ = granted(api, JSCA, "ca-operator", "jsca")
    auditor, _ = granted(api, AUDITOR, "auditor", None)
    plain = api.login(BOB[0])
    base = "/v1/ca/zjca/applications"
    for headers in (other, auditor, plain):
        problem(api.http.get(base, headers=headers), 403, "NOT_CA_OPERATOR")
        problem(api.http.get(f"{base}/{app_id}", headers=headers), 403, "NOT_CA_OPERATOR")
        sent = api.http.post(f"{base}/{app_id}/approve", json={}, headers=headers)
        problem(sent, 403, "NOT_CA_OPERATOR")
    assert api.http.get("/v1/ca/jsca/applications", headers=other).json() == []  # its own
    key = api.http.post(
        "/v1/platform-keys", json={"platform": "jiaxing-ggzy"}, headers=api.admin()
    ).json()["key"]
    problem(api.http.get(base, headers={"Authorization": f"Bearer {key}"}), 403, "NOT_CA_OPERATOR")
    wrong_key = {"Authorization": "Bearer hrk_0123456789abcdef_nope"}
    problem(api.http.get(base, headers=wrong_key), 401, "INVALID_PLATFORM_KEY")
    problem(api.http.get(base, headers={"Authorization": "Bearer garbage"}), 401, "INVALID_TOKEN")
    assert api.http.get(f"{base}/{app_id}", headers=api.admin()).json()["state"] == "submitted"


def test_a_revoked_grant_refuses_the_next_call(api: AppApi) -> None:
    operator, operator_id = granted(api, ZJCA, "ca-operator", "zjca")
    assert api.http.get("/v1/ca/zjca/applications", headers=operator).status_code == 200
    grant = next(g for g in roles_of(api).grants() if g.account_id == operator_id)
    roles_of(api).revoke(grant.id)
    problem(api.http.get("/v1/ca/zjca/applications", headers=operator), 403, "NOT_CA_OPERATOR")
