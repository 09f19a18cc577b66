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


# -- the key cache ------------------------------------------------------------------------------


def cached_auth(engine: Engine, cache: pk.KeyCache, key: str) -> pk.PlatformKeyInfo:
    with Session(engine) as session:
        return cache.authenticate(session, key)


def test_the_cache_vouches_for_a_key_that_authenticated(db: Engine) -> None:
    issued = issue(db)
    cache = pk.KeyCache()
    assert cache.cached(issued.key) is None  # never asked: the database decides
    assert cached_auth(db, cache, issued.key) == issued.info
    assert cache.cached(issued.key) == issued.info
    wrong = issued.key[:-1] + ("A" if issued.key[-1] != "A" else "B")
    assert cache.cached(wrong) is None  # same key id, another secret: the database decides
    with pytest.raises(pk.InvalidPlatformKey):
        cached_auth(db, cache, wrong)
    for garbage in ("", "garbage", "hrk__", issued.key + "\x00"):
        assert cache.cached(garbage) is None
    assert cache.cached(issued.key) == issued.info  # failures leave it alone


def test_the_cache_still_compares_digests_in_constant_time(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = issue(db)
    cache = pk.KeyCache()
    cached_auth(db, cache, issued.key)
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(pk.hmac, "compare_digest", spy)
    assert cache.cached(issued.key) == issued.info
    assert cache.cached(issued.key[:-1] + "#") is None
    assert len(calls) == 2 and all(len(a) == len(b) == 32 for a, b in calls)


def test_failed_lookups_are_never_cached(db: Engine) -> None:
    cache = pk.KeyCache()
    issued = issue(db)
    with write_session(db) as session:
        pk.revoke_key(session, issued.info.key_id, now=2000)
    for _ in range(2):
        with pytest.raises(pk.PlatformKeyRevoked):
            cached_auth(db, cache, issued.key)
        with pytest.raises(pk.InvalidPlatformKey):
            cached_auth(db, cache, "hrk_0123456789abcdef_" + "A" * 43)
    assert cache.cached(issued.key) is None


def test_revoking_a_key_stops_the_cache_at_once(db: Engine) -> None:
    issued, other = issue(db), issue(db)
    cache = pk.KeyCache()
    cached_auth(db, cache, issued.key)
    cached_auth(db, cache, other.key)
    with write_session(db) as session:
        pk.revoke_key(session, issued.info.key_id, now=2000)
        # Not committed yet, and the cache already leaves this key to the database, which
        # still says it is valid until the commit.
        assert cache.cached(issued.key) is None
        assert cached_auth(db, cache, issued.key) == issued.info
        assert cache.cached(issued.key) is None  # and it did not remember that answer
    with pytest.raises(pk.PlatformKeyRevoked):
        cached_auth(db, cache, issued.key)
    assert cache.cached(issued.key) is None
    assert cache.cached(other.key) is None  # every cache starts over after a change ...
    assert cached_auth(db, cache, other.key) == other.info
    assert cache.cached(other.key) == other.info  # ... and fills again


def test_issuing_a_key_empties_the_cache(db: Engine) -> None:
    issued = issue(db)
    cache = pk.KeyCache()
    cached_auth(db, cache, issued.key)
    fresh = issue(db)
    assert cache.cached(issued.key) is None
    assert cached_auth(db, cache, fresh.key) == fresh.info
    assert cache.cached(fresh.key) == fresh.info


def test_a_revocation_during_a_lookup_is_not_cached_over(
    db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the database said valid, then the key was revoked before the cache stored
    the answer; the cache must not store it."""
    issued = issue(db)
    cache = pk.KeyCache()
    real = pk.authenticate

    def then_revoked(session: Session, key: str) -> pk.PlatformKeyInfo:
        info = real(session, key)
        with write_session(db) as other:
            pk.revoke_key(other, info.key_id, now=2000)
        return info

    monkeypatch.setattr(pk, "authenticate", then_revoked)
    assert cached_auth(db, cache, issued.key) == issued.info  # what the database said
    monkeypatch.undo()
    assert cache.cached(issued.key) is None
    with pytest.raises(pk.PlatformKeyRevoked):
        cached_auth(db, cache, issued.key)


def test_a_cached_key_is_read_again_after_max_age(db: Engine) -> None:
    """In case keys change behind the node's back after all (another process, by hand)."""
    now = [100.0]
    cache = pk.KeyCache(max_age=60, clock=lambda: now[0])
    issued = issue(db)
    cached_auth(db, cache, issued.key)
    now[0] += 59
    assert cache.cached(issued.key) == issued.info
    with Session(db) as session:  # revoked by hand: this module is not told
        session.execute(text("UPDATE platform_api_keys SET revoked_at = 5"))
        session.commit()
    now[0] += 2
    assert cache.cached(issued.key) is None
    with pytest.raises(pk.PlatformKeyRevoked):
        cached_auth(db, cache, issued.key)


def test_the_cache_is_bounded(db: Engine) -> None:
    cache = pk.KeyCache(max_entries=2)
    keys = [issue(db) for _ in range(3)]
    for k in keys:
        cached_auth(db, cache, k.key)
    assert [cache.cached(k.key) is not None for k in keys] == [False, False, True]
