"""The device's split encryption key as a bid file's decapsulator.

A bid file (``huren.node.bidfile``) wraps its content key with HPKE to each recipient
certificate's X25519 key; opening an entry needs only ``skR * enc``, which the bid file's
reader asks of a ``Decapsulator``. ``DeviceDecapsulator`` answers it with the device SDK's
two-party decryption: the co-signer returns its decryption share of ``enc`` (with a proof),
the device adds its own, so the whole key exists nowhere. It has the ``Decapsulator`` shape
without importing the node's bid file package (the device talks to the node only over HTTP).
"""

from __future__ import annotations

import re

from huren.device.errors import LocalStoreError
from huren.device.sdk import Device
from huren.device.store import StoredEnrolment
from huren.node.keysplit.decrypt import x25519_public_key

__all__ = ["DeviceDecapsulator", "enrolment_for_certificate"]

_FINGERPRINT = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")


def _fingerprint(value: str) -> str:
    match = _FINGERPRINT.fullmatch(value.strip())
    if match is None:
        raise LocalStoreError("a certificate fingerprint is 64 hex digits (SHA-256 of the DER)")
    return match.group(1).lower()


def enrolment_for_certificate(device: Device, fingerprint: str) -> StoredEnrolment:
    """The device's encryption key that the certificate ``fingerprint`` was issued for."""
    wanted = _fingerprint(fingerprint)
    for stored in device.store.enrolments():
        if wanted in stored.certificates:
            if stored.purpose != "encryption":
                raise LocalStoreError(f"certificate {wanted} is for a signing key, not encryption")
            return stored
    raise LocalStoreError(f"no key on this device has certificate {wanted}")


class DeviceDecapsulator:
    """``dh(enc)`` = X25519(sk, enc) for the certificate's split key, one co-signer round
    (with a PIN proof, refused for a wrong PIN or an unrecognized certificate) per call."""

    def __init__(self, device: Device, fingerprint: str, *, pin: str, platform: str) -> None:
        self._device = device
        self._stored = enrolment_for_certificate(device, fingerprint)
        self._fingerprint = _fingerprint(fingerprint)
        self._public = x25519_public_key(self._stored.public)
        self._pin = pin
        self._platform = platform
        self.rounds = 0  # co-signer rounds made (the reader should need exactly one)

    @property
    def enrolment_id(self) -> str:
        return self._stored.enrolment_id

    @property
    def public_key(self) -> bytes:
        return self._public

    @property
    def certificate_fingerprint(self) -> bytes:
        return bytes.fromhex(self._fingerprint)

    def dh(self, enc: bytes) -> bytes:
        self.rounds += 1
        return self._device.decapsulate(
            self._stored.enrolment_id,
            enc,
            pin=self._pin,
            platform=self._platform,
            fingerprint=self._fingerprint,
        )
