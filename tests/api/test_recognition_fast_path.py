"""The hot path of ``GET /v1/recognition`` (``recognition.FastPath``) answers exactly what the
route answers, leaves everything else to the route, and sees key revocations and new blocks
at once (through the key cache and the index cache)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import Scope

from huren.api import deps
from huren.api.routers import recognition
from huren.api.schemas import MAX_UINT64
from huren.node import demo
from tests.api.conftest import ADMIN_KEY, ApiEnv

# Answers differ in nothing but the time they were computed at.
VOLATILE = ("evaluated_at",)


@pytest.fixture
def taken(env: ApiEnv, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the hot path answered each request since (True) or left it to the route."""
    monkeypatch.setattr(deps, "LAG_CACHE_S", 3600.0)  # a lag probed once stays fresh
    seen: list[bool] = []
    real = recognition.fast_answer

    async def spy(scope: Scope) -> Any:
        try:
            response = await real(scope)
        except Exception:
            seen.append(False)
            raise
        seen.append(response is not None)
        return response

    monkeypatch.setattr(recognition, "fast_answer", spy)
    for platform in env.keys:  # the keys' first requests fill the key cache (and probe the lag)
        get(env, {"fingerprint": "ab" * 32}, auth(env, platform))
    seen.clear()
    return seen


def auth(env: ApiEnv, platform: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY if platform is None else env.keys[platform]}"}


def get(env: ApiEnv, params: Any, headers: dict[str, str]) -> tuple[int, str, Any]:
    r = env.http.get("/v1/recognition", params=params, headers=headers)
    body = r.json()
    for name in VOLATILE:
        if isinstance(body, dict):
            body.pop(name, None)
    return r.status_code, r.headers["content-type"], body


@contextlib.contextmanager
def route_only(env: ApiEnv) -> Iterator[None]:
    """The hot path leaves every request to the route while dependencies are overridden."""

    def nothing() -> None:
        return None

    app: Any = env.http.app
    app.dependency_overrides[nothing] = nothing
    try:
        yield
    finally:
        del app.dependency_overrides[nothing]


def everyday(env: ApiEnv) -> list[tuple[Any, dict[str, str]]]:
    x509, staff = env.fps["x509"].hex(), env.fps["staff"].hex()
    colons = ":".join(x509[i : i + 2] for i in range(0, 64, 2))
    key = env.keys["jiaxing-ggzy"]
    return [
        ({"fingerprint": x509, "action": "sign", "at": 1_800_000_000}, auth(env, "jiaxing-ggzy")),
        ({"fingerprint": x509, "platform": "jiaxing-ggzy", "at": 0}, auth(env, "jiaxing-ggzy")),
        ({"fingerprint": x509.upper(), "at": MAX_UINT64}, auth(env, "alliance")),
        ({"fingerprint": "0x" + x509, "action": "login"}, auth(env, "alliance")),
        ({"fingerprint": colons}, auth(env, "alliance")),
        ({"fingerprint": staff, "action": "seal"}, auth(env, "jiaxing-ggzy")),
        ({"fingerprint": env.fps["regional-nt"].hex(), "action": "decrypt"}, {"X-API-Key": key}),
        ({"fingerprint": env.fps["enc"].hex(), "action": "encrypt"}, {"x-api-key": key}),
        ({"fingerprint": "cd" * 32, "action": "decrypt"}, {"Authorization": f"bearer  {key} "}),
        ("fingerprint=" + x509 + "&&action=login&", auth(env, "jiaxing-ggzy")),
    ]


def unusual(env: ApiEnv) -> list[tuple[Any, dict[str, str]]]:
    x509 = env.fps["x509"].hex()
    jx = auth(env, "jiaxing-ggzy")
    return [
        ({"fingerprint": x509, "platform": "nantong-ggzy"}, auth(env, None)),  # the admin key
        ({"fingerprint": x509, "platform": "nantong-ggzy"}, jx),  # 403
        ({"fingerprint": x509}, auth(env, None)),  # 422: the admin names the platform
        ({"fingerprint": x509, "platform": ""}, jx),
        ({"fingerprint": x509, "platform": "x" * 67}, jx),
        ({"fingerprint": x509, "platform": "has space"}, jx),
        ({"fingerprint": x509, "action": "LOGIN"}, jx),
        ({"fingerprint": x509, "at": "007"}, jx),
        ({"fingerprint": x509, "at": "-1"}, jx),
        ({"fingerprint": x509, "at": str(MAX_UINT64 + 1)}, jx),
        ({"fingerprint": x509, "at": "1e9"}, jx),
        ({"fingerprint": x509, "foo": "bar"}, jx),
        ([("fingerprint", x509), ("fingerprint", "ab" * 32)], jx),
        ([("fingerprint", x509), ("action", "login"), ("action", "sign")], jx),
        ({"fingerprint": x509[:-1]}, jx),
        ({"fingerprint": x509 + "\n"}, jx),
        ({"fingerprint": "0X" + x509}, jx),
        ({}, jx),
        ({"fingerprint": x509}, {}),
        ({"fingerprint": x509}, {"Authorization": "Bearer hrk_0123456789abcdef_nope"}),
        ({"fingerprint": x509}, {"Authorization": "Basic " + env.keys["alliance"]}),
        ({"fingerprint": x509}, {"X-API-Key": env.keys["alliance"] + "x"}),
    ]


def test_the_hot_path_answers_everyday_requests_exactly_as_the_route(
    env: ApiEnv, taken: list[bool]
) -> None:
    for params, headers in everyday(env):
        fast = get(env, params, headers)
        assert taken[-1], (params, headers)
        with route_only(env):
            routed = get(env, params, headers)
        assert not taken[-1]
        if isinstance(params, dict) and "at" not in params:  # "now" may have ticked
            fast[2].pop("at"), routed[2].pop("at")
        assert fast == routed, (params, headers)
        assert fast[0] == 200 and fast[1] == "application/json"


def test_the_hot_path_leaves_everything_else_to_the_route(env: ApiEnv, taken: list[bool]) -> None:
    for params, headers in unusual(env):
        answer = get(env, params, headers)
        assert not taken[-1], (params, headers)
        with route_only(env):
            assert get(env, params, headers) == answer, (params, headers)
    asked = len(taken)
    head = {"params": {"fingerprint": "ab" * 32}, "headers": auth(env, "alliance")}
    status = env.http.head("/v1/recognition", **head).status_code  # type: ignore[arg-type]
    with route_only(env):
        assert env.http.head("/v1/recognition", **head).status_code == status  # type: ignore[arg-type]
    assert len(taken) == asked  # not even looked at


def test_the_hot_path_answers_byte_for_byte(env: ApiEnv, taken: list[bool]) -> None:
    params = {"fingerprint": env.fps["x509"].hex(), "at": 1_800_000_000}
    fast = env.http.get("/v1/recognition", params=params, headers=auth(env, "alliance"))
    assert taken == [True]
    with route_only(env):
        routed = env.http.get("/v1/recognition", params=params, headers=auth(env, "alliance"))
    cut = fast.content.index(b'"evaluated_at"')
    assert fast.content[:cut] == routed.content[:cut]
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.json()["evaluated_at"].endswith("Z") and routed.json()["evaluated_at"].endswith("Z")


def test_a_key_revoked_through_the_api_stops_at_once(env: ApiEnv, taken: list[bool]) -> None:
    admin = auth(env, None)
    issued = env.http.post("/v1/platform-keys", json={"platform": "alliance"}, headers=admin)
    key = {"Authorization": f"Bearer {issued.json()['key']}"}
    params = {"fingerprint": env.fps["x509"].hex()}
    assert get(env, params, key)[0] == 200  # the database's answer, now cached
    assert get(env, params, key)[0] == 200 and taken[-1]  # the cache's
    env.http.delete(f"/v1/platform-keys/{issued.json()['key_id']}", headers=admin)
    status, _, body = get(env, params, key)
    assert status == 401 and body["code"] == "PLATFORM_KEY_REVOKED" and not taken[-1]
    assert get(env, params, auth(env, "alliance"))[0] == 200  # other keys go on


def test_a_new_block_is_seen_at_once(env: ApiEnv, taken: list[bool]) -> None:
    """The CA and platform rows are cached by the index checkpoint: a suspension in a new
    block shows in the next answer, on the hot path and on the route alike."""
    params = {"fingerprint": env.fps["x509"].hex(), "action": "sign"}
    jx = auth(env, "jiaxing-ggzy")
    assert get(env, params, jx)[2]["recognized"] and taken[-1]
    members = [demo.center_account(c.key) for c in demo.CENTERS]
    try:
        govern(env, members, lambda c: c.propose_suspend_ca("zjca"))
        env.index()
        for fast in (True, False):
            with route_only(env) if not fast else contextlib.nullcontext():
                body = get(env, params, jx)[2]
            assert taken[-1] is fast
            assert body["reasons"] == ["CA_NOT_ACCREDITED"]
            assert {e["role"]: e["event"] for e in body["evidence"]}["ca"] == "CaSuspended"
            assert body["index"]["indexed_block"] == env.backend.block_number()
    finally:
        operator = demo.ca_operator_account("zjca").address
        key = demo.issuer_key_id("zjca")
        govern(env, members, lambda c: c.propose_accredit_ca("zjca", "ZJCA", [operator], [key]))
        env.index()
    assert get(env, params, jx)[2]["recognized"] and taken[-1]


def govern(env: ApiEnv, members: list[Any], propose: Any) -> None:
    result = propose(env.as_(members[0]))
    for member in members[1:]:
        if result.executed:
            break
        result = env.as_(member).vote(result.proposal_id, True)
    assert result.executed
