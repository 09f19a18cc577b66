"""Profiles: every kind of subject and usage gives a certificate whose chain passes
``openssl verify`` with the RFC 5280 extensions the profile promises; bad subjects and keys
are refused before anything is signed."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from huren.node.pki.ca import demo_ca
from huren.node.pki.errors import InvalidIssuanceRequest, InvalidSubject
from huren.node.pki.profiles import (
    DOCUMENT_SIGNING,
    EnterpriseSubject,
    LeafCertificate,
    PersonalSubject,
    StaffSubject,
    uscc_check_character,
)
from huren.registry.types import CertificateKind, KeyUsage
from tests.node.pki.conftest import BASE_URL, ENTERPRISE, USCC, openssl, pem

HOLDER = hashlib.sha256(b"holder").digest()
NOW = int(time.time())
CA = demo_ca("zjca", BASE_URL)

CASES = [
    (ENTERPRISE, CertificateKind.ENTERPRISE),
    (StaffSubject(ENTERPRISE, "张三"), CertificateKind.STAFF),
    (PersonalSubject("李四"), CertificateKind.PERSONAL),
]


def leaf(subject: object, kind: CertificateKind, usage: KeyUsage, key: object) -> LeafCertificate:
    return LeafCertificate(
        subject=subject,  # type: ignore[arg-type]
        kind=kind,
        usage=usage,
        public_key=key,  # type: ignore[arg-type]
        serial=x509.random_serial_number(),
        not_before=NOW - 60,
        not_after=NOW + 365 * 86_400,
        holder=HOLDER,
    )


def key_for(usage: KeyUsage) -> object:
    if usage == KeyUsage.SIGNING:
        return ed25519.Ed25519PrivateKey.generate().public_key()
    return x25519.X25519PrivateKey.generate().public_key()


@pytest.mark.parametrize("usage", list(KeyUsage))
@pytest.mark.parametrize(("subject", "kind"), CASES)
def test_every_profile_passes_openssl_verify(
    subject: object, kind: CertificateKind, usage: KeyUsage, tmp_path: Path
) -> None:
    cert = leaf(subject, kind, usage, key_for(usage)).sign(CA)
    (tmp_path / "root.pem").write_bytes(pem(CA.root))
    (tmp_path / "issuing.pem").write_bytes(pem(CA.issuing))
    (tmp_path / "leaf.pem").write_bytes(pem(cert))
    openssl(
        "verify",
        "-x509_strict",
        "-CAfile",
        tmp_path / "root.pem",
        "-untrusted",
        tmp_path / "issuing.pem",
        tmp_path / "leaf.pem",
    )
    ext = cert.extensions
    assert ext.get_extension_for_class(x509.BasicConstraints).value.ca is False
    key_usage = ext.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    signing = usage == KeyUsage.SIGNING
    assert key_usage.value.digital_signature is signing
    assert key_usage.value.content_commitment is signing
    assert key_usage.value.key_agreement is not signing
    purposes = set(ext.get_extension_for_class(x509.ExtendedKeyUsage).value)
    if signing:
        assert purposes == {
            ExtendedKeyUsageOID.CLIENT_AUTH,
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            DOCUMENT_SIGNING,
        }
    else:
        assert purposes == {ExtendedKeyUsageOID.EMAIL_PROTECTION}
    aki = ext.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = CA.issuing.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert ext.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    crl = ext.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl[0].full_name == [x509.UniformResourceIdentifier(CA.urls.crl)]
    aia = {
        d.access_method: d.access_location.value
        for d in ext.get_extension_for_class(x509.AuthorityInformationAccess).value
    }
    assert aia == {
        AuthorityInformationAccessOID.OCSP: f"{BASE_URL}/v1/pki/cas/zjca/ocsp",
        AuthorityInformationAccessOID.CA_ISSUERS: f"{BASE_URL}/v1/pki/cas/zjca/issuing.cer",
    }
    san = ext.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [
        f"urn:huren:holder:{HOLDER.hex()}"
    ]
    org_ids = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    if kind == CertificateKind.PERSONAL:
        assert org_ids == []
    else:
        assert org_ids[0].value == f"NTRCN-{USCC}"


def test_signing_is_deterministic() -> None:
    certificate = leaf(
        ENTERPRISE, CertificateKind.ENTERPRISE, KeyUsage.SIGNING, key_for(KeyUsage.SIGNING)
    )
    assert certificate.sign(CA) == certificate.sign(CA)


def test_uscc_check_character() -> None:
    # The example code used in GB 32100-2015 guides; one changed character breaks it.
    assert uscc_check_character(USCC[:17]) == USCC[17]
    with pytest.raises(InvalidSubject):
        EnterpriseSubject("某公司", USCC[:17] + "4")
    for bad in ("", "9135010OM000100Y43", USCC + "0", USCC.lower()):
        with pytest.raises(InvalidSubject):
            EnterpriseSubject("某公司", bad)


@pytest.mark.parametrize("name", ["", " padded", "x" * 65, "tab\there"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidSubject):
        PersonalSubject(name)
    with pytest.raises(InvalidSubject):
        EnterpriseSubject(name, USCC)


def test_wrong_key_types_and_kinds_are_refused() -> None:
    with pytest.raises(InvalidIssuanceRequest, match="Ed25519"):
        leaf(ENTERPRISE, CertificateKind.ENTERPRISE, KeyUsage.SIGNING, key_for(KeyUsage.ENCRYPTION))
    with pytest.raises(InvalidIssuanceRequest, match="X25519"):
        leaf(ENTERPRISE, CertificateKind.ENTERPRISE, KeyUsage.ENCRYPTION, key_for(KeyUsage.SIGNING))
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(InvalidIssuanceRequest):
        leaf(ENTERPRISE, CertificateKind.ENTERPRISE, KeyUsage.SIGNING, p256)
    with pytest.raises(InvalidIssuanceRequest, match="cannot name"):
        leaf(
            PersonalSubject("王五"),
            CertificateKind.STAFF,
            KeyUsage.SIGNING,
            key_for(KeyUsage.SIGNING),
        )
