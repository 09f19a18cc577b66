"""Certificate profiles: who a certificate names and what it may do.

Each holder gets a signing certificate (Ed25519 key; the aggregate key once key splitting
exists) and an encryption certificate (X25519 key, key agreement only), for one of three
kinds of subject: an enterprise (name and USCC), a staff member (the enterprise plus the
person) or a person. ``LeafCertificate`` is the immutable, validating builder of such a
certificate with its RFC 5280 extensions; ``sign`` uses deterministic ECDSA, so signing the
same recorded intent twice gives the same DER (issuance relies on it after a crash).

The subject carries the enterprise's identity (it is on the certificate, not on chain); the
subjectAltName carries only the holder commitment (``urn:huren:holder:<hex>``), the salted
hash that the chain record names, so a certificate can be matched with its record without
personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from huren.node.identity.checks import USCC_ALPHABET, uscc_check_character
from huren.node.pki.ca import CertificateAuthority
from huren.node.pki.errors import InvalidIssuanceRequest, InvalidSubject
from huren.registry.types import CertificateKind, KeyUsage

__all__ = [
    "DOCUMENT_SIGNING",
    "EnterpriseSubject",
    "LeafCertificate",
    "LeafPublicKey",
    "PersonalSubject",
    "StaffSubject",
    "Subject",
    "check_profile",
    "subject_from_json",
    "subject_name",
    "subject_to_json",
    "uscc_check_character",
]

# id-kp-documentSigning (RFC 9336): signing bid documents is what the signing key is for.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
MAX_NAME = 64  # ub-common-name / ub-organization-name (RFC 5280 appendix A)

LeafPublicKey = ed25519.Ed25519PublicKey | x25519.X25519PublicKey


def _name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise InvalidSubject(f"{what} must be 1..{MAX_NAME} characters")
    if value != value.strip() or any(ord(c) < 32 for c in value):
        raise InvalidSubject(f"{what} has surrounding spaces or control characters")
    return value


@dataclass(frozen=True, slots=True)
class EnterpriseSubject:
    name: str
    uscc: str  # 统一社会信用代码, 18 characters with its check character

    def __post_init__(self) -> None:
        _name(self.name, "the enterprise name")
        code = self.uscc
        if (
            not isinstance(code, str)
            or len(code) != 18
            or any(c not in USCC_ALPHABET for c in code)
            or uscc_check_character(code[:17]) != code[17]
        ):
            raise InvalidSubject(f"{code!r} is not a valid unified social credit code")

    def attributes(self) -> list[x509.NameAttribute[str]]:
        return [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.name),
            # ETSI EN 319 412-1 semantics: national trade register, China, the USCC.
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{self.uscc}"),
        ]


@dataclass(frozen=True, slots=True)
class StaffSubject:
    enterprise: EnterpriseSubject
    person: str

    def __post_init__(self) -> None:
        if not isinstance(self.enterprise, EnterpriseSubject):
            raise InvalidSubject("a staff subject names its enterprise")
        _name(self.person, "the person's name")


@dataclass(frozen=True, slots=True)
class PersonalSubject:
    person: str

    def __post_init__(self) -> None:
        _name(self.person, "the person's name")


Subject = EnterpriseSubject | StaffSubject | PersonalSubject
_KIND_OF = {
    EnterpriseSubject: CertificateKind.ENTERPRISE,
    StaffSubject: CertificateKind.STAFF,
    PersonalSubject: CertificateKind.PERSONAL,
}


def subject_name(subject: Subject) -> x509.Name:
    country = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if isinstance(subject, EnterpriseSubject):
        cn = [x509.NameAttribute(NameOID.COMMON_NAME, subject.name)]
        return x509.Name(country + subject.attributes() + cn)
    if isinstance(subject, StaffSubject):
        cn = [x509.NameAttribute(NameOID.COMMON_NAME, subject.person)]
        return x509.Name(country + subject.enterprise.attributes() + cn)
    return x509.Name([*country, x509.NameAttribute(NameOID.COMMON_NAME, subject.person)])


def subject_to_json(subject: Subject) -> str:
    """The subject as stored with an issuance intent (``subject_from_json`` reads it)."""
    value: dict[str, Any]
    if isinstance(subject, EnterpriseSubject):
        value = {"kind": "enterprise", "name": subject.name, "uscc": subject.uscc}
    elif isinstance(subject, StaffSubject):
        e = subject.enterprise
        value = {"kind": "staff", "name": e.name, "uscc": e.uscc, "person": subject.person}
    else:
        value = {"kind": "personal", "person": subject.person}
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def subject_from_json(text: str) -> Subject:
    value = json.loads(text)
    if value["kind"] == "enterprise":
        return EnterpriseSubject(value["name"], value["uscc"])
    if value["kind"] == "staff":
        return StaffSubject(EnterpriseSubject(value["name"], value["uscc"]), value["person"])
    return PersonalSubject(value["person"])


def _usage_extensions(usage: KeyUsage) -> tuple[x509.KeyUsage, x509.ExtendedKeyUsage]:
    signing = usage == KeyUsage.SIGNING
    key_usage = x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,  # nonRepudiation: bids are commitments
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not signing,  # X25519 agrees keys (RFC 8410 section 5)
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    purposes = (
        [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]
        if signing
        else [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    )
    return key_usage, x509.ExtendedKeyUsage(purposes)


def check_profile(
    subject: Subject, kind: CertificateKind, usage: KeyUsage, public_key: object
) -> None:
    """Raise unless ``subject`` suits a ``kind`` certificate and ``public_key`` its usage."""
    expected = _KIND_OF.get(type(subject))
    if expected is None:
        raise InvalidSubject(f"unsupported subject {type(subject).__name__}")
    if kind != expected:
        raise InvalidIssuanceRequest(
            f"a {CertificateKind(kind).name.lower()} certificate cannot name a "
            f"{type(subject).__name__}"
        )
    signing = usage == KeyUsage.SIGNING
    wanted = ed25519.Ed25519PublicKey if signing else x25519.X25519PublicKey
    if not isinstance(public_key, wanted):
        raise InvalidIssuanceRequest(
            f"a {KeyUsage(usage).name.lower()} certificate needs a "
            f"{'Ed25519' if signing else 'X25519'} public key"
        )


@dataclass(frozen=True, slots=True)
class LeafCertificate:
    """An end-entity certificate to be issued: validated on construction, signed by
    ``sign``. ``serial`` is the reserved serial; times are whole seconds, UTC."""

    subject: Subject
    kind: CertificateKind
    usage: KeyUsage
    public_key: LeafPublicKey
    serial: int
    not_before: int
    not_after: int
    holder: bytes

    def __post_init__(self) -> None:
        check_profile(self.subject, self.kind, self.usage, self.public_key)
        if not 0 < self.serial < 2**159:
            raise InvalidIssuanceRequest("a serial is positive and at most 20 octets")
        if not 0 <= self.not_before < self.not_after:
            raise InvalidIssuanceRequest("the validity period is empty")
        if not (isinstance(self.holder, bytes) and len(self.holder) == 32 and any(self.holder)):
            raise InvalidIssuanceRequest("the holder commitment is 32 bytes, not all zero")

    def build(self, ca: CertificateAuthority) -> x509.CertificateBuilder:
        key_usage, extended = _usage_extensions(self.usage)
        urls = ca.urls
        return (
            x509.CertificateBuilder()
            .subject_name(subject_name(self.subject))
            .issuer_name(ca.issuing.subject)
            .public_key(self.public_key)
            .serial_number(self.serial)
            .not_valid_before(dt.datetime.fromtimestamp(self.not_before, dt.UTC))
            .not_valid_after(dt.datetime.fromtimestamp(self.not_after, dt.UTC))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage, critical=True)
            .add_extension(extended, critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.public_key), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.issuing_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [x509.UniformResourceIdentifier(urls.crl)], None, None, None
                        )
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(urls.ocsp),
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(urls.issuing_certificate),
                        ),
                    ]
                ),
                critical=False,
            )
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(f"urn:huren:holder:{self.holder.hex()}")]
                ),
                critical=False,
            )
        )

    def sign(self, ca: CertificateAuthority) -> x509.Certificate:
        """The certificate signed by ``ca``'s issuing key (deterministic ECDSA)."""
        return self.build(ca).sign(ca.issuing_key, hashes.SHA256(), ecdsa_deterministic=True)
