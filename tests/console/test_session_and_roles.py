"""The console's cookie signing and role model, without HTTP."""

from __future__ import annotations

from pydantic import SecretStr
from starlette.requests import Request

from huren.api.console import session as cookies
from huren.api.console.roles import NAVIGATION, Permission, Principal, Role

ADMIN = Principal(Role.CENTER_OPERATOR, "node-admin")


def request_with(cookie: str, value: str) -> Request:
    header = f"{cookie}={value}".encode()
    return Request({"type": "http", "headers": [(b"cookie", header)], "path": "/console"})


def signer(key: str = "k" * 32) -> cookies.Signer:
    return cookies.Signer(cookies.session_secret(SecretStr(key)))


def test_a_session_round_trips_until_it_expires() -> None:
    s = signer()
    made = s.new_session(ADMIN, now=1_000)
    value = s.sign(cookies.SESSION_COOKIE, made.to_json())
    request = request_with(cookies.SESSION_COOKIE, value)
    assert s.session(request, now=1_000) == made
    assert s.session(request, now=1_000 + cookies.SESSION_TTL_S - 1) == made
    assert s.session(request, now=1_000 + cookies.SESSION_TTL_S) is None


def test_values_do_not_move_between_kinds_or_keys() -> None:
    s = signer()
    data = s.new_session(ADMIN, now=1_000).to_json()
    as_flash = s.sign(cookies.FLASH_COOKIE, data)
    assert s.unsign(cookies.SESSION_COOKIE, as_flash) is None
    assert s.session(request_with(cookies.SESSION_COOKIE, as_flash), now=1_000) is None
    other = signer("another admin key, rotated......")
    value = s.sign(cookies.SESSION_COOKIE, data)
    assert other.unsign(cookies.SESSION_COOKIE, value) is None
    for garbage in ("", "x", "a.b.c", "!!.!!", value + "x", "e30." + value.split(".")[1]):
        assert s.unsign(cookies.SESSION_COOKIE, garbage) is None, garbage


def test_a_node_without_an_admin_key_gets_a_random_secret() -> None:
    assert cookies.session_secret(None) != cookies.session_secret(None)
    assert cookies.session_secret(SecretStr("k")) == cookies.session_secret(SecretStr("k"))


def test_each_role_sees_the_navigation_it_may_use() -> None:
    platform = Principal(Role.PLATFORM, "alliance", "abc")
    assert platform.platform_id == "alliance" and ADMIN.platform_id is None
    assert not platform.may(Permission.GOVERN) and ADMIN.may(Permission.GOVERN)
    assert not platform.may(Permission.RECOGNIZE_ANYWHERE)
    assert Principal(Role.CA_OPERATOR, "zjca").may(Permission.REVIEW_APPLICATIONS)
    assert not Principal(Role.AUDITOR, "a").may(Permission.GOVERN)
    assert not ADMIN.may(Permission.REVIEW_APPLICATIONS)  # a CA's own queue
    for role in Role:
        shown = [n for n in NAVIGATION if Principal(role, "x").may(n.permission)]
        assert [n.path for n in shown][:1] == ["/console/consortium"]
