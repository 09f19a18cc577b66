"""Bodies of the platform directory (``/v1/platforms``, ``/v1/account/platform``).
Coordinates are WGS 84 degrees; distances kilometres."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from huren.api.schemas import PlatformIdText
from huren.node.platforms.service import ChosenPlatform, NearestAnswer, PlatformSite

__all__ = ["ChoiceIn", "ChoiceOut", "NearestOut", "ProfileIn", "SiteOut"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileIn(_In):
    latitude: float | None = Field(default=None, description="WGS 84 degrees, -90..90")
    longitude: float | None = Field(default=None, description="WGS 84 degrees, -180..180")
    alliance: bool = Field(default=False, description="the alliance platform (at most one)")


class SiteOut(BaseModel):
    platform_id: str
    name: str
    center: str
    active: bool
    latitude: float | None
    longitude: float | None
    alliance: bool

    @classmethod
    def of(cls, site: PlatformSite) -> SiteOut:
        return cls(
            platform_id=site.platform_id,
            name=site.name,
            center=site.center,
            active=site.active,
            latitude=None if site.position is None else site.position.latitude,
            longitude=None if site.position is None else site.position.longitude,
            alliance=site.alliance,
        )


class NearestOut(BaseModel):
    nearest: SiteOut | None = Field(description="the nearest active located platform")
    distance_km: float | None
    alliance: SiteOut | None = Field(description="the alliance platform, always selectable")

    @classmethod
    def of(cls, answer: NearestAnswer) -> NearestOut:
        return cls(
            nearest=None if answer.nearest is None else SiteOut.of(answer.nearest),
            distance_km=None if answer.distance_km is None else round(answer.distance_km, 3),
            alliance=None if answer.alliance is None else SiteOut.of(answer.alliance),
        )


class ChoiceIn(_In):
    platform_id: PlatformIdText


class ChoiceOut(BaseModel):
    platform: SiteOut | None = Field(description="the account's chosen platform, if any")
    chosen_at: int | None
    alliance: SiteOut | None = Field(description="the alliance platform, always selectable")

    @classmethod
    def of(cls, chosen: ChosenPlatform | None, alliance: PlatformSite | None) -> ChoiceOut:
        return cls(
            platform=None if chosen is None else SiteOut.of(chosen.site),
            chosen_at=None if chosen is None else chosen.chosen_at,
            alliance=None if alliance is None else SiteOut.of(alliance),
        )
