"""Bodies of the co-signer API (``/v1/cosigner``). Protocol messages (``huren.node.keysplit``)
and keys travel as standard base64; fingerprints as in the rest of the API (64 hex digits)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from huren.api.schemas import FingerprintText, PlatformIdText

B64 = Annotated[str, StringConstraints(min_length=4, max_length=8192)]
Holder = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- node admin (later: the certificate application, PKI and identity services) ---------------


class TicketIn(Strict):
    holder: Holder = Field(examples=["account:13800000000"])
    recovery_public_key: B64 = Field(description="X25519 key of the offline recovery holder")
    ttl_s: int = Field(default=7 * 86_400, ge=60, le=90 * 86_400)


class TicketOut(BaseModel):
    ticket: str = Field(description="shown this once; give it to the holder's device")
    ticket_id: str
    holder: str
    expires_at: int


class CertificateIn(Strict):
    certificate: B64 = Field(description="DER of a certificate issued for the group key")


class CertificateOut(BaseModel):
    fingerprint: str


class UnlockIn(Strict):
    verified_by: Annotated[str, StringConstraints(min_length=1, max_length=100)]


# -- device ---------------------------------------------------------------------------------


class EnrolStartIn(Strict):
    ticket: Annotated[str, StringConstraints(max_length=100)]
    device_public_key: B64
    purpose: Literal["signing", "encryption"] = "signing"
    device_label: Annotated[str, StringConstraints(max_length=200)] = ""


class EnrolStartOut(BaseModel):
    enrolment_id: str
    parameters: str
    commitment: str


class EnrolFinishIn(Strict):
    commitment: B64
    secret_share: B64
    sealed_share: B64
    pin_public_key: B64


class EnrolFinishOut(BaseModel):
    public_key_package: str
    secret_share: str
    unwrap_secret: str


class SignStartIn(Strict):
    enrolment_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    fingerprint: FingerprintText
    platform: PlatformIdText
    action: Literal["login", "sign", "seal", "encrypt"] = "sign"
    message: B64 = Field(description="what is signed: a digest, a challenge, signed attributes")
    session_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = Field(
        default=None, description="a signing session of this key: no PIN proof needed"
    )


class SignStartOut(BaseModel):
    signing_id: str
    commitment: str
    unwrap_secret: str


class SignShareIn(Strict):
    package: B64


class SignShareOut(BaseModel):
    signature_share: str


class DecryptIn(Strict):
    enrolment_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    fingerprint: FingerprintText
    platform: PlatformIdText
    request: B64 = Field(description="DecryptionRequest: the group key and HPKE enc only")


class DecryptOut(BaseModel):
    decryption_share: str
    unwrap_secret: str


class PinChangeIn(Strict):
    pin_public_key: B64


class PinChangeOut(BaseModel):
    unwrap_secret: str


class RevokeIn(Strict):
    enrolment_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="one of the calling device's keys, whose PIN proof the request carries"
    )


class DeviceOut(BaseModel):
    device_id: str
    label: str
    created_at: int
    last_seen_at: int
    revoked_at: int | None


class EnrolmentOut(BaseModel):
    enrolment_id: str
    purpose: str
    group_public_key: str
    epoch: int
    created_at: int
    locked: bool
    pin_failures: int
    fingerprints: list[str]


class SessionOut(BaseModel):
    at: int
    operation: str
    result: str
    device_id: str | None
    enrolment_id: str | None
    fingerprint: str | None
    platform: str | None
    action: str | None
    digest: str | None = Field(description="SHA-256 of what was signed or decrypted, hex")
