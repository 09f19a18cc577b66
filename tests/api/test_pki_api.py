"""The PKI over HTTP: ``openssl ocsp -url`` against the responder served by uvicorn, GET and
POST OCSP, the CRL and CA certificates at their URLs, chain download only once committed,
revocation by the node admin, and problem JSON with stable codes."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import uvicorn
from cryptography import x509
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient

from huren.api.app import create_app
from huren.node import demo
from huren.node.pki.service import Pki
from huren.registry.client import RegistryClient
from tests.api.conftest import ADMIN_KEY, ApiSettings, Services
from tests.node.pki.conftest import (  # noqa: F401
    PkiEnv,
    _db_template,
    _seeded_template,
    env,
    openssl,
    seeded,
    split_chain,
)

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@dataclass
class PkiServices(Services):
    pki: Pki | None = None


@dataclass
class Api:
    env: PkiEnv
    http: TestClient


@pytest.fixture
def api(env: PkiEnv) -> Iterator[Api]:  # noqa: F811
    services = PkiServices(
        settings=ApiSettings(),
        backend=env.chain.backend,
        client=RegistryClient(
            env.chain.backend, env.chain.deployment, demo.center_account("jiaxing")
        ),
        operator=demo.center_account("jiaxing"),
        engine=env.engine,
        indexer=env.indexer,
        pki=env.pki,
    )
    with TestClient(create_app(services)) as http:
        yield Api(env, http)


def issue(api: Api, tmp_path: Path) -> tuple[bytes, Path, Path, Path]:
    result = api.env.pki.issuance.issue(api.env.request())
    assert result.fingerprint is not None
    api.env.index()
    chain = api.http.get(f"/v1/pki/certificates/0x{result.fingerprint.hex()}/chain", headers=ADMIN)
    assert chain.status_code == 200, chain.text
    assert chain.headers["content-type"] == "application/pem-certificate-chain"
    leaf, issuing, root = split_chain(chain.content, tmp_path)
    return result.fingerprint, leaf, issuing, root


def test_openssl_ocsp_against_the_http_responder(api: Api, tmp_path: Path) -> None:
    fingerprint, leaf, issuing, root = issue(api, tmp_path)
    # A socket listening before uvicorn starts: openssl's connection waits in its backlog
    # until the server accepts, so the test need not wait for the server to come up.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api.http.app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{port}/v1/pki/cas/zjca/ocsp"

        def ask() -> str:
            done = openssl(
                "ocsp", "-url", url, "-issuer", issuing, "-cert", leaf,
                "-CAfile", root, "-verify_other", issuing,
            )  # fmt: skip
            text = done.stdout + done.stderr
            assert "Response verify OK" in text and "WARNING" not in text, text
            return text

        assert f"{leaf}: good" in ask()  # with a nonce, which openssl checks
        revoked = api.http.post(
            f"/v1/pki/certificates/0x{fingerprint.hex()}/revocation",
            json={"reason": "key_compromise"},
            headers=ADMIN,
        )
        assert revoked.status_code == 201, revoked.text
        api.env.index()
        text = ask()
        assert f"{leaf}: revoked" in text and "keyCompromise" in text
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_ocsp_get_and_post(api: Api, tmp_path: Path) -> None:
    _, leaf, issuing, root = issue(api, tmp_path)
    request = tmp_path / "req.der"
    openssl("ocsp", "-issuer", issuing, "-cert", leaf, "-reqout", request)
    der = request.read_bytes()
    posted = api.http.post(
        "/v1/pki/cas/zjca/ocsp", content=der, headers={"Content-Type": "application/ocsp-request"}
    )
    encoded = quote(base64.b64encode(der).decode(), safe="")
    got = api.http.get(f"/v1/pki/cas/zjca/ocsp/{encoded}")
    for response in (posted, got):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/ocsp-response"
        path = tmp_path / "resp.der"
        path.write_bytes(response.content)
        done = openssl(
            "ocsp", "-reqin", request, "-respin", path, "-CAfile", root,
            "-verify_other", issuing, "-resp_text",
        )  # fmt: skip
        assert "Response verify OK" in done.stdout + done.stderr
        assert "Cert Status: good" in done.stdout
    garbage = api.http.get("/v1/pki/cas/zjca/ocsp/not-base64!")
    assert garbage.status_code == 200
    status = ocsp.load_der_ocsp_response(garbage.content).response_status
    assert status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    wrong_type = api.http.post("/v1/pki/cas/zjca/ocsp", content=der)
    assert wrong_type.status_code == 415
    assert wrong_type.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    unknown = api.http.post(
        "/v1/pki/cas/nosuch/ocsp", content=der, headers={"Content-Type": "application/ocsp-request"}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "UNKNOWN_CA"


def test_crl_and_ca_certificates_at_their_urls(api: Api, tmp_path: Path) -> None:
    _, leaf, issuing, root = issue(api, tmp_path)
    cert = x509.load_pem_x509_certificate(leaf.read_bytes())
    base = "http://127.0.0.1:8700"
    crl_url = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0]
    path = str(crl_url.full_name[0].value).removeprefix(base)  # type: ignore[union-attr]
    response = api.http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(x509.load_pem_x509_certificate(issuing.read_bytes()).public_key())  # type: ignore[arg-type]
    issuing_der = api.http.get("/v1/pki/cas/zjca/issuing.cer")
    root_der = api.http.get("/v1/pki/cas/zjca/root.cer")
    assert issuing_der.headers["content-type"] == "application/pkix-cert"
    assert x509.load_der_x509_certificate(issuing_der.content) == x509.load_pem_x509_certificate(
        issuing.read_bytes()
    )
    assert x509.load_der_x509_certificate(root_der.content) == x509.load_pem_x509_certificate(
        root.read_bytes()
    )
    listed = api.http.get("/v1/pki/cas").json()
    assert {c["ca_id"] for c in listed} == {"zjca", "jsca", "ahca"}
    assert api.http.get("/v1/pki/cas/nosuch/crl").json()["code"] == "UNKNOWN_CA"


def test_chain_download_needs_a_key_and_a_committed_record(api: Api) -> None:
    service = api.env.pki.issuance
    fingerprint = service.sign(service.reserve(api.env.request()))
    path = f"/v1/pki/certificates/0x{fingerprint.hex()}/chain"
    assert api.http.get(path).status_code == 401
    pending = api.http.get(path, headers=ADMIN)
    assert pending.status_code == 409 and pending.json()["code"] == "CERTIFICATE_NOT_COMMITTED"
    missing = api.http.get(f"/v1/pki/certificates/0x{'ab' * 32}/chain", headers=ADMIN)
    assert missing.status_code == 404 and missing.json()["code"] == "UNKNOWN_ISSUED_CERTIFICATE"
    service.commit_pending()
    assert api.http.get(path, headers=ADMIN).status_code == 200


def test_revocation_needs_the_admin_key_and_a_valid_reason(api: Api, tmp_path: Path) -> None:
    fingerprint, *_ = issue(api, tmp_path)
    path = f"/v1/pki/certificates/0x{fingerprint.hex()}/revocation"
    assert api.http.post(path, json={}).status_code == 401
    bad = api.http.post(path, json={"reason": "certificate_hold"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["code"] == "INVALID_REVOCATION_REASON"
    assert api.http.post(path, json={"reason": "superseded"}, headers=ADMIN).status_code == 201
    api.env.index()
    again = api.http.post(path, json={"reason": "superseded"}, headers=ADMIN)
    assert again.status_code == 409 and again.json()["code"] == "ALREADY_REVOKED"


def test_the_get_fast_path_answers_as_the_route(api: Api, tmp_path: Path) -> None:
    _, leaf, issuing, _ = issue(api, tmp_path)
    request = tmp_path / "req.der"
    openssl("ocsp", "-issuer", issuing, "-cert", leaf, "-no_nonce", "-reqout", request)
    paths = [
        "/v1/pki/cas/zjca/ocsp/" + quote(base64.b64encode(request.read_bytes()).decode(), safe=""),
        "/v1/pki/cas/zjca/ocsp/%%%",
        "/v1/pki/cas/nosuch/ocsp/" + base64.b64encode(request.read_bytes()).decode(),
    ]
    fast = [api.http.get(p) for p in paths]
    app = api.http.app
    app.dependency_overrides[_pki_marker] = _pki_marker  # type: ignore[attr-defined]
    try:  # with an override in place the fast path steps aside: the routes answer
        routed = [api.http.get(p) for p in paths]
    finally:
        app.dependency_overrides.clear()  # type: ignore[attr-defined]
    for a, b in zip(fast, routed, strict=True):
        assert (a.status_code, a.headers["content-type"]) == (
            b.status_code,
            b.headers["content-type"],
        )
        if a.status_code == 200:
            assert ocsp.load_der_ocsp_response(a.content).response_status == (
                ocsp.load_der_ocsp_response(b.content).response_status
            )
    assert fast[0].content == routed[0].content, "a nonce-less answer comes from one cache"
    assert fast[2].json()["code"] == "UNKNOWN_CA"


def _pki_marker() -> None:
    """A dependency override that overrides nothing the PKI uses."""


GARBAGE_PATHS = [
    "/v1/pki/cas/zjca/ocsp/",
    "/v1/pki/cas/zjca/ocsp/" + "A" * 5000,
    "/v1/pki/cas/zjca/ocsp/%00%ff",
    "/v1/pki/cas/zjca/ocsp/MAMCAQA=",  # SEQUENCE { INTEGER 0 }: DER, not an OCSP request
    "/v1/pki/cas/ZJCA/crl",
    "/v1/pki/cas/../../etc/passwd/crl",
    "/v1/pki/cas/" + "x" * 70 + "/issuing.cer",
    "/v1/pki/certificates/0xzz/chain",
    "/v1/pki/certificates/" + "ab" * 32 + "/chain",
]


@pytest.mark.parametrize("path", GARBAGE_PATHS)
def test_garbage_never_fails_the_server(api: Api, path: str) -> None:
    with TestClient(api.http.app, raise_server_exceptions=False) as raw:
        response = raw.get(path, headers=ADMIN)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.json()["code"]
        posted = raw.post(
            "/v1/pki/cas/zjca/ocsp",
            content=path.encode(),
            headers={"Content-Type": "application/ocsp-request"},
        )
        assert posted.status_code == 200
        assert ocsp.load_der_ocsp_response(posted.content).response_status == (
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        )
    big = api.http.post(
        "/v1/pki/cas/zjca/ocsp",
        content=b"\x30" * 20_000,
        headers={"Content-Type": "application/ocsp-request"},
    )
    assert big.status_code == 413 and big.json()["code"] == "PAYLOAD_TOO_LARGE"
