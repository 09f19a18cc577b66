"""Access tokens (expiry, forgery, type confusion) and refresh rotation with reuse
detection."""

from __future__ import annotations

import jwt
import pytest

from huren.node.accounts import AccountService
from huren.node.accounts.errors import (
    InvalidToken,
    RefreshTokenReused,
    RefreshTokenRevoked,
    TokenExpired,
)
from huren.node.accounts.keys import derive_key
from huren.node.accounts.service import Login
from huren.node.accounts.tokens import ACCESS_TTL_S, REFRESH_TTL_S
from tests.node.accounts.conftest import FAST_HASHER, FakeClock, Phones

PHONE = "13800138000"


@pytest.fixture
def login(phones: Phones) -> Login:
    return phones.accounts.login_sms(PHONE, phones.code(PHONE))


def test_access_token_expires(accounts: AccountService, login: Login, clock: FakeClock) -> None:
    clock.advance(ACCESS_TTL_S - 1)
    accounts.authenticate(login.tokens.access_token)
    clock.advance(1)
    with pytest.raises(TokenExpired):
        accounts.authenticate(login.tokens.access_token)


def test_forged_and_confused_tokens_are_refused(
    accounts: AccountService, login: Login, clock: FakeClock
) -> None:
    other = AccountService(
        accounts.engine, accounts.ports, b"another-secret-of-32-bytes-length", hasher=FAST_HASHER
    )
    forged = other.tokens.encode("access", login.account.id, int(clock()), 60, ver=0)
    claims = jwt.decode(login.tokens.access_token, options={"verify_signature": False})
    none_alg = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    for token in (forged, none_alg, login.tokens.refresh_token, "", "a.b.c", "x" * 5000):
        with pytest.raises(InvalidToken):
            accounts.authenticate(token)
    with pytest.raises(InvalidToken):
        accounts.refresh(login.tokens.access_token)
    assert derive_key(b"s" * 32, "jwt") != derive_key(b"s" * 32, "sms-code")


def test_refresh_rotates(accounts: AccountService, login: Login, clock: FakeClock) -> None:
    clock.advance(ACCESS_TTL_S + 1)
    pair = accounts.refresh(login.tokens.refresh_token)
    assert accounts.authenticate(pair.access_token).id == login.account.id
    clock.advance(1)
    pair2 = accounts.refresh(pair.refresh_token)
    assert pair2.refresh_token not in (pair.refresh_token, login.tokens.refresh_token)
    clock.advance(REFRESH_TTL_S)
    with pytest.raises(TokenExpired):
        accounts.refresh(pair2.refresh_token)


def test_reused_refresh_token_revokes_the_family(
    accounts: AccountService, login: Login, phones: Phones, clock: FakeClock
) -> None:
    clock.advance(60)
    elsewhere = accounts.login_sms(PHONE, phones.code(PHONE))  # a second session (family)
    stolen = login.tokens.refresh_token
    legit = accounts.refresh(stolen)
    with pytest.raises(RefreshTokenReused):
        accounts.refresh(stolen)
    with pytest.raises(RefreshTokenRevoked):  # the rotated one died with its family
        accounts.refresh(legit.refresh_token)
    accounts.refresh(elsewhere.tokens.refresh_token)  # the other session lives on


def test_logout_ends_the_session(accounts: AccountService, login: Login) -> None:
    accounts.logout(login.tokens.refresh_token)
    with pytest.raises(RefreshTokenRevoked):
        accounts.refresh(login.tokens.refresh_token)


def test_purge_keeps_what_still_matters(
    accounts: AccountService, login: Login, clock: FakeClock
) -> None:
    assert accounts.purge() == 0  # the code is consumed but young, the limits still count
    clock.advance(REFRESH_TTL_S + 1)
    assert accounts.purge() == 4  # code, refresh token, two rate-limit hits (phone, client)
    with pytest.raises(TokenExpired):
        accounts.refresh(login.tokens.refresh_token)
