"""Where the demo consortium's platforms are (``huren.node.demo``), for 选择平台 on a dev node.

WGS 84 degrees of each city's public-resource trading center, rounded to about 100 m (from
public maps; near enough to tell the three cities apart, which are 110-240 km from each
other). The alliance platform (长三角 CA 互认平台) has no one place: it is flagged, not located.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine

from huren.node import demo
from huren.node.db.engine import write_session
from huren.node.db.models import Platform
from huren.node.db.platforms_tables import PlatformProfile

__all__ = ["ALLIANCE_PLATFORM", "LOCATIONS", "seed_profiles"]

ALLIANCE_PLATFORM = demo.PLATFORMS[0].platform_id  # "alliance"
LOCATIONS: dict[str, tuple[float, float]] = {
    "jiaxing-ggzy": (30.7469, 120.7555),  # 嘉兴市公共资源交易中心, 南湖区
    "nantong-ggzy": (31.9808, 120.8943),  # 南通市公共资源交易中心, 崇川区
    "xuancheng-ggzy": (30.9406, 118.7588),  # 宣城市公共资源交易中心, 宣州区
}


def seed_profiles(engine: Engine, now: int | None = None) -> int:
    """Give the demo platforms their profiles where they have none yet (an operator's own
    settings are kept); only platforms the index knows. Returns how many were added."""
    at = int(time.time()) if now is None else now
    added = 0
    with write_session(engine) as session:
        for platform in demo.PLATFORMS:
            pid = platform.platform_id
            if session.get(Platform, pid) is None:
                continue  # not (yet) in the index
            if session.get(PlatformProfile, pid) is not None:
                continue  # the operator's own settings stay
            lat, lon = LOCATIONS.get(pid, (None, None))
            session.add(
                PlatformProfile(
                    platform_id=pid,
                    latitude=lat,
                    longitude=lon,
                    alliance=pid == ALLIANCE_PLATFORM,
                    updated_at=at,
                    updated_by="demo seed",
                )
            )
            added += 1
    return added
