"""Garbage to every endpoint: never a 500, always problem JSON with a code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import ApiEnv

GARBAGE = [
    "",
    "x",
    "\x00",
    "\u202e\u0000evil",
    "💥" * 40,
    "-1",
    "0",
    "1e308",
    "NaN",
    str(2**64),
    "9" * 400,
    "null",
    "../../etc/passwd",
    "' OR 1=1 --",
    "0x" + "zz" * 32,
    "A" * 5000,
]
BODIES: list[tuple[bytes, str | None]] = [
    (b"", None),
    (b"\x00\xff\xfe", "application/json"),
    (b"{", "application/json"),
    (b"[]", "application/json"),
    (b"null", "application/json"),
    (b'{"fingerprints": "x", "platform": 7}', "application/json"),
    (json.dumps({"fingerprints": ["ab" * 32], "at": 10**30}).encode(), "application/json"),
    (json.dumps({"support": "maybe"}).encode(), "application/json"),
    (json.dumps({"kind": "set_quorum", "quorum_percent": 10**40}).encode(), "application/json"),
    (json.dumps({"kind": "accredit_ca", "ca_id": "x" * 70}).encode(), "application/json"),
    (json.dumps({"certificate": "💥", "action": "fly"}).encode(), "application/json"),
    (json.dumps({"platform": {"a": 1}, "label": ["x"]}).encode(), "application/json"),
    (b"-----BEGIN CERTIFICATE-----\n\x00\n", "application/x-pem-file"),
    (b"\x30\x03\x02\x01\x00", "application/pkix-cert"),
    (b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x"),
    (b"x" * 300_000, "application/octet-stream"),
]
PARAMS = ("fingerprint", "platform", "action", "at", "status", "limit", "offset")


@pytest.fixture(scope="module")
def raw(env: ApiEnv) -> Iterator[TestClient]:
    """A client that reports server errors as responses instead of raising them."""
    with TestClient(env.http.app, raise_server_exceptions=False) as client:
        yield client


def _routes(env: ApiEnv) -> list[tuple[str, str]]:
    """Every endpoint, as the OpenAPI document lists them."""
    paths = env.http.get("/openapi.json").json()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def _check(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, (response.request.url, response.text[:500])
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", body["code"]), body
        assert body["status"] == response.status_code


def test_every_endpoint_survives_garbage(env: ApiEnv, raw: TestClient) -> None:
    auths = [{}, env.headers(), env.headers("alliance"), {"Authorization": "Bearer \u00ff"}]
    routes = _routes(env)
    assert len(routes) >= 14
    count = 0
    for method, path in routes:
        for i, junk in enumerate(GARBAGE):
            url = re.sub(r"\{[^}]+\}", lambda _m, j=junk: quote(j, safe="") or "x", path)
            body, content_type = BODIES[i % len(BODIES)]
            for auth in auths:
                headers = dict(auth)
                if content_type is not None:
                    headers["Content-Type"] = content_type
                params = {p: junk for p in PARAMS}
                try:
                    r = raw.request(method, url, params=params, content=body, headers=headers)
                except UnicodeEncodeError:
                    continue  # httpx refuses to send such a header at all
                _check(r)
                count += 1
    assert count > 500


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    fingerprint=st.text(max_size=80),
    platform=st.text(max_size=80),
    action=st.text(max_size=10),
    at=st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str), st.text(max_size=8)),
)
def test_recognition_parameters_never_crash(
    env: ApiEnv, raw: TestClient, fingerprint: str, platform: str, action: str, at: str
) -> None:
    params = {"fingerprint": fingerprint, "platform": platform, "action": action, "at": at}
    _check(raw.get("/v1/recognition", params=params, headers=env.headers()))
    body = {"fingerprints": [fingerprint], "platform": platform, "action": action}
    _check(raw.post("/v1/recognition/batch", json=body, headers=env.headers()))
