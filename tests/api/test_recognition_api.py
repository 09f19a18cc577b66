"""Recognition endpoints: GET by fingerprint, POST with the certificate, batch; auth."""

from __future__ import annotations

import base64

import pytest

from huren.node.recognition import MAX_BATCH
from tests.api.conftest import ADMIN_KEY, ApiEnv

PROBLEM = "application/problem+json"


def get(env: ApiEnv, key: str | None = "jiaxing-ggzy", **params: object):
    """GET a recognition with the platform key of ``key`` (None: the admin key)."""
    return env.http.get("/v1/recognition", params=params, headers=env.headers(key))


def test_a_recognized_certificate_with_its_evidence(env: ApiEnv) -> None:
    fp = env.fps["x509"]
    r = get(env, fingerprint=fp.hex(), action="sign")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["recognized"] is True
    assert body["reasons"] == [] and body["reason_bits"] == 0
    assert body["platform"] == "jiaxing-ggzy" and body["action"] == "sign"
    assert body["fingerprint"] == fp.hex()
    roles = {e["role"]: e for e in body["evidence"]}
    assert set(roles) == {"certificate", "ca", "platform"}
    assert roles["certificate"]["event"] == "CertificateRecorded"
    assert roles["ca"]["event"] == "CaAccredited"
    record = env.backend.get_logs(
        roles["certificate"]["block_number"], roles["certificate"]["block_number"],
        [env.deployment.registry],
    )  # fmt: skip
    assert "0x" + record[0].transaction_hash.hex() == roles["certificate"]["transaction_hash"]
    assert body["index"] == {"lag_blocks": 0, "indexed_block": env.backend.block_number()}
    assert body["evaluated_at"].endswith("Z") or "+00:00" in body["evaluated_at"]


@pytest.mark.parametrize(
    "spelling",
    [str.upper, lambda h: "0x" + h, lambda h: ":".join(h[i : i + 2] for i in range(0, 64, 2))],
)
def test_fingerprint_spellings(env: ApiEnv, spelling) -> None:
    r = get(env, fingerprint=spelling(env.fps["x509"].hex()))
    assert r.status_code == 200 and r.json()["fingerprint"] == env.fps["x509"].hex()


def test_reasons_are_codes_and_the_contract_bitmask(env: ApiEnv) -> None:
    body = get(env, fingerprint=env.fps["regional-nt"].hex(), action="decrypt").json()
    assert body["recognized"] is False
    assert body["reasons"] == ["OUT_OF_SCOPE", "WRONG_USAGE"]
    assert body["reason_bits"] == 32 | 512
    staff = get(env, fingerprint=env.fps["staff"].hex()).json()
    assert staff["reasons"] == ["NOT_AUTHORIZED"]


def test_an_unknown_certificate_is_an_answer_but_an_unknown_platform_is_a_404(
    env: ApiEnv,
) -> None:
    body = get(env, fingerprint="ab" * 32).json()
    assert body["recognized"] is False and body["reasons"] == ["UNKNOWN_CERTIFICATE"]
    assert body["evidence"][0]["role"] == "platform"
    r = get(env, None, fingerprint="ab" * 32, platform="no-such-platform")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM and r.json()["code"] == "UNKNOWN_PLATFORM"


def test_a_platform_key_asks_only_for_its_own_platform(env: ApiEnv) -> None:
    fp = env.fps["x509"].hex()
    assert get(env, fingerprint=fp, platform="jiaxing-ggzy").status_code == 200
    r = get(env, fingerprint=fp, platform="nantong-ggzy")
    assert r.status_code == 403 and r.json()["code"] == "PLATFORM_MISMATCH"
    # The admin key asks for any platform, but must name it.
    assert get(env, None, fingerprint=fp, platform="nantong-ggzy").json()["recognized"]
    r = get(env, None, fingerprint=fp)
    assert r.status_code == 422 and r.json()["code"] == "PLATFORM_REQUIRED"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "UNAUTHENTICATED"),
        ({"Authorization": "Bearer "}, "UNAUTHENTICATED"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "UNAUTHENTICATED"),
        ({"Authorization": "Bearer wrong"}, "INVALID_PLATFORM_KEY"),
        ({"X-API-Key": "hrk_0123456789abcdef_nope"}, "INVALID_PLATFORM_KEY"),
        ({"X-API-Key": ADMIN_KEY + "x"}, "INVALID_PLATFORM_KEY"),
    ],
)
def test_no_valid_key_no_data(env: ApiEnv, headers: dict[str, str], code: str) -> None:
    r = env.http.get(
        "/v1/recognition", params={"fingerprint": env.fps["x509"].hex()}, headers=headers
    )
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["code"] == code and "recognized" not in body
    assert r.headers["www-authenticate"] == "Bearer"


def test_the_x_api_key_header_works_too(env: ApiEnv) -> None:
    r = env.http.get(
        "/v1/recognition",
        params={"fingerprint": env.fps["x509"].hex()},
        headers={"X-API-Key": env.keys["alliance"]},
    )
    assert r.status_code == 200 and r.json()["platform"] == "alliance"


def _post(env: ApiEnv, content: bytes, content_type: str, **params: object):
    headers = {**env.headers("jiaxing-ggzy"), "Content-Type": content_type}
    return env.http.post("/v1/recognition", content=content, headers=headers, params=params)


def test_post_the_certificate_in_every_form(env: ApiEnv) -> None:
    expected = env.fps["x509"].hex()
    b64 = base64.b64encode(env.der).decode()
    answers = [
        _post(env, env.pem, "application/x-pem-file", action="login"),
        _post(env, env.der, "application/pkix-cert", action="login"),
        _post(env, env.der, "application/octet-stream", action="login"),
        env.http.post(
            "/v1/recognition",
            json={"certificate": env.pem.decode(), "action": "login"},
            headers=env.headers("jiaxing-ggzy"),
        ),
        env.http.post(
            "/v1/recognition",
            json={"certificate": b64, "action": "login", "platform": "jiaxing-ggzy"},
            headers=env.headers("jiaxing-ggzy"),
        ),
    ]
    for r in answers:
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["fingerprint"] == expected and body["recognized"] and body["action"] == "login"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/pkix-cert"),
        (b"\x30\x82\x01\x00garbage", "application/pkix-cert"),
        (b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "text/plain"),
        (b'{"certificate": "bm90IGEgY2VydA=="}', "application/json"),
        (b'{"certificate": "%%%"}', "application/json"),
    ],
)
def test_post_garbage_is_a_422_with_a_code(env: ApiEnv, content: bytes, content_type: str) -> None:
    r = _post(env, content, content_type)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "MALFORMED_CERTIFICATE"


def test_post_refuses_other_media_types_and_bad_json(env: ApiEnv) -> None:
    assert _post(env, b"x", "image/png").json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    r = _post(env, b'{"certificate": 1}', "application/json")
    assert r.status_code == 422 and r.json()["code"] == "VALIDATION_FAILED"
    r = _post(env, b"A" * 200_000, "application/pkix-cert")
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_batch_answers_in_order(env: ApiEnv) -> None:
    fps = [env.fps["x509"].hex(), "cd" * 32, env.fps["enc"].hex(), env.fps["x509"].hex()]
    r = env.http.post(
        "/v1/recognition/batch",
        json={"fingerprints": fps, "action": "encrypt"},
        headers=env.headers("alliance"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["platform"] == "alliance" and body["count"] == 4
    assert [x["fingerprint"] for x in body["results"]] == [f.lower() for f in fps]
    assert [x["reasons"] for x in body["results"]] == [
        ["WRONG_USAGE"], ["UNKNOWN_CERTIFICATE"], [], ["WRONG_USAGE"]
    ]  # fmt: skip
    assert body["recognized_count"] == 1


@pytest.mark.parametrize(
    ("fingerprints", "code"),
    [
        (["ab" * 32] * (MAX_BATCH + 1), "TOO_MANY_FINGERPRINTS"),
        ([], "VALIDATION_FAILED"),
        (["xyz"], "VALIDATION_FAILED"),
    ],
)
def test_batch_limits(env: ApiEnv, fingerprints: list[str], code: str) -> None:
    r = env.http.post(
        "/v1/recognition/batch",
        json={"fingerprints": fingerprints},
        headers=env.headers("alliance"),
    )
    assert r.status_code == 422 and r.json()["code"] == code


def test_a_full_batch_is_answered(env: ApiEnv) -> None:
    fps = [env.fps["x509"].hex()] + [f"{i:064x}" for i in range(MAX_BATCH - 1)]
    r = env.http.post(
        "/v1/recognition/batch", json={"fingerprints": fps}, headers=env.headers("alliance")
    )
    assert r.status_code == 200 and r.json()["recognized_count"] == 1


def test_openapi_documents_examples_and_both_key_schemes(env: ApiEnv) -> None:
    spec = env.http.get("/openapi.json").json()
    get_op = spec["paths"]["/v1/recognition"]["get"]
    fingerprint = next(p for p in get_op["parameters"] if p["name"] == "fingerprint")
    assert fingerprint["examples"]
    post_op = spec["paths"]["/v1/recognition"]["post"]
    assert {"application/json", "application/x-pem-file", "application/pkix-cert"} <= set(
        post_op["requestBody"]["content"]
    )
    schemas = spec["components"]["schemas"]
    assert schemas["RecognitionOut"]["examples"] and schemas["BatchIn"]["examples"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
