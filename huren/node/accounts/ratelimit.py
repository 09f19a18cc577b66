"""Sliding-window rate limits counted in the database, so that they hold across restarts
and API workers: each counted event is a row under a key; a limit of N per window refuses
while N rows of the key are younger than the window.

On SQLite a write transaction is exclusive, so check-then-hit is exact; on PostgreSQL
concurrent requests may each pass the check before either hits (a handful over the limit
at worst, never unbounded).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from huren.node.accounts.errors import RateLimited
from huren.node.db.accounts_tables import RateLimitHit

__all__ = ["Limit", "check", "hit"]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` events per ``window`` seconds; ``what`` names it in errors."""

    count: int
    window: int
    what: str


def check(session: Session, key: str, limit: Limit, now: int) -> None:
    """``RateLimited`` (with seconds until the oldest counted event leaves the window) when
    ``key`` already had ``limit.count`` events in the window."""
    since = now - limit.window
    rows = session.exec(
        select(func.count(), func.min(RateLimitHit.at)).where(
            col(RateLimitHit.key) == key, col(RateLimitHit.at) > since
        )
    ).one()
    count, oldest = rows
    if count >= limit.count:
        retry = int(oldest) + limit.window - now
        raise RateLimited(f"at most {limit.count} {limit.what} per {limit.window} s", retry)


def hit(session: Session, key: str, now: int, *, keep: int) -> None:
    """Count one event under ``key``, forgetting its events older than ``keep`` seconds."""
    stale = delete(RateLimitHit).where(
        col(RateLimitHit.key) == key, col(RateLimitHit.at) <= now - keep
    )
    session.connection().execute(stale)
    session.add(RateLimitHit(key=key, at=now))
