"""The platform clients of 扫码生成投标文件 and 开标大厅扫码解密: the bid tool and the opening hall.

Both talk to ``/v1/scan`` with their platform key, show the request's payload as a QR code,
wait for the answer and then work on the file **locally**: the file never goes to the node or
the phone.

- ``recipients_from``: the bid tool checks the holder's answer (the recipients' certificates
  are the fingerprints listed, and the holder's signing certificate's signature verifies over
  ``bid_wire.choice_message`` for exactly those) before encrypting to them.
- ``SealedAnswerDecapsulator``: the hall opens the device's box with its ephemeral key and
  hands the DH value to the bid file reader for that one entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from huren.node.bidfile import Recipient
from huren.node.bidfile.errors import BidFileError, RecipientNotRecognized
from huren.node.bidfile.header import Header
from huren.node.cosigner.wire import b64d
from huren.node.scan import bid_wire

__all__ = [
    "BidScanClient",
    "ChosenByHolder",
    "ScanAnswerRefused",
    "SealedAnswerDecapsulator",
    "decrypt_request",
    "recipients_from",
]

FINAL = {"approved", "denied", "expired"}


class ScanAnswerRefused(BidFileError):
    """The scan request was not approved, or its answer does not check out."""

    code = "SCAN_ANSWER_REFUSED"


class BidScanClient:
    """A platform's requests for the bid kinds (``http`` carries the platform key)."""

    def __init__(self, http: httpx.Client, *, monotonic: Callable[[], float] = time.monotonic):
        self.http = http
        self.monotonic = monotonic

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                code = str(response.json().get("code"))
                detail = str(response.json().get("detail", ""))
            except ValueError:
                code, detail = f"HTTP_{response.status_code}", response.text[:200]
            raise ScanAnswerRefused(f"{code}: {detail}")
        return dict(response.json())

    def create_encrypt(self, tender_id: str, title: str) -> dict[str, Any]:
        return self._call(
            "POST",
            "/v1/scan/requests",
            json={"action": "encrypt", "params": {"tender_id": tender_id, "title": title}},
        )

    def create_decrypt(
        self, header: Header, tender_id: str, title: str
    ) -> tuple[dict[str, Any], X25519PrivateKey]:
        """A decrypt request naming the file's entries, and the hall's ephemeral key."""
        params, hall = decrypt_request(header, tender_id, title)
        return self._call(
            "POST", "/v1/scan/requests", json={"action": "decrypt", "params": params}
        ), hall

    def wait(self, request_id: str, timeout_s: float) -> dict[str, Any]:
        """The request once final (or as it is when ``timeout_s`` ran out)."""
        deadline = self.monotonic() + timeout_s
        while True:
            left = deadline - self.monotonic()
            view = self._call(
                "GET", f"/v1/scan/requests/{request_id}", params={"wait": max(0, min(30, left))}
            )
            if view["status"] in FINAL or left <= 0:
                return view


def decrypt_request(
    header: Header, tender_id: str, title: str
) -> tuple[dict[str, Any], X25519PrivateKey]:
    """The params of a decrypt request for a bid file's header (its entries' fingerprints and
    ``enc``, never the wrapped keys) and a fresh ephemeral hall key to open the answer with
    (used once; the hall keeps it to itself)."""
    hall = X25519PrivateKey.generate()
    public = hall.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    params = {
        "tender_id": tender_id,
        "title": title,
        "file_id": header.file_id.hex(),
        "recipients": [
            {"fingerprint": e.fingerprint.hex(), "enc": e.enc.hex()} for e in header.recipients
        ],
        "hall_public_key": public.hex(),
    }
    return params, hall


def _approved(view: dict[str, Any], action: str) -> dict[str, Any]:
    if view.get("action") != action:
        raise ScanAnswerRefused(f"the request is a {view.get('action')}, not {action}")
    if view.get("status") != "approved":
        raise ScanAnswerRefused(f"the holder did not approve: {view.get('status')}")
    return dict(view["result"])


class ChosenByHolder:
    """A ``RecipientPolicy`` for certificates the node checked and the holder signed for:
    exactly those fingerprints, at that platform."""

    def __init__(self, fingerprints: Sequence[bytes], platform_id: str) -> None:
        self._fingerprints = set(fingerprints)
        self._platform_id = platform_id

    def check(self, fingerprints: Sequence[bytes], platform_id: str) -> None:
        refused = {
            fp: ["NOT_CHOSEN_BY_HOLDER"]
            for fp in fingerprints
            if fp not in self._fingerprints or platform_id != self._platform_id
        }
        if refused:
            raise RecipientNotRecognized(platform_id, refused)


def recipients_from(view: dict[str, Any]) -> list[Recipient]:
    """The recipients of an approved encrypt request, after checking the holder's signature
    over the choice."""
    result = _approved(view, "encrypt")
    pem = str(result["recipients_pem"]).encode()
    certificates = x509.load_pem_x509_certificates(pem)
    recipients = [Recipient.from_certificate(c) for c in certificates]
    fps = sorted(r.fingerprint.hex() for r in recipients)
    if fps != sorted(result["recipients"]):
        raise ScanAnswerRefused("the certificates are not the ones the holder chose")
    signer = x509.load_pem_x509_certificates(str(view["certificate_chain_pem"]).encode())[0]
    key = signer.public_key()
    if not isinstance(key, Ed25519PublicKey) or view.get("signature") is None:
        raise ScanAnswerRefused("the answer carries no Ed25519 signature")
    message = bid_wire.choice_message(
        str(view["platform_id"]),
        str(view["request_id"]),
        str(view["content"]["tender_id"]),
        int(view["expires_at"]),
        [r.fingerprint for r in recipients],
    )
    try:
        key.verify(b64d(str(view["signature"]), what="signature"), message)
    except (InvalidSignature, ValueError):
        raise ScanAnswerRefused("the holder's signature does not cover this choice") from None
    return recipients


class SealedAnswerDecapsulator:
    """The hall's side of a decrypt answer: the one entry's DH value, opened from the box."""

    def __init__(self, view: dict[str, Any], hall_key: X25519PrivateKey) -> None:
        result = _approved(view, "decrypt")
        certificate = x509.load_pem_x509_certificate(str(result["certificate_pem"]).encode())
        recipient = Recipient.from_certificate(certificate)
        if recipient.fingerprint.hex() != result["fingerprint"]:
            raise ScanAnswerRefused("the answer's certificate is not the one it names")
        self._recipient = recipient
        self._enc = bytes.fromhex(str(result["enc"]))
        aad = bid_wire.decrypt_aad(
            str(view["platform_id"]), str(view["request_id"]), recipient.fingerprint, self._enc
        )
        try:
            self._dh = bid_wire.open_from_device(
                hall_key,
                bytes.fromhex(str(result["device_public_key"])),
                bytes.fromhex(str(result["sealed"])),
                aad,
            )
        except bid_wire.SealOpenFailed as error:
            raise ScanAnswerRefused(str(error)) from None

    @property
    def public_key(self) -> bytes:
        return self._recipient.public_key

    @property
    def certificate_fingerprint(self) -> bytes:
        return self._recipient.fingerprint

    def dh(self, enc: bytes) -> bytes:
        if enc != self._enc:
            raise ScanAnswerRefused("the answer is for another entry of the file")
        return self._dh
