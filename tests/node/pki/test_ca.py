"""CAs: the demo derivation matches what the chain accredited, encrypted files round-trip,
and a CA goes into the node only when the index says it is accredited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from huren.node import demo
from huren.node.db.engine import write_session
from huren.node.db.models import Ca
from huren.node.pki.ca import (
    CaUrls,
    CertificateAuthority,
    build_ca_certificates,
    check_accredited,
    demo_ca,
    load_ca_files,
    save_ca_files,
)
from huren.node.pki.errors import CaKeyError, CaNotAccredited
from huren.node.pki.service import Pki, load_cas
from huren.registry.types import CaStatus
from tests.node.pki.conftest import BASE_URL, PkiEnv, openssl, pem


def test_demo_cas_are_derived_the_same_every_time_with_the_accredited_issuer_key() -> None:
    for ca in demo.CAS:
        first, again = demo_ca(ca.ca_id, BASE_URL), demo_ca(ca.ca_id, BASE_URL)
        assert first.issuing_der == again.issuing_der and first.root_der == again.root_der
        assert first.issuer_key_id == demo.issuer_key_id(ca.ca_id)
        assert first.name == ca.name
        assert first.operator.address == demo.ca_operator_account(ca.ca_id).address


def test_demo_ca_chain_passes_openssl(tmp_path: Path) -> None:
    ca = demo_ca("jsca", BASE_URL)
    (tmp_path / "root.pem").write_bytes(pem(ca.root))
    (tmp_path / "issuing.pem").write_bytes(pem(ca.issuing))
    openssl("verify", "-x509_strict", "-CAfile", tmp_path / "root.pem", tmp_path / "issuing.pem")
    constraints = ca.issuing.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0


def test_files_round_trip_under_a_passphrase_and_refuse_a_wrong_one(tmp_path: Path) -> None:
    ca = demo_ca("ahca", BASE_URL)
    directory = tmp_path / "ahca"
    save_ca_files(directory, ca, b"correct horse", demo.ca_operator_account("ahca").key)
    assert b"ENCRYPTED PRIVATE KEY" in (directory / "issuing.key.pem").read_bytes()
    assert (directory / "issuing.key.pem").stat().st_mode & 0o777 == 0o600
    loaded = load_ca_files(directory, b"correct horse", BASE_URL)
    assert loaded.issuer_key_id == ca.issuer_key_id
    assert loaded.issuing_der == ca.issuing_der
    assert loaded.operator.address == ca.operator.address
    with pytest.raises(CaKeyError, match="cannot load"):
        load_ca_files(directory, b"wrong", BASE_URL)
    (directory / "root.pem").unlink()
    with pytest.raises(CaKeyError, match="missing"):
        load_ca_files(directory, b"correct horse", BASE_URL)


def test_a_key_that_does_not_match_its_certificate_is_refused() -> None:
    ca = demo_ca("zjca", BASE_URL)
    with pytest.raises(CaKeyError, match="does not match"):
        CertificateAuthority(
            "zjca",
            ca.root,
            ca.issuing,
            ec.generate_private_key(ec.SECP256R1()),
            ca.operator,
            ca.urls,
        )
    other = demo_ca("jsca", BASE_URL)
    with pytest.raises(CaKeyError, match="not issued by the root"):
        CertificateAuthority("zjca", other.root, ca.issuing, ca.issuing_key, ca.operator, ca.urls)


def test_a_ca_that_the_chain_never_accredited_is_refused(env: PkiEnv) -> None:
    urls = CaUrls(BASE_URL, "rogue")
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    root, issuing = build_ca_certificates(
        "rogue",
        "Rogue CA",
        ec.generate_private_key(ec.SECP256R1()),
        issuing_key,
        urls,
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    rogue = CertificateAuthority("rogue", root, issuing, issuing_key, demo.demo_account("x"), urls)
    with pytest.raises(CaNotAccredited, match="unknown"):
        check_accredited(env.engine, rogue)
    with pytest.raises(CaNotAccredited):
        Pki(env.engine, [rogue], env.client)


def test_an_unaccredited_issuing_key_or_operator_is_refused(env: PkiEnv) -> None:
    zjca = demo_ca("zjca", BASE_URL)
    # jsca's issuing CA presented as zjca's: the key is accredited, but for another CA.
    jsca = demo_ca("jsca", BASE_URL)
    swapped = CertificateAuthority(
        "zjca", jsca.root, jsca.issuing, jsca.issuing_key, zjca.operator, zjca.urls
    )
    with pytest.raises(CaNotAccredited, match="issuer key"):
        check_accredited(env.engine, swapped)
    stranger = CertificateAuthority(
        "zjca", zjca.root, zjca.issuing, zjca.issuing_key, demo.demo_account("nobody"), zjca.urls
    )
    with pytest.raises(CaNotAccredited, match="not its operator"):
        check_accredited(env.engine, stranger)


def test_a_suspended_ca_loads_but_issues_nothing(env: PkiEnv) -> None:
    # The index is the node's view of the chain; a suspension there stops issuance, while
    # the CA still answers for what it issued (OCSP, CRL, revocation).
    with write_session(env.engine) as session:
        row = session.get(Ca, "ahca")
        assert row is not None
        row.status = CaStatus.SUSPENDED
        session.add(row)
    ahca = demo_ca("ahca", BASE_URL)
    with pytest.raises(CaNotAccredited, match="suspended"):
        check_accredited(env.engine, ahca)
    check_accredited(env.engine, ahca, allow_suspended=True)
    pki = Pki(env.engine, load_cas(env.root, BASE_URL, None, dev_demo=True), env.client)
    assert pki.crl("ahca").current()
    with pytest.raises(CaNotAccredited, match="suspended"):
        pki.issuance.reserve(env.request(ca_id="ahca"))


def test_ca_directories_need_a_passphrase(tmp_path: Path) -> None:
    ca = demo_ca("zjca", BASE_URL)
    save_ca_files(tmp_path / "pki" / "zjca", ca, b"secret", ca.operator.key)
    with pytest.raises(CaKeyError, match="passphrase"):
        load_cas(tmp_path, BASE_URL, None, dev_demo=False)
    loaded = load_cas(tmp_path, BASE_URL, b"secret", dev_demo=False)
    assert [c.ca_id for c in loaded] == ["zjca"]
