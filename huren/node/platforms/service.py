"""The platform directory over the index's platforms (the chain's: id, center, name,
active) and the node's profiles (location, alliance flag), and accounts' chosen platforms.

Only active platforms are offered (the list, the nearest, a choice); the alliance platform
is offered beside the nearest whatever the position (its members' bidders act anywhere in
the alliance), and never counts as the nearest itself (it has no one place). A platform
without a location can still be chosen by hand; it is never the nearest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from huren.node.db.engine import write_session
from huren.node.db.models import Platform
from huren.node.db.platforms_tables import AccountPlatform, PlatformProfile
from huren.node.platforms.errors import PlatformRetired, UnknownPlatform
from huren.node.platforms.geo import Position, haversine_km

__all__ = ["ChosenPlatform", "NearestAnswer", "PlatformDirectory", "PlatformSite"]


@dataclass(frozen=True, slots=True)
class PlatformSite:
    platform_id: str
    name: str
    center: str
    active: bool
    position: Position | None
    alliance: bool


@dataclass(frozen=True, slots=True)
class NearestAnswer:
    """The nearest active located platform (None when none is located) and its distance,
    and the alliance platform, always offered (None only if no active one is flagged)."""

    nearest: PlatformSite | None
    distance_km: float | None
    alliance: PlatformSite | None


@dataclass(frozen=True, slots=True)
class ChosenPlatform:
    site: PlatformSite
    chosen_at: int


def _site(platform: Platform, profile: PlatformProfile | None) -> PlatformSite:
    position = None
    if profile is not None and profile.latitude is not None and profile.longitude is not None:
        position = Position(profile.latitude, profile.longitude)
    return PlatformSite(
        platform.platform_id,
        platform.name,
        platform.center,
        platform.active,
        position,
        profile is not None and profile.alliance,
    )


class PlatformDirectory:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    # -- the center operator -----------------------------------------------------------------

    def set_profile(
        self, platform_id: str, position: Position | None, *, alliance: bool, by: str
    ) -> PlatformSite:
        """Set a registered platform's location (None: unknown) and whether it is the
        alliance platform (at most one is: flagging one unflags the others)."""
        now = int(self.clock())
        with write_session(self.engine) as session:
            platform = session.get(Platform, platform_id)
            if platform is None:
                raise UnknownPlatform(f"no platform {platform_id!r} is registered")
            if alliance:
                session.execute(
                    update(PlatformProfile)
                    .where(col(PlatformProfile.platform_id) != platform_id)
                    .values(alliance=False)
                )
            profile = session.get(PlatformProfile, platform_id) or PlatformProfile(
                platform_id=platform_id, updated_at=now, updated_by=by
            )
            profile.latitude = None if position is None else position.latitude
            profile.longitude = None if position is None else position.longitude
            profile.alliance = alliance
            profile.updated_at, profile.updated_by = now, by
            session.add(profile)
            session.flush()
            return _site(platform, profile)

    # -- reading -----------------------------------------------------------------------------

    def sites(self, *, include_retired: bool = False) -> list[PlatformSite]:
        """Platforms with their profiles: the alliance platform first, then by id."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Platform, PlatformProfile).join(
                    PlatformProfile,
                    col(PlatformProfile.platform_id) == col(Platform.platform_id),
                    isouter=True,
                )
            ).all()
        found = [_site(p, profile) for p, profile in rows if include_retired or p.active]
        return sorted(found, key=lambda s: (not s.alliance, s.platform_id))

    def site(self, platform_id: str) -> PlatformSite:
        with Session(self.engine) as session:
            platform = session.get(Platform, platform_id)
            if platform is None:
                raise UnknownPlatform(f"no platform {platform_id!r} is registered")
            return _site(platform, session.get(PlatformProfile, platform_id))

    def nearest(self, position: Position) -> NearestAnswer:
        sites = self.sites()
        alliance = next((s for s in sites if s.alliance), None)
        best: tuple[float, PlatformSite] | None = None
        for site in sites:
            if site.alliance or site.position is None:
                continue
            distance = haversine_km(position, site.position)
            if best is None or distance < best[0]:
                best = (distance, site)
        if best is None:
            return NearestAnswer(None, None, alliance)
        return NearestAnswer(best[1], best[0], alliance)

    # -- an account's choice -----------------------------------------------------------------

    def choose(self, account_id: str, platform_id: str) -> ChosenPlatform:
        """Switch the account to an active platform (切换)."""
        now = int(self.clock())
        site = self.site(platform_id)
        if not site.active:
            raise PlatformRetired(f"platform {platform_id!r} is retired")
        with write_session(self.engine) as session:
            row = session.get(AccountPlatform, account_id) or AccountPlatform(
                account_id=account_id, platform_id=platform_id, chosen_at=now
            )
            row.platform_id, row.chosen_at = platform_id, now
            session.add(row)
        return ChosenPlatform(site, now)

    def chosen(self, account_id: str) -> ChosenPlatform | None:
        """The account's chosen platform (shown even if retired since: the app asks again),
        None before any choice."""
        with Session(self.engine) as session:
            row = session.get(AccountPlatform, account_id)
        if row is None:
            return None
        return ChosenPlatform(self.site(row.platform_id), row.chosen_at)

    def alliance(self) -> PlatformSite | None:
        return next((s for s in self.sites() if s.alliance), None)
