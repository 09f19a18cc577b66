"""API keys of platform clients: a center issues them to its own platforms.

A key reads ``hrk_<key id>_<secret>``: the key id (16 hex digits) is public and finds the
row, the secret is 256 random bits (base64url). The node stores only the SHA-256 of the whole
key, shows the key once at issuance, compares digests in constant time, and can revoke a key
for good. Each key is bound to one platform id: its holder asks on that platform's behalf.

Functions take a ``Session`` and never commit: the caller's transaction decides.

``KeyCache`` keeps the keys that authenticated recently in memory, so a busy platform's
requests do not each read the key's row. It rests on one assumption: keys are issued and
revoked only through this module's functions, in this process (the node's API and the
node itself), never by another process or by hand in the database. ``revoke_key`` makes
every cache stop vouching for the key before the revocation is even committed, and nothing
the cache stores after that call is ever used for that key; ``issue_key`` and
``revoke_key`` also empty the caches. Failed lookups are not cached at all. Should the
assumption be broken anyway, a cached key is re-read at least every
``KEY_CACHE_MAX_AGE_S`` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from huren.node.db.models import Platform
from huren.node.db.platform_keys_table import PlatformApiKey
from huren.registry.ids import decode_id, encode_id

__all__ = [
    "KEY_PREFIX",
    "InvalidKeyRequest",
    "InvalidPlatformKey",
    "IssuedKey",
    "KeyCache",
    "PlatformKeyError",
    "PlatformKeyInfo",
    "PlatformKeyRevoked",
    "PlatformNotOwned",
    "PlatformRetired",
    "UnknownPlatform",
    "UnknownPlatformKey",
    "authenticate",
    "issue_key",
    "list_keys",
    "revoke_key",
]

KEY_PREFIX = "hrk"
SECRET_BYTES = 32  # 256 bits
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_DUMMY_DIGEST = hashlib.sha256(b"no such key").digest()
KEY_CACHE_MAX_AGE_S = 60.0
KEY_CACHE_MAX_ENTRIES = 10_000

# What the caches need to know of key changes in this process (see the module docstring):
# a generation that every issuance and revocation moves, and the ids of revoked keys.
_changes = threading.Lock()
_generation = 0
_revoked_ids: set[str] = set()


class PlatformKeyError(Exception):
    """Root of the platform key errors; ``status`` and ``code`` are how the API reports them."""

    status = 400
    code = "PLATFORM_KEY_ERROR"


class InvalidPlatformKey(PlatformKeyError):
    """Malformed, unknown or wrong key: one error for all, so a caller learns nothing."""

    status = 401
    code = "INVALID_PLATFORM_KEY"


class InvalidKeyRequest(PlatformKeyError, ValueError):
    status = 422
    code = "INVALID_KEY_REQUEST"


class PlatformKeyRevoked(PlatformKeyError):
    """The (genuine) key was revoked."""

    status = 401
    code = "PLATFORM_KEY_REVOKED"


class UnknownPlatformKey(PlatformKeyError):
    status = 404
    code = "UNKNOWN_PLATFORM_KEY"


class UnknownPlatform(PlatformKeyError):
    status = 404
    code = "UNKNOWN_PLATFORM"


class PlatformRetired(PlatformKeyError):
    status = 409
    code = "PLATFORM_RETIRED"


class PlatformNotOwned(PlatformKeyError):
    """A center issues keys to its own platforms only."""

    status = 403
    code = "PLATFORM_NOT_OWNED"


@dataclass(frozen=True, slots=True)
class PlatformKeyInfo:
    """A key as lists show it: never the secret."""

    key_id: str
    platform_id: str
    label: str
    created_at: int
    revoked_at: int | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: ``key`` is shown once and never stored."""

    info: PlatformKeyInfo
    key: str


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def _info(row: PlatformApiKey) -> PlatformKeyInfo:
    return PlatformKeyInfo(row.key_id, row.platform_id, row.label, row.created_at, row.revoked_at)


def _parse(key: str) -> str | None:
    """The key id of a well-formed key; None otherwise."""
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix == KEY_PREFIX and _KEY_ID.fullmatch(key_id) is not None and secret:
        return key_id
    return None


def _keys_changed(revoked: str | None = None) -> None:
    global _generation
    with _changes:
        _generation += 1
        if revoked is not None:
            _revoked_ids.add(revoked)


def issue_key(
    session: Session, platform_id: str, *, center: str, now: int, label: str = ""
) -> IssuedKey:
    """A new key for active platform ``platform_id``, which must belong to ``center`` (the
    issuing node's operator) in the index."""
    platform_id = decode_id(encode_id(platform_id))
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise UnknownPlatform(f"platform {platform_id!r} is not registered")
    if platform.center.lower() != center.lower():
        raise PlatformNotOwned(f"platform {platform_id!r} belongs to {platform.center}")
    if not platform.active:
        raise PlatformRetired(f"platform {platform_id!r} is retired")
    if len(label) > 200 or not label.isprintable():
        raise InvalidKeyRequest("a label has at most 200 printable characters")
    key_id = secrets.token_hex(8)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = PlatformApiKey(
        key_id=key_id,
        platform_id=platform_id,
        label=label,
        secret_sha256=_digest(key),
        created_at=now,
    )
    session.add(row)
    session.flush()
    _keys_changed()
    return IssuedKey(_info(row), key)


def authenticate(session: Session, key: str) -> PlatformKeyInfo:
    """The key's record when ``key`` is a valid, unrevoked key; ``InvalidPlatformKey`` (or
    ``PlatformKeyRevoked``) otherwise. The digest comparison takes constant time, and an
    unknown key id costs the same comparison."""
    key_id = _parse(key)
    row = session.get(PlatformApiKey, key_id) if key_id is not None else None
    expected = _DUMMY_DIGEST if row is None else row.secret_sha256
    matches = hmac.compare_digest(_digest(key), expected)
    if row is None or not matches:
        raise InvalidPlatformKey("invalid platform API key")
    if row.revoked_at is not None:
        raise PlatformKeyRevoked(f"platform API key {key_id} was revoked")
    return _info(row)


def revoke_key(session: Session, key_id: str, *, now: int) -> PlatformKeyInfo:
    """Revoke key ``key_id`` for good (revoking twice keeps the first time)."""
    row = session.get(PlatformApiKey, key_id) if _KEY_ID.fullmatch(key_id) else None
    if row is None:
        raise UnknownPlatformKey(f"no platform API key {key_id!r}")
    _keys_changed(revoked=key_id)  # before the commit: no cache vouches for it from now on
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.flush()
    return _info(row)


def list_keys(session: Session, platform_id: str | None = None) -> list[PlatformKeyInfo]:
    """Keys, oldest first, of one platform or of all."""
    query = select(PlatformApiKey).order_by(
        col(PlatformApiKey.created_at), col(PlatformApiKey.key_id)
    )
    if platform_id is not None:
        query = query.where(col(PlatformApiKey.platform_id) == decode_id(encode_id(platform_id)))
    return [_info(row) for row in session.exec(query)]


@dataclass(frozen=True, slots=True)
class _Cached:
    digest: bytes
    info: PlatformKeyInfo
    generation: int
    stored_at: float


class KeyCache:
    """Recently authenticated keys, so that most requests need no database read (see the
    module docstring for what it assumes). ``cached(key)`` answers from memory or says it
    cannot (None); ``authenticate(session, key)`` reads the database like the module's
    ``authenticate`` and remembers a success. A key is found by its id and its digest still
    compared in constant time. Safe to share between threads; one per database."""

    def __init__(
        self,
        *,
        max_age: float = KEY_CACHE_MAX_AGE_S,
        max_entries: int = KEY_CACHE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, _Cached] = {}

    def cached(self, key: str) -> PlatformKeyInfo | None:
        """The key's record when the cache vouches for ``key``: a valid key that
        authenticated in this generation, within ``max_age``; None when the database must
        decide (unknown to the cache, or not this key's secret, or possibly changed)."""
        key_id = _parse(key)
        entry = None if key_id is None else self._entries.get(key_id)
        if entry is None or key_id is None:
            return None
        if (
            entry.generation != _generation
            or key_id in _revoked_ids
            or self._clock() - entry.stored_at > self.max_age
        ):
            self._entries.pop(key_id, None)
            return None
        if not hmac.compare_digest(_digest(key), entry.digest):
            return None
        return entry.info

    def authenticate(self, session: Session, key: str) -> PlatformKeyInfo:
        """``authenticate(session, key)``, remembering a success unless a key was issued
        or revoked meanwhile (a lookup that raced a revocation is never remembered)."""
        with _changes:
            generation = _generation
        info = authenticate(session, key)  # raises unless valid and unrevoked
        with _changes:
            if generation == _generation and info.key_id not in _revoked_ids:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[info.key_id] = _Cached(_digest(key), info, generation, self._clock())
        return info
