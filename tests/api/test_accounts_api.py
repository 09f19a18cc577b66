"""The accounts, identity and messages API over a real database and the simulated ports:
whole flows as a client drives them, 401/422/429 and upstream errors as problem JSON, and
never a 500 for bad input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from huren.api.app import create_app
from huren.node.account_services import AccountServices, build_account_services
from huren.node.db.engine import make_engine, migrate
from huren.node.node import Node
from huren.node.settings import Settings as NodeSettings
from tests.node.accounts.conftest import FAST_HASHER, SECRET, FakeClock

ADMIN_KEY = "admin-key-for-account-tests"
PHONE = "13800138000"
ID_A = "11010519491231002X"  # GB 11643-1999's example


@dataclass
class Settings:
    admin_api_key: SecretStr | None = None
    recognition_answer_cache: int = 0


@dataclass
class AccountNode:
    """What create_app needs of a node for these routes (no chain)."""

    engine: Engine
    account_services: AccountServices | None
    settings: Settings
    backend: Any = None
    client: Any = None
    operator: Any = None
    indexer: Any = None

    def close(self) -> None:
        pass


@dataclass
class Api:
    http: TestClient
    clock: FakeClock
    services: AccountServices

    def code(self, phone: str = PHONE, purpose: str = "login") -> str:
        sent = self.http.post("/v1/auth/sms-codes", json={"phone": phone, "purpose": purpose})
        assert sent.status_code == 202, sent.text
        outbox = self.http.get("/v1/dev/sms-outbox", params={"phone": phone}).json()
        found = re.search(r"\d{6}", outbox[0]["text"])
        assert found is not None
        return found.group()

    def login(self, phone: str = PHONE) -> dict[str, Any]:
        self.clock.advance(60)
        response = self.http.post(
            "/v1/auth/login/sms", json={"phone": phone, "code": self.code(phone)}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def auth(self, login: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {login['access_token']}"}


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accounts-api") / "node.db"
    migrate(f"sqlite:///{path}")
    return path


def _app(tmp_path: Path, template: Path, env: str, with_services: bool = True) -> Api:
    path = tmp_path / "node.db"
    path.write_bytes(template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    clock = FakeClock()
    services = build_account_services(engine, SECRET, env=env, clock=clock, hasher=FAST_HASHER)
    node = AccountNode(engine, services if with_services else None, Settings(SecretStr(ADMIN_KEY)))
    return Api(TestClient(create_app(node)), clock, services)  # type: ignore[arg-type]


@pytest.fixture
def api(tmp_path: Path, _template: Path) -> Iterator[Api]:
    made = _app(tmp_path, _template, "dev")
    with made.http:
        yield made
    made.services.accounts.engine.dispose()


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


# -- auth -------------------------------------------------------------------------------


def test_register_set_password_log_in_refresh(api: Api) -> None:
    first = api.login()
    assert first["created"] and first["token_type"] == "Bearer"
    assert first["account"]["phone"] == PHONE and first["account"]["identity"] is None
    me = api.http.get("/v1/account", headers=api.auth(first))
    assert me.status_code == 200 and me.json()["id"] == first["account"]["id"]
    put = api.http.put(
        "/v1/account/password", json={"new_password": "pass-word-1"}, headers=api.auth(first)
    )
    assert put.status_code == 204
    login = api.http.post(
        "/v1/auth/login/password", json={"phone": PHONE, "password": "pass-word-1"}
    )
    assert login.status_code == 200 and not login.json()["created"]
    wrong = api.http.post("/v1/auth/login/password", json={"phone": PHONE, "password": "nope"})
    problem(wrong, 401, "INVALID_CREDENTIALS")
    rotated = api.http.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    reused = api.http.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    problem(reused, 401, "REFRESH_TOKEN_REUSED")
    after = api.http.post(
        "/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )
    problem(after, 401, "REFRESH_TOKEN_REVOKED")


def test_tokens_missing_bad_and_expired_are_401(api: Api) -> None:
    body = problem(api.http.get("/v1/account"), 401, "UNAUTHENTICATED")
    assert body["status"] == 401
    assert api.http.get("/v1/account").headers["www-authenticate"] == "Bearer"
    problem(
        api.http.get("/v1/account", headers={"Authorization": "Bearer nonsense"}),
        401,
        "INVALID_TOKEN",
    )
    login = api.login()
    api.clock.advance(15 * 60)
    expired = api.http.get("/v1/messages", headers=api.auth(login))
    problem(expired, 401, "TOKEN_EXPIRED")
    assert expired.headers["www-authenticate"] == "Bearer"


def test_codes_wrong_tries_and_rate_limits(api: Api) -> None:
    code = api.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    body = problem(
        api.http.post("/v1/auth/login/sms", json={"phone": PHONE, "code": wrong}), 400, "WRONG_CODE"
    )
    assert body["tries_left"] == 4
    again = api.http.post("/v1/auth/sms-codes", json={"phone": PHONE})
    body = problem(again, 429, "RATE_LIMITED")
    assert again.headers["retry-after"] == "60" and body["retry_after"] == 60
    api.clock.advance(60)
    assert api.http.post("/v1/auth/sms-codes", json={"phone": PHONE}).status_code == 202


def test_sms_gateway_errors(api: Api) -> None:
    problem(
        api.http.post("/v1/auth/sms-codes", json={"phone": "13812340000"}), 422, "SMS_NOT_DELIVERED"
    )
    body = problem(
        api.http.post("/v1/auth/sms-codes", json={"phone": "13812340408"}), 504, "UPSTREAM_TIMEOUT"
    )
    assert body["port"] == "sms"
    problem(
        api.http.post("/v1/auth/sms-codes", json={"phone": "13812340503"}),
        503,
        "UPSTREAM_UNAVAILABLE",
    )


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/v1/auth/sms-codes", {"phone": "12345"}, "INVALID_PHONE"),
        ("/v1/auth/sms-codes", {"phone": PHONE, "purpose": "change_phone"}, "VALIDATION_FAILED"),
        ("/v1/auth/sms-codes", {"phone": PHONE, "extra": 1}, "VALIDATION_FAILED"),
        ("/v1/auth/sms-codes", {"phone": 13800138000}, "VALIDATION_FAILED"),
        ("/v1/auth/sms-codes", [], "VALIDATION_FAILED"),
        ("/v1/auth/login/sms", {"phone": PHONE, "code": "12345"}, "VALIDATION_FAILED"),
        ("/v1/auth/login/sms", {"phone": PHONE, "code": "１２３４５６"}, "VALIDATION_FAILED"),
        ("/v1/auth/login/password", {"phone": PHONE, "password": "x" * 129}, "VALIDATION_FAILED"),
        ("/v1/auth/refresh", {"refresh_token": "x" * 5000}, "VALIDATION_FAILED"),
        ("/v1/auth/password/reset", {"phone": PHONE, "code": "123456"}, "VALIDATION_FAILED"),
        ("/v1/auth/login/wechat", {"code": ""}, "VALIDATION_FAILED"),
    ],
)
def test_malformed_input_is_422(api: Api, path: str, body: Any, code: str) -> None:
    problem(api.http.post(path, json=body), 422, code)


def test_garbage_never_500(api: Api) -> None:
    login = api.login()
    paths = [
        "/v1/auth/sms-codes",
        "/v1/auth/login/sms",
        "/v1/auth/login/password",
        "/v1/auth/login/wechat",
        "/v1/auth/wechat/bind",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/auth/password/reset",
        "/v1/identity/cfca",
        "/v1/identity/alipay",
        "/v1/identity/bank-card",
        "/v1/internal/messages",
    ]
    bodies: list[Any] = [
        None,
        "not json",
        {"phone": "\x00" * 10, "code": "000000", "ticket": "a.b.c", "refresh_token": "a.b.c"},
        '{"name": "\\ud800", "id_number": "XXXXXXXXXXXXXXXXXX"}',  # a lone surrogate
        {"name": "张三", "id_number": "11010519491231002X", "card_number": "0" * 23, "phone": "1"},
        {"account_id": "x", "kind": "nope", "params": {}},
    ]
    for path in paths:
        for body in bodies:
            for headers in ({}, api.auth(login), {"Authorization": f"Bearer {ADMIN_KEY}"}):
                if isinstance(body, str):
                    response = api.http.post(path, content=body, headers=headers)
                else:
                    response = api.http.post(path, json=body, headers=headers)
                assert response.status_code < 500 or response.status_code in (503, 504), (
                    path,
                    body,
                    response.text,
                )
                assert response.status_code < 300 or "code" in response.json()


def test_wechat_login_binds_a_phone(api: Api) -> None:
    first = api.http.post("/v1/auth/login/wechat", json={"code": "alice.1"}).json()
    assert first["bind_required"] and first["login"] is None
    bound = api.http.post(
        "/v1/auth/wechat/bind",
        json={"ticket": first["bind_ticket"], "phone": PHONE, "code": api.code()},
    )
    assert bound.status_code == 200 and bound.json()["account"]["wechat_bound"]
    again = api.http.post("/v1/auth/login/wechat", json={"code": "alice.2"}).json()
    assert not again["bind_required"]
    assert again["login"]["account"]["id"] == bound.json()["account"]["id"]
    body = problem(
        api.http.post("/v1/auth/login/wechat", json={"code": "alice.2"}), 422, "UPSTREAM_REFUSED"
    )
    assert body["reason"] == "code_used"
    problem(
        api.http.post("/v1/auth/login/wechat", json={"code": "timeout"}), 504, "UPSTREAM_TIMEOUT"
    )


# -- account settings -------------------------------------------------------------------


def test_change_phone_ends_sessions(api: Api) -> None:
    login = api.login()
    new = "13600136000"
    sent = api.http.post("/v1/account/phone/code", json={"new_phone": new}, headers=api.auth(login))
    assert sent.status_code == 202
    outbox = api.http.get("/v1/dev/sms-outbox", params={"phone": new}).json()
    code = re.search(r"\d{6}", outbox[0]["text"])
    assert code is not None
    changed = api.http.put(
        "/v1/account/phone", json={"new_phone": new, "code": code.group()}, headers=api.auth(login)
    )
    assert changed.status_code == 204
    problem(api.http.get("/v1/account", headers=api.auth(login)), 401, "INVALID_TOKEN")
    assert api.login(new)["account"]["id"] == login["account"]["id"]


def test_forgotten_and_changed_passwords(api: Api) -> None:
    login = api.login()
    api.clock.advance(60)
    reset = api.http.post(
        "/v1/auth/password/reset",
        json={
            "phone": PHONE,
            "code": api.code(purpose="reset_password"),
            "new_password": "r3set-pw",
        },
    )
    assert reset.status_code == 204
    problem(api.http.get("/v1/account", headers=api.auth(login)), 401, "INVALID_TOKEN")
    login = api.http.post(
        "/v1/auth/login/password", json={"phone": PHONE, "password": "r3set-pw"}
    ).json()
    wrong = api.http.put(
        "/v1/account/password",
        json={"old_password": "nope-nope-1", "new_password": "next-pw-2"},
        headers=api.auth(login),
    )
    problem(wrong, 403, "WRONG_PASSWORD")
    weak = api.http.put(
        "/v1/account/password",
        json={"old_password": "r3set-pw", "new_password": "short"},
        headers=api.auth(login),
    )
    problem(weak, 422, "WEAK_PASSWORD")


def test_certificate_password(api: Api) -> None:
    login = api.login()
    headers = api.auth(login)

    def code() -> str:
        api.clock.advance(60)
        sent = api.http.post("/v1/account/certificate-password/code", headers=headers)
        assert sent.status_code == 202
        found = re.search(r"\d{6}", api.services.dev_sms_outbox.outbox(PHONE)[0].text)  # type: ignore[union-attr]
        assert found is not None
        return found.group()

    first = api.http.put(
        "/v1/account/certificate-password",
        json={"code": code(), "new_password": "135790"},
        headers=headers,
    )
    assert first.status_code == 204
    wrong = api.http.put(
        "/v1/account/certificate-password",
        json={"code": code(), "old_password": "000000", "new_password": "246800"},
        headers=headers,
    )
    problem(wrong, 403, "WRONG_PASSWORD")
    assert api.http.get("/v1/account", headers=headers).json()["has_certificate_password"]


# -- identity ---------------------------------------------------------------------------


def test_identity_endpoints(api: Api) -> None:
    login = api.login()
    headers = api.auth(login)
    problem(api.http.get("/v1/identity", headers=headers), 404, "NOT_VERIFIED")
    bad = api.http.post(
        "/v1/identity/cfca", json={"name": "张三", "id_number": ID_A[:-1] + "1"}, headers=headers
    )
    problem(bad, 422, "INVALID_RESIDENT_ID")
    card = api.http.post(
        "/v1/identity/bank-card",
        json={"name": "张三", "id_number": ID_A, "card_number": "4111111111111112", "phone": PHONE},
        headers=headers,
    )
    problem(card, 422, "INVALID_BANK_CARD")
    body = problem(
        api.http.post(
            "/v1/identity/cfca", json={"name": "王拒绝", "id_number": ID_A}, headers=headers
        ),
        422,
        "IDENTITY_REJECTED",
    )
    assert body["reason"] == "mismatch"
    problem(
        api.http.post(
            "/v1/identity/cfca", json={"name": "王超时", "id_number": ID_A}, headers=headers
        ),
        504,
        "UPSTREAM_TIMEOUT",
    )
    pending = api.http.post(
        "/v1/identity/alipay", json={"name": "孙等待", "id_number": ID_A}, headers=headers
    )
    assert pending.status_code == 201
    certify_id = pending.json()["certify_id"]
    problem(
        api.http.post(f"/v1/identity/alipay/{certify_id}/complete", headers=headers),
        409,
        "CERTIFICATION_PENDING",
    )
    started = api.http.post(
        "/v1/identity/alipay", json={"name": "张三", "id_number": ID_A}, headers=headers
    ).json()
    done = api.http.post(f"/v1/identity/alipay/{started['certify_id']}/complete", headers=headers)
    assert done.status_code == 201
    assert done.json() == api.http.get("/v1/identity", headers=headers).json()
    assert done.json()["masked_id_number"] == "110***********002X"
    again = api.http.post(
        "/v1/identity/cfca", json={"name": "张三", "id_number": ID_A}, headers=headers
    )
    problem(again, 409, "ALREADY_VERIFIED")
    other = api.auth(api.login("13900139000"))
    taken = api.http.post(
        "/v1/identity/bank-card",
        json={"name": "张三", "id_number": ID_A, "card_number": "4111111111111111", "phone": PHONE},
        headers=other,
    )
    problem(taken, 409, "IDENTITY_TAKEN")
    assert api.http.get("/v1/account", headers=headers).json()["identity"]["method"] == "alipay"


# -- messages ---------------------------------------------------------------------------


def test_inbox(api: Api) -> None:
    alice, bob = api.login(), api.login("13900139000")
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    post = {
        "account_id": alice["account"]["id"],
        "kind": "application_rejected",
        "params": {"application_id": "A-1", "reason": "印章不清晰"},
    }
    problem(api.http.post("/v1/internal/messages", json=post), 401, "UNAUTHENTICATED")
    problem(
        api.http.post("/v1/internal/messages", json=post, headers=api.auth(alice)),
        401,
        "INVALID_PLATFORM_KEY",
    )
    created = api.http.post("/v1/internal/messages", json=post, headers=admin)
    assert created.status_code == 201 and created.json()["action"] == "application:A-1/resubmit"
    bad = {**post, "params": {"application_id": "A-1"}}
    problem(api.http.post("/v1/internal/messages", json=bad, headers=admin), 422, "INVALID_MESSAGE")
    unknown = {**post, "account_id": "0" * 32}
    problem(
        api.http.post("/v1/internal/messages", json=unknown, headers=admin),
        404,
        "RECIPIENT_NOT_FOUND",
    )
    ready = {
        "account_id": alice["account"]["id"],
        "kind": "certificate_ready",
        "params": {"application_id": 7},
    }
    second = api.http.post("/v1/internal/messages", json=ready, headers=admin).json()
    mine = api.auth(alice)
    listed = api.http.get("/v1/messages", headers=mine).json()
    assert [m["id"] for m in listed] == [second["id"], created.json()["id"]]
    assert api.http.get("/v1/messages/unread-count", headers=mine).json() == {"unread": 2}
    read = api.http.post(f"/v1/messages/{second['id']}/read", headers=mine).json()
    assert read["read"] and read["read_at"] is not None
    unread = api.http.get("/v1/messages", params={"unread": True}, headers=mine).json()
    assert [m["id"] for m in unread] == [created.json()["id"]]
    assert api.http.post("/v1/messages/read-all", headers=mine).json() == {"marked": 1}
    theirs = api.auth(bob)
    for method, path in (
        ("GET", f"/v1/messages/{second['id']}"),
        ("POST", f"/v1/messages/{second['id']}/read"),
        ("DELETE", f"/v1/messages/{second['id']}"),
    ):
        problem(api.http.request(method, path, headers=theirs), 404, "MESSAGE_NOT_FOUND")
    assert api.http.delete(f"/v1/messages/{second['id']}", headers=mine).status_code == 204
    problem(api.http.get(f"/v1/messages/{second['id']}", headers=mine), 404, "MESSAGE_NOT_FOUND")
    problem(api.http.get("/v1/messages/0", headers=mine), 422, "VALIDATION_FAILED")
    problem(
        api.http.get("/v1/messages", params={"limit": 1000}, headers=mine), 422, "VALIDATION_FAILED"
    )


# -- deployment -------------------------------------------------------------------------


def test_the_sms_outbox_is_only_shown_on_a_dev_node(tmp_path: Path, _template: Path) -> None:
    made = _app(tmp_path, _template, "test")
    with made.http:
        problem(made.http.get("/v1/dev/sms-outbox"), 404, "NOT_FOUND")
    made.services.accounts.engine.dispose()


def test_a_node_without_account_services_says_so(tmp_path: Path, _template: Path) -> None:
    made = _app(tmp_path, _template, "dev", with_services=False)
    with made.http:
        problem(
            made.http.post("/v1/auth/sms-codes", json={"phone": PHONE}), 503, "ACCOUNTS_UNAVAILABLE"
        )
    made.services.accounts.engine.dispose()


def test_openapi_documents_the_problems(api: Api) -> None:
    spec = api.http.get("/openapi.json").json()
    send = spec["paths"]["/v1/auth/sms-codes"]["post"]["responses"]
    assert {"202", "422", "429", "503", "504"} <= set(send)
    assert "Retry-After" in send["429"]["headers"]
    me = spec["paths"]["/v1/account"]["get"]
    assert me["security"] == [{"AccountToken": []}]


def test_a_person_logs_in_to_a_real_dev_node(tmp_path: Path) -> None:
    """``huren serve``'s node: simulated ports, the outbox shown, tokens that survive a
    restart (the account secret is kept in the data directory)."""
    node = Node.open(NodeSettings(data_dir=tmp_path), start_indexer=False)
    with TestClient(create_app(node)) as client:
        assert client.post("/v1/auth/sms-codes", json={"phone": PHONE}).status_code == 202
        text = client.get("/v1/dev/sms-outbox", params={"phone": PHONE}).json()[0]["text"]
        code = re.search(r"\d{6}", text)
        assert code is not None
        login = client.post("/v1/auth/login/sms", json={"phone": PHONE, "code": code.group()})
        assert login.status_code == 200 and login.json()["created"]
    node = Node.open(NodeSettings(data_dir=tmp_path), start_indexer=False)
    with TestClient(create_app(node)) as client:
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert client.get("/v1/account", headers=headers).json()["phone"] == PHONE


def test_every_account_route_needs_an_account_token(api: Api) -> None:
    """Walks the OpenAPI document: each account, identity and message route answers 401
    without a token, with the node-admin key and with a forged token, before reading data."""
    spec = api.http.get("/openapi.json").json()
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    walked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith(("/v1/account", "/v1/identity", "/v1/messages")):
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in operations:
            for headers, code in (
                ({}, "UNAUTHENTICATED"),
                ({"Authorization": f"Bearer {ADMIN_KEY}"}, "INVALID_TOKEN"),
                ({"Authorization": f"Bearer {forged}"}, "INVALID_TOKEN"),
            ):
                # an empty body: authentication comes before body validation
                response = api.http.request(method.upper(), concrete, headers=headers, json={})
                problem(response, 401, code)
                walked += 1
    assert walked == 3 * 19  # 8 account (the chosen platform too), 5 identity, 6 message
