"""Coordinates and great-circle distance (pure).

Positions are WGS 84 degrees, as phones report them (GPS). Chinese map services show
GCJ-02 ("Mars") coordinates, offset from WGS 84 by up to ~700 m: store WGS 84, or accept
that error, which does not change which of two cities is nearer. Distances are haversine
on a sphere of the mean Earth radius (IUGG, 6371.0088 km): within 0.5 % of the ellipsoid,
plenty for picking the nearest platform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from huren.node.platforms.errors import InvalidCoordinates

__all__ = ["EARTH_RADIUS_KM", "Position", "haversine_km"]

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Position:
    """A checked position: finite, latitude in [-90, 90], longitude in [-180, 180]."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        for name, value, limit in (
            ("latitude", self.latitude, 90.0),
            ("longitude", self.longitude, 180.0),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidCoordinates(f"{name} is a number of degrees")
            if not math.isfinite(value) or not -limit <= value <= limit:
                raise InvalidCoordinates(f"{name} {value!r} is outside [-{limit:g}, {limit:g}]")
            object.__setattr__(self, name, float(value))


def haversine_km(a: Position, b: Position) -> float:
    """The great-circle distance between ``a`` and ``b`` in kilometres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
