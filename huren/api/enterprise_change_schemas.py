"""Bodies of the enterprise change routes (``huren.api.routers.enterprise_change``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from huren.api.application_schemas import HEX32, ApplicationOut, Id
from huren.node.applications.change_choice import MAX_CHOSEN

__all__ = ["CandidateOut", "CandidatesOut", "ChangeIn", "ChangeOut", "ChoiceOut"]

Fingerprint = Annotated[str, Field(pattern=HEX32)]


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_uscc: str = Field(
        min_length=1, max_length=18, description="the enterprise, by its USCC as it is now"
    )
    new_name: str = Field(min_length=1, max_length=128, description="the registered name now")
    new_uscc: str | None = Field(
        default=None, max_length=18, description="the USCC now, if it changed (GB 32100)"
    )
    certificates: list[Fingerprint] = Field(
        max_length=MAX_CHOSEN,
        description="the signing certificates to re-issue (their encryption partners go along)",
    )
    ca_id: str = Id
    platform_id: str = Field(
        min_length=1, max_length=66, description="a platform on chain; 'alliance' for alliance"
    )
    validity_years: int = Field(ge=1, le=3)

    def fingerprints(self) -> tuple[bytes, ...]:
        return tuple(bytes.fromhex(c.removeprefix("0x")) for c in self.certificates)


class CandidateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    fingerprint: str
    encryption_fingerprint: str
    kind: str = Field(description="enterprise | staff")
    name: str
    ca_id: str
    not_after: int
    expiring_soon: bool
    holder_account_id: str
    holder_name: str
    holder_role: str = Field(description="admin | staff")
    pending_application: str | None = Field(
        description="an application replacing it already: it cannot be chosen"
    )


class CandidatesOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: str
    name: str
    uscc: str
    certificates: list[CandidateOut]
    warnings: list[str]


class ChoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    predecessor: str
    holder_account_id: str
    reissue_id: str | None = Field(description="the holder's change_reissue application")
    reissue_state: str | None
    signing_fingerprint: str | None
    encryption_fingerprint: str | None
    label: str = Field(description="the chosen certificate as the change form names it")


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    application: ApplicationOut
    enterprise_id: str
    old_name: str
    old_uscc: str
    new_name: str
    new_uscc: str
    carried_out_at: int | None
    choices: list[ChoiceOut]
    warnings: list[str]
