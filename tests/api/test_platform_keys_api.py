"""Platform API keys over HTTP: issued by the center (admin key), shown once, revocable."""

from __future__ import annotations

from tests.api.conftest import ApiEnv


def test_issue_use_list_and_revoke_a_key(env: ApiEnv) -> None:
    h = env.headers()
    r = env.http.post(
        "/v1/platform-keys", json={"platform": "jiaxing-ggzy", "label": "bid tool"}, headers=h
    )
    assert r.status_code == 201, r.text
    issued = r.json()
    key = issued["key"]
    assert key.startswith("hrk_" + issued["key_id"] + "_") and issued["revoked_at"] is None
    ask = {"Authorization": f"Bearer {key}"}
    params = {"fingerprint": env.fps["x509"].hex()}
    assert env.http.get("/v1/recognition", params=params, headers=ask).status_code == 200

    listed = env.http.get("/v1/platform-keys?platform=jiaxing-ggzy", headers=h).json()
    mine = next(k for k in listed if k["key_id"] == issued["key_id"])
    assert mine["label"] == "bid tool" and "key" not in mine  # shown once, never again

    r = env.http.delete(f"/v1/platform-keys/{issued['key_id']}", headers=h)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    r = env.http.get("/v1/recognition", params=params, headers=ask)
    assert r.status_code == 401 and r.json()["code"] == "PLATFORM_KEY_REVOKED"


def test_a_center_issues_keys_to_its_own_active_platforms_only(env: ApiEnv) -> None:
    h = env.headers()
    r = env.http.post("/v1/platform-keys", json={"platform": "nantong-ggzy"}, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "PLATFORM_NOT_OWNED"
    r = env.http.post("/v1/platform-keys", json={"platform": "nope"}, headers=h)
    assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_PLATFORM"
    r = env.http.post("/v1/platform-keys", json={"platform": "bad id"}, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "INVALID_IDENTIFIER"


def test_keys_are_managed_with_the_admin_key_only(env: ApiEnv) -> None:
    platform = env.headers("alliance")
    for method, path in (("GET", ""), ("POST", ""), ("DELETE", "/0123456789abcdef")):
        r = env.http.request(
            method, f"/v1/platform-keys{path}", json={"platform": "alliance"}, headers=platform
        )
        assert r.status_code == 403 and r.json()["code"] == "ADMIN_ONLY"
        r = env.http.request(method, f"/v1/platform-keys{path}", json={"platform": "alliance"})
        assert r.status_code == 401
    r = env.http.delete("/v1/platform-keys/0123456789abcdef", headers=env.headers())
    assert r.status_code == 404 and r.json()["code"] == "UNKNOWN_PLATFORM_KEY"
