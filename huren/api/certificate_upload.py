"""Certificates sent to the API, turned into the fingerprint the registry keys them by.

Accepted: PEM (``-----BEGIN CERTIFICATE-----``; of a chain, the first certificate, which is
the leaf), DER, or base64 of DER. The certificate is parsed with ``cryptography.x509`` so
that garbage is refused (422 ``MALFORMED_CERTIFICATE``) instead of fingerprinted; the
fingerprint is the SHA-256 of its DER.
"""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from huren.api.problems import ApiProblem

__all__ = [
    "DER_TYPES",
    "MAX_CERTIFICATE_BYTES",
    "PEM_TYPES",
    "fingerprint_of_text",
    "fingerprint_of_upload",
]

MAX_CERTIFICATE_BYTES = 64 * 1024
PEM_TYPES = ("application/x-pem-file", "application/pem-certificate-chain", "text/plain")
DER_TYPES = ("application/pkix-cert", "application/x-x509-ca-cert", "application/octet-stream")
_PEM_MARK = b"-----BEGIN CERTIFICATE-----"


def _malformed(detail: str) -> ApiProblem:
    return ApiProblem(422, "MALFORMED_CERTIFICATE", detail)


def _load(data: bytes) -> x509.Certificate:
    try:
        if _PEM_MARK in data:
            certs = x509.load_pem_x509_certificates(data)
            if not certs:
                raise ValueError("no certificate in the PEM")
            return certs[0]
        return x509.load_der_x509_certificate(data)
    except (ValueError, TypeError) as exc:
        raise _malformed(f"not an X.509 certificate: {exc}") from None


def fingerprint_of_upload(data: bytes) -> bytes:
    """The SHA-256 fingerprint of the certificate in ``data`` (PEM or DER)."""
    if not data:
        raise _malformed("no certificate sent")
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise ApiProblem(
            413, "PAYLOAD_TOO_LARGE", f"a certificate has at most {MAX_CERTIFICATE_BYTES} bytes"
        )
    cert = _load(data)
    try:
        return cert.fingerprint(hashes.SHA256())
    except ValueError as exc:  # pragma: no cover - a parsed certificate re-encodes
        raise _malformed(str(exc)) from None


def fingerprint_of_text(text: str) -> bytes:
    """The fingerprint of a certificate given as JSON text: PEM, or base64 of its DER."""
    raw = text.strip().encode("utf-8", "replace")
    if _PEM_MARK in raw:
        return fingerprint_of_upload(raw)
    try:
        der = base64.b64decode(b"".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        try:
            der = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            raise _malformed("certificate: neither PEM nor base64 of DER") from None
    return fingerprint_of_upload(der)
