"""Bodies of ``/v1/scan`` (see docs/scan.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ScanCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(min_length=1, max_length=16, description="login | sign | ...")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="the action's parameters (sign: digest_sha256, title; login: none)",
    )
    bind_name: str | None = Field(default=None, min_length=1, max_length=128)
    bind_uscc: str | None = Field(default=None, min_length=18, max_length=18)
    ttl_s: int | None = Field(default=None, ge=10, le=600)
    session_fingerprint: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="push into this certificate's active signing session (no QR scan)",
    )


class ScanRequestOut(BaseModel):
    """A request as its platform sees it: the QR payload, the status and, once approved,
    the signature with the signer's certificate."""

    request_id: str
    platform_id: str
    action: str
    payload: str
    content: dict[str, Any]
    bind_name: str | None
    bind_uscc: str | None
    created_at: int
    expires_at: int
    status: Literal["pending", "approved", "denied", "expired"]
    answered_at: int | None
    signature: str | None = Field(description="base64 Ed25519 signature, once approved")
    fingerprint: str | None = Field(description="SHA-256 of the signer's certificate, hex")
    certificate_chain_pem: str | None
    session_id: str | None = Field(description="the signing session it was pushed into")
    result: dict[str, Any]


class DeviceRequestOut(BaseModel):
    """What a scanned code asks the device to sign."""

    request_id: str
    platform_id: str
    action: str
    content: dict[str, Any]
    bind_name: str | None
    bind_uscc: str | None
    expires_at: int
    message: str = Field(description="base64 of the exact bytes to sign ('' until known)")
    needs_certificate: bool = Field(
        description="present the certificate first (seal): the answer then carries the message"
    )


class DeviceAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(min_length=22, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    decision: Literal["approve", "deny"]
    signature: str | None = Field(default=None, max_length=128, description="base64")
    certificate: str | None = Field(default=None, max_length=16384, description="base64 DER")
    fingerprint: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class DeviceCertificateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(min_length=22, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    certificate: str = Field(max_length=16384, description="base64 DER")
    fingerprint: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class DeviceAnswerOut(BaseModel):
    request_id: str
    status: Literal["pending", "approved", "denied", "expired"]


class NodeKeyOut(BaseModel):
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="base64 of the node scan key's 32 bytes")


class SessionStateOut(BaseModel):
    """A certificate's newest signing session at the platform."""

    session_id: str
    fingerprint: str
    state: Literal["active", "ended", "expired"]
    auto_confirm: bool
    created_at: int
    expires_at: int
    ended_at: int | None
    pending: int = Field(description="requests waiting in it")


class PendingOut(BaseModel):
    session_id: str
    payloads: list[str] = Field(description="signed payloads, checked as scanned ones")
