"""The answer cache: index rows and settled answers about now, reused per index checkpoint.

A recognition reads the index checkpoint (number and hash of its last indexed block) first;
what was read or answered at that same checkpoint still holds (``IndexCache``). The node's
indexer publishes each checkpoint it commits (``Indexer.subscribe`` -> ``IndexCache.publish``),
so a settled answer at the published checkpoint needs no database read at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from huren.node.recognition.answer import Evidence, RecognitionAnswer
from huren.node.recognition.queries import CaRow, PlatformRow
from huren.node.recognition.rule import NOW, CertificateRecord
from huren.registry.types import Reason

__all__ = ["Checkpoint", "IndexCache", "Settled", "Snapshot", "settle"]

Checkpoint = tuple[int, bytes] | None


class Settled(NamedTuple):
    """An answer about *now* that holds while the clock stays in ``since <= at < until``:
    the rule reads the clock only against validity bounds (revocations count whenever they
    are dated, when asked about now)."""

    since: int
    until: int
    reasons: Reason
    evidence: tuple[Evidence, ...]


@dataclass(slots=True)
class Snapshot:
    """The CA and platform rows read at one checkpoint (None: known to be absent), and the
    answers about now computed there, by (fingerprint, platform, action)."""

    checkpoint: Checkpoint
    platforms: dict[str, PlatformRow | None] = field(default_factory=dict)
    cas: dict[str, CaRow | None] = field(default_factory=dict)
    answers: dict[tuple[bytes, str, int], Settled] = field(default_factory=dict)


class IndexCache:
    """The index's CA and platform rows, kept for as long as the index checkpoint (number
    and hash of its last block) stays where they were read.

    There are a handful of each and they change rarely, but every recognition needs one of
    each. Only the indexer writes them, always in the transaction that moves the checkpoint,
    and the rows at a checkpoint are a function of the chain up to that block (a
    reorganization rebuilds them from the remaining events and moves the checkpoint back): a
    recognition that reads the checkpoint in its own snapshot may use the rows cached at that
    same checkpoint. Any other checkpoint starts an empty cache. One per database; safe to
    share between threads (the worst a race does is read a row twice).

    The same argument holds for whole answers about *now* at a checkpoint, which platforms
    ask again and again (every login of a bidder): an answer is reused while the clock stays
    between the validity bounds it was computed between (``Settled``), and at most
    ``max_answers`` are kept per checkpoint."""

    def __init__(self, max_entries: int = 1024, max_answers: int = 65_536) -> None:
        self.max_entries = max_entries  # unknown platform ids are cached too: keep it bounded
        self.max_answers = max_answers  # 0: never reuse an answer
        self._snapshot: Snapshot | None = None
        self._published: Checkpoint = None

    def publish(self, checkpoint: Checkpoint) -> None:
        """The checkpoint the index's only writer (this process's indexer) has committed
        (``Indexer.subscribe``): while the cache was read at it, ``answer_now`` answers
        without reading the database."""
        self._published = checkpoint

    def answer_now(
        self,
        fingerprint: bytes,
        platform_id: str,
        action: int,
        *,
        lag: int | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> RecognitionAnswer | None:
        """The answer about now that ``recognize`` would give at the published checkpoint,
        from the answers settled there; None when there is none (ask ``recognize``). The
        same answer as reading the index at that checkpoint: only the indexer writes the
        index, and it publishes each checkpoint once its transaction has committed, so a
        read at the published checkpoint is one just before any later commit."""
        published, snapshot = self._published, self._snapshot
        if published is None or snapshot is None or snapshot.checkpoint != published:
            return None
        hit = snapshot.answers.get((fingerprint, platform_id, action))
        evaluated_at = clock()
        at = int(evaluated_at.timestamp())
        if hit is None or not hit.since <= at < hit.until:
            return None
        return RecognitionAnswer(
            fingerprint=fingerprint,
            platform_id=platform_id,
            action=action,
            at=at,
            recognized=not hit.reasons,
            reasons=hit.reasons,
            evidence=hit.evidence,
            index_lag=lag,
            indexed_block=published[0],
            evaluated_at=evaluated_at,
        )

    def at(self, checkpoint: Checkpoint) -> Snapshot:
        """The rows cached at ``checkpoint`` (a new, empty cache when it moved)."""
        snapshot = self._snapshot
        if (
            snapshot is None
            or snapshot.checkpoint != checkpoint
            or len(snapshot.platforms) + len(snapshot.cas) > self.max_entries
        ):
            snapshot = self._snapshot = Snapshot(checkpoint)
        return snapshot


def settle(
    at: int,
    reasons: Reason,
    evidence: tuple[Evidence, ...],
    *certs: CertificateRecord | None,
) -> Settled:
    """``reasons`` as an answer that holds for every clock reading between the validity
    bounds around ``at`` of the certificates the rule compared the clock with (``evaluate``
    reads the clock nowhere else when asked about now)."""
    since, until = 0, NOW
    for cert in certs:
        if cert is None:
            continue
        for bound in (cert.not_before, cert.not_after + 1):  # valid: nb <= at <= na
            if bound <= at:
                since = max(since, bound)
            else:
                until = min(until, bound)
    return Settled(since, until, reasons, evidence)
