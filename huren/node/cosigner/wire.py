"""What the device and the co-signer share on the wire (pure: no I/O, no database).

Every request after enrolment is signed by the device key (Ed25519, separate from the key
share) over :func:`request_message`: method, path, device id, timestamp, a fresh nonce and the
SHA-256 of the body. The co-signer refuses a stale timestamp and a nonce it has seen, so a
captured request cannot be replayed. Operations that use the key also carry a PIN proof: the
PIN-derived Ed25519 key's signature over :func:`pin_proof_message` of the same request, so a
proof is bound to one request and cannot be replayed either.

Binary protocol messages (``huren.node.keysplit``) travel as standard base64 in JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from nacl.bindings import crypto_core_ed25519_is_valid_point
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from huren.node.cosigner.errors import CosignerError, InvalidRequest

HEADER_DEVICE = "X-Huren-Device"
HEADER_TIMESTAMP = "X-Huren-Timestamp"
HEADER_NONCE = "X-Huren-Nonce"
HEADER_SIGNATURE = "X-Huren-Signature"
HEADER_PIN_PROOF = "X-Huren-Pin-Proof"

REQUEST_LABEL = b"huren-cosigner-request-v1"
PIN_PROOF_LABEL = b"huren-cosigner-pin-proof-v1"
NONCE_BYTES = 16
MAX_CLOCK_SKEW_S = 120  # a request's timestamp must be this close to the co-signer's clock
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str, *, what: str = "value", size: int | None = None) -> bytes:
    """Strict standard base64 (padding required, no stray characters)."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise InvalidRequest(f"{what} is not base64") from error
    if size is not None and len(data) != size:
        raise InvalidRequest(f"{what} must be {size} bytes, got {len(data)}")
    return data


def device_id_of(public_key: bytes) -> str:
    """A device's public name: the first 16 bytes of SHA-256 of its public key, in hex."""
    return hashlib.sha256(b"huren-device-id\0" + public_key).digest()[:16].hex()


def request_message(
    method: str, path: str, device_id: str, timestamp: int, nonce: str, body: bytes
) -> bytes:
    """The bytes a device signs for one request (``path`` includes any query string)."""
    fields = [
        REQUEST_LABEL,
        method.upper().encode(),
        path.encode(),
        device_id.encode(),
        str(timestamp).encode(),
        nonce.encode(),
        hashlib.sha256(body).hexdigest().encode(),
    ]
    return b"\n".join(fields)


def pin_proof_message(request: bytes) -> bytes:
    """What the PIN key signs: the request's signed bytes under another label, so a device
    signature can never pass as a PIN proof or the other way round."""
    return PIN_PROOF_LABEL + b"\n" + request


def verify_ed25519(
    public_key: bytes, message: bytes, signature: bytes, *, refusal: CosignerError
) -> None:
    """Raise ``refusal`` unless ``signature`` is ``public_key``'s over ``message``."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        raise refusal
    try:
        VerifyKey(public_key).verify(message, signature)
    except (BadSignatureError, ValueError):
        raise refusal from None


def check_public_key(public_key: bytes, what: str) -> bytes:
    """A 32-byte Ed25519 public key that libsodium accepts (not of small order)."""
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise InvalidRequest(f"{what} must be {PUBLIC_KEY_SIZE} bytes")
    try:
        VerifyKey(public_key)
    except ValueError as error:
        raise InvalidRequest(f"{what} is not an Ed25519 public key") from error
    if not crypto_core_ed25519_is_valid_point(public_key):
        raise InvalidRequest(f"{what} is not a valid Ed25519 point")
    return public_key
