"""Every bad input of issue 4's list, over the API: a clear 4xx with a stable code, and
nothing half-written (no issuance reserved, the application where it was)."""

from __future__ import annotations

import base64
import io
import itertools

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from PIL import Image
from sqlmodel import Session, col, select

from huren.node.applications.billing import UnconfiguredBilling
from huren.node.applications.errors import IllegalTransition
from huren.node.applications.model import (
    TRANSITIONS,
    Action,
    ApplicationKind,
    ApplicationState,
    next_state,
)
from huren.node.applications.wiring import build_application_services
from huren.node.db.engine import write_session
from huren.node.db.models import Ca
from huren.node.db.pki_tables import PkiIssuedCertificate
from huren.registry import errors as registry_errors
from huren.registry.types import CaStatus
from tests.api.applications.conftest import ALICE, BOB, AppApi, Keys, png_bytes, problem
from tests.api.applications.test_flow import attach_all, claim, review


def paid_claim(api: AppApi, headers: dict[str, str]) -> str:
    app_id: str = claim(api, headers)["id"]
    attach_all(api, headers, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=headers).status_code == 200
    assert review(api, app_id).status_code == 200
    api.pay(headers, app_id)
    return app_id


def test_applications_for_a_suspended_ca_or_an_unknown_platform_are_refused(api: AppApi) -> None:
    alice = api.person(ALICE)
    with write_session(api.node.engine) as session:
        row = session.get(Ca, "ahca")
        assert row is not None
        row.status = CaStatus.SUSPENDED
        session.add(row)
    body = {
        "kind": "personal",
        "ca_id": "ahca",
        "platform_id": "xuancheng-ggzy",
        "validity_years": 1,
        "person_name": ALICE[1],
        "id_number": ALICE[2],
    }
    post = api.http.post
    problem(post("/v1/applications", json=body, headers=alice), 409, "CA_NOT_ACCREDITED")
    problem(
        post("/v1/applications", json={**body, "ca_id": "nosuchca"}, headers=alice),
        409,
        "CA_NOT_ACCREDITED",
    )
    unknown = {**body, "ca_id": "zjca", "platform_id": "atlantis"}
    problem(post("/v1/applications", json=unknown, headers=alice), 404, "UNKNOWN_PLATFORM")
    four = {**body, "ca_id": "zjca", "validity_years": 4}
    problem(post("/v1/applications", json=four, headers=alice), 422, "VALIDATION_FAILED")
    bad_uscc = {**body, "kind": "claim_enterprise", "ca_id": "zjca", "enterprise_name": "某公司"}
    bad_uscc["uscc"] = "91350100M000100Y44"  # wrong check character
    problem(post("/v1/applications", json=bad_uscc, headers=alice), 422, "INVALID_ENTERPRISE")
    someone_else = {**body, "ca_id": "zjca", "person_name": BOB[1], "id_number": BOB[2]}
    assert post("/v1/applications", json=someone_else, headers=alice).status_code == 403
    ok = post("/v1/applications", json={**body, "ca_id": "zjca"}, headers=alice)
    assert ok.status_code == 201 and ok.json()["state"] == "draft"
    bob = api.login(BOB[0])
    problem(
        api.http.get(f"/v1/applications/{ok.json()['id']}", headers=bob),
        404,
        "APPLICATION_NOT_FOUND",
    )


def test_uploads_are_judged_by_content_and_size(api: AppApi) -> None:
    alice = api.person(ALICE)
    app_id = claim(api, alice)["id"]
    url = f"/v1/applications/{app_id}/attachments"

    def put(kind: str, data: bytes, media: str) -> object:
        return api.http.put(f"{url}/{kind}", content=data, headers={**alice, "Content-Type": media})

    png = png_bytes()
    jpeg = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(jpeg, format="JPEG")
    gif = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(gif, format="GIF")
    problem(put("business_licence", png, "image/jpeg"), 415, "ATTACHMENT_MISLABELLED")
    problem(put("business_licence", gif.getvalue(), "image/gif"), 415, "UNSUPPORTED_ATTACHMENT")
    problem(
        put("business_licence", b"%PDF-1.4\n", "application/pdf"), 415, "UNSUPPORTED_ATTACHMENT"
    )
    problem(put("business_licence", png[:40], "image/png"), 422, "ATTACHMENT_UNREADABLE")
    problem(
        put("application_form", b"%PDF-1.7\n garbage", "application/pdf"),
        422,
        "ATTACHMENT_UNREADABLE",
    )
    big = png + b"\0" * (950 * 1024)
    problem(put("business_licence", big, "image/png"), 413, "ATTACHMENT_TOO_LARGE")
    huge = png + b"\0" * (1100 * 1024)  # beyond the API's body limit: refused unread
    problem(put("business_licence", huge, "image/png"), 413, "PAYLOAD_TOO_LARGE")
    problem(put("passport", png, "image/png"), 422, "VALIDATION_FAILED")
    detail = api.http.get(f"/v1/applications/{app_id}", headers=alice).json()
    assert detail["attachments"] == []  # nothing of the refused uploads was kept
    assert put("business_licence", jpeg.getvalue(), "image/jpeg").status_code == 200  # type: ignore[attr-defined]
    assert put("application_form", png, "application/octet-stream").status_code == 200  # type: ignore[attr-defined]
    kinds = {
        a["kind"]: a["media_type"]
        for a in api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["attachments"]
    }
    assert kinds == {"business_licence": "image/jpeg", "application_form": "image/png"}


def _csr(
    key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey,
) -> x509.CertificateSigningRequest:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "holder")])
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, algorithm)


def _pem(der: bytes) -> str:
    body = base64.encodebytes(der).decode()
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"


def test_bad_keys_are_refused_and_nothing_is_half_issued(api: AppApi) -> None:
    alice = api.person(ALICE)
    app_id = paid_claim(api, alice)
    keys = Keys.new()
    good = keys.body(app_id)
    url = f"/v1/applications/{app_id}/download"
    tampered = bytearray(_csr(keys.signing).public_bytes(serialization.Encoding.DER))
    tampered[-1] ^= 1  # the last byte of the signature
    p256 = _csr(ec.generate_private_key(ec.SECP256R1())).public_bytes(serialization.Encoding.PEM)
    ed_as_encryption = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    wrong_proof = base64.b64encode(keys.signing.sign(b"something else")).decode()
    cases = [
        ({**good, "signing_csr": "not a csr"}, 422, "INVALID_CSR"),
        ({**good, "signing_csr": _pem(b"\x30\x03\x02\x01\x00")}, 422, "INVALID_CSR"),
        ({**good, "signing_csr": p256.decode()}, 422, "WRONG_KEY_TYPE"),
        ({**good, "signing_csr": _pem(bytes(tampered))}, 422, "INVALID_CSR"),
        ({**good, "encryption_public_key": ed_as_encryption}, 422, "WRONG_KEY_TYPE"),
        ({**good, "encryption_public_key": "junk"}, 422, "WRONG_KEY_TYPE"),
        ({**good, "encryption_key_proof": wrong_proof}, 422, "INVALID_KEY_PROOF"),
        ({**good, "encryption_key_proof": "!!!"}, 422, "INVALID_KEY_PROOF"),
        ({"signing_csr": good["signing_csr"]}, 422, "INVALID_KEY_PROOF"),
        (Keys.new().body("0000000000000000"), 422, "INVALID_KEY_PROOF"),  # bound elsewhere
    ]
    for body, status, code in cases:
        problem(api.http.post(url, json=body, headers=alice), status, code)
    with Session(api.node.engine) as session:
        reserved = session.exec(
            select(PkiIssuedCertificate).where(
                col(PkiIssuedCertificate.request_id).startswith(app_id)
            )
        ).all()
        assert reserved == []
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "paid"
    first = api.http.post(url, json=good, headers=alice)
    assert first.status_code == 200, first.text
    second = api.http.post(url, json=good, headers=alice)
    assert second.json() == first.json()  # downloading twice: the same certificates
    with Session(api.node.engine) as session:
        issued = session.exec(
            select(PkiIssuedCertificate).where(
                col(PkiIssuedCertificate.request_id).startswith(app_id)
            )
        ).all()
        assert len(issued) == 2  # issued once


@pytest.mark.parametrize("state", list(ApplicationState))
def test_the_transition_table_refuses_everything_else(state: ApplicationState) -> None:
    for action in Action:
        if (state, action) in TRANSITIONS:
            assert next_state(state, action) == TRANSITIONS[(state, action)]
        else:
            with pytest.raises(IllegalTransition):
                next_state(state, action)
    assert len(list(itertools.product(ApplicationState, Action))) > len(TRANSITIONS)


def test_a_ca_suspended_before_download_issues_nothing(api: AppApi) -> None:
    alice = api.person(ALICE)
    app_id = paid_claim(api, alice)
    with write_session(api.node.engine) as session:
        row = session.get(Ca, "zjca")
        assert row is not None
        row.status = CaStatus.SUSPENDED
        session.add(row)
    keys = Keys.new()
    url = f"/v1/applications/{app_id}/download"
    problem(api.http.post(url, json=keys.body(app_id), headers=alice), 409, "CA_NOT_ACCREDITED")
    with Session(api.node.engine) as session:
        reserved = session.exec(
            select(PkiIssuedCertificate).where(
                col(PkiIssuedCertificate.request_id).startswith(app_id)
            )
        ).all()
        assert reserved == []
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "paid"
    assert api.http.get("/v1/holder/certificates", headers=alice).json() == []


def test_a_node_without_billing_takes_no_payment(api: AppApi) -> None:
    """No payment gateway (a non-dev node): applications quote and are reviewed, but nothing
    can be paid, so nothing is issued: 503 BILLING_UNAVAILABLE, and the download 402."""
    node = api.node
    node.applications = build_application_services(
        node.engine, node.pki, node.account_services, None
    )
    assert isinstance(node.applications.billing, UnconfiguredBilling)
    assert node.applications.billing.quote("zjca", ApplicationKind.PERSONAL, 2) == 20_000
    alice = api.person(ALICE)
    app_id: str = claim(api, alice)["id"]
    attach_all(api, alice, app_id)
    assert api.http.post(f"/v1/applications/{app_id}/submit", headers=alice).status_code == 200
    assert review(api, app_id).status_code == 200
    url = f"/v1/applications/{app_id}/payment"
    problem(api.http.post(url, headers=alice), 503, "BILLING_UNAVAILABLE")
    keys = Keys.new()
    download = api.http.post(
        f"/v1/applications/{app_id}/download", json=keys.body(app_id), headers=alice
    )
    problem(download, 402, "NOT_PAID")
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "approved"


def test_a_reverted_batch_leaves_the_application_paid_and_a_retry_issues_once(
    api: AppApi,
) -> None:
    alice = api.person(ALICE)
    app_id = paid_claim(api, alice)
    issuance = api.node.applications.desk.issuance
    client = issuance._clients["zjca"]
    record = client.record_certificates

    def reverted(*args: object, **kwargs: object) -> object:
        raise registry_errors.CaNotAccredited("zjca")

    keys = Keys.new()
    url = f"/v1/applications/{app_id}/download"
    client.record_certificates = reverted  # type: ignore[method-assign]
    try:
        problem(api.http.post(url, json=keys.body(app_id), headers=alice), 409, "CA_NOT_ACCREDITED")
    finally:
        client.record_certificates = record  # type: ignore[method-assign]
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "paid"
    assert api.http.get("/v1/holder/certificates", headers=alice).json() == []
    problem(api.http.post(url, json=Keys.new().body(app_id), headers=alice), 409, "ALREADY_ISSUED")
    done = api.http.post(url, json=keys.body(app_id), headers=alice)
    assert done.status_code == 200, done.text
    with Session(api.node.engine) as session:
        issued = session.exec(
            select(PkiIssuedCertificate).where(
                col(PkiIssuedCertificate.request_id).startswith(app_id)
            )
        ).all()
        assert len(issued) == 2  # the reservation of the first try, committed now
