"""The holder's public keys, proven: a PKCS#10 request for the signing key and a binding
signature for the encryption key.

The signing key (Ed25519) comes as a CSR signed by itself (proof of possession). An X25519
key cannot sign, so it cannot self-sign a CSR; instead the holder signs
``encryption_key_message(application_id, key)`` with the signing key of the same request:
the encryption key is bound to this application and to the holder of the signing key
(RFC 8410 leaves proof of possession for key-agreement keys to the protocol; this is ours).
A renewal sends no encryption key: the new encryption certificate carries the old key.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from huren.node.applications.errors import InvalidCsr, InvalidKeyProof, WrongKeyType

__all__ = ["HolderKeys", "encryption_key_message", "parse_signing_csr", "prove_keys"]

_DOMAIN = b"huren encryption key binding v1\n"


def encryption_key_message(application_id: str, key: x25519.X25519PublicKey) -> bytes:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _DOMAIN + application_id.encode() + b"\n" + raw


@dataclass(frozen=True, slots=True)
class HolderKeys:
    signing: ed25519.Ed25519PublicKey
    encryption: x25519.X25519PublicKey | None  # None: keep the predecessor's (renewal)


def parse_signing_csr(pem: str) -> ed25519.Ed25519PublicKey:
    """The CSR's Ed25519 key, once its self-signature verifies."""
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidCsr(f"not a PEM PKCS#10 request: {exc}") from None
    try:
        key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise WrongKeyType(f"unsupported key in the CSR: {exc}") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise WrongKeyType(f"the signing key is Ed25519, not {type(key).__name__}")
    try:
        valid = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidCsr(f"the CSR's signature cannot be checked: {exc}") from None
    if not valid:
        raise InvalidCsr("the CSR's signature does not verify under its key")
    return key


def _encryption_key(pem: str) -> x25519.X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
        raise WrongKeyType(f"not a PEM public key: {exc}") from None
    if not isinstance(key, x25519.X25519PublicKey):
        raise WrongKeyType(f"the encryption key is X25519, not {type(key).__name__}")
    return key


def prove_keys(
    application_id: str,
    signing_csr: str,
    encryption_key: str | None,
    encryption_key_proof: bytes | None,
) -> HolderKeys:
    """Both keys, each proven (see the module docstring); ``encryption_key`` None keeps
    the predecessor's (the caller decides whether that is allowed)."""
    signing = parse_signing_csr(signing_csr)
    if encryption_key is None:
        if encryption_key_proof is not None:
            raise InvalidKeyProof("a proof without an encryption key")
        return HolderKeys(signing, None)
    encryption = _encryption_key(encryption_key)
    if encryption_key_proof is None:
        raise InvalidKeyProof("the encryption key needs its proof (a signature by the CSR's key)")
    try:
        signing.verify(encryption_key_proof, encryption_key_message(application_id, encryption))
    except InvalidSignature:
        raise InvalidKeyProof(
            "the encryption key's proof does not verify under the signing key"
        ) from None
    return HolderKeys(signing, encryption)
