"""Bodies of split-key recovery: the holder's routes (``/v1/recoveries``) and the new
device's reshare (``/v1/cosigner/recoveries``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from huren.api.application_schemas import HEX32, ApplicationOut
from huren.api.cosigner_schemas import B64

__all__ = [
    "CandidateOut",
    "DeviceKeyOut",
    "DeviceRecoverIn",
    "DeviceRecoverOut",
    "IdentityProofIn",
    "PinKeyIn",
    "PolicyOut",
    "RecoveryIn",
    "RecoveryOut",
    "TicketOut",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyOut(BaseModel):
    version: str
    text: str
    sha256: str


class CandidateOut(BaseModel):
    fingerprint: str
    purpose: str
    enrolment_id: str
    device_id: str
    ca_id: str | None
    not_after: int | None


class IdentityProofIn(Strict):
    method: Literal["cfca", "bank_card"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    id_number: Annotated[str, StringConstraints(min_length=1, max_length=18)]
    card_number: Annotated[str, StringConstraints(min_length=1, max_length=19)] | None = None
    phone: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None


class RecoveryIn(Strict):
    fingerprint: str = Field(pattern=HEX32, description="the split-key signing certificate")
    encryption_fingerprint: str | None = Field(
        default=None, pattern=HEX32, description="its encryption partner, recovered with it"
    )
    platform_id: str = Field(min_length=1, max_length=66)
    policy_version: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    policy_acknowledged: bool
    identity: IdentityProofIn


class RecoveryKeyOut(BaseModel):
    enrolment_id: str
    purpose: str
    fingerprint: str


class RecoveryOut(BaseModel):
    application: ApplicationOut
    policy_version: str
    identity_method: str
    identity_verified_at: int
    keys: list[RecoveryKeyOut]
    old_device_id: str
    new_device_id: str | None
    completed_at: int | None
    identity_reference: str


class TicketOut(BaseModel):
    ticket: str = Field(description="shown this once; the new device redeems it")
    expires_at: int
    enrolment_ids: list[str]


class PinKeyIn(Strict):
    enrolment_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    pin_public_key: B64


class DeviceRecoverIn(Strict):
    ticket: Annotated[str, StringConstraints(max_length=100)]
    device_public_key: B64
    transport_public_key: B64 = Field(
        description="X25519 key the device made for this call: both dealers seal its pieces"
    )
    pin_keys: list[PinKeyIn] = Field(min_length=1, max_length=2)
    device_label: Annotated[str, StringConstraints(max_length=200)] = ""


class DeviceKeyOut(BaseModel):
    enrolment_id: str
    purpose: str
    parameters: str
    commitments: list[str]
    sealed_shares: list[str]
    public_key_package: str
    unwrap_secret: str
    fingerprints: list[str]


class DeviceRecoverOut(BaseModel):
    keys: list[DeviceKeyOut]
