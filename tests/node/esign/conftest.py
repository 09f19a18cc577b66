"""Fixtures for e-seal tests: a P-256 root -> P-256 issuing CA -> Ed25519 leaf chain made with
cryptography (the shapes DESIGN.md prescribes; the real CAs come from the PKI service), a
second, untrusted root, a small hand-written two-page PDF, and seal images.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import NameOID
from PIL import Image, ImageDraw

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
SIGNED_AT = NOW - dt.timedelta(minutes=5)  # sealing happens before validation


@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    issuing_ca: x509.Certificate
    leaf: x509.Certificate
    leaf_key: Ed25519PrivateKey
    ca_key: ec.EllipticCurvePrivateKey

    def issue(self, public_key: Ed25519PublicKey, label: str) -> x509.Certificate:
        """Another Ed25519 leaf from the same issuing CA (e.g. for a split key's group key)."""
        return _leaf(label, public_key, self.issuing_ca, self.ca_key)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "huren test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _ca_cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    path_length: int,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=30))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(label: str) -> Pki:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _ca_cert(f"{label} root", root_key, None, root_key, 1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    issuing_ca = _ca_cert(f"{label} issuing CA", ca_key, root, root_key, 0)
    leaf_key = Ed25519PrivateKey.generate()
    leaf = _leaf(f"{label} 某某科技有限公司", leaf_key.public_key(), issuing_ca, ca_key)
    return Pki(root=root, issuing_ca=issuing_ca, leaf=leaf, leaf_key=leaf_key, ca_key=ca_key)


def _leaf(
    subject: str,
    public_key: Ed25519PublicKey,
    issuing_ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuing_ca.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki("alliance")


@pytest.fixture(scope="session")
def second_pki() -> Pki:
    """A legal representative's certificate under the same kind of chain."""
    return make_pki("legal-rep")


@pytest.fixture(scope="session")
def stranger_pki() -> Pki:
    """A chain whose root nobody trusts."""
    return make_pki("stranger")


def minimal_pdf(pages: int = 2) -> bytes:
    """A valid PDF with ``pages`` A4 pages, each with a line of text; offsets computed."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{3 + 2 * i} 0 R".encode() for i in range(pages))
        + f"] /Count {pages} /MediaBox [0 0 595 842] >>".encode(),
    ]
    font_obj = 3 + 2 * pages
    for i in range(pages):
        content = f"BT /F1 24 Tf 72 760 Td (Tender document page {i + 1}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_obj} 0 R >> >> >>".encode()
        )
        objects.append(
            b"<< /Length "
            + str(len(content)).encode()
            + b" >>\nstream\n"
            + content
            + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


@pytest.fixture
def pdf() -> bytes:
    return minimal_pdf()


def red_disc_png(size: int = 120) -> bytes:
    """A stand-in seal image (the seal renderer has its own tests): a red ring, transparent."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((4, 4, size - 4, size - 4), outline=(220, 0, 0, 255), width=6)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
