"""The flows whose SQL matters (counted wrong tries committed before the error, family
revocation by UPDATE, unique identities, inbox updates) on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from huren.node.account_services import build_account_services
from huren.node.accounts import Purpose
from huren.node.accounts.errors import (
    RateLimited,
    RefreshTokenReused,
    RefreshTokenRevoked,
    WrongCode,
)
from huren.node.identity.errors import IdentityTaken
from huren.node.messages import MessageKind
from tests.node.accounts.conftest import FAST_HASHER, SECRET, FakeClock, latest_code


def test_account_flows_on_both_databases(engine: Engine) -> None:
    clock = FakeClock()
    services = build_account_services(engine, SECRET, env="dev", clock=clock, hasher=FAST_HASHER)
    accounts = services.accounts

    def login(phone: str) -> tuple[str, str]:
        clock.advance(60)
        accounts.send_code(phone, Purpose.LOGIN, "10.0.0.1")
        code = latest_code(accounts.ports, phone)
        with pytest.raises(WrongCode):
            accounts.login_sms(phone, f"{(int(code) + 1) % 1_000_000:06d}")
        done = accounts.login_sms(phone, code)
        return done.account.id, done.tokens.refresh_token

    alice, refresh = login("13800138000")
    bob, _ = login("13900139000")
    rotated = accounts.refresh(refresh)
    with pytest.raises(RefreshTokenReused):
        accounts.refresh(refresh)
    with pytest.raises(RefreshTokenRevoked):
        accounts.refresh(rotated.refresh_token)
    with pytest.raises(RateLimited):
        accounts.send_code("13900139000", Purpose.LOGIN, "10.0.0.1")  # bob just had one

    services.identity.verify_cfca(alice, "张三", "11010519491231002X")
    with pytest.raises(IdentityTaken):
        services.identity.verify_cfca(bob, "张三", "11010519491231002X")

    for i in range(3):
        services.inbox.post(alice, MessageKind.CERTIFICATE_READY, {"application_id": i})
    assert services.inbox.mark_all_read(alice) == 3
    assert services.inbox.unread_count(alice) == 0 and services.inbox.unread_count(bob) == 0
