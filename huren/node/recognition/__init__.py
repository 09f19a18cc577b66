"""Recognition off chain: ``CertificateRegistry.recognizeAt`` answered from the SQL index.

Trading platforms ask the node whether a certificate is recognized many times a second, and
an ``eth_call`` costs about 10 ms, so the node answers from its index and never calls the
chain here. Every answer cites the records it rests on (``Evidence``: the event that last set
each row) and says how far the index lags the chain, so a platform can judge how fresh it is.

- ``rule``: the contract's rule, condition for condition, over index rows, and the evidence;
- ``queries``: the lean SQL that loads the rows the rule reads, and read transactions;
- ``cache``: ``IndexCache``, rows and settled answers about now reused per index checkpoint;
- ``answer``, ``errors``: what an answer says, and the typed errors;
- here: ``recognize`` / ``recognize_many``, which put the three together. Every name other
  code imports is importable from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection
from sqlmodel import Session

# ``X as X``: names the module had before it became a package, importable from here still.
from huren.node.recognition.answer import Evidence, RecognitionAnswer, reason_codes
from huren.node.recognition.cache import Checkpoint as Checkpoint
from huren.node.recognition.cache import IndexCache, Settled, Snapshot, settle
from huren.node.recognition.errors import InvalidAction, RecognitionError, TooManyFingerprints
from huren.node.recognition.queries import AuthorizationRow as AuthorizationRow
from huren.node.recognition.queries import CaRow as CaRow
from huren.node.recognition.queries import CertificateRow as CertificateRow
from huren.node.recognition.queries import PlatformRow as PlatformRow
from huren.node.recognition.queries import (
    ReadTransaction,
    platform_row,
    read_transaction,
    transaction_of,
)

# ``recognize_many`` runs every query through this module's ``_rows``: tests spy on it here.
from huren.node.recognition.queries import rows as _rows
from huren.node.recognition.rule import NOW, canonical_id, cite_evidence, evaluate
from huren.node.recognition.rule import AuthorizationRecord as AuthorizationRecord
from huren.node.recognition.rule import CaRecord as CaRecord
from huren.node.recognition.rule import CertificateRecord as CertificateRecord
from huren.node.recognition.rule import EvidenceRecord as EvidenceRecord
from huren.node.recognition.rule import PlatformRecord as PlatformRecord
from huren.node.recognition.rule import check_action as check_action
from huren.registry.ids import check_bytes32
from huren.registry.types import CertificateKind, Right

__all__ = [
    "MAX_BATCH",
    "NOW",
    "Evidence",
    "IndexCache",
    "InvalidAction",
    "ReadTransaction",
    "RecognitionAnswer",
    "RecognitionError",
    "TooManyFingerprints",
    "canonical_id",
    "evaluate",
    "read_transaction",
    "reason_codes",
    "recognize",
    "recognize_many",
]

MAX_BATCH = 1000


def recognize(
    session: Session | Connection | ReadTransaction,
    fingerprint: bytes,
    platform_id: str,
    action: Right | int,
    at: int | None = None,
    *,
    lag: int | None = None,
    cache: IndexCache | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RecognitionAnswer:
    """The recognition of one certificate, from the index only, at time ``at`` (None: now, on
    the latest indexed state; ``lag``: the index's lag behind the chain head, reported in the
    answer; None when unknown)."""
    answers = recognize_many(
        session, [fingerprint], platform_id, action, at, lag=lag, cache=cache, clock=clock
    )
    return answers[0]


def recognize_many(
    session: Session | Connection | ReadTransaction,
    fingerprints: Sequence[bytes],
    platform_id: str,
    action: Right | int,
    at: int | None = None,
    *,
    lag: int | None = None,
    cache: IndexCache | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[RecognitionAnswer]:
    """The recognition of up to ``MAX_BATCH`` certificates at one platform, in the order
    given (duplicates answered twice), in at most six queries whatever their number, all in one
    read transaction of ``session`` (a session, a connection or a ``read_transaction``):
    every answer sees the same index state when that transaction reads one snapshot (SQLite
    does; on PostgreSQL use REPEATABLE READ, as the API's sessions do). ``cache`` (one per
    database) saves reading the CA and platform rows, and answers about now, while the index
    stays at one block. ``clock`` tells the time (tests move it)."""
    if len(fingerprints) > MAX_BATCH:
        raise TooManyFingerprints(f"{len(fingerprints)} fingerprints; at most {MAX_BATCH}")
    fps = [check_bytes32(f, "fingerprint") for f in fingerprints]
    action = check_action(action)
    platform_id = canonical_id(platform_id)
    evaluated_at = clock()
    revoked_by = NOW if at is None else at
    at = int(evaluated_at.timestamp()) if at is None else at

    db = transaction_of(session)
    state = _rows(db, "state", state_id=1)
    checkpoint = None if not state else (int(state[0][0]), bytes(state[0][1]))
    snapshot = Snapshot(checkpoint) if cache is None else cache.at(checkpoint)
    if platform_id in snapshot.platforms:
        platform = snapshot.platforms[platform_id]
    else:
        found = _rows(db, "platform", platform_id=platform_id)
        platform = platform_row(found[0]) if found else None
        snapshot.platforms[platform_id] = platform
    # Answers about now that an earlier request settled at this checkpoint (see IndexCache).
    reuse = cache is not None and revoked_by == NOW and cache.max_answers > 0
    settled: dict[bytes, Settled] = {}
    if reuse:
        known = snapshot.answers
        for fp in fps:
            hit = known.get((fp, platform_id, int(action)))
            if hit is not None and hit.since <= at < hit.until:
                settled[fp] = hit
    unique = [f for f in dict.fromkeys(fps) if f not in settled]
    certs: dict[bytes, CertificateRow] = {}
    auths: dict[bytes, AuthorizationRow] = {}
    cas: dict[str, CaRow] = {}
    if unique:
        certs = _by(CertificateRow(*r) for r in _rows(db, "certificates", unique))
        cas = _cas(db, snapshot, {c.ca_id for c in certs.values()})
        staff = [f for f, c in certs.items() if c.kind == CertificateKind.STAFF]
        if staff:
            found = _rows(db, "authorizations", staff, platform_id=platform_id)
            auths = {bytes(a.staff_fingerprint): a for a in map(AuthorizationRow._make, found)}
        granting = {bytes(a.enterprise_fingerprint) for a in auths.values() if a.rights}
        granting -= certs.keys()
        if granting:
            found = _rows(db, "certificates", sorted(granting))
            certs.update(_by(CertificateRow(*r) for r in found))

    indexed_block = None if checkpoint is None else checkpoint[0]
    answers = []
    for fp in fps:
        hit = settled.get(fp)
        if hit is None:
            cert = certs.get(fp)
            ca = None if cert is None else cas.get(cert.ca_id)
            auth = auths.get(fp)
            grantor = None if auth is None else certs.get(bytes(auth.enterprise_fingerprint))
            reasons = evaluate(cert, ca, platform, auth, grantor, action, at, revoked_by)
            evidence = cite_evidence(cert, ca, platform, auth, grantor)
            if reuse and cache is not None:
                hit = settle(at, reasons, evidence, cert, grantor)
                if len(snapshot.answers) >= cache.max_answers:
                    snapshot.answers.clear()
                snapshot.answers[fp, platform_id, int(action)] = settled[fp] = hit
        else:
            reasons, evidence = hit.reasons, hit.evidence
        answers.append(
            RecognitionAnswer(
                fingerprint=fp,
                platform_id=platform_id,
                action=action,
                at=at,
                recognized=not reasons,
                reasons=reasons,
                evidence=evidence,
                index_lag=lag,
                indexed_block=indexed_block,
                evaluated_at=evaluated_at,
            )
        )
    return answers


def _cas(db: ReadTransaction, snapshot: Snapshot, ca_ids: set[str]) -> dict[str, CaRow]:
    cached = snapshot.cas
    missing = sorted(i for i in ca_ids if i not in cached)
    if missing:
        found = {r.ca_id: r for r in (CaRow(*row) for row in _rows(db, "cas", missing))}
        for ca_id in missing:
            cached[ca_id] = found.get(ca_id)
    out = {}
    for ca_id in ca_ids:
        row = cached[ca_id]
        if row is not None:
            out[ca_id] = row
    return out


def _by(rows: Iterable[CertificateRow]) -> dict[bytes, CertificateRow]:
    return {bytes(c.fingerprint): c for c in rows}
