"""Reads of the index for the web console that the consortium API does not offer: the feed of
chain events, a certificate's record with its history, the index checkpoint.

Everything here reads the node's SQL index in the caller's session (one snapshot per
session); nothing calls the chain. The consortium lists themselves (members, CAs, platforms,
proposals) come from the same functions as ``/v1/consortium``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlmodel import Session, col, select

from huren.node.db.models import Certificate, ChainEvent, IndexState
from huren.registry.backend import RawLog
from huren.registry.errors import EventDecodeError
from huren.registry.events import decode_log

__all__ = [
    "MAX_FEED",
    "MAX_HISTORY",
    "CertificateHistory",
    "FeedEvent",
    "certificate_history",
    "event_feed",
    "index_checkpoint",
]

MAX_FEED = 200  # events one feed read returns at most
MAX_HISTORY = 64  # predecessors followed at most (a renewal chain is a handful long)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One chain event of the deployment's contracts, with its decoded fields (``fields``
    empty when the log does not decode: shown raw rather than hidden)."""

    block_number: int
    log_index: int
    block_hash: bytes
    transaction_hash: bytes
    event: str
    entity: str | None
    fields: dict[str, Any]

    @property
    def cursor(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)


def _decoded(row: ChainEvent) -> dict[str, Any]:
    raw = RawLog(
        address=row.address,
        topics=tuple(row.topics[i : i + 32] for i in range(0, len(row.topics), 32)),
        data=row.data,
        block_number=row.block_number,
        block_hash=row.block_hash,
        transaction_hash=row.transaction_hash,
        transaction_index=row.transaction_index,
        log_index=row.log_index,
    )
    try:
        event = decode_log(raw)
    except EventDecodeError:
        return {}
    return {f.name: getattr(event, f.name) for f in fields(event) if f.name != "meta"}


def event_feed(
    session: Session, *, after: tuple[int, int] | None = None, limit: int = 50
) -> list[FeedEvent]:
    """The newest indexed chain events, newest first: at most ``limit`` (``MAX_FEED``), and
    only those after the cursor ``after`` (block number, log index) when given."""
    limit = max(1, min(limit, MAX_FEED))
    query = select(ChainEvent)
    if after is not None:
        block, log_index = after
        query = query.where(
            (col(ChainEvent.block_number) > block)
            | ((col(ChainEvent.block_number) == block) & (col(ChainEvent.log_index) > log_index))
        )
    query = query.order_by(col(ChainEvent.block_number).desc(), col(ChainEvent.log_index).desc())
    return [
        FeedEvent(
            block_number=r.block_number,
            log_index=r.log_index,
            block_hash=r.block_hash,
            transaction_hash=r.transaction_hash,
            event=r.event,
            entity=r.entity,
            fields=_decoded(r),
        )
        for r in session.exec(query.limit(limit))
    ]


def index_checkpoint(session: Session) -> tuple[int, bytes] | None:
    """(number, hash) of the last indexed block; None before the first indexer step."""
    row = session.get(IndexState, 1)
    return None if row is None else (row.block_number, row.block_hash)


@dataclass(frozen=True, slots=True)
class CertificateHistory:
    """A certificate's record, the records it succeeds (its predecessor, that one's, ...,
    nearest first; ``truncated`` when the chain went on past ``MAX_HISTORY`` or named a
    predecessor the index does not hold) and the records that name it as predecessor."""

    record: Certificate | None
    predecessors: tuple[Certificate, ...]
    missing_predecessor: bytes | None
    truncated: bool
    successors: tuple[Certificate, ...]


def certificate_history(session: Session, fingerprint: bytes) -> CertificateHistory:
    """The record of ``fingerprint`` and its renewal history, from the index."""
    record = session.get(Certificate, fingerprint)
    if record is None:
        return CertificateHistory(None, (), None, False, ())
    predecessors: list[Certificate] = []
    seen = {fingerprint}
    missing: bytes | None = None
    truncated = False
    link = record.predecessor
    while link is not None:
        if link in seen or len(predecessors) >= MAX_HISTORY:
            truncated = True  # a cycle cannot be recorded, but the reader stays bounded
            break
        seen.add(link)
        previous = session.get(Certificate, link)
        if previous is None:
            missing = link
            break
        predecessors.append(previous)
        link = previous.predecessor
    successors = session.exec(
        select(Certificate)
        .where(col(Certificate.predecessor) == fingerprint)
        .order_by(col(Certificate.block_number), col(Certificate.log_index))
    )
    return CertificateHistory(record, tuple(predecessors), missing, truncated, tuple(successors))
