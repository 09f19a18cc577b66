"""The platform directory through the API: the demo locations, the nearest active platform
with the alliance platform always offered, the center operator's profiles, the account's
chosen platform, and platforms registered and retired on chain."""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import pytest

from huren.node import demo, demo_platforms
from tests.api.access_table import account_token
from tests.api.conftest import ApiEnv

# Where a phone might be (WGS 84), each nearest to one demo platform.
IN_JIAXING = (30.7522, 120.7600)
IN_NANTONG = (32.0100, 120.8600)
IN_HEFEI = (31.8206, 117.2272)  # west of Xuancheng, outside every demo city
IN_SUZHOU = (31.2990, 120.5853)


@pytest.fixture(scope="module")
def token(env: ApiEnv) -> Iterator[str]:
    assert demo_platforms.seed_profiles(env.services.engine) == 4
    assert demo_platforms.seed_profiles(env.services.engine) == 0  # kept as they are
    yield account_token(env.http, "13900139201")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def nearest(env: ApiEnv, token: str, lat: object, lon: object) -> httpx.Response:
    return env.http.get(
        "/v1/platforms/nearest", params={"lat": lat, "lon": lon}, headers=bearer(token)
    )


def test_the_nearest_platform_and_the_alliance(env: ApiEnv, token: str) -> None:
    for (lat, lon), expected in (
        (IN_JIAXING, "jiaxing-ggzy"),
        (IN_NANTONG, "nantong-ggzy"),
        (IN_HEFEI, "xuancheng-ggzy"),
    ):
        answer = nearest(env, token, lat, lon)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["nearest"]["platform_id"] == expected
        assert body["alliance"]["platform_id"] == "alliance"  # offered wherever one is
        assert body["alliance"]["latitude"] is None and body["alliance"]["alliance"]
    near = nearest(env, token, *IN_JIAXING).json()
    assert near["distance_km"] < 2
    far = nearest(env, token, *IN_HEFEI).json()
    assert 165 < far["distance_km"] < 185  # Hefei to Xuancheng: ~98 km north, ~145 km east
    # Far from everything: still the nearest (Xuancheng from Beijing) and the alliance.
    beijing = nearest(env, token, 39.9042, 116.4074).json()
    assert beijing["nearest"]["platform_id"] in {"nantong-ggzy", "xuancheng-ggzy"}
    assert beijing["alliance"]["platform_id"] == "alliance"


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(90.5, 120), (-91, 120), (30, 180.5), (30, -181), ("nan", 120), (30, "inf"), ("north", 1)],
)
def test_coordinates_out_of_range(env: ApiEnv, token: str, lat: object, lon: object) -> None:
    answer = nearest(env, token, lat, lon)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "VALIDATION_FAILED"


def test_coordinates_are_required(env: ApiEnv, token: str) -> None:
    answer = env.http.get("/v1/platforms/nearest", params={"lat": 30}, headers=bearer(token))
    assert answer.status_code == 422


def test_the_list_puts_the_alliance_first(env: ApiEnv, token: str) -> None:
    listed = env.http.get("/v1/platforms", headers=bearer(token)).json()
    assert [p["platform_id"] for p in listed] == [
        "alliance",
        "jiaxing-ggzy",
        "nantong-ggzy",
        "xuancheng-ggzy",
    ]
    jiaxing = listed[1]
    assert (jiaxing["latitude"], jiaxing["longitude"]) == demo_platforms.LOCATIONS["jiaxing-ggzy"]
    assert jiaxing["center"] == demo.center_account("jiaxing").address and jiaxing["active"]


def put_profile(
    env: ApiEnv, platform: str, headers: dict[str, str], **body: object
) -> httpx.Response:
    return env.http.put(f"/v1/platforms/{platform}/profile", json=body, headers=headers)


def test_the_center_operator_sets_profiles(env: ApiEnv, token: str) -> None:
    admin = env.headers()
    moved = put_profile(env, "nantong-ggzy", admin, latitude=IN_JIAXING[0], longitude=IN_JIAXING[1])
    assert moved.status_code == 200, moved.text
    assert nearest(env, token, *IN_JIAXING).json()["nearest"]["platform_id"] == "nantong-ggzy"
    back = dict(
        zip(("latitude", "longitude"), demo_platforms.LOCATIONS["nantong-ggzy"], strict=True)
    )
    assert put_profile(env, "nantong-ggzy", admin, **back).status_code == 200
    assert nearest(env, token, *IN_JIAXING).json()["nearest"]["platform_id"] == "jiaxing-ggzy"

    for body, code in (
        ({"latitude": 30.0}, "INVALID_COORDINATES"),  # one coordinate only
        ({"latitude": 91.0, "longitude": 120.0}, "INVALID_COORDINATES"),
        ({"latitude": 30.0, "longitude": -200.0}, "INVALID_COORDINATES"),
    ):
        refused = put_profile(env, "nantong-ggzy", admin, **body)
        assert (refused.status_code, refused.json()["code"]) == (422, code), refused.text
    unknown = put_profile(env, "no-such-platform", admin, latitude=1.0, longitude=1.0)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "UNKNOWN_PLATFORM")
    assert put_profile(env, "nantong-ggzy", env.headers("alliance")).status_code == 403
    assert put_profile(env, "nantong-ggzy", bearer(token)).status_code == 401

    # The alliance flag moves: one platform carries it.
    flagged = put_profile(env, "jiaxing-ggzy", admin, alliance=True)
    assert flagged.json()["alliance"] and flagged.json()["latitude"] is None
    body = nearest(env, token, *IN_NANTONG).json()
    assert body["alliance"]["platform_id"] == "jiaxing-ggzy"
    restore = dict(
        zip(("latitude", "longitude"), demo_platforms.LOCATIONS["jiaxing-ggzy"], strict=True)
    )
    assert put_profile(env, "alliance", admin, alliance=True).status_code == 200
    assert put_profile(env, "jiaxing-ggzy", admin, **restore).status_code == 200
    listed = env.http.get("/v1/platforms", headers=bearer(token)).json()
    assert [p["platform_id"] for p in listed if p["alliance"]] == ["alliance"]


def test_the_account_chooses_a_platform(env: ApiEnv, token: str) -> None:
    first = env.http.get("/v1/account/platform", headers=bearer(token)).json()
    assert first["platform"] is None and first["chosen_at"] is None
    assert first["alliance"]["platform_id"] == "alliance"
    for platform in ("nantong-ggzy", "alliance"):
        chosen = env.http.put(
            "/v1/account/platform", json={"platform_id": platform}, headers=bearer(token)
        )
        assert chosen.status_code == 200, chosen.text
        again = env.http.get("/v1/account/platform", headers=bearer(token)).json()
        assert again["platform"]["platform_id"] == platform and again["chosen_at"] > 0
    other = account_token(env.http, "13900139202")  # each account its own choice
    assert env.http.get("/v1/account/platform", headers=bearer(other)).json()["platform"] is None
    unknown = env.http.put(
        "/v1/account/platform", json={"platform_id": "no-such"}, headers=bearer(token)
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "UNKNOWN_PLATFORM")
    bad = env.http.put("/v1/account/platform", json={"platform_id": "a b"}, headers=bearer(token))
    assert bad.status_code == 422


def _pass(env: ApiEnv, proposal_id: int) -> None:
    assert env.as_(demo.center_account("nantong")).vote(proposal_id, True).executed
    env.index()


def test_platforms_registered_and_retired_on_chain(env: ApiEnv, token: str) -> None:
    jiaxing = env.as_(demo.center_account("jiaxing"))
    center = demo.center_account("jiaxing").address
    _pass(env, jiaxing.propose_register_platform("suzhou-test", center, "苏州测试平台").proposal_id)
    # Registered but not located: selectable, never the nearest.
    assert nearest(env, token, *IN_SUZHOU).json()["nearest"]["platform_id"] == "jiaxing-ggzy"
    located = put_profile(env, "suzhou-test", env.headers(), latitude=31.30, longitude=120.58)
    assert located.status_code == 200, located.text
    assert nearest(env, token, *IN_SUZHOU).json()["nearest"]["platform_id"] == "suzhou-test"
    chosen = env.http.put(
        "/v1/account/platform", json={"platform_id": "suzhou-test"}, headers=bearer(token)
    )
    assert chosen.status_code == 200

    _pass(env, jiaxing.propose_retire_platform("suzhou-test").proposal_id)
    after = nearest(env, token, *IN_SUZHOU).json()
    assert after["nearest"]["platform_id"] == "jiaxing-ggzy"  # retired: not offered
    listed = env.http.get("/v1/platforms", headers=bearer(token)).json()
    assert "suzhou-test" not in {p["platform_id"] for p in listed}
    mine = env.http.get("/v1/account/platform", headers=bearer(token)).json()
    assert mine["platform"]["platform_id"] == "suzhou-test" and not mine["platform"]["active"]
    refused = env.http.put(
        "/v1/account/platform", json={"platform_id": "suzhou-test"}, headers=bearer(token)
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "PLATFORM_RETIRED")
    assert math.isclose(after["distance_km"], nearest(env, token, *IN_SUZHOU).json()["distance_km"])
