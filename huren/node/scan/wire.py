"""What the node, the platform and the device share about a scan (pure: no I/O, no database).

**Payload.** A QR code carries one URL::

    {public_url}/scan?v=1&p={platform}&r={request id}&n={nonce}&e={expiry}&s={signature}

``s`` is the node scan key's Ed25519 signature (base64url, no padding) over
:func:`payload_message` of the other fields and the URL's base, so a device can tell a QR the
node made from a forged one before it asks anything. ``n`` (128 random bits) is the
capability that lets whoever scanned the code read the request and answer it.

**What is signed.** Each action says which bytes the certificate's key signs
(:func:`login_message` for a login challenge, the document's SHA-256 digest itself for sign);
the device rebuilds them from what it is shown and refuses a request whose bytes differ.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from huren.node.scan.errors import PayloadInvalid, ScanExpired

PAYLOAD_LABEL = b"huren-scan-payload-v1"
LOGIN_LABEL = b"huren-scan-login-v1"
SCAN_PATH = "/scan"
VERSION = "1"
REQUEST_ID = re.compile(r"[0-9a-f]{32}")
NONCE = re.compile(r"[A-Za-z0-9_-]{22,64}")
PLATFORM = re.compile(r"[A-Za-z0-9._:-]{1,66}")
MAX_PAYLOAD = 1024


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise PayloadInvalid("the payload's signature is not base64url") from error


@dataclass(frozen=True, slots=True)
class ScanPayload:
    """The fields of a QR payload (see the module's doc)."""

    base_url: str
    platform_id: str
    request_id: str
    nonce: str
    expires_at: int

    def message(self) -> bytes:
        return payload_message(self)


def payload_message(payload: ScanPayload) -> bytes:
    fields = [
        PAYLOAD_LABEL,
        payload.base_url.encode(),
        payload.platform_id.encode(),
        payload.request_id.encode(),
        payload.nonce.encode(),
        str(payload.expires_at).encode(),
    ]
    return b"\n".join(fields)


def encode_payload(payload: ScanPayload, key: SigningKey) -> str:
    """The signed URL a QR code shows."""
    signature = key.sign(payload.message()).signature
    query = urlencode(
        {
            "v": VERSION,
            "p": payload.platform_id,
            "r": payload.request_id,
            "n": payload.nonce,
            "e": str(payload.expires_at),
            "s": b64u(signature),
        }
    )
    return f"{payload.base_url}{SCAN_PATH}?{query}"


def decode_payload(text: str, node_public_key: bytes, *, now: int) -> ScanPayload:
    """Parse and check a scanned payload: the node's signature, then the expiry.
    ``PayloadInvalid`` for anything forged or malformed, ``ScanExpired`` once expired."""
    text = text.strip()
    if len(text) > MAX_PAYLOAD:
        raise PayloadInvalid("the payload is too long")
    parts = urlsplit(text)
    if not parts.path.endswith(SCAN_PATH) or parts.scheme not in ("http", "https"):
        raise PayloadInvalid("not a huren scan URL")
    base = f"{parts.scheme}://{parts.netloc}{parts.path[: -len(SCAN_PATH)]}"
    query = parse_qs(parts.query, strict_parsing=False)
    try:
        values = {k: query[k] for k in ("v", "p", "r", "n", "e", "s")}
    except KeyError as error:
        raise PayloadInvalid(f"the payload lacks {error.args[0]!r}") from None
    if any(len(v) != 1 for v in values.values()) or values["v"][0] != VERSION:
        raise PayloadInvalid("the payload's fields are repeated or of another version")
    platform, request_id, nonce, expiry = (values[k][0] for k in ("p", "r", "n", "e"))
    if not (
        PLATFORM.fullmatch(platform)
        and REQUEST_ID.fullmatch(request_id)
        and NONCE.fullmatch(nonce)
        and expiry.isdigit()
        and len(expiry) <= 12
    ):
        raise PayloadInvalid("the payload's fields are malformed")
    payload = ScanPayload(base, platform, request_id, nonce, int(expiry))
    signature = b64u_decode(values["s"][0])
    try:
        VerifyKey(node_public_key).verify(payload.message(), signature)
    except (BadSignatureError, ValueError):
        raise PayloadInvalid("the payload is not signed by this node") from None
    if now > payload.expires_at:
        raise ScanExpired("the QR code expired; ask the platform for a new one")
    return payload


def login_message(platform_id: str, request_id: str, challenge: str, expires_at: int) -> bytes:
    """What a login signs: the node's single-use challenge bound to the platform, the request
    and its expiry (a signature for one platform's login is useless at another)."""
    fields = [
        LOGIN_LABEL,
        platform_id.encode(),
        request_id.encode(),
        challenge.encode(),
        str(expires_at).encode(),
    ]
    return b"\n".join(fields)
