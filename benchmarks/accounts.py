"""Cost of the account operations through the API, against a health check as baseline.

    python benchmarks/accounts.py [--n N]

One fresh SQLite database, the simulated ports, argon2id at its default (RFC 9106
low-memory) cost, requests through FastAPI's TestClient (in process, no network). Each
figure is the mean milliseconds of N requests and its ratio to the health check measured in
the same run. The per-phone SMS limit is lifted for the run (a different phone each time
would measure the same). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from huren.api.app import create_app
from huren.node.account_services import AccountServices, build_account_services
from huren.node.accounts.ratelimit import Limit
from huren.node.accounts.service import AccountService, Policy
from huren.node.db.engine import make_engine, migrate


@dataclass
class _Settings:
    admin_api_key: SecretStr | None = None


@dataclass
class _Node:
    engine: Engine
    account_services: AccountServices
    settings: _Settings
    backend: Any = None
    client: Any = None
    operator: Any = None
    indexer: Any = None

    def close(self) -> None:
        pass


def mean_ms(n: int, call: Callable[[int], None]) -> float:
    start = time.perf_counter()
    for i in range(n):
        call(i)
    return (time.perf_counter() - start) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'node.db'}"
        migrate(url)
        engine = make_engine(url)
        services = build_account_services(engine, b"benchmark-secret-of-32-bytes-len", env="dev")
        unlimited = Limit(10**9, 1, "unlimited")
        object.__setattr__(
            services,
            "accounts",
            AccountService(
                engine,
                services.accounts.ports,
                b"benchmark-secret-of-32-bytes-len",
                policy=Policy(unlimited, unlimited, unlimited, unlimited, unlimited),
            ),
        )
        http = TestClient(create_app(_Node(engine, services, _Settings())))  # type: ignore[arg-type]
        with http:

            def phone(i: int) -> str:
                return f"139{i:04d}1234"  # never a simulator magic number

            def health(_: int) -> None:
                assert http.get("/v1/health").status_code == 200

            tokens: list[str] = []

            def sms_login(i: int) -> None:
                http.post("/v1/auth/sms-codes", json={"phone": phone(i)})
                text = services.dev_sms_outbox.outbox(phone(i))[0].text  # type: ignore[union-attr]
                code = re.search(r"\d{6}", text).group()  # type: ignore[union-attr]
                r = http.post("/v1/auth/login/sms", json={"phone": phone(i), "code": code})
                tokens.append(r.json()["access_token"])

            def set_password(i: int) -> None:
                r = http.put(
                    "/v1/account/password",
                    json={"new_password": "bench-pass-1"},
                    headers={"Authorization": f"Bearer {tokens[i]}"},
                )
                assert r.status_code == 204, r.text

            def password_login(i: int) -> None:
                r = http.post(
                    "/v1/auth/login/password", json={"phone": phone(i), "password": "bench-pass-1"}
                )
                assert r.status_code == 200, r.text

            def unread(i: int) -> None:
                r = http.get(
                    "/v1/messages/unread-count", headers={"Authorization": f"Bearer {tokens[i]}"}
                )
                assert r.status_code == 200

            health(0)
            figures = {"health_ms": mean_ms(n, health)}
            figures["sms_code_and_login_ms"] = mean_ms(n, sms_login)
            mean_ms(n, set_password)
            figures["password_login_ms"] = mean_ms(n, password_login)
            figures["authenticated_unread_count_ms"] = mean_ms(n, unread)
        engine.dispose()
    base = figures["health_ms"]
    for name, value in list(figures.items()):
        if name != "health_ms":
            print(f"{name}: {value:.2f} ms = {value / base:.1f} x health")
            figures[name.replace("_ms", "_x_health")] = round(value / base, 2)
    print(json.dumps({k: round(v, 3) for k, v in figures.items()} | {"n": n}))


if __name__ == "__main__":
    main()
