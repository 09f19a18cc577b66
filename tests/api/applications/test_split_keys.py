"""Split keys as the download's key source, end to end on the embedded chain: a personal
application approved and paid; the phone gets the application's enrolment tickets, enrols
a signing and an encryption key with the co-signer, downloads with the two enrolments; the
certificates carry the group keys, pass ``openssl verify -x509_strict``, are bound to the
enrolments, so a two-party signature verifies under the signing certificate's key (plain
Ed25519) and an HPKE message to the encryption certificate opens by split decryption. A
renewal keeps the encryption enrolment. Every bad input leaves nothing reserved."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import event
from sqlmodel import Session, col, select

from huren.device.download import ApplicationRefused, download_certificates
from huren.device.errors import CosignerRefused, ProtocolViolation
from huren.node.applications import split_keys
from huren.node.cosigner.recovery_key import DEV_RECOVERY_KEY
from huren.node.cosigner.wire import b64d, b64e
from huren.node.db.pki_tables import PkiIssuedCertificate
from huren.node.keysplit.decrypt import x25519_public_key
from huren.node.keysplit.sealing import RecoveryKey
from huren.node.pki.request import IssuanceState
from tests.api.applications.conftest import ALICE, BOB, AppApi, Keys, problem
from tests.api.applications.split_support import (
    PIN,
    PLATFORM,
    bound,
    download,
    enrol_both,
    install_cosigner,
    personal,
    phone,
    reserved,
    tickets,
    token,
)
from tests.api.applications.test_flow import openssl_verify, review
from tests.api.cosigner.support import certificate_for


def _leaf(chain_pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificates(chain_pem.encode())[0]


def _raw(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _hpke_to(certificate: x509.Certificate, secret: bytes) -> bytes:
    key = certificate.public_key()
    assert isinstance(key, X25519PublicKey)
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    return suite.encrypt(secret, key, info=b"bid")


def test_enrol_download_verify_sign_decrypt_then_renew(api_any_db: AppApi, tmp_path: Path) -> None:
    """On SQLite and on PostgreSQL."""
    api = api_any_db
    install_cosigner(api)
    alice = api.person(ALICE)
    app_id = personal(api, alice, ALICE)
    api.pay(alice, app_id)
    device = phone(api, tmp_path / "phone")
    done = download_certificates(
        device, app_id, token(alice), PIN, recovery_public_key=DEV_RECOVERY_KEY.public_key
    )
    api.index()
    view = api.http.get(f"/v1/applications/{app_id}", headers=alice).json()
    assert view["state"] == "downloaded"
    assert (view["signing_fingerprint"], view["encryption_fingerprint"]) == (
        done.signing_fingerprint,
        done.encryption_fingerprint,
    )

    # The certificates carry the group keys, and chain to the CA's root.
    signing_key = device.store.load(done.signing_enrolment)
    assert done.encryption_enrolment is not None
    encryption_key = device.store.load(done.encryption_enrolment)
    signing_leaf = _leaf(done.signing_chain_pem)
    encryption_leaf = _leaf(done.encryption_chain_pem)
    assert _raw(signing_leaf) == bytes(signing_key.public.group_public_key)
    assert _raw(encryption_leaf) == x25519_public_key(encryption_key.public)
    for chain in (done.signing_chain_pem, done.encryption_chain_pem):
        openssl_verify(chain, tmp_path, api.clock())
    # Kept on the phone and bound at the co-signer, one certificate per key.
    assert signing_key.certificates == [done.signing_fingerprint]
    assert encryption_key.certificates == [done.encryption_fingerprint]
    assert bound(api, done.signing_enrolment) == [bytes.fromhex(done.signing_fingerprint)]
    assert bound(api, done.encryption_enrolment) == [bytes.fromhex(done.encryption_fingerprint)]

    # Device and co-signer sign; any Ed25519 verifier accepts it under the certificate's key.
    message = hashlib.sha256(b"bid file 2026-0042").digest()
    signature = device.sign(done.signing_enrolment, message, pin=PIN, platform=PLATFORM)
    public = signing_leaf.public_key()
    assert isinstance(public, Ed25519PublicKey)
    public.verify(signature, message)
    with pytest.raises(InvalidSignature):
        public.verify(signature, message + b"x")
    # An HPKE message to the encryption certificate opens by split decryption.
    sealed = _hpke_to(encryption_leaf, b"content key of bid 42")
    opened = device.decrypt(
        done.encryption_enrolment, sealed, pin=PIN, platform=PLATFORM, info=b"bid"
    )
    assert opened == b"content key of bid 42"

    # Again: the same certificates, nothing new enrolled or issued.
    again = download_certificates(device, app_id, token(alice), PIN)
    assert again.signing_fingerprint == done.signing_fingerprint
    assert len(device.store.enrolments()) == 2
    # Tickets for a downloaded application: refused.
    problem(
        api.http.post(f"/v1/applications/{app_id}/enrolment-tickets", headers=alice),
        409,
        "ILLEGAL_TRANSITION",
    )

    # A recovery with new keys is refused for a split key: it reshares (/v1/recoveries).
    recover = {
        "kind": "recovery",
        "ca_id": "zjca",
        "platform_id": PLATFORM,
        "validity_years": 1,
        "predecessor": done.signing_fingerprint,
        "person_name": ALICE[1],
        "id_number": ALICE[2],
    }
    refused = api.http.post("/v1/applications", json=recover, headers=alice)
    problem(refused, 409, "SPLIT_KEY_RECOVERY")

    # Renewal: a new signing key, the same encryption enrolment (same X25519 key).
    renew = {
        "kind": "renewal",
        "ca_id": "zjca",
        "platform_id": PLATFORM,
        "validity_years": 1,
        "predecessor": done.signing_fingerprint,
    }
    created = api.http.post("/v1/applications", json=renew, headers=alice)
    assert created.status_code == 201, created.text
    renewal_id = created.json()["id"]
    assert api.http.post(f"/v1/applications/{renewal_id}/submit", headers=alice).status_code == 200
    assert review(api, renewal_id).status_code == 200
    offered = tickets(api, alice, renewal_id)
    assert [t["purpose"] for t in offered["tickets"]] == ["signing"]
    api.pay(alice, renewal_id)
    renewed = download_certificates(device, renewal_id, token(alice), PIN)
    api.index()
    assert renewed.encryption_enrolment == done.encryption_enrolment
    assert renewed.signing_enrolment != done.signing_enrolment
    new_encryption = _leaf(renewed.encryption_chain_pem)
    assert _raw(new_encryption) == _raw(encryption_leaf)
    assert bound(api, done.encryption_enrolment) == sorted(
        bytes.fromhex(f) for f in (done.encryption_fingerprint, renewed.encryption_fingerprint)
    )
    openssl_verify(renewed.signing_chain_pem, tmp_path, api.clock())
    sealed = _hpke_to(new_encryption, b"renewed")
    assert (
        device.decrypt(
            done.encryption_enrolment,
            sealed,
            pin=PIN,
            platform=PLATFORM,
            info=b"bid",
            fingerprint=renewed.encryption_fingerprint,
        )
        == b"renewed"
    )


def test_bad_inputs_are_refused_before_anything_is_reserved(api: AppApi, tmp_path: Path) -> None:
    install_cosigner(api)
    alice, bob = api.person(ALICE), api.person(BOB)
    app_id = personal(api, alice, ALICE)
    device = phone(api, tmp_path / "alice")
    # Approved, not paid: tickets already (enrol while paying), download refused.
    ours = enrol_both(device, tickets(api, alice, app_id))
    problem(download(api, alice, app_id, ours["signing"], ours["encryption"]), 402, "NOT_PAID")
    assert reserved(api, app_id) == []
    api.pay(alice, app_id)

    # Someone else's enrolment.
    bob_app = personal(api, bob, BOB)
    bobs = enrol_both(phone(api, tmp_path / "bob"), tickets(api, bob, bob_app))
    problem(
        download(api, alice, app_id, bobs["signing"], ours["encryption"]),
        403,
        "ENROLMENT_NOT_YOURS",
    )
    # Bob's application is not Alice's to ask tickets for.
    problem(
        api.http.post(f"/v1/applications/{bob_app}/enrolment-tickets", headers=alice),
        404,
        "APPLICATION_NOT_FOUND",
    )
    # The wrong purpose (the two swapped).
    problem(
        download(api, alice, app_id, ours["encryption"], ours["signing"]),
        422,
        "WRONG_ENROLMENT_PURPOSE",
    )
    # An enrolment started but not finished.
    issued = tickets(api, alice, app_id)
    started = device.client.call(
        "POST",
        "/v1/cosigner/enrolments",
        {
            "ticket": issued["tickets"][0]["ticket"],
            "device_public_key": b64e(device.client.device_public_key),
            "purpose": "signing",
        },
    )
    problem(
        download(api, alice, app_id, started["enrolment_id"], ours["encryption"]),
        409,
        "ENROLMENT_NOT_FINISHED",
    )
    # An enrolment with a certificate bound already (by the node admin's route).
    spare = enrol_both(device, tickets(api, alice, app_id))
    der = certificate_for(device.store.load(spare["signing"]).public, "signing", "elsewhere")
    bound_now = api.http.post(
        f"/v1/cosigner/enrolments/{spare['signing']}/certificates",
        json={"certificate": b64e(der)},
        headers=api.admin(),
    )
    assert bound_now.status_code == 201, bound_now.text
    problem(
        download(api, alice, app_id, spare["signing"], ours["encryption"]),
        409,
        "ENROLMENT_ALREADY_BOUND",
    )
    # Malformed combinations of the key source.
    for body, code in (
        ({"key_source": "enrolment", "signing_enrolment": ours["signing"]}, "INVALID_KEY_SOURCE"),
        (
            {
                "key_source": "enrolment",
                "signing_enrolment": ours["signing"],
                "encryption_enrolment": ours["encryption"],
                "signing_csr": Keys.new().csr(),
            },
            "INVALID_KEY_SOURCE",
        ),
        ({"key_source": "csr", "signing_enrolment": ours["signing"]}, "INVALID_KEY_SOURCE"),
        ({"key_source": "enrolment", "signing_enrolment": "zz"}, "VALIDATION_FAILED"),
    ):
        got = api.http.post(f"/v1/applications/{app_id}/download", json=body, headers=alice)
        problem(got, 422, code)
    assert reserved(api, app_id) == []
    assert bound(api, ours["signing"]) == [] and bound(api, ours["encryption"]) == []

    # Then the right ones: issued once; again the same; other enrolments ALREADY_ISSUED.
    # ... and the download (issuing, binding) never reads a share or an unwrap secret.
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(api.node.engine, "before_cursor_execute", seen)
    try:
        first = download(api, alice, app_id, ours["signing"], ours["encryption"])
    finally:
        event.remove(api.node.engine, "before_cursor_execute", seen)
    assert first.status_code == 200, first.text
    assert any("cosigner_enrolments" in q for q in statements)
    assert not [q for q in statements if "sealed_share" in q or "sealed_unwrap" in q]
    second = download(api, alice, app_id, ours["signing"], ours["encryption"])
    assert second.json() == first.json()
    other_app = personal(api, alice, ALICE)
    fresh = enrol_both(device, tickets(api, alice, other_app))
    problem(
        download(api, alice, app_id, fresh["signing"], fresh["encryption"]), 409, "ALREADY_ISSUED"
    )
    # Keys of this application serve no other one, the holder's or anyone's.
    api.pay(alice, other_app)
    problem(
        download(api, alice, other_app, ours["signing"], fresh["encryption"]),
        409,
        "ENROLMENT_ALREADY_BOUND",
    )
    problem(
        download(api, bob, bob_app, ours["signing"], ours["encryption"]),
        403,
        "ENROLMENT_NOT_YOURS",
    )
    # Keys of a revoked device (a lost phone) get no certificate.
    device.revoke_device(device.device_id, enrolment_id=fresh["signing"], pin=PIN)
    problem(
        download(api, alice, other_app, fresh["signing"], fresh["encryption"]),
        409,
        "ENROLMENT_UNUSABLE",
    )
    assert reserved(api, app_id) == [f"{app_id}-encryption", f"{app_id}-signing"]
    assert reserved(api, other_app) == []
    assert bound(api, fresh["signing"]) == []


def test_tickets_are_the_holders_one_time_and_need_a_recovery_key(
    api: AppApi, tmp_path: Path
) -> None:
    install_cosigner(api)
    alice = api.person(ALICE)
    body = {
        "kind": "personal",
        "ca_id": "zjca",
        "platform_id": PLATFORM,
        "validity_years": 1,
        "person_name": ALICE[1],
        "id_number": ALICE[2],
    }
    draft = api.http.post("/v1/applications", json=body, headers=alice).json()
    problem(
        api.http.post(f"/v1/applications/{draft['id']}/enrolment-tickets", headers=alice),
        409,
        "ILLEGAL_TRANSITION",
    )
    app_id = personal(api, alice, ALICE)
    issued = tickets(api, alice, app_id)
    me = api.http.get("/v1/account", headers=alice).json()
    assert issued["holder"] == f"account:{me['id']}"
    assert b64d(issued["recovery_public_key"]) == DEV_RECOVERY_KEY.public_key
    assert sorted(t["purpose"] for t in issued["tickets"]) == ["encryption", "signing"]
    device = phone(api, tmp_path / "phone")
    ticket = issued["tickets"][0]
    device.enrol(ticket["ticket"], PIN, purpose=ticket["purpose"])
    with pytest.raises(CosignerRefused, match="ENROLMENT_TICKET_REFUSED"):
        device.enrol(ticket["ticket"], PIN, purpose=ticket["purpose"])

    # Outside dev: no recovery key configured, no tickets; the configured one otherwise.
    settings: Any = api.node.settings
    settings.env = "prod"
    with pytest.raises(ApplicationRefused, match="RECOVERY_KEY_UNAVAILABLE"):
        download_certificates(device, app_id, token(alice), PIN)
    other = RecoveryKey.generate().public_key
    settings.recovery_public_key = other.hex()
    assert b64d(tickets(api, alice, app_id)["recovery_public_key"]) == other
    with pytest.raises(ProtocolViolation, match="recovery key"):
        download_certificates(
            device, app_id, token(alice), PIN, recovery_public_key=DEV_RECOVERY_KEY.public_key
        )


def test_a_failure_after_the_chain_is_finished_by_the_same_enrolments(
    api: AppApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The certificates are committed on chain, then recording (with the bindings) fails:
    the application stays paid, nothing is bound; the same enrolments again finish it with
    the certificates already issued (the PKI issues once per request id)."""
    install_cosigner(api)
    alice = api.person(ALICE)
    app_id = personal(api, alice, ALICE)
    api.pay(alice, app_id)
    ours = enrol_both(phone(api, tmp_path / "phone"), tickets(api, alice, app_id))
    real = split_keys.bind_certificate

    def crash(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the node died while recording")

    monkeypatch.setattr(split_keys, "bind_certificate", crash)
    with pytest.raises(RuntimeError):
        download(api, alice, app_id, ours["signing"], ours["encryption"])
    monkeypatch.setattr(split_keys, "bind_certificate", real)
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "paid"
    with Session(api.node.engine) as session:
        rows = session.exec(
            select(PkiIssuedCertificate).where(
                col(PkiIssuedCertificate.request_id).startswith(f"{app_id}-")
            )
        ).all()
        on_chain = {r.request_id: r.fingerprint for r in rows if r.state == IssuanceState.COMMITTED}
    assert len(on_chain) == 2
    assert bound(api, ours["signing"]) == [] and bound(api, ours["encryption"]) == []
    # Other enrolments cannot take over the issued reservation.
    fresh = enrol_both(phone(api, tmp_path / "other"), tickets(api, alice, app_id))
    problem(
        download(api, alice, app_id, fresh["signing"], fresh["encryption"]), 409, "ALREADY_ISSUED"
    )
    finished = download(api, alice, app_id, ours["signing"], ours["encryption"])
    assert finished.status_code == 200, finished.text
    body = finished.json()
    signing = on_chain[f"{app_id}-signing"]
    encryption = on_chain[f"{app_id}-encryption"]
    assert signing is not None and encryption is not None
    assert (body["signing_fingerprint"], body["encryption_fingerprint"]) == (
        signing.hex(),
        encryption.hex(),
    )
    assert bound(api, ours["signing"]) == [signing]
    assert bound(api, ours["encryption"]) == [encryption]


def test_an_enrolment_bound_while_issuing_is_refused_in_the_commit(
    api: AppApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked before reserving and again in the recording transaction: an enrolment bound
    elsewhere meanwhile rolls the recording back (the application stays paid, only the
    other binding stands)."""
    install_cosigner(api)
    alice = api.person(ALICE)
    app_id = personal(api, alice, ALICE)
    api.pay(alice, app_id)
    device = phone(api, tmp_path / "phone")
    ours = enrol_both(device, tickets(api, alice, app_id))
    issuance = api.node.applications.desk.issuance
    real = issuance.issue_many
    der = certificate_for(device.store.load(ours["signing"]).public, "signing", "elsewhere")

    def issue_then_race(requests: Any) -> Any:
        issued = real(requests)
        elsewhere = api.http.post(
            f"/v1/cosigner/enrolments/{ours['signing']}/certificates",
            json={"certificate": b64e(der)},
            headers=api.admin(),
        )
        assert elsewhere.status_code == 201, elsewhere.text
        return issued

    monkeypatch.setattr(issuance, "issue_many", issue_then_race)
    problem(
        download(api, alice, app_id, ours["signing"], ours["encryption"]),
        409,
        "ENROLMENT_ALREADY_BOUND",
    )
    assert api.http.get(f"/v1/applications/{app_id}", headers=alice).json()["state"] == "paid"
    assert bound(api, ours["signing"]) == [hashlib.sha256(der).digest()]
    assert bound(api, ours["encryption"]) == []
