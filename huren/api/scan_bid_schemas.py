"""Bodies of the bid scan routes (``huren.api.routers.scan_bid``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

NONCE = r"^[A-Za-z0-9_-]+$"
FINGERPRINT = r"^[0-9a-f]{64}$"


class CandidatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(min_length=22, max_length=64, pattern=NONCE)
    certificate: str = Field(max_length=16384, description="the signing certificate, base64 DER")
    fingerprint: str | None = Field(default=None, pattern=FINGERPRINT)


class CandidateOut(BaseModel):
    fingerprint: str
    name: str = Field(description="the certificate's common name")
    certificate: str = Field(description="base64 DER")


class CandidatesOut(BaseModel):
    request_id: str
    candidates: list[CandidateOut]


class ChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(min_length=22, max_length=64, pattern=NONCE)
    certificate: str = Field(max_length=16384, description="the signing certificate, base64 DER")
    fingerprint: str | None = Field(default=None, pattern=FINGERPRINT)
    signature: str = Field(max_length=128, description="base64 over bid_wire.choice_message")
    recipients: list[str] = Field(
        min_length=1, max_length=50, description="the chosen encryption certificates, base64 DER"
    )


class DecryptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(min_length=22, max_length=64, pattern=NONCE)
    certificate: str = Field(max_length=16384, description="the encryption certificate, base64")
    fingerprint: str | None = Field(default=None, pattern=FINGERPRINT)
    device_public_key: str = Field(pattern=FINGERPRINT, description="ephemeral X25519, hex")
    sealed: str = Field(
        min_length=34, max_length=2048, pattern=r"^[0-9a-f]+$", description="AES-GCM box, hex"
    )
