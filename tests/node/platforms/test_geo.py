"""Positions and haversine distances, against values derived by hand."""

from __future__ import annotations

import math

import pytest

from huren.node.demo_platforms import LOCATIONS
from huren.node.platforms.errors import InvalidCoordinates
from huren.node.platforms.geo import EARTH_RADIUS_KM, Position, haversine_km


def test_distances_derived_by_hand() -> None:
    origin = Position(0, 0)
    # A degree of the equator, a quarter meridian, half the equator: r·θ.
    assert haversine_km(origin, Position(0, 1)) == pytest.approx(EARTH_RADIUS_KM * math.pi / 180)
    assert haversine_km(origin, Position(90, 0)) == pytest.approx(EARTH_RADIUS_KM * math.pi / 2)
    assert haversine_km(origin, Position(0, 180)) == pytest.approx(EARTH_RADIUS_KM * math.pi)
    assert haversine_km(Position(0, 179.5), Position(0, -179.5)) == pytest.approx(
        EARTH_RADIUS_KM * math.pi / 180
    )  # across the antimeridian
    assert haversine_km(origin, origin) == 0.0
    # Paris–London, about 343.5 km on the mean sphere (as commonly quoted for haversine).
    paris, london = Position(48.8566, 2.3522), Position(51.5074, -0.1278)
    assert haversine_km(paris, london) == pytest.approx(343.5, abs=0.5)
    assert haversine_km(paris, london) == haversine_km(london, paris)


def test_the_demo_cities_are_where_they_should_be() -> None:
    jiaxing, nantong, xuancheng = (
        Position(*LOCATIONS[p])
        for p in (
            "jiaxing-ggzy",
            "nantong-ggzy",
            "xuancheng-ggzy",
        )
    )
    # Straight-line distances between the cities are about 140, 190 and 230 km.
    assert 120 < haversine_km(jiaxing, nantong) < 160
    assert 170 < haversine_km(jiaxing, xuancheng) < 215
    assert 210 < haversine_km(nantong, xuancheng) < 260


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(90.01, 0), (-90.01, 0), (0, 180.01), (0, -180.01), (math.nan, 0), (0, math.inf), (True, 0)],
)
def test_positions_out_of_range(lat: float, lon: float) -> None:
    with pytest.raises(InvalidCoordinates):
        Position(lat, lon)


def test_the_edges_are_positions() -> None:
    assert Position(90, 180) == Position(90.0, 180.0)
    assert Position(-90, -180).latitude == -90.0
