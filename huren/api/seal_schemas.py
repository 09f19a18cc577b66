"""Request and response bodies of ``/v1/seals`` and ``/v1/enterprises/{id}/seals``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from huren.node.seal_management import EnterpriseSeals, SealOverview, SealStyle
from huren.node.seals.records import SealRecord
from huren.node.seals.render import EnterpriseSealStyle, PersonalLayout, PersonalSealStyle

__all__ = [
    "LabelIn",
    "RoundStyleIn",
    "SealOut",
    "SealsOut",
    "SquareStyleIn",
    "StyledSealIn",
]

SealKindName = Literal[
    "enterprise", "legal_representative", "legal_representative_signature", "personal"
]
Label = Annotated[str, Field(max_length=40, description="a name for the seal (≤ 40 characters)")]


class RoundStyleIn(BaseModel):
    """A round red enterprise seal: the name on the upper arc, a star, optional text under
    it (e.g. 合同专用章) and an optional code on the lower arc."""

    model_config = ConfigDict(extra="forbid")
    shape: Literal["round"]
    name: str = Field(max_length=64, description="the enterprise name, 2-30 characters")
    bottom_text: str | None = Field(default=None, max_length=32, description="≤ 10 characters")
    code: str | None = Field(default=None, max_length=48, description="≤ 24 characters")

    def style(self) -> EnterpriseSealStyle:
        return EnterpriseSealStyle(self.name, self.bottom_text, self.code)


class SquareStyleIn(BaseModel):
    """A square seal in a chosen colour with the name (2-4 characters) filling it."""

    model_config = ConfigDict(extra="forbid")
    shape: Literal["square"]
    name: str = Field(max_length=16, description="2-4 characters")
    colour: str = Field(default="#da2026", max_length=16, description="#rrggbb")
    layout: Literal["auto", "2x2", "1x2", "three"] = "auto"

    def style(self) -> PersonalSealStyle:
        return PersonalSealStyle(self.name, self.colour, PersonalLayout(self.layout))  # type: ignore[arg-type]


class StyledSealIn(BaseModel):
    """A seal drawn in a custom style (自定义样式): round for an enterprise seal, square for
    the legal representative's seal and personal seals."""

    model_config = ConfigDict(extra="forbid")
    style: Annotated[RoundStyleIn | SquareStyleIn, Field(discriminator="shape")]
    label: Label = ""

    def seal_style(self) -> SealStyle:
        return self.style.style()


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Label


class SealOut(BaseModel):
    seal_id: str
    owner_kind: Literal["enterprise", "person"]
    owner_id: str
    kind: Literal[
        "enterprise", "legal_representative", "legal_representative_signature", "personal"
    ]
    source: Literal["rendered", "photo", "handwriting"]
    label: str
    image_sha256: str = Field(description="SHA-256 of the PNG, hex (the image's ETag)")
    image: str = Field(description="where the PNG is")
    created_at: int
    updated_at: int

    @classmethod
    def of(cls, record: SealRecord) -> SealOut:
        return cls(
            seal_id=record.seal_id,
            owner_kind=record.owner.kind.value,
            owner_id=record.owner.owner_id,
            kind=record.kind.value,
            source=record.source.value,
            label=record.label,
            image_sha256=record.image_sha256,
            image=f"/v1/seals/{record.seal_id}/image",
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class EnterpriseSealsOut(BaseModel):
    enterprise_id: str
    name: str
    role: Literal["admin", "staff"]
    seals: list[SealOut]

    @classmethod
    def of(cls, group: EnterpriseSeals) -> EnterpriseSealsOut:
        seals = [SealOut.of(r) for r in group.seals]
        return cls(
            enterprise_id=group.enterprise_id, name=group.name, role=group.role.value, seals=seals
        )


class SealsOut(BaseModel):
    """Every seal you see (我的印章): your personal seals and your enterprises'."""

    personal: list[SealOut]
    enterprises: list[EnterpriseSealsOut]

    @classmethod
    def of(cls, overview: SealOverview) -> SealsOut:
        return cls(
            personal=[SealOut.of(r) for r in overview.personal],
            enterprises=[EnterpriseSealsOut.of(g) for g in overview.enterprises],
        )
