"""Request and response bodies of the application, holder and CA review routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from huren.api.enterprise_schemas import LetterIn
from huren.node.applications.model import ApplicationKind
from huren.registry.types import RevocationReason

__all__ = [
    "AdminReviewIn",
    "ApplicationEditIn",
    "ApplicationIn",
    "ApplicationOut",
    "ApproveIn",
    "DownloadIn",
    "DownloadOut",
    "HeldCertificateOut",
    "RejectIn",
    "RevocationIn",
    "RevocationOut",
]

HEX32 = r"^(0x)?[0-9a-fA-F]{64}$"
Id = Field(min_length=1, max_length=66, pattern=r"^[a-z0-9][a-z0-9._-]*$")


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ApplicationKind
    ca_id: str = Id
    platform_id: str = Field(
        min_length=1,
        max_length=66,
        description="a platform on chain; 'alliance' for alliance scope",
    )
    validity_years: int = Field(ge=1, le=3)
    enterprise_name: str | None = Field(default=None, max_length=128)
    uscc: str | None = Field(default=None, max_length=18)
    person_name: str | None = Field(default=None, max_length=128)
    id_number: str | None = Field(
        default=None, max_length=18, description="checked against your verified identity"
    )
    predecessor: str | None = Field(
        default=None, pattern=HEX32, description="the signing certificate renewed or replaced"
    )
    transferee_phone: str | None = Field(
        default=None, max_length=20, description="admin transfer: the staff member's phone"
    )


class ApplicationEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform_id: str | None = Field(default=None, min_length=1, max_length=66)
    validity_years: int | None = Field(default=None, ge=1, le=3)


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    media_type: str
    size: int
    sha256: str


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: str
    to_state: str
    action: str
    actor: str
    reason: str | None
    at: int


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    state: str
    ca_id: str
    platform_id: str
    validity_years: int
    fee_fen: int = Field(description="the fee in fen (0.01 yuan)")
    enterprise_id: str | None
    enterprise_name: str | None
    uscc: str | None
    person_name: str | None
    predecessor: str | None
    reason: str | None = Field(description="the last rejection's reason")
    signing_fingerprint: str | None
    encryption_fingerprint: str | None
    created_at: int
    updated_at: int
    attachments: list[AttachmentOut]
    history: list[TransitionOut]
    warnings: list[str]


class AdminReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    reason: str | None = Field(default=None, max_length=500)
    letter: LetterIn | None = Field(
        default=None,
        description=(
            "an approval's sealed letter (授权书): join_approval for a join, "
            "staff_certificate for a staff member's certificate, renewal or re-application"
        ),
    )


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="the CA operator's name: required with the node-admin key, left out with "
        "a CA operator's account token (the account is the reviewer)",
    )


class RejectIn(ApproveIn):
    reason: str = Field(min_length=1, max_length=500)


class DownloadIn(BaseModel):
    """``key_source`` csr: a CSR and a bound X25519 key; enrolment: the ids of the keys
    enrolled with the co-signer under this application's tickets (docs/applications.md)."""

    model_config = ConfigDict(extra="forbid")

    key_source: Literal["csr", "enrolment"] = "csr"
    signing_csr: str | None = Field(
        default=None,
        min_length=1,
        max_length=8000,
        description="PEM PKCS#10 request of the Ed25519 key (key_source csr)",
    )
    signing_enrolment: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="the co-signer enrolment of the signing key (key_source enrolment)",
    )
    encryption_enrolment: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="the co-signer enrolment of the X25519 key (none for a renewal)",
    )
    encryption_public_key: str | None = Field(
        default=None, max_length=2000, description="PEM SubjectPublicKeyInfo of the X25519 key"
    )
    encryption_key_proof: str | None = Field(
        default=None,
        max_length=200,
        description="base64 Ed25519 signature by the CSR's key over the binding message",
    )


class PaymentStartedOut(BaseModel):
    """A payment attempt of the application's billing order: open ``pay_url``; the gateway
    notifies the node, and the application becomes ``paid`` (poll it, or the order at
    ``GET /v1/billing/orders/{order_id}``)."""

    model_config = ConfigDict(from_attributes=True)

    order_id: str
    amount_fen: int
    trade_no: str
    pay_url: str


class DownloadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    application_id: str
    signing_fingerprint: str
    signing_chain_pem: str
    encryption_fingerprint: str
    encryption_chain_pem: str
    warnings: list[str]


class HeldCertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    fingerprint: str
    application_id: str
    ca_id: str
    usage: str
    name: str
    not_before: int
    not_after: int
    status: str
    expiring_soon: bool
    partner: str
    replaced_by: str | None


ReasonName = Literal[
    "unspecified",
    "key_compromise",
    "affiliation_changed",
    "superseded",
    "cessation_of_operation",
    "privilege_withdrawn",
]


class RevocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificate_password: str = Field(min_length=1, max_length=128)
    reason: ReasonName = "unspecified"

    def reason_code(self) -> RevocationReason:
        return RevocationReason[self.reason.upper()]


class RevocationOut(BaseModel):
    transactions: list[str]
