"""Device request authentication: the device key's signature, a fresh timestamp, and a nonce
never seen before from that device (replays are refused). See :mod:`.wire` for the bytes.

The nonce is recorded in the caller's transaction; the co-signer commits it with the
operation's record, also when the operation is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from huren.node.cosigner import wire
from huren.node.cosigner.errors import DeviceAuthFailed, RequestReplayed
from huren.node.db.cosigner_tables import CosignerDevice, CosignerRequestNonce

NONCE_RETENTION_S = 2 * wire.MAX_CLOCK_SKEW_S + 60
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_DEVICE = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request as the co-signer received it, with the device's signing headers."""

    method: str
    path: str
    body: bytes
    device_id: str
    timestamp: int
    nonce: str
    signature: bytes
    pin_proof: bytes | None = None

    @property
    def message(self) -> bytes:
        return wire.request_message(
            self.method, self.path, self.device_id, self.timestamp, self.nonce, self.body
        )


def parse_headers(method: str, path: str, body: bytes, headers: dict[str, str]) -> SignedRequest:
    """A ``SignedRequest`` from lower-cased header names; ``DeviceAuthFailed`` if any is bad."""
    try:
        device_id = headers[wire.HEADER_DEVICE.lower()]
        timestamp = int(headers[wire.HEADER_TIMESTAMP.lower()])
        nonce = headers[wire.HEADER_NONCE.lower()]
        signature = wire.b64d(headers[wire.HEADER_SIGNATURE.lower()], size=wire.SIGNATURE_SIZE)
        proof_text = headers.get(wire.HEADER_PIN_PROOF.lower())
        pin_proof = None if proof_text is None else wire.b64d(proof_text, size=wire.SIGNATURE_SIZE)
    except (KeyError, ValueError) as error:
        raise DeviceAuthFailed("missing or malformed device signature headers") from error
    if not _DEVICE.fullmatch(device_id) or not _NONCE.fullmatch(nonce):
        raise DeviceAuthFailed("malformed device id or nonce")
    return SignedRequest(method, path, body, device_id, timestamp, nonce, signature, pin_proof)


def authenticate(
    session: Session, request: SignedRequest, *, now: int, public_key: bytes | None = None
) -> CosignerDevice | None:
    """Check the device signature and refuse replays; returns the device's row (None when
    ``public_key`` names a device not registered yet, as at its first enrolment)."""
    device = session.get(CosignerDevice, request.device_id)
    if public_key is None:
        if device is None or device.revoked_at is not None:
            raise DeviceAuthFailed("unknown or revoked device")
        public_key = device.public_key
    elif wire.device_id_of(public_key) != request.device_id:
        raise DeviceAuthFailed("the device id is not that of the device key")
    elif device is not None and device.revoked_at is not None:
        raise DeviceAuthFailed("unknown or revoked device")
    if abs(request.timestamp - now) > wire.MAX_CLOCK_SKEW_S:
        raise DeviceAuthFailed("the request's timestamp is too far from the co-signer's clock")
    wire.verify_ed25519(
        public_key,
        request.message,
        request.signature,
        refusal=DeviceAuthFailed("the device signature does not verify"),
    )
    _remember_nonce(session, request, now)
    if device is not None:
        device.last_seen_at = now
        session.add(device)
    return device


def _remember_nonce(session: Session, request: SignedRequest, now: int) -> None:
    session.connection().execute(
        delete(CosignerRequestNonce).where(col(CosignerRequestNonce.expires_at) < now)
    )
    if session.get(CosignerRequestNonce, (request.device_id, request.nonce)) is not None:
        raise RequestReplayed("this request was already received")
    try:
        with session.begin_nested():
            session.add(
                CosignerRequestNonce(
                    device_id=request.device_id,
                    nonce=request.nonce,
                    expires_at=now + NONCE_RETENTION_S,
                )
            )
    except IntegrityError:  # a concurrent copy of the same request won the race
        raise RequestReplayed("this request was already received") from None
