"""Request and response bodies of the enterprise routes (personnel, authorizations, sealed
letters); see docs/enterprises.md."""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from huren.node.enterprises.letters import InvalidLetter, SealedLetter

__all__ = [
    "AdminTransferIn",
    "AuthorizationIn",
    "AuthorizationOut",
    "InvitationIn",
    "InvitationOut",
    "LetterIn",
    "MemberOut",
    "MyEnterpriseOut",
]

RightName = Literal["login", "sign", "seal", "encrypt", "decrypt"]


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidLetter(f"the {what} is not base64") from None


class LetterIn(BaseModel):
    """A sealed letter (授权书): the canonical statement's bytes (base64), the Ed25519
    signature over them (base64) and the enterprise signing certificate (PEM)."""

    model_config = ConfigDict(extra="forbid")

    statement: str = Field(min_length=1, max_length=6000)
    signature: str = Field(min_length=1, max_length=200)
    certificate: str = Field(min_length=1, max_length=8000, description="PEM")

    def sealed(self) -> SealedLetter:
        return SealedLetter.from_pem(
            _b64(self.statement, "statement"), _b64(self.signature, "signature"), self.certificate
        )


class MyEnterpriseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    uscc: str
    role: str


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    account_id: str
    role: str
    name: str | None
    phone: str
    joined_at: int


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    phone: str = Field(min_length=1, max_length=20)


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    phone: str
    state: str
    created_at: int


class AdminTransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transferee_account_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    letter: LetterIn


class AuthorizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staff_fingerprint: str = Field(
        pattern=r"^(0x)?[0-9a-fA-F]{64}$", description="the staff signing certificate"
    )
    platforms: list[str] = Field(min_length=1, max_length=32)
    rights: list[RightName] = Field(min_length=1, max_length=5)
    letter: LetterIn


class AuthorizationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    enterprise_id: str
    staff_account_id: str
    staff_fingerprint: str
    encryption_fingerprint: str | None
    platform_id: str
    rights: list[str]
    ca_id: str
    state: str
    reviewed_by: str | None
    reason: str | None
    grant_transactions: list[str]
    revoke_transactions: list[str]
    created_at: int
    updated_at: int
