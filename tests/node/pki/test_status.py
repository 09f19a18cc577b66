"""OCSP and CRL from the index: ``openssl ocsp`` accepts the responder's good, revoked and
unknown answers (with and without nonce), ``openssl verify -crl_check`` uses the CRL before
and after a revocation, and both follow the index, not the issuance tables alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from huren.node.pki.ca import demo_ca
from huren.node.pki.ocsp import OcspResponder, delegated_responder
from huren.node.pki.profiles import LeafCertificate
from huren.registry.types import CertificateKind, KeyUsage, RevocationReason
from tests.node.pki.conftest import BASE_URL, ENTERPRISE, PkiEnv, openssl, pem, split_chain


def issued_chain(env: PkiEnv, tmp_path: Path, **fields: object) -> tuple[Path, Path, Path, bytes]:
    result = env.pki.issuance.issue(env.request(**fields))
    assert result.fingerprint is not None
    env.index()
    directory = tmp_path / result.serial
    directory.mkdir()
    leaf, issuing, root = split_chain(env.pki.issuance.chain_pem(result.fingerprint), directory)
    return leaf, issuing, root, result.fingerprint


def openssl_checks(request: Path, response: Path, root: Path, issuing: Path, nonce: bool) -> str:
    """``openssl ocsp`` on a response to ``request``: the signature chains to ``root`` and,
    with a nonce, the response echoes the request's. (Not ``-cert``: openssl would build a
    request of its own with a fresh nonce and ignore ``-reqin``.) Returns the text output."""
    done = openssl(
        "ocsp", "-reqin", request, "-respin", response, "-CAfile", root,
        "-verify_other", issuing, "-resp_text", *([] if nonce else ["-no_nonce"]),
    )  # fmt: skip
    text = done.stdout + done.stderr
    assert "Response verify OK" in text and "WARNING" not in text, text
    return text


def ocsp_check(
    env: PkiEnv, leaf: Path, issuing: Path, root: Path, *, nonce: bool
) -> tuple[str, ocsp.OCSPResponse]:
    """Make the request with openssl, answer it in process, check the answer with openssl."""
    request, response = leaf.with_suffix(".req"), leaf.with_suffix(".resp")
    flag = "-nonce" if nonce else "-no_nonce"
    openssl("ocsp", "-issuer", issuing, "-cert", leaf, flag, "-reqout", request)
    response.write_bytes(env.pki.responder("zjca").respond(request.read_bytes()))
    text = openssl_checks(request, response, root, issuing, nonce)
    return text, ocsp.load_der_ocsp_response(response.read_bytes())


def test_openssl_accepts_good_and_revoked(env: PkiEnv, tmp_path: Path) -> None:
    leaf, issuing, root, fingerprint = issued_chain(env, tmp_path)
    out, response = ocsp_check(env, leaf, issuing, root, nonce=False)
    assert "Cert Status: good" in out
    out, response = ocsp_check(env, leaf, issuing, root, nonce=True)
    assert "Cert Status: good" in out
    assert response.extensions.get_extension_for_class(x509.OCSPNonce)
    env.pki.issuance.revoke(fingerprint, RevocationReason.KEY_COMPROMISE)
    env.index()
    out, response = ocsp_check(env, leaf, issuing, root, nonce=False)
    assert "Cert Status: revoked" in out and "keyCompromise" in out
    assert response.revocation_reason == x509.ReasonFlags.key_compromise


def test_not_yet_on_chain_is_unknown(env: PkiEnv, tmp_path: Path) -> None:
    _leaf, issuing, root, _ = issued_chain(env, tmp_path)
    # Signed by the CA but never recorded: a certificate the chain does not hold.
    ca = env.pki.ca("zjca")
    stray = LeafCertificate(
        subject=ENTERPRISE,
        kind=CertificateKind.ENTERPRISE,
        usage=KeyUsage.SIGNING,
        public_key=env.request().public_key,
        serial=x509.random_serial_number(),
        not_before=int(time.time()) - 60,
        not_after=int(time.time()) + 86_400,
        holder=hashlib.sha256(b"stray").digest(),
    ).sign(ca)
    stray_path = tmp_path / "stray.pem"
    stray_path.write_bytes(pem(stray))
    out, _ = ocsp_check(env, stray_path, issuing, root, nonce=True)
    assert "Cert Status: unknown" in out
    # Reserved and signed, not committed: unknown too.
    service = env.pki.issuance
    serial = service.reserve(env.request())
    service.sign(serial)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            hashlib.sha1(ca.issuing.subject.public_bytes()).digest(),
            hashlib.sha1(
                ca.issuing.public_key().public_bytes(
                    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
                )
            ).digest(),
            int(serial, 16),
            hashes.SHA1(),
        )
        .build()
    )
    answer = ocsp.load_der_ocsp_response(
        env.pki.responder("zjca").respond(request.public_bytes(serialization.Encoding.DER))
    )
    assert answer.certificate_status == ocsp.OCSPCertStatus.UNKNOWN


def test_malformed_and_foreign_requests(env: PkiEnv, tmp_path: Path) -> None:
    responder = env.pki.responder("zjca")
    status = ocsp.load_der_ocsp_response(responder.respond(b"\x30\x03junk")).response_status
    assert status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    leaf, issuing, _, _ = issued_chain(env, tmp_path, ca_id="jsca")
    request = leaf.with_suffix(".req")
    openssl("ocsp", "-issuer", issuing, "-cert", leaf, "-reqout", request)
    foreign = ocsp.load_der_ocsp_response(responder.respond(request.read_bytes()))
    assert foreign.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_nonceless_answers_are_cached_per_status(env: PkiEnv, tmp_path: Path) -> None:
    leaf, issuing, _, fingerprint = issued_chain(env, tmp_path)
    request = leaf.with_suffix(".req")
    openssl("ocsp", "-issuer", issuing, "-cert", leaf, "-no_nonce", "-reqout", request)
    responder = env.pki.responder("zjca")
    first = responder.respond(request.read_bytes())
    env.clock.now += 10
    assert responder.respond(request.read_bytes()) == first
    env.clock.now += responder.cache_s
    renewed = responder.respond(request.read_bytes())
    assert renewed != first
    env.pki.issuance.revoke(fingerprint, RevocationReason.SUPERSEDED)
    env.index()
    revoked = ocsp.load_der_ocsp_response(responder.respond(request.read_bytes()))
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED


def test_a_delegated_responder_is_accepted(env: PkiEnv, tmp_path: Path) -> None:
    leaf, issuing, root, _ = issued_chain(env, tmp_path)
    ca = env.pki.ca("zjca")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = delegated_responder(ca, key, dt.datetime.fromtimestamp(env.clock.now - 60, dt.UTC), 30)
    responder = OcspResponder(ca, env.pki.lookup, clock=env.clock, responder=(cert, key))
    request, response = tmp_path / "d.req", tmp_path / "d.resp"
    openssl("ocsp", "-issuer", issuing, "-cert", leaf, "-reqout", request)
    response.write_bytes(responder.respond(request.read_bytes()))
    text = openssl_checks(request, response, root, issuing, nonce=True)
    assert "Cert Status: good" in text


def test_crl_follows_revocations(env: PkiEnv, tmp_path: Path) -> None:
    leaf, issuing, root, fingerprint = issued_chain(env, tmp_path)
    publisher = env.pki.crl("zjca")
    crl_path = tmp_path / "zjca.crl.pem"

    def verify() -> str:
        crl = x509.load_der_x509_crl(publisher.current())
        crl_path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        done = openssl(
            "verify", "-crl_check", "-CAfile", root, "-untrusted", issuing,
            "-CRLfile", crl_path, leaf, check=False,
        )  # fmt: skip
        return done.stdout + done.stderr

    assert "OK" in verify()
    first = publisher.current()
    assert publisher.current() == first, "unchanged index, same CRL"
    env.pki.issuance.revoke(fingerprint, RevocationReason.KEY_COMPROMISE)
    assert publisher.current() == first, "not indexed yet"
    env.index()
    assert "certificate revoked" in verify()
    crl = x509.load_der_x509_crl(publisher.current())
    numbers = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert numbers == 2
    entry = crl.get_revoked_certificate_by_serial_number(
        x509.load_pem_x509_certificate(leaf.read_bytes()).serial_number
    )
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )
    # A restart keeps numbering; an aged CRL is re-signed with the next number.
    again = env.new_pki().crl("zjca")
    assert again.current() == publisher.current()
    env.clock.now += again.refresh_s
    renewed = x509.load_der_x509_crl(again.current())
    assert renewed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 3


def test_demo_ca_base_url_is_in_the_certificates() -> None:
    assert demo_ca("zjca", BASE_URL).urls.crl == f"{BASE_URL}/v1/pki/cas/zjca/crl"
