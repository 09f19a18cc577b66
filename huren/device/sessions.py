"""Signing sessions on the device (会话签章): the PIN once, then sign requests pushed by the
platform are received (``pending``) and confirmed by the user or, with auto-confirm, without
asking (``run``).

The share is opened once with the PIN (the co-signer hands out the unwrap secret at start or
open, with a PIN proof) and kept only in this object's memory; session rounds carry no PIN
proof and get no unwrap secret. Nothing about the session is written to the device's files
but what ``list`` shows from the co-signer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from huren.device import pin as pins
from huren.device.errors import CosignerRefused, ProtocolViolation
from huren.device.scan import ScanDevice, ScannedRequest
from huren.node.cosigner.wire import b64d, b64e
from huren.node.keysplit.frost import SignatureShare, SigningCommitment
from huren.node.keysplit.keys import COSIGNER, KeyPackage
from huren.node.keysplit.signer import Coordinator, SignerParty

API = "/v1/cosigner/signing-sessions"

Confirm = Callable[[ScannedRequest], bool]


@dataclass
class RunReport:
    approved: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # request id -> refusal code


@dataclass
class SigningSession:
    """An open session: its co-signer row and the device's share, in memory only."""

    phone: ScanDevice
    info: dict[str, Any]
    key: KeyPackage = field(repr=False)

    @property
    def session_id(self) -> str:
        return str(self.info["session_id"])

    @property
    def auto_confirm(self) -> bool:
        return bool(self.info["auto_confirm"])

    # -- starting -----------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        phone: ScanDevice,
        *,
        pin: str,
        platform: str,
        enrolment_id: str | None = None,
        fingerprint: str | None = None,
        ttl_s: int = 3600,
        auto_confirm: bool = False,
    ) -> SigningSession:
        enrolment_id, fingerprint = phone.choose_certificate(enrolment_id, fingerprint)
        stored = phone.device.store.load(enrolment_id)
        stretched = pins.stretch(pin, stored.salt, stored.params)
        info = phone.device.client.call(
            "POST",
            API,
            {
                "enrolment_id": enrolment_id,
                "fingerprint": fingerprint,
                "platform": platform,
                "ttl_s": ttl_s,
                "auto_confirm": auto_confirm,
            },
            pin_key=pins.pin_key(stretched),
        )
        return cls(phone, dict(info), cls._open_key(phone, enrolment_id, stretched, info))

    @classmethod
    def open(cls, phone: ScanDevice, session_id: str, *, pin: str) -> SigningSession:
        """Join an active session from another process (the PIN once more)."""
        listed = {s["session_id"]: s for s in list_sessions(phone)}
        if session_id not in listed:
            raise ProtocolViolation("no such signing session of this device")
        enrolment_id = str(listed[session_id]["enrolment_id"])
        stored = phone.device.store.load(enrolment_id)
        stretched = pins.stretch(pin, stored.salt, stored.params)
        info = phone.device.client.call(
            "POST", f"{API}/{session_id}/open", None, pin_key=pins.pin_key(stretched)
        )
        return cls(phone, dict(info), cls._open_key(phone, enrolment_id, stretched, info))

    @staticmethod
    def _open_key(
        phone: ScanDevice, enrolment_id: str, stretched: bytes, info: dict[str, Any]
    ) -> KeyPackage:
        stored = phone.device.store.load(enrolment_id)
        return phone.device._open(stored, stretched, str(info["unwrap_secret"]))

    # -- signing without the PIN --------------------------------------------------------------

    def sign(self, message: bytes, *, action: str = "sign") -> bytes:
        """A co-signed signature within the session: no PIN proof."""
        client = self.phone.device.client
        started = client.call(
            "POST",
            "/v1/cosigner/signings",
            {
                "enrolment_id": self.info["enrolment_id"],
                "fingerprint": self.info["fingerprint"],
                "platform": self.info["platform"],
                "action": action,
                "message": b64e(message),
                "session_id": self.session_id,
            },
        )
        party = SignerParty(self.key)
        coordinator = Coordinator(self.key.public)
        theirs = SigningCommitment.from_bytes(b64d(started["commitment"]))
        if theirs.identifier != COSIGNER:
            raise ProtocolViolation("the co-signer's commitment names another participant")
        package = coordinator.signing_package(message, [party.commit(), theirs])
        answer = client.call(
            "POST",
            f"/v1/cosigner/signings/{started['signing_id']}/share",
            {"package": b64e(package.to_bytes())},
        )
        share = SignatureShare.from_bytes(b64d(answer["signature_share"]))
        return coordinator.aggregate(package, [party.sign(package), share])

    # -- receiving ----------------------------------------------------------------------------

    def pending(self) -> list[ScannedRequest]:
        """The requests pushed into the session, each checked as a scanned payload."""
        answer = self.phone.device.client.call(
            "GET", f"/v1/scan/device/sessions/{self.session_id}/pending"
        )
        requests = [self.phone.scan(str(p)) for p in answer["payloads"]]
        for request in requests:
            if request.platform_id != self.info["platform"]:
                raise ProtocolViolation("a pushed request names another platform")
        return requests

    def run(self, confirm: Confirm | None = None) -> RunReport:
        """Answer every pending request once: approve when auto-confirm is on or ``confirm``
        says so, deny otherwise. A refused answer is reported, the others go on."""
        report = RunReport()
        for request in self.pending():
            rid = request.payload.request_id
            try:
                if self.auto_confirm or (confirm is not None and confirm(request)):
                    fingerprint = str(self.info["fingerprint"])
                    request = self.phone.complete(request, fingerprint)
                    signature = self.sign(request.message, action=request.action)
                    self.phone.send_approval(request, signature, fingerprint)
                    report.approved.append(rid)
                else:
                    self.phone.deny(request)
                    report.denied.append(rid)
            except CosignerRefused as refused:
                report.failed[rid] = refused.code
        return report

    def end(self) -> dict[str, Any]:
        return end_session(self.phone, self.session_id)


def list_sessions(phone: ScanDevice) -> list[dict[str, Any]]:
    return list(phone.device.client.call("GET", API))


def end_session(phone: ScanDevice, session_id: str) -> dict[str, Any]:
    return dict(phone.device.client.call("POST", f"{API}/{session_id}/end", None))


__all__ = ["RunReport", "SigningSession", "end_session", "list_sessions"]
