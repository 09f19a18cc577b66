"""Zones end to end on the embedded chain: the holder's phone signs a bind statement through
the co-signer, the account's SMS code confirms it, this node (Jiaxing's) records it on chain
with SHA-256 of the statement as evidence; then the refusals, each before anything is spent
or recorded."""

from __future__ import annotations

import base64
import hashlib
import secrets

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import Session, select

from huren.device.zones import ZoneRefused
from huren.node import demo
from huren.node.audit.oplog import Operation, OperationLog, verify_operation_log
from huren.node.db.zones_tables import ZoneStatementRecord
from huren.node.zones.statement import STATEMENT_TTL_S, ZoneStatement
from tests.api.access_table import account_token
from tests.api.cosigner.support import PIN
from tests.api.zones.conftest import OTHER_PHONE, PLATFORM, ZoneWorld


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def statement(w: ZoneWorld, action: str = "bind", **fields: object) -> ZoneStatement:
    values: dict[str, object] = {
        "action": action,
        "chain_id": w.env.deployment.chain_id,
        "registry": w.env.deployment.registry,
        "platform_id": PLATFORM,
        "fingerprint": bytes.fromhex(w.fingerprint),
        "account_id": w.account_id,
        "issued_at": w.clock.now,
        "nonce": secrets.token_hex(16),
    }
    values.update(fields)
    return ZoneStatement(**values)  # type: ignore[arg-type]


def device_signature(w: ZoneWorld, raw: bytes, platform: str = PLATFORM) -> bytes:
    return w.device.sign(
        w.enrolment_id, raw, pin=PIN, platform=platform, action="login", fingerprint=w.fingerprint
    )


def post(
    w: ZoneWorld,
    action: str,
    raw: bytes,
    signature: bytes,
    code: str,
    token: str | None = None,
    **extra: str,
) -> httpx.Response:
    body = {"statement": b64(raw), "signature": b64(signature), "code": code, **extra}
    return w.env.http.post(f"/v1/zones/{action}", json=body, headers=w.headers(token))


def rows(w: ZoneWorld) -> list[ZoneStatementRecord]:
    with Session(w.env.services.engine) as session:
        return list(session.exec(select(ZoneStatementRecord)).all())


def on_chain(w: ZoneWorld, fingerprint: str | None = None) -> bytes | None:
    fp = bytes.fromhex(fingerprint or w.fingerprint)
    return w.env.services.client.binding(fp, PLATFORM)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    problem: dict[str, object] = response.json()
    assert problem["code"] == code, problem
    return problem


def test_bind_and_unbind_through_the_phone(zone_world: ZoneWorld) -> None:
    w = zone_world
    traced_before = len(_oplog(w))
    bound = w.holder.bind(w.enrolment_id, w.fingerprint, PLATFORM, pin=PIN, code=w.code("bind"))
    evidence = bytes.fromhex(bound["evidence_hash"].removeprefix("0x"))
    assert on_chain(w) == evidence  # the chain holds the statement's hash
    w.env.index()

    # An auditor (the center operator's key) gets the statement and checks both proofs.
    kept = w.env.http.get(f"/v1/zones/evidence/{bound['evidence_hash']}", headers=w.env.headers())
    assert kept.status_code == 200, kept.text
    record = kept.json()
    raw = base64.b64decode(record["statement"])
    assert hashlib.sha256(raw).digest() == evidence
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(record["public_key"]))
    key.verify(base64.b64decode(record["signature"]), raw)  # raises if it does not verify
    assert record["key_source"] == "cosigner" and record["state"] == "recorded"
    parsed = ZoneStatement.parse(raw)
    assert (parsed.action, parsed.platform_id, parsed.account_id) == (
        "bind",
        PLATFORM,
        w.account_id,
    )

    # The holder sees the zone; the platform sees its zone; another platform does not.
    mine = w.env.http.get("/v1/zones", headers=w.headers()).json()
    assert [(z["fingerprint"], z["platform_id"]) for z in mine] == [(w.fingerprint, PLATFORM)]
    assert mine[0]["statement_kept"] and mine[0]["evidence_hash"] == bound["evidence_hash"]
    assert mine[0]["recorded_by"] == demo.center_account("jiaxing").address
    of_cert = w.env.http.get(f"/v1/zones/certificates/{w.fingerprint}", headers=w.headers())
    assert of_cert.json() == mine
    zone = w.env.http.get(f"/v1/zones/platforms/{PLATFORM}", headers=w.env.headers(PLATFORM))
    assert [z["fingerprint"] for z in zone.json()] == [w.fingerprint]
    other = w.env.http.get(f"/v1/zones/platforms/{PLATFORM}", headers=w.env.headers("alliance"))
    assert_problem(other, 403, "PLATFORM_MISMATCH")
    assert w.holder.zones() == mine

    # Another account sees nothing of it.
    stranger = account_token(w.env.http, OTHER_PHONE)
    hidden = w.env.http.get(f"/v1/zones/certificates/{w.fingerprint}", headers=w.headers(stranger))
    assert_problem(hidden, 404, "ZONE_NOT_FOUND")
    assert w.env.http.get("/v1/zones", headers=w.headers(stranger)).json() == []

    unbound = w.holder.unbind(
        w.enrolment_id, w.fingerprint, PLATFORM, pin=PIN, code=w.code("unbind")
    )
    assert on_chain(w) is None
    w.env.index()
    assert w.env.http.get("/v1/zones", headers=w.headers()).json() == []
    assert w.env.http.get(f"/v1/zones/platforms/{PLATFORM}", headers=w.env.headers()).json() == []

    # Both changes are in the operation log, whose chain still verifies.
    traced = _oplog(w)[traced_before:]
    zone_rows = [r.record for r in traced if r.record.operation == Operation.ZONE_CHANGE]
    assert [(r.subject, r.platform, r.actor) for r in zone_rows] == [
        (w.fingerprint, PLATFORM, w.account_id)
    ] * 2
    assert [r.digest for r in zone_rows] == [
        evidence,
        bytes.fromhex(unbound["evidence_hash"][2:]),
    ]
    with w.env.services.engine.connect() as conn:
        verify_operation_log(OperationLog.rows(conn))


def _oplog(w: ZoneWorld) -> list:  # type: ignore[type-arg]
    with w.env.services.engine.connect() as conn:
        return OperationLog.rows(conn)


def test_a_wrong_sms_code_records_nothing(zone_world: ZoneWorld) -> None:
    w = zone_world
    raw = statement(w).to_bytes()
    right = w.code("bind")
    wrong = "000000" if right != "000000" else "111111"
    before = len(rows(w))
    problem = assert_problem(
        post(w, "bind", raw, device_signature(w, raw), wrong), 400, "WRONG_CODE"
    )
    assert problem["tries_left"] == 4
    assert len(rows(w)) == before and on_chain(w) is None
    # A code for unbinding never serves a bind.
    raw = statement(w).to_bytes()
    unbind_code = w.code("unbind")
    refused = post(w, "bind", raw, device_signature(w, raw), unbind_code)
    assert refused.status_code == 400, refused.text
    assert on_chain(w) is None


def test_a_wrong_signature_is_refused_before_the_code_is_used(zone_world: ZoneWorld) -> None:
    w = zone_world
    st = statement(w)
    raw = st.to_bytes()
    code = w.code("bind")
    forged = Ed25519PrivateKey.generate().sign(raw)  # some other key
    assert_problem(post(w, "bind", raw, forged, code), 403, "ZONE_SIGNATURE_INVALID")
    other = statement(w).to_bytes()  # the certificate's key, over another statement
    assert_problem(
        post(w, "bind", raw, device_signature(w, other), code), 403, "ZONE_SIGNATURE_INVALID"
    )
    assert on_chain(w) is None and len([r for r in rows(w) if r.nonce == st.nonce]) == 0
    # The code was not spent: the genuine request goes through with it.
    done = post(w, "bind", raw, device_signature(w, raw), code)
    assert done.status_code == 201, done.text
    assert on_chain(w) == st.evidence_hash
    w.env.index()
    again = statement(w).to_bytes()  # bound already: refused before anything is spent
    assert_problem(post(w, "bind", again, b"\0" * 64, w.code("bind")), 409, "ALREADY_BOUND")
    _unbind(w)


def _unbind(w: ZoneWorld) -> None:
    w.holder.unbind(w.enrolment_id, w.fingerprint, PLATFORM, pin=PIN, code=w.code("unbind"))
    w.env.index()


def test_a_statement_is_used_once(zone_world: ZoneWorld) -> None:
    w = zone_world
    raw = statement(w).to_bytes()
    signature = device_signature(w, raw)
    assert post(w, "bind", raw, signature, w.code("bind")).status_code == 201
    w.env.index()
    _unbind(w)
    # Within its lifetime, with a fresh code, the same signed statement is refused.
    replay = post(w, "bind", raw, signature, w.code("bind"))
    assert_problem(replay, 409, "ZONE_STATEMENT_REPLAYED")
    assert on_chain(w) is None


def test_statement_checks(zone_world: ZoneWorld) -> None:
    w = zone_world
    code = w.code("bind")
    sig = b"\1" * 64

    def refused(raw: bytes, status: int, code_: str, action: str = "bind") -> None:
        assert_problem(post(w, action, raw, sig, code), status, code_)

    refused(
        statement(w).to_bytes().replace(b"registry: 0x", b"registry: 0X"),
        422,
        "INVALID_ZONE_STATEMENT",
    )
    refused(b"bind jiaxing-ggzy please\n", 422, "INVALID_ZONE_STATEMENT")
    refused(statement(w, "unbind").to_bytes(), 422, "ZONE_STATEMENT_MISMATCH")  # on /bind
    refused(statement(w, account_id="someone-else").to_bytes(), 422, "ZONE_STATEMENT_MISMATCH")
    refused(
        statement(w, chain_id=w.env.deployment.chain_id + 1).to_bytes(),
        422,
        "ZONE_STATEMENT_MISMATCH",
    )
    refused(
        statement(w, issued_at=w.clock.now - STATEMENT_TTL_S - 1).to_bytes(),
        422,
        "ZONE_STATEMENT_EXPIRED",
    )
    refused(
        statement(w, issued_at=w.clock.now + STATEMENT_TTL_S + 1).to_bytes(),
        422,
        "ZONE_STATEMENT_EXPIRED",
    )
    refused(statement(w, platform_id="no-such-platform").to_bytes(), 404, "UNKNOWN_PLATFORM")
    problem = assert_problem(
        post(w, "bind", statement(w, platform_id="nantong-ggzy").to_bytes(), sig, code),
        403,
        "NOT_PLATFORM_CENTER",
    )
    assert problem["center"] == demo.center_account("nantong").address
    refused(statement(w, "unbind").to_bytes(), 409, "NOT_BOUND", action="unbind")
    refused(
        statement(w, fingerprint=hashlib.sha256(b"nothing").digest()).to_bytes(),
        404,
        "UNKNOWN_CERTIFICATE",
    )
    # Regional to Nantong: not recognized at Jiaxing's platform.
    regional = statement(w, fingerprint=w.env.fps["regional-nt"]).to_bytes()
    problem = assert_problem(
        post(w, "bind", regional, sig, code), 403, "CERTIFICATE_NOT_RECOGNIZED"
    )
    assert problem["reasons"] == ["OUT_OF_SCOPE"]
    # Not one of these spent the code.
    raw = statement(w).to_bytes()
    assert post(w, "bind", raw, device_signature(w, raw), code).status_code == 201
    w.env.index()
    _unbind(w)


def test_the_statement_endpoint_refuses_early(zone_world: ZoneWorld) -> None:
    w = zone_world

    def prepare(platform: str) -> httpx.Response:
        body = {"action": "bind", "fingerprint": w.fingerprint, "platform_id": platform}
        return w.env.http.post("/v1/zones/statements", json=body, headers=w.headers())

    assert_problem(prepare("no-such-platform"), 404, "UNKNOWN_PLATFORM")
    assert_problem(prepare("nantong-ggzy"), 403, "NOT_PLATFORM_CENTER")
    with pytest.raises(ZoneRefused, match="NOT_PLATFORM_CENTER"):
        w.holder.bind(w.enrolment_id, w.fingerprint, "nantong-ggzy", pin=PIN, code="123456")
    made = prepare(PLATFORM)
    assert made.status_code == 201, made.text
    raw = base64.b64decode(made.json()["statement"])
    assert made.json()["text"] == raw.decode()
    assert made.json()["evidence_hash"] == "0x" + hashlib.sha256(raw).hexdigest()
    assert ZoneStatement.parse(raw).account_id == w.account_id


def test_a_certificate_the_node_has_no_key_for_is_presented(zone_world: ZoneWorld) -> None:
    """A certificate issued elsewhere (a plain Ed25519 key, no co-signer, not this node's
    PKI): the holder presents its DER, whose SHA-256 must be the statement's fingerprint."""
    w = zone_world
    key = Ed25519PrivateKey.generate()
    der = _record_ed25519_certificate(w, key)
    fp = hashlib.sha256(der).hexdigest()
    raw = statement(w, fingerprint=bytes.fromhex(fp)).to_bytes()
    code = w.code("bind")
    assert_problem(post(w, "bind", raw, key.sign(raw), code), 422, "CERTIFICATE_KEY_UNAVAILABLE")
    wrong = post(w, "bind", raw, key.sign(raw), code, certificate=b64(w.der))
    assert_problem(wrong, 422, "CERTIFICATE_MISMATCH")  # not the statement's certificate
    p256 = statement(w, fingerprint=hashlib.sha256(w.env.der).digest()).to_bytes()
    no_ed25519 = post(w, "bind", p256, key.sign(p256), code, certificate=b64(w.env.der))
    assert_problem(no_ed25519, 422, "CERTIFICATE_MISMATCH")  # a P-256 certificate
    done = post(w, "bind", raw, key.sign(raw), code, certificate=b64(der))
    assert done.status_code == 201, done.text
    assert on_chain(w, fp) == hashlib.sha256(raw).digest()
    [row] = [r for r in rows(w) if r.fingerprint.hex() == fp]
    assert row.key_source == "presented" and row.public_key == key.public_key().public_bytes_raw()


def test_a_chain_refusal_marks_the_statement_failed(zone_world: ZoneWorld) -> None:
    """The index lags the chain: it says unbound, the chain has it bound (by another request
    of the center a moment ago). The node records the statement, the chain refuses, the row
    says why, and the client gets the contract's code."""
    w = zone_world
    fp = bytes.fromhex(w.fingerprint)
    w.env.services.client.bind_certificate(fp, PLATFORM, hashlib.sha256(b"elsewhere").digest())
    st = statement(w)
    raw = st.to_bytes()
    assert_problem(
        post(w, "bind", raw, device_signature(w, raw), w.code("bind")), 409, "ALREADY_BOUND"
    )
    [row] = [r for r in rows(w) if r.evidence_hash == st.evidence_hash]
    assert (row.state, row.result) == ("failed", "ALREADY_BOUND")
    w.env.index()
    _unbind(w)
    assert on_chain(w) is None


def _record_ed25519_certificate(w: ZoneWorld, key: Ed25519PrivateKey) -> bytes:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from tests.api.conftest import cert_input

    ca = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "elsewhere holder")])
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(ca, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    zjca = w.env.as_(demo.ca_operator_account("zjca"))
    zjca.record_certificates(
        "zjca", demo.issuer_key_id("zjca"), [cert_input(hashlib.sha256(der).digest())]
    )
    w.env.index()
    return der
