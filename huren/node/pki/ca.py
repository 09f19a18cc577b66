"""CA institutions as this node holds them: a root and an issuing CA (P-256) each.

Only the issuing key is online; the root certificate is kept for chains and AIA, its key
stays offline (the dev derivation below computes it only to sign the issuing certificate).

- ``demo_ca(ca_id, base_url)``: the demo consortium's CAs, derived from public labels like
  the rest of ``huren.node.demo`` (dev only). The issuing key is
  ``huren.node.demo.issuing_key(ca_id)`` because the demo seeding accredited its issuer key
  id on chain; the root key is derived the same way, and both certificates are signed with
  deterministic ECDSA (RFC 6979) over fixed validity and serials, so every start derives the
  same bytes.
- ``save_ca_files`` / ``load_ca_files``: a CA directory with ``root.pem``, ``issuing.pem``
  and ``issuing.key.pem`` (encrypted PKCS#8) and the CA operator's chain key
  ``operator.key`` (hex, mode 0600, like the node's operator key file).
- ``check_accredited``: a CA goes into the node only when the node's index of the chain says
  it is accredited (or was, and is suspended now) with this issuing key and this operator;
  issuance checks again that it is accredited now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlmodel import Session, select

from huren.node import demo
from huren.node.db.models import Ca, CaIssuerKey, CaOperator
from huren.node.pki.errors import CaKeyError, CaNotAccredited
from huren.registry.types import CaStatus

__all__ = [
    "CaUrls",
    "CertificateAuthority",
    "build_ca_certificates",
    "check_accredited",
    "demo_ca",
    "load_ca_files",
    "save_ca_files",
]

DEMO_NOT_BEFORE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ROOT_YEARS = 20
ISSUING_YEARS = 10
ROOT_FILE, ISSUING_FILE, ISSUING_KEY_FILE, OPERATOR_FILE = (
    "root.pem",
    "issuing.pem",
    "issuing.key.pem",
    "operator.key",
)


@dataclass(frozen=True, slots=True)
class CaUrls:
    """Where this node publishes a CA's status and certificates (the URLs go into every
    certificate the CA issues: CRL distribution point and AIA)."""

    base_url: str
    ca_id: str

    def _at(self, leaf: str) -> str:
        return f"{self.base_url.rstrip('/')}/v1/pki/cas/{self.ca_id}/{leaf}"

    @property
    def ocsp(self) -> str:
        return self._at("ocsp")

    @property
    def crl(self) -> str:
        return self._at("crl")

    @property
    def issuing_certificate(self) -> str:
        return self._at("issuing.cer")

    @property
    def root_certificate(self) -> str:
        return self._at("root.cer")


@dataclass(frozen=True)
class CertificateAuthority:
    """One CA institution's issuing CA as loaded into the node (use ``demo_ca`` or
    ``load_ca_files``; the constructor checks that key and certificates belong together)."""

    ca_id: str
    root: x509.Certificate
    issuing: x509.Certificate
    issuing_key: ec.EllipticCurvePrivateKey
    operator: LocalAccount
    urls: CaUrls
    issuer_key_id: bytes = field(init=False)  # SHA-256 of the issuing SPKI, as on chain
    issuing_der: bytes = field(init=False)
    root_der: bytes = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.issuing_key, ec.EllipticCurvePrivateKey) or not isinstance(
            self.issuing_key.curve, ec.SECP256R1
        ):
            raise CaKeyError(f"{self.ca_id}: the issuing key must be P-256")
        spki = self.issuing_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if self.issuing.public_key() != self.issuing_key.public_key():
            raise CaKeyError(f"{self.ca_id}: the issuing key does not match its certificate")
        try:
            self.issuing.verify_directly_issued_by(self.root)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise CaKeyError(f"{self.ca_id}: the issuing CA is not issued by the root") from exc
        for cert in (self.root, self.issuing):
            if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                raise CaKeyError(f"{self.ca_id}: {cert.subject.rfc4514_string()} is no CA")
        object.__setattr__(self, "issuer_key_id", hashlib.sha256(spki).digest())
        object.__setattr__(self, "issuing_der", _der(self.issuing))
        object.__setattr__(self, "root_der", _der(self.root))

    @property
    def name(self) -> str:
        values = self.issuing.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return str(values[0].value) if values else self.ca_id

    def chain_pem(self) -> bytes:
        """Issuing then root certificate, PEM (what follows a leaf in a downloaded chain)."""
        return b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.issuing, self.root)
        )


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _ca_name(ca_id: str, name: str, role: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{ca_id} {role} CA"),
        ]
    )


def _serial(label: str) -> int:
    """A positive 159-bit serial derived from a label (CA certificates only)."""
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:20], "big") >> 1 | 1


def build_ca_certificates(
    ca_id: str,
    name: str,
    root_key: ec.EllipticCurvePrivateKey,
    issuing_key: ec.EllipticCurvePrivateKey,
    urls: CaUrls,
    not_before: dt.datetime,
) -> tuple[x509.Certificate, x509.Certificate]:
    """(root, issuing) certificates of a CA, signed deterministically (same inputs, same
    bytes). The issuing CA may issue end-entity certificates only (path length 0)."""
    root_name = _ca_name(ca_id, name, "Root")
    root_public = root_key.public_key()
    ca_usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_public)
        .serial_number(_serial(f"huren root {ca_id} {not_before.isoformat()}"))
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ca_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_public), critical=False)
        .sign(root_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    issuing_public = issuing_key.public_key()
    issuing = (
        x509.CertificateBuilder()
        .subject_name(_ca_name(ca_id, name, "Issuing"))
        .issuer_name(root_name)
        .public_key(issuing_public)
        .serial_number(_serial(f"huren issuing {ca_id} {not_before.isoformat()}"))
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=365 * ISSUING_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(ca_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(issuing_public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_public), critical=False
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(urls.root_certificate),
                    )
                ]
            ),
            critical=False,
        )
        .sign(root_key, hashes.SHA256(), ecdsa_deterministic=True)
    )
    return root, issuing


def _demo_root_key(ca_id: str) -> ec.EllipticCurvePrivateKey:
    seed = hashlib.sha256(b"huren demo root ca " + ca_id.encode()).digest()
    scalar = int.from_bytes(seed, "big") % (demo.P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def demo_ca(ca_id: str, base_url: str) -> CertificateAuthority:
    """A demo consortium CA (zjca, jsca, ahca), derived: dev only."""
    names = {c.ca_id: c.name for c in demo.CAS}
    if ca_id not in names:
        raise CaKeyError(f"{ca_id!r} is not a demo CA ({', '.join(names)})")
    urls = CaUrls(base_url, ca_id)
    issuing_key = demo.issuing_key(ca_id)
    root, issuing = build_ca_certificates(
        ca_id, names[ca_id], _demo_root_key(ca_id), issuing_key, urls, DEMO_NOT_BEFORE
    )
    return CertificateAuthority(
        ca_id, root, issuing, issuing_key, demo.ca_operator_account(ca_id), urls
    )


def save_ca_files(
    directory: Path, ca: CertificateAuthority, passphrase: bytes, operator_key: bytes
) -> None:
    """Write ``ca`` as a CA directory, the issuing key encrypted under ``passphrase``
    (PKCS#8, PBES2 with AES-256-CBC) and the operator's key readable by the owner only."""
    if not passphrase:
        raise CaKeyError("a CA key file needs a passphrase")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ROOT_FILE).write_bytes(ca.root.public_bytes(serialization.Encoding.PEM))
    (directory / ISSUING_FILE).write_bytes(ca.issuing.public_bytes(serialization.Encoding.PEM))
    key_pem = ca.issuing_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    _write_private(directory / ISSUING_KEY_FILE, key_pem)
    _write_private(directory / OPERATOR_FILE, operator_key.hex().encode() + b"\n")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def load_ca_files(directory: Path, passphrase: bytes, base_url: str) -> CertificateAuthority:
    """The CA in ``directory`` (named after its CA id); ``CaKeyError`` when a file is
    missing, the passphrase is wrong or the pieces do not belong together."""
    ca_id = directory.name
    try:
        root = x509.load_pem_x509_certificate((directory / ROOT_FILE).read_bytes())
        issuing = x509.load_pem_x509_certificate((directory / ISSUING_FILE).read_bytes())
        key = serialization.load_pem_private_key(
            (directory / ISSUING_KEY_FILE).read_bytes(), password=passphrase
        )
        operator: LocalAccount = Account.from_key((directory / OPERATOR_FILE).read_text().strip())
    except FileNotFoundError as exc:
        raise CaKeyError(f"{ca_id}: {exc.filename} is missing") from exc
    except (ValueError, TypeError) as exc:  # wrong passphrase, malformed PEM or key
        raise CaKeyError(f"{ca_id}: cannot load the CA files: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CaKeyError(f"{ca_id}: the issuing key must be P-256")
    return CertificateAuthority(ca_id, root, issuing, key, operator, CaUrls(base_url, ca_id))


def check_accredited(
    engine: Engine, ca: CertificateAuthority, *, allow_suspended: bool = False
) -> None:
    """Raise ``CaNotAccredited`` unless the node's index holds ``ca`` as accredited, with its
    issuing key among the CA's issuer keys and its operator among the CA's operators.
    ``allow_suspended`` accepts a CA accredited once and suspended since: it issues nothing,
    but its operators still revoke and its certificates still need OCSP and CRLs."""
    allowed = (
        {CaStatus.ACCREDITED, CaStatus.SUSPENDED} if allow_suspended else {CaStatus.ACCREDITED}
    )
    with Session(engine) as session:
        row = session.get(Ca, ca.ca_id)
        if row is None or row.status not in allowed:
            status = "unknown" if row is None else CaStatus(row.status).name.lower()
            raise CaNotAccredited(f"{ca.ca_id} is {status} on chain (as indexed)")
        key = session.get(CaIssuerKey, ca.issuer_key_id)
        if key is None or key.ca_id != ca.ca_id:
            raise CaNotAccredited(
                f"{ca.ca_id}: issuer key {ca.issuer_key_id.hex()} is not accredited for it"
            )
        operator = session.exec(
            select(CaOperator).where(
                CaOperator.ca_id == ca.ca_id,
                CaOperator.account == ca.operator.address,
            )
        ).first()
        if operator is None:
            raise CaNotAccredited(f"{ca.ca_id}: {ca.operator.address} is not its operator")
