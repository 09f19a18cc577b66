"""The whole certificate application flow over the API, as a holder, a CA operator and the
chain see it: claim -> CA rejects -> edit and resubmit -> approve -> pay -> download with a
CSR (issued and committed on the embedded chain, indexed) -> ``openssl verify`` -> lists ->
renewal keeps the encryption key -> revocation with the certificate password -> OCSP says
revoked."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from sqlmodel import Session, select

from huren.node.audit.oplog import Operation, OperationLog
from huren.node.billing.gateway_sim import Outcome
from huren.node.db.models import Certificate
from tests.api.applications.conftest import (
    ALICE,
    ENTERPRISE,
    USCC,
    AppApi,
    Keys,
    png_bytes,
    problem,
)


def openssl_verify(chain_pem: str, directory: Path, at: float) -> None:
    """``-attime``: the test's clock runs ahead of the real one (SMS codes a minute apart)."""
    blocks = [b for b in chain_pem.split("-----END CERTIFICATE-----\n") if b.strip()]
    assert len(blocks) == 3
    paths = []
    for name, block in zip(("leaf", "issuing", "root"), blocks, strict=True):
        path = directory / f"{name}.pem"
        path.write_text(block + "-----END CERTIFICATE-----\n")
        paths.append(path)
    done = subprocess.run(
        [
            "openssl",
            "verify",
            "-x509_strict",
            "-attime",
            str(int(at)),
            "-CAfile",
            paths[2],
            "-untrusted",
            paths[1],
            paths[0],
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def claim(api: AppApi, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "claim_enterprise",
        "ca_id": "zjca",
        "platform_id": "jiaxing-ggzy",
        "validity_years": 1,
        "enterprise_name": ENTERPRISE,
        "uscc": USCC,
        "person_name": ALICE[1],
        "id_number": ALICE[2],
        **fields,
    }
    created = api.http.post("/v1/applications", json=body, headers=headers)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


def attach_all(api: AppApi, headers: dict[str, str], app_id: str) -> None:
    form = api.http.get(f"/v1/applications/{app_id}/form.pdf", headers=headers)
    assert form.status_code == 200 and form.content.startswith(b"%PDF-")
    for kind, data, media in (
        ("business_licence", png_bytes(), "image/png"),
        ("application_form", form.content, "application/pdf"),  # the "stamped scan"
    ):
        put = api.http.put(
            f"/v1/applications/{app_id}/attachments/{kind}",
            content=data,
            headers={**headers, "Content-Type": media},
        )
        assert put.status_code == 200, put.text


def review(api: AppApi, app_id: str, *, reject: str | None = None, ca: str = "zjca") -> Any:
    base = f"/v1/ca/{ca}/applications/{app_id}"
    if reject is None:
        return api.http.post(f"{base}/approve", json={"reviewer": "王审核"}, headers=api.admin())
    body = {"reviewer": "王审核", "reason": reject}
    return api.http.post(f"{base}/reject", json=body, headers=api.admin())


def messages(api: AppApi, headers: dict[str, str]) -> list[str]:
    listed = api.http.get("/v1/messages", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    items = body["items"] if isinstance(body, dict) else body
    return [m["kind"] for m in items]


def issue(api: AppApi, headers: dict[str, str], app_id: str, keys: Keys) -> dict[str, Any]:
    assert review(api, app_id).status_code == 200
    api.pay(headers, app_id)
    got = api.http.post(
        f"/v1/applications/{app_id}/download", json=keys.body(app_id), headers=headers
    )
    assert got.status_code == 200, got.text
    api.index()
    result: dict[str, Any] = got.json()
    return result


def ocsp_status(api: AppApi, chain_pem: str) -> ocsp.OCSPCertStatus:
    leaf, issuing, _ = x509.load_pem_x509_certificates(chain_pem.encode())
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuing, hashes.SHA256()).build()
    answer = api.http.post(
        "/v1/pki/cas/zjca/ocsp",
        content=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    )
    assert answer.status_code == 200
    return ocsp.load_der_ocsp_response(answer.content).certificate_status


def test_claim_reject_resubmit_approve_pay_download_renew_revoke(
    api_any_db: AppApi, tmp_path: Path
) -> None:
    api = api_any_db
    alice = api.person(ALICE)
    app = claim(api, alice)
    app_id = app["id"]
    assert app["state"] == "draft" and app["fee_fen"] == 30_000
    problem(
        api.http.post(f"/v1/applications/{app_id}/submit", headers=alice), 422, "ATTACHMENT_MISSING"
    )
    attach_all(api, alice, app_id)
    submitted = api.http.post(f"/v1/applications/{app_id}/submit", headers=alice)
    assert submitted.json()["state"] == "submitted"

    # The CA's queue, detail and attachments; it rejects with a reason.
    queue = api.http.get("/v1/ca/zjca/applications", headers=api.admin()).json()
    assert [a["id"] for a in queue] == [app_id]
    assert api.http.get("/v1/ca/jsca/applications", headers=api.admin()).json() == []
    detail = api.http.get(f"/v1/ca/zjca/applications/{app_id}", headers=api.admin()).json()
    assert {a["kind"] for a in detail["attachments"]} == {"business_licence", "application_form"}
    licence = api.http.get(
        f"/v1/ca/zjca/applications/{app_id}/attachments/business_licence", headers=api.admin()
    )
    assert licence.content == png_bytes() and licence.headers["content-type"] == "image/png"
    problem(api.http.get("/v1/ca/zjca/applications", headers=alice), 403, "NOT_CA_OPERATOR")
    rejected = review(api, app_id, reject="营业执照不清晰")
    assert rejected.json()["state"] == "rejected"
    assert "application_rejected" in messages(api, alice)
    problem(
        api.http.post(f"/v1/applications/{app_id}/payment", headers=alice),
        409,
        "ILLEGAL_TRANSITION",
    )
    problem(review(api, app_id), 409, "ILLEGAL_TRANSITION")

    # Edited (two years: the fee is quoted again), a clearer licence, resubmitted, approved.
    edited = api.http.patch(f"/v1/applications/{app_id}", json={"validity_years": 2}, headers=alice)
    assert edited.json()["fee_fen"] == 56_000  # billing's dev list: zjca new 2 years 560.00
    attach_all(api, alice, app_id)
    assert (
        api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).json()["state"]
        == "submitted"
    )
    approved = review(api, app_id)
    assert approved.json()["state"] == "approved" and approved.json()["enterprise_id"]
    assert "claim_approved" in messages(api, alice)
    keys = Keys.new()
    problem(
        api.http.post(f"/v1/applications/{app_id}/download", json=keys.body(app_id), headers=alice),
        402,
        "NOT_PAID",
    )

    # Payment through billing: the order (the applicant's, at billing's price), the gateway
    # simulator's signed notification delivered twice: paid once, the second changes nothing.
    api.node.gateway.script(Outcome.DUPLICATE)
    started = api.start_payment(alice, app_id)
    assert started["amount_fen"] == 56_000 and started["pay_url"]
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "approved"
    problem(
        api.http.post(f"/v1/applications/{app_id}/download", json=keys.body(app_id), headers=alice),
        402,
        "NOT_PAID",
    )
    assert [r.text for r in api.deliver()] == ["success", "success"]
    paid = api.http.get(f"/v1/applications/{app_id}", headers=alice).json()
    assert paid["state"] == "paid"
    assert [h["actor"] for h in paid["history"] if h["to_state"] == "paid"] == [
        f"billing:{started['order_id']}"
    ]
    problem(api.http.post(f"/v1/applications/{app_id}/payment", headers=alice), 409, "ALREADY_PAID")
    order = api.http.get(f"/v1/billing/orders/{started['order_id']}", headers=alice).json()
    assert (order["application_id"], order["kind"], order["years"]) == (app_id, "new", 2)
    bills = api.http.get("/v1/billing/bills", headers=alice).json()
    assert [(b["order"]["order_id"], b["order"]["state"]) for b in bills["items"]] == [
        (started["order_id"], "paid")
    ]

    # Download: issued, committed on chain, both chains verify with openssl.
    got = api.http.post(
        f"/v1/applications/{app_id}/download", json=keys.body(app_id), headers=alice
    )
    assert got.status_code == 200, got.text
    out = got.json()
    openssl_verify(out["signing_chain_pem"], tmp_path, api.clock.now)
    openssl_verify(out["encryption_chain_pem"], tmp_path, api.clock.now)
    leaf = x509.load_pem_x509_certificates(out["signing_chain_pem"].encode())[0]
    assert leaf.public_key() == keys.signing.public_key()
    assert ENTERPRISE in leaf.subject.rfc4514_string()
    again = api.http.post(
        f"/v1/applications/{app_id}/download", json=keys.body(app_id), headers=alice
    )
    assert again.json()["signing_fingerprint"] == out["signing_fingerprint"]
    other = Keys.new()
    problem(
        api.http.post(
            f"/v1/applications/{app_id}/download", json=other.body(app_id), headers=alice
        ),
        409,
        "ALREADY_ISSUED",
    )
    api.index()
    with Session(api.node.engine) as session:
        fingerprints = {out["signing_fingerprint"], out["encryption_fingerprint"]}
        on_chain = session.exec(
            select(Certificate).where(
                Certificate.fingerprint.in_([bytes.fromhex(f) for f in fingerprints])
            )  # type: ignore[attr-defined]
        ).all()
        assert len(on_chain) == 2
    final = api.http.get(f"/v1/applications/{app_id}", headers=alice).json()
    assert final["state"] == "downloaded"
    assert [h["to_state"] for h in final["history"]] == [
        "submitted",
        "rejected",
        "submitted",
        "approved",
        "paid",
        "issued",
        "downloaded",
    ]

    # Lists: two active certificates, nothing pending.
    active = api.http.get("/v1/holder/certificates?status=active", headers=alice).json()
    assert {c["fingerprint"] for c in active} == fingerprints
    assert not any(c["expiring_soon"] for c in active)
    assert api.http.get("/v1/applications?state=pending", headers=alice).json() == []

    # Renewal: a new signing key, the same encryption key, predecessors on chain.
    renewal = api.http.post(
        "/v1/applications",
        json={
            "kind": "renewal",
            "ca_id": "zjca",
            "platform_id": "jiaxing-ggzy",
            "validity_years": 1,
            "predecessor": out["signing_fingerprint"],
        },
        headers=alice,
    )
    assert renewal.status_code == 201, renewal.text
    renewal_id = renewal.json()["id"]
    assert api.http.post(f"/v1/applications/{renewal_id}/submit", headers=alice).status_code == 200
    assert review(api, renewal_id).status_code == 200
    assert api.pay(alice, renewal_id)["fee_fen"] == 24_000  # renewal: 80% of new
    new_keys = Keys.new()
    problem(
        api.http.post(
            f"/v1/applications/{renewal_id}/download", json=new_keys.body(renewal_id), headers=alice
        ),
        422,
        "INVALID_KEY_PROOF",
    )
    renewed = api.http.post(
        f"/v1/applications/{renewal_id}/download",
        json=new_keys.body(renewal_id, with_encryption=False),
        headers=alice,
    ).json()
    old_enc = x509.load_pem_x509_certificates(out["encryption_chain_pem"].encode())[0]
    new_enc = x509.load_pem_x509_certificates(renewed["encryption_chain_pem"].encode())[0]
    assert new_enc.public_key().public_bytes_raw() == old_enc.public_key().public_bytes_raw()  # type: ignore[union-attr]
    assert new_enc.serial_number != old_enc.serial_number
    api.index()
    with Session(api.node.engine) as session:
        record = session.get(Certificate, bytes.fromhex(renewed["encryption_fingerprint"]))
        assert record is not None and record.predecessor == bytes.fromhex(
            out["encryption_fingerprint"]
        )
    replaced = api.http.get("/v1/holder/certificates?status=replaced", headers=alice).json()
    assert {c["fingerprint"] for c in replaced} == fingerprints

    # Revocation with the certificate password: irreversible, and OCSP says so.
    api.set_certificate_password(ALICE[0], alice, "123456")
    fingerprint = renewed["signing_fingerprint"]
    url = f"/v1/holder/certificates/{fingerprint}/revocation"
    problem(
        api.http.post(url, json={"certificate_password": "654321"}, headers=alice),
        403,
        "WRONG_PASSWORD",
    )
    assert ocsp_status(api, renewed["signing_chain_pem"]) == ocsp.OCSPCertStatus.GOOD
    done = api.http.post(url, json={"certificate_password": "123456"}, headers=alice)
    assert done.status_code == 201, done.text
    assert len(done.json()["transactions"]) == 2  # the signing certificate and its partner
    me = api.http.get("/v1/account", headers=alice).json()["id"]
    with api.node.engine.connect() as conn:  # traced as the holder's (操作追溯)
        traced = [r.record for r in OperationLog.rows(conn)]
    revoked = {(r.actor, r.subject) for r in traced if r.operation == Operation.REVOCATION}
    assert revoked == {
        (me, renewed["signing_fingerprint"]),
        (me, renewed["encryption_fingerprint"]),
    }
    api.index()
    assert ocsp_status(api, renewed["signing_chain_pem"]) == ocsp.OCSPCertStatus.REVOKED
    assert ocsp_status(api, renewed["encryption_chain_pem"]) == ocsp.OCSPCertStatus.REVOKED
    problem(
        api.http.post(url, json={"certificate_password": "123456"}, headers=alice),
        409,
        "ALREADY_REVOKED",
    )
    held = api.http.get(f"/v1/holder/certificates/{fingerprint}", headers=alice).json()
    assert held["status"] == "revoked"
