"""Platform API keys: random, stored hashed, shown once, constant-time, revocable, bound to a
platform of the issuing center. Runs on SQLite and PostgreSQL (``engine`` fixture)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from huren.node import platform_keys as pk
from huren.node.db import models as m
from huren.node.db.engine import write_session
from huren.node.db.platform_keys_table import PlatformApiKey

JIAXING = "0x" + "11" * 20
NANTONG = "0x" + "22" * 20
EVIDENCE = {"block_number": 1, "block_hash": b"\x01" * 32, "transaction_hash": b"\x02" * 32}


@pytest.fixture
def db(engine: Engine) -> Engine:
    with write_session(engine) as session:
        for i, (pid, center, active) in enumerate(
            [("jx", JIAXING, True), ("old", JIAXING, False), ("nt", NANTONG, True)]
        ):
            session.add(m.Platform(platform_id=pid, center=center, name=pid, active=active,
                                   log_index=i, **EVIDENCE))  # fmt: skip
    return engine


def issue(engine: Engine, platform: str = "jx", **kw: object) -> pk.IssuedKey:
    with write_session(engine) as session:
        return pk.issue_key(session, platform, center=JIAXING, now=1000, **kw)  # type: ignore[arg-type]


def auth(engine: Engine, key: str) -> pk.PlatformKeyInfo:
    with Session(engine) as session:
        return pk.authenticate(session, key)


def test_a_key_is_256_random_bits_shown_once_and_stored_as_its_digest(db: Engine) -> None:
    issued = issue(db, label="bid tool")
    prefix, key_id, secret = issued.key.split("_", 2)
    assert prefix == "hrk" and key_id == issued.info.key_id and len(key_id) == 16
    assert len(secret) >= 43  # base64url of 32 bytes
    assert issued.info == pk.PlatformKeyInfo(key_id, "jx", "bid tool", 1000, None)
    with Session(db) as session:
        row = session.get(PlatformApiKey, key_id)
        assert row is not None
        assert row.secret_sha256 == hashlib.sha256(issued.key.encode()).digest()
        dumped = " ".join(
            str(v) for v in session.execute(text("SELECT * FROM platform_api_keys")).one()
        )
    assert secret not in dumped
    assert issue(db).key != issued.key


def test_authenticate_binds_the_key_to_its_platform(db: Engine) -> None:
    issued = issue(db)
    info = auth(db, issued.key)
    assert info.platform_id == "jx" and info.active


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # wrong secret
        lambda k: k.replace("hrk_", "xyz_"),
        lambda k: "hrk_" + "0" * 16 + "_" + k.split("_", 2)[2],  # unknown key id
        lambda k: k.split("_", 2)[0] + "_" + k.split("_", 2)[1],  # no secret
        lambda k: "",
        lambda k: "hrk__",
        lambda k: k + "\x00",
        lambda k: k.upper(),
    ],
)
def test_anything_but_the_key_is_one_error(db: Engine, mangle) -> None:  # type: ignore[no-untyped-def]
    key = issue(db).key
    with pytest.raises(pk.InvalidPlatformKey):
        auth(db, mangle(key))


def test_an_unknown_key_id_costs_the_same_comparison(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(pk.hmac, "compare_digest", spy)
    with pytest.raises(pk.InvalidPlatformKey):
        auth(db, "hrk_0123456789abcdef_" + "A" * 43)
    with pytest.raises(pk.InvalidPlatformKey):
        auth(db, "garbage")
    assert len(calls) == 2 and all(len(a) == len(b) == 32 for a, b in calls)


def test_revocation_is_for_good(db: Engine) -> None:
    issued = issue(db)
    with write_session(db) as session:
        first = pk.revoke_key(session, issued.info.key_id, now=2000)
    with write_session(db) as session:
        again = pk.revoke_key(session, issued.info.key_id, now=3000)
    assert first.revoked_at == again.revoked_at == 2000 and not first.active
    with pytest.raises(pk.PlatformKeyRevoked):
        auth(db, issued.key)
    with write_session(db) as session, pytest.raises(pk.UnknownPlatformKey):
        pk.revoke_key(session, "0123456789abcdef", now=1)
    with write_session(db) as session, pytest.raises(pk.UnknownPlatformKey):
        pk.revoke_key(session, "not hex at all", now=1)


def test_a_center_issues_keys_to_its_own_active_platforms(db: Engine) -> None:
    with pytest.raises(pk.PlatformNotOwned):
        issue(db, "nt")
    with pytest.raises(pk.PlatformRetired):
        issue(db, "old")
    with pytest.raises(pk.UnknownPlatform):
        issue(db, "nope")
    for label in ("x" * 201, "nul\x00", "line\nbreak"):
        with pytest.raises(pk.InvalidKeyRequest):
            issue(db, label=label)
    raw_form = "0x" + b"jx".ljust(32, b"\0").hex()  # the bytes32 spelling of the same id
    assert issue(db, raw_form).info.platform_id == "jx"


def test_list_keys_never_shows_secrets(db: Engine) -> None:
    a, b = issue(db, label="a"), issue(db, label="b")
    with write_session(db) as session:
        pk.revoke_key(session, b.info.key_id, now=5)
    with Session(db) as session:
        everything = pk.list_keys(session)
        of_jx = pk.list_keys(session, "jx")
        of_nt = pk.list_keys(session, "nt")
    assert {k.key_id for k in everything} == {a.info.key_id, b.info.key_id}
    assert {k.key_id: k.active for k in of_jx} == {a.info.key_id: True, b.info.key_id: False}
    assert of_nt == []
    assert all(not hasattr(k, "key") for k in everything)
