"""The device's side of scan-to-act: read a scanned QR payload, check the node's signature and
the expiry, fetch what it asks, show it, and approve (a co-signed signature with the
request's platform and action) or deny.

The device rebuilds the bytes to sign from what it shows (:func:`expected_message`), so the
node cannot make it sign anything else than the user saw; an action it does not know is
refused. The node scan key is pinned on first use (``scan-node-key`` in the device's home)
unless given; payloads of another node than the one the device talks to are refused.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from huren.device.certificates import CertificateShelf
from huren.device.errors import CosignerRefused, LocalStoreError, ProtocolViolation
from huren.device.sdk import Device
from huren.node.cosigner.wire import b64d, b64e
from huren.node.scan import wire
from huren.node.scan.errors import PayloadInvalid

API = "/v1/scan"
NODE_KEY_FILE = "scan-node-key"


@dataclass(frozen=True, slots=True)
class ScannedRequest:
    """A checked payload and what the node says it asks for."""

    payload: wire.ScanPayload
    action: str
    platform_id: str
    content: dict[str, Any]
    bind_name: str | None
    bind_uscc: str | None
    expires_at: int
    message: bytes  # b"" until the certificate is presented (needs_certificate)
    needs_certificate: bool = False

    def describe(self) -> str:
        """What the user is shown before approving."""
        lines = [f"{self.action} at platform {self.platform_id}"]
        if self.action == "login":
            lines.append(f"challenge {str(self.content.get('challenge', ''))[:16]}…")
        if self.action == "sign":
            lines.append(f"document: {self.content.get('title')}")
            lines.append(f"SHA-256: {self.content.get('digest_sha256')}")
        if self.action == "seal":
            c = self.content
            lines.append(f"seal on PDF: {c.get('title')} ({c.get('pdf_bytes')} bytes)")
            lines.append(f"SHA-256: {c.get('pdf_sha256')}")
            lines.append(f"page {int(c.get('page', 0)) + 1} at ({c.get('x')}, {c.get('y')})")
        if self.action in ("encrypt", "decrypt"):
            c = self.content
            what = "encrypt a bid file for" if self.action == "encrypt" else "open the bid file of"
            lines.append(f"{what} tender {c.get('tender_id')}: {c.get('title')}")
            if self.action == "decrypt":
                lines.append(f"file id {c.get('file_id')}")
                lines.append(f"{len(c.get('recipients') or [])} recipient certificate(s)")
        if self.bind_name or self.bind_uscc:
            lines.append(f"for enterprise {self.bind_name or ''} {self.bind_uscc or ''}".rstrip())
        lines.append(f"expires at {self.expires_at}")
        return "\n".join(lines)


def expected_message(
    action: str, platform_id: str, request_id: str, content: dict[str, Any], expires_at: int
) -> bytes:
    """The bytes the device agrees to sign for what it shows (per action)."""
    if action == "login":
        challenge = content.get("challenge")
        if not isinstance(challenge, str):
            raise ProtocolViolation("a login request without a challenge")
        return wire.login_message(platform_id, request_id, challenge, expires_at)
    if action == "sign":
        digest = content.get("digest_sha256")
        if not isinstance(digest, str) or len(digest) != 64:
            raise ProtocolViolation("a sign request without a digest")
        return bytes.fromhex(digest)
    if action == "seal":
        if not isinstance(content.get("pdf_sha256"), str):
            raise ProtocolViolation("a seal request without the PDF's digest")
        return b""  # known once the certificate is presented: check_seal_attributes
    if action in ("encrypt", "decrypt"):
        if not isinstance(content.get("tender_id"), str):
            raise ProtocolViolation(f"an {action} request without its tender")
        return b""  # not signed as shown: huren.device.bid_scan answers these
    raise ProtocolViolation(f"this device does not know the action {action!r}")


def check_seal_attributes(attributes: bytes, certificate_der: bytes) -> None:
    """What a seal signs is the DER of CMS signed attributes: they must parse, name this
    certificate (signing-certificate-v2) and carry a message digest. The digest of the
    prepared PDF's byte range is the node's (the device does not hold the PDF)."""
    from asn1crypto import cms

    try:
        parsed = {a["type"].native: a["values"] for a in cms.CMSAttributes.load(attributes)}
    except (ValueError, TypeError, KeyError) as error:
        raise ProtocolViolation("the seal's signed attributes do not parse") from error
    if "message_digest" not in parsed or parsed.get("content_type") is None:
        raise ProtocolViolation("the seal's signed attributes lack a digest or content type")
    certs = parsed.get("signing_certificate_v2")
    wanted = hashlib.sha256(certificate_der).digest()
    if certs is None or not any(c["cert_hash"].native == wanted for v in certs for c in v["certs"]):
        raise ProtocolViolation("the seal's signed attributes name another certificate")


class ScanDevice:
    """Scan flows on top of a :class:`~huren.device.sdk.Device` (same home, same node)."""

    def __init__(self, device: Device, *, node_public_key: bytes | None = None) -> None:
        self.device = device
        self.http: httpx.Client = device.client.http
        self.clock = device.client.clock
        self.shelf = CertificateShelf(device.store.root)
        self._node_key = node_public_key

    # -- the node's key -------------------------------------------------------------------------

    def node_public_key(self) -> bytes:
        """The pinned node scan key (fetched and pinned on first use)."""
        if self._node_key is not None:
            return self._node_key
        path = Path(self.device.store.root) / NODE_KEY_FILE
        if path.exists():
            self._node_key = b64d(path.read_text().strip(), size=32)
            return self._node_key
        answer = self._call("GET", f"{API}/node-key")
        key = b64d(str(answer["public_key"]), size=32)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(b64e(key))
        path.chmod(0o600)
        self._node_key = key
        return key

    # -- scanning -----------------------------------------------------------------------------

    def scan(self, text: str) -> ScannedRequest:
        """Check a scanned payload (node signature, expiry, this node) and fetch the request."""
        payload = wire.decode_payload(text, self.node_public_key(), now=int(self.clock()))
        if payload.base_url != str(self.http.base_url).rstrip("/"):
            raise PayloadInvalid("this code was made by another node than this device's")
        details = self._call(
            "GET",
            f"{API}/device/requests/{payload.request_id}?nonce={quote(payload.nonce)}",
        )
        if details["request_id"] != payload.request_id or (
            details["platform_id"] != payload.platform_id
        ):
            raise ProtocolViolation("the node describes another request than the code names")
        content = dict(details["content"])
        expires_at = int(details["expires_at"])
        message = expected_message(
            str(details["action"]), payload.platform_id, payload.request_id, content, expires_at
        )
        if base64.b64decode(details["message"]) != message:
            raise ProtocolViolation("the node asks to sign other bytes than it shows")
        return ScannedRequest(
            payload,
            str(details["action"]),
            payload.platform_id,
            content,
            details.get("bind_name"),
            details.get("bind_uscc"),
            expires_at,
            message,
            bool(details.get("needs_certificate", False)),
        )

    def complete(self, scanned: ScannedRequest, fingerprint: str) -> ScannedRequest:
        """(seal) Present the certificate; the request with the bytes to sign, checked."""
        if not scanned.needs_certificate:
            return scanned
        der = self.shelf.get(fingerprint)
        details = self._call(
            "POST",
            f"{API}/device/requests/{scanned.payload.request_id}/certificate",
            {"nonce": scanned.payload.nonce, "certificate": b64e(der), "fingerprint": fingerprint},
        )
        content = dict(details["content"])
        for key in ("pdf_sha256", "page", "x", "y", "title"):
            if content.get(key) != scanned.content.get(key):
                raise ProtocolViolation("the node changed the seal request it showed")
        message = base64.b64decode(details["message"])
        check_seal_attributes(message, der)
        return dataclasses.replace(scanned, content=content, message=message)

    def approve(
        self,
        scanned: ScannedRequest,
        *,
        pin: str,
        enrolment_id: str | None = None,
        fingerprint: str | None = None,
    ) -> dict[str, Any]:
        """Sign with the co-signer (the request's platform and action) and send the answer."""
        enrolment_id, fingerprint = self.choose_certificate(enrolment_id, fingerprint)
        scanned = self.complete(scanned, fingerprint)
        signature = self.device.sign(
            enrolment_id,
            scanned.message,
            pin=pin,
            platform=scanned.platform_id,
            action=scanned.action,
            fingerprint=fingerprint,
        )
        return self.send_approval(scanned, signature, fingerprint)

    def send_approval(
        self, scanned: ScannedRequest, signature: bytes, fingerprint: str
    ) -> dict[str, Any]:
        body = {
            "nonce": scanned.payload.nonce,
            "decision": "approve",
            "signature": b64e(signature),
            "certificate": b64e(self.shelf.get(fingerprint)),
            "fingerprint": fingerprint,
        }
        return dict(self._answer(scanned, body))

    def deny(self, scanned: ScannedRequest) -> dict[str, Any]:
        return dict(self._answer(scanned, {"nonce": scanned.payload.nonce, "decision": "deny"}))

    def choose_certificate(
        self, enrolment_id: str | None, fingerprint: str | None
    ) -> tuple[str, str]:
        """The signing key and certificate to use: the named ones, or the only one there is."""
        candidates = [
            (e.enrolment_id, c)
            for e in self.device.store.enrolments()
            if e.purpose == "signing" and (enrolment_id is None or e.enrolment_id == enrolment_id)
            for c in e.certificates
            if fingerprint is None or c == fingerprint
        ]
        if len(candidates) != 1:
            raise LocalStoreError(
                "name the key and certificate (--enrolment, --fingerprint): "
                f"{len(candidates)} signing certificates fit"
            )
        return candidates[0]

    # -- HTTP ---------------------------------------------------------------------------------

    def _answer(self, scanned: ScannedRequest, body: dict[str, Any]) -> Any:
        path = f"{API}/device/requests/{scanned.payload.request_id}/answer"
        return self._call("POST", path, body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, path, json=body)
        if response.status_code >= 400:
            try:
                problem = dict(response.json())
                code, detail = str(problem["code"]), str(problem.get("detail", ""))
            except (ValueError, KeyError, TypeError):
                problem, code = {}, f"HTTP_{response.status_code}"
                detail = response.text[:200]
            raise CosignerRefused(response.status_code, code, detail, problem)
        return response.json()


__all__ = ["ScanDevice", "ScannedRequest", "expected_message"]
