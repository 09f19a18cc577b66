"""The phone's side of 扫码生成投标文件 and 开标大厅扫码解密 (docs/scan.md, docs/bidfile.md).

- encrypt: list the enterprise's encryption certificates the node offers (checked: each is
  the fingerprinted DER), let the holder choose (its own by default), sign the choice
  (``bid_wire.choice_message``, rebuilt here from what is shown) with the co-signer under the
  action ``encrypt``, and post it.
- decrypt: find the request's recipient entry for one of this device's encryption
  certificates, compute ``X25519(skR, enc)`` with the co-signer (``Device.decapsulate``: PIN
  proof, recognition for ``decrypt``, the co-signer's record), seal it to the hall's ephemeral
  key and post the box: the node never sees the DH value or the content key.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from huren.device.errors import LocalStoreError, ProtocolViolation
from huren.device.scan import API, ScanDevice, ScannedRequest
from huren.node.cosigner.wire import b64e
from huren.node.scan import bid_wire

__all__ = ["BidScanDevice", "OfferedCertificate"]


@dataclass(frozen=True, slots=True)
class OfferedCertificate:
    fingerprint: str
    name: str
    der: bytes
    own: bool


class BidScanDevice:
    def __init__(self, phone: ScanDevice) -> None:
        self.phone = phone

    # -- encrypt ------------------------------------------------------------------------------

    def own_encryption_certificates(self) -> list[str]:
        return [
            fp
            for e in self.phone.device.store.enrolments()
            if e.purpose == "encryption"
            for fp in e.certificates
        ]

    def candidates(
        self,
        scanned: ScannedRequest,
        *,
        enrolment_id: str | None = None,
        fingerprint: str | None = None,
    ) -> list[OfferedCertificate]:
        """The certificates the holder may choose: the node's offer and its own."""
        self._expect(scanned, "encrypt")
        _, signer = self.phone.choose_certificate(enrolment_id, fingerprint)
        answer = self.phone._call(
            "POST",
            f"{API}/device/requests/{scanned.payload.request_id}/candidates",
            {
                "nonce": scanned.payload.nonce,
                "certificate": b64e(self.phone.shelf.get(signer)),
                "fingerprint": signer,
            },
        )
        own = set(self.own_encryption_certificates())
        offered: dict[str, OfferedCertificate] = {}
        for c in answer["candidates"]:
            der = base64.b64decode(c["certificate"])
            fp = hashlib.sha256(der).hexdigest()
            if fp != c["fingerprint"]:
                raise ProtocolViolation("the node offers a certificate under another fingerprint")
            offered[fp] = OfferedCertificate(fp, str(c["name"]), der, fp in own)
        for fp in own - set(offered):
            offered[fp] = OfferedCertificate(fp, "this device", self.phone.shelf.get(fp), True)
        return sorted(offered.values(), key=lambda c: (not c.own, c.name, c.fingerprint))

    def choose(
        self,
        scanned: ScannedRequest,
        *,
        pin: str,
        recipients: list[str] | None = None,
        enrolment_id: str | None = None,
        fingerprint: str | None = None,
    ) -> dict[str, Any]:
        """Approve an encrypt request for ``recipients`` (fingerprints; default: this
        device's own encryption certificates)."""
        enrolment_id, signer = self.phone.choose_certificate(enrolment_id, fingerprint)
        offered = {
            c.fingerprint: c
            for c in self.candidates(scanned, enrolment_id=enrolment_id, fingerprint=signer)
        }
        wanted = (
            [r.lower() for r in recipients] if recipients else self.own_encryption_certificates()
        )
        if not wanted:
            raise LocalStoreError("no encryption certificate on this device: name --recipient")
        unknown = [fp for fp in wanted if fp not in offered]
        if unknown:
            raise LocalStoreError(f"not offered for this tender: {', '.join(unknown)}")
        message = bid_wire.choice_message(
            scanned.platform_id,
            scanned.payload.request_id,
            str(scanned.content["tender_id"]),
            scanned.expires_at,
            [bytes.fromhex(fp) for fp in wanted],
        )
        signature = self.phone.device.sign(
            enrolment_id,
            message,
            pin=pin,
            platform=scanned.platform_id,
            action="encrypt",
            fingerprint=signer,
        )
        return dict(
            self.phone._call(
                "POST",
                f"{API}/device/requests/{scanned.payload.request_id}/recipients",
                {
                    "nonce": scanned.payload.nonce,
                    "certificate": b64e(self.phone.shelf.get(signer)),
                    "fingerprint": signer,
                    "signature": b64e(signature),
                    "recipients": [b64e(offered[fp].der) for fp in wanted],
                },
            )
        )

    # -- decrypt ------------------------------------------------------------------------------

    def decrypt(self, scanned: ScannedRequest, *, pin: str) -> dict[str, Any]:
        """Answer a decrypt request with this device's entry, sealed to the hall."""
        from huren.device.decapsulator import enrolment_for_certificate

        self._expect(scanned, "decrypt")
        own = set(self.own_encryption_certificates())
        entries = [e for e in scanned.content.get("recipients", []) if e["fingerprint"] in own]
        if not entries:
            raise LocalStoreError("this bid file is not encrypted to a certificate of this device")
        entry = entries[0]
        fingerprint, enc = str(entry["fingerprint"]), bytes.fromhex(str(entry["enc"]))
        stored = enrolment_for_certificate(self.phone.device, fingerprint)
        dh = self.phone.device.decapsulate(
            stored.enrolment_id,
            enc,
            pin=pin,
            platform=scanned.platform_id,
            fingerprint=fingerprint,
        )
        aad = bid_wire.decrypt_aad(
            scanned.platform_id, scanned.payload.request_id, bytes.fromhex(fingerprint), enc
        )
        hall = bytes.fromhex(str(scanned.content["hall_public_key"]))
        device_public, sealed = bid_wire.seal_to_hall(hall, dh, aad)
        return dict(
            self.phone._call(
                "POST",
                f"{API}/device/requests/{scanned.payload.request_id}/decryption",
                {
                    "nonce": scanned.payload.nonce,
                    "certificate": b64e(self.phone.shelf.get(fingerprint)),
                    "fingerprint": fingerprint,
                    "device_public_key": device_public.hex(),
                    "sealed": sealed.hex(),
                },
            )
        )

    @staticmethod
    def _expect(scanned: ScannedRequest, action: str) -> None:
        if scanned.action != action:
            raise ProtocolViolation(f"this is a {scanned.action} request, not {action}")
