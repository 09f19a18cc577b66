"""The recognition rule off chain: ``CertificateRegistry.recognizeAt`` over the SQL index.

Trading platforms ask the node whether a certificate is recognized many times a second, and
an ``eth_call`` costs about 10 ms, so the node answers from its index and never calls the
chain here. The rule below is the contract's, condition for condition (the property test in
``tests/node/test_recognition.py`` holds the two to the same answers over random states):

- the certificate is recorded (else UNKNOWN_CERTIFICATE and nothing more about it);
- its CA is accredited now (a suspended CA's certificates are not recognized meanwhile);
- it was not revoked at or before ``at``; ``at`` lies within notBefore..notAfter;
  asked about *now* (``at`` None), every revocation the index holds counts, however the
  chain's block times compare with this node's clock (an embedded chain's blocks run ahead of
  the wall clock in bursts, since each block's time exceeds its parent's);
- it is alliance scope, or regional and the platform belongs to its center;
- the platform is registered and active;
- a staff certificate holds an authorization at the platform with the action's right (any
  right for action 0), and the enterprise certificate that granted it was, at ``at``,
  recorded, unrevoked and within its validity;
- the action fits the key usage (encrypt/decrypt need an encryption certificate).

The contract compares member *indexes* of the certificate's and the platform's centers; a
member keeps its index for good, so comparing their addresses is the same test.

Every answer cites the records it rests on (``Evidence``: the event that last set each row)
and says how far the index lags the chain, so a platform can judge how fresh it is.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Column, Connection, Dialect, Engine, Select, Table, bindparam, select
from sqlmodel import Session, SQLModel

from huren.node.db.models import Authorization, Ca, Certificate, IndexState, Platform
from huren.registry.ids import check_bytes32, decode_id, encode_id
from huren.registry.types import (
    CaStatus,
    CertificateKind,
    CertificateStatus,
    KeyUsage,
    Reason,
    Right,
    Scope,
)

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
NOW = 2**64 - 1  # a revocation cutoff after every revocation: "now" is the latest state
_ENCRYPTION_ACTIONS = (Right.ENCRYPT, Right.DECRYPT)


class RecognitionError(Exception):
    """Root of the recognition service's errors; ``status`` and ``code`` say how the API
    reports each (the service itself knows nothing of HTTP beyond these two values)."""

    status = 400
    code = "RECOGNITION_ERROR"


class InvalidAction(RecognitionError, ValueError):
    """Not 0 nor a single right bit (the contract reverts ``InvalidAction`` likewise)."""

    status = 422
    code = "INVALID_ACTION"


class TooManyFingerprints(RecognitionError, ValueError):
    status = 422
    code = "TOO_MANY_FINGERPRINTS"


@dataclass(frozen=True, slots=True)
class Evidence:
    """The chain event behind one record an answer rests on. ``role`` is what the record is
    to the answer: certificate, revocation, ca, platform or authorization."""

    role: str
    event: str
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int


@dataclass(frozen=True, slots=True)
class RecognitionAnswer:
    """Whether ``fingerprint`` is recognized at ``platform_id`` for ``action`` at ``at``
    (unix seconds), with every failed condition in ``reasons`` (bit for bit the contract's),
    the evidence, the index's lag behind the chain head in blocks, the last indexed block
    and when the answer was computed."""

    fingerprint: bytes
    platform_id: str
    action: Right | int
    at: int
    recognized: bool
    reasons: Reason
    evidence: tuple[Evidence, ...]
    index_lag: int | None
    indexed_block: int | None
    evaluated_at: datetime

    @property
    def reason_codes(self) -> list[str]:
        return reason_codes(self.reasons)

    @property
    def platform_known(self) -> bool:
        return not self.reasons & Reason.UNKNOWN_PLATFORM


def reason_codes(reasons: Reason | int) -> list[str]:
    """The names of the set bits, lowest first (``["CA_NOT_ACCREDITED", "REVOKED"]``)."""
    return list(_reason_codes(int(reasons)))


@functools.lru_cache(maxsize=1024)  # every combination of the ten reasons
def _reason_codes(reasons: int) -> tuple[str, ...]:
    return tuple(r.name for r in Reason if r.name is not None and reasons & r.value)


@functools.lru_cache(maxsize=4096)
def canonical_id(value: str) -> str:
    """The id ``value`` names, as the index keys it (a raw ``0x`` form reads as the id);
    ``InvalidIdentifier`` when it is no id. Cached: the same few platforms ask all day."""
    return decode_id(encode_id(value))


def check_action(action: Right | int) -> Right | int:
    """``action`` when it is 0 or exactly one right bit; ``InvalidAction`` otherwise."""
    if isinstance(action, bool):
        raise InvalidAction(f"action {action!r} is not a right")
    value = int(action)
    if value == 0:
        return 0
    if value < 0 or value > Right.DECRYPT or value & (value - 1):
        raise InvalidAction(f"action {value} is neither 0 nor a single right")
    return Right(value)


# -- the records the rule reads ------------------------------------------------------------------
#
# ``evaluate`` reads these attributes only; the index's ORM rows (``huren.node.db.models``)
# have them, and so do the lean rows below, which ``recognize_many`` reads: selects of just
# these columns, compiled from Core once and run on the DBAPI cursor (ORM entities cost ten
# times as much, SQLAlchemy's execution machinery several times the queries themselves).


class EvidenceRecord(Protocol):
    @property
    def block_number(self) -> int: ...
    @property
    def block_hash(self) -> bytes: ...
    @property
    def transaction_hash(self) -> bytes: ...
    @property
    def log_index(self) -> int: ...


class CertificateRecord(EvidenceRecord, Protocol):
    @property
    def fingerprint(self) -> bytes: ...
    @property
    def ca_id(self) -> str: ...
    @property
    def kind(self) -> int: ...
    @property
    def usage(self) -> int: ...
    @property
    def scope(self) -> int: ...
    @property
    def center(self) -> str | None: ...
    @property
    def not_before(self) -> int: ...
    @property
    def not_after(self) -> int: ...
    @property
    def status(self) -> int: ...
    @property
    def revoked_at(self) -> int | None: ...
    @property
    def revoked_block_number(self) -> int | None: ...
    @property
    def revoked_block_hash(self) -> bytes | None: ...
    @property
    def revoked_transaction_hash(self) -> bytes | None: ...
    @property
    def revoked_log_index(self) -> int | None: ...


class CaRecord(EvidenceRecord, Protocol):
    @property
    def status(self) -> int: ...


class PlatformRecord(EvidenceRecord, Protocol):
    @property
    def center(self) -> str: ...
    @property
    def active(self) -> bool: ...


class AuthorizationRecord(EvidenceRecord, Protocol):
    @property
    def enterprise_fingerprint(self) -> bytes: ...
    @property
    def rights(self) -> int: ...


class CertificateRow(NamedTuple):
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    fingerprint: bytes
    ca_id: str
    kind: int
    usage: int
    scope: int
    center: str | None
    not_before: int
    not_after: int
    status: int
    revoked_at: int | None
    revoked_block_number: int | None
    revoked_block_hash: bytes | None
    revoked_transaction_hash: bytes | None
    revoked_log_index: int | None


class CaRow(NamedTuple):
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    ca_id: str
    status: int


class PlatformRow(NamedTuple):
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    platform_id: str
    center: str
    active: bool


class AuthorizationRow(NamedTuple):
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int
    staff_fingerprint: bytes
    enterprise_fingerprint: bytes
    rights: int


def evaluate(
    cert: CertificateRecord | None,
    ca: CaRecord | None,
    platform: PlatformRecord | None,
    authorization: AuthorizationRecord | None,
    granting: CertificateRecord | None,
    action: Right | int,
    at: int,
    revoked_by: int | None = None,
) -> Reason:
    """THE rule (see the module docstring): every reason that applies to these records. The
    records are the index's rows for the certificate, its CA, the platform, the staff
    certificate's authorization at the platform and the enterprise certificate that granted
    it (None when there is none). A revocation counts when dated at or before ``revoked_by``
    (default ``at``; ``NOW`` counts every one)."""
    cutoff = at if revoked_by is None else revoked_by
    reasons = Reason(0)
    if platform is None:
        reasons |= Reason.UNKNOWN_PLATFORM
    elif not platform.active:
        reasons |= Reason.PLATFORM_RETIRED
    if cert is None:
        return reasons | Reason.UNKNOWN_CERTIFICATE
    if ca is None or ca.status != CaStatus.ACCREDITED:
        reasons |= Reason.CA_NOT_ACCREDITED
    if _revoked_by(cert, cutoff):
        reasons |= Reason.REVOKED
    if at < cert.not_before:
        reasons |= Reason.NOT_YET_VALID
    if at > cert.not_after:
        reasons |= Reason.EXPIRED
    if cert.scope == Scope.REGIONAL and (
        platform is None or (cert.center or "").lower() != platform.center.lower()
    ):
        reasons |= Reason.OUT_OF_SCOPE
    if cert.kind == CertificateKind.STAFF:
        rights = 0 if authorization is None else authorization.rights
        granted = rights != 0 if action == 0 else bool(rights & int(action))
        if not granted or granting is None or not _valid_at(granting, at, cutoff):
            reasons |= Reason.NOT_AUTHORIZED
    if action != 0:
        wants_encryption = action in _ENCRYPTION_ACTIONS
        if wants_encryption != (cert.usage == KeyUsage.ENCRYPTION):
            reasons |= Reason.WRONG_USAGE
    return reasons


def _revoked_by(cert: CertificateRecord, at: int) -> bool:
    return (
        cert.status == CertificateStatus.REVOKED
        and cert.revoked_at is not None
        and cert.revoked_at <= at
    )


def _valid_at(cert: CertificateRecord, at: int, cutoff: int) -> bool:
    return not _revoked_by(cert, cutoff) and cert.not_before <= at <= cert.not_after


# -- reading the index -----------------------------------------------------------------------


def _table(model: type[SQLModel]) -> Table:
    t = model.__table__  # type: ignore[attr-defined]  # only table=True classes have one
    assert isinstance(t, Table)
    return t


def _columns(model: type[SQLModel], row: type[tuple[Any, ...]]) -> list[Column[Any]]:
    t = _table(model)
    return [t.c[name] for name in row._fields]  # type: ignore[attr-defined]


_T_STATE = _table(IndexState)
_T_CERTS = _table(Certificate)
_T_CAS = _table(Ca)
_T_PLATFORMS = _table(Platform)
_T_AUTHS = _table(Authorization)


def _in(column: Column[Any], n: int) -> Any:
    return column.in_([bindparam(f"p{i}") for i in range(n)])


# The statements, by name, for ``n`` values in their IN list.
_QUERIES: dict[str, Callable[[int], Select[Any]]] = {
    "state": lambda _: select(_T_STATE.c.block_number, _T_STATE.c.block_hash).where(
        _T_STATE.c.id == bindparam("state_id")
    ),
    "platform": lambda _: select(*_columns(Platform, PlatformRow)).where(
        _T_PLATFORMS.c.platform_id == bindparam("platform_id")
    ),
    "certificates": lambda n: select(*_columns(Certificate, CertificateRow)).where(
        _in(_T_CERTS.c.fingerprint, n)
    ),
    "cas": lambda n: select(*_columns(Ca, CaRow)).where(_in(_T_CAS.c.ca_id, n)),
    "authorizations": lambda n: select(*_columns(Authorization, AuthorizationRow)).where(
        _T_AUTHS.c.platform_id == bindparam("platform_id"), _in(_T_AUTHS.c.staff_fingerprint, n)
    ),
}
_compiled: dict[tuple[str, str, str, int], tuple[str, tuple[str, ...] | None]] = {}


@dataclass(frozen=True, slots=True)
class ReadTransaction:
    """A read transaction open on ``dbapi`` (a DBAPI connection of ``dialect``), which
    ``recognize_many`` runs its queries in; ``read_transaction`` opens one."""

    dialect: Dialect
    dbapi: Any


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[ReadTransaction]:
    """One read transaction on ``engine`` for ``recognize_many``, one snapshot of the index
    (use REPEATABLE READ on PostgreSQL, as the API does). On SQLite it is a pooled DBAPI
    connection with the BEGIN that ``huren.node.db.engine`` would emit, rolled back at the
    end: a fraction of the cost of a SQLAlchemy ``Connection``."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn, conn.begin():
            yield _transaction_of(conn)
        return
    dbapi = engine.raw_connection()
    try:
        cursor = dbapi.cursor()
        try:
            cursor.execute("BEGIN")
        finally:
            cursor.close()
        yield ReadTransaction(engine.dialect, dbapi.driver_connection)
        dbapi.rollback()
    finally:
        dbapi.close()  # back to the pool, which rolls back whatever is left


def _transaction_of(source: Session | Connection | ReadTransaction) -> ReadTransaction:
    if isinstance(source, ReadTransaction):
        return source
    conn = source.connection() if isinstance(source, Session) else source
    if not conn.in_transaction():
        conn.begin()  # as SQLAlchemy's autobegin would
    return ReadTransaction(conn.dialect, conn.connection.dbapi_connection)


def _rows(
    db: ReadTransaction, name: str, values: Sequence[Any] = (), **params: Any
) -> Sequence[Any]:
    """The rows of query ``name`` for the IN-list ``values`` and the other ``params``, run on
    the DBAPI cursor: SQLAlchemy's execution machinery costs more than these few-row queries
    themselves. The statement is compiled once per dialect and IN-list size, rounded up to a
    power of two (padded with a repeated value, which changes nothing)."""
    size = 1 << max(len(values) - 1, 0).bit_length() if values else 0
    key = (db.dialect.name, db.dialect.driver, name, size)
    entry = _compiled.get(key)
    if entry is None:
        compiled = _QUERIES[name](size).compile(dialect=db.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        entry = _compiled[key] = (compiled.string, order)
    sql, order = entry
    for i, value in enumerate(values):
        params[f"p{i}"] = value
    for i in range(len(values), size):
        params[f"p{i}"] = values[-1]
    args: Any = params if order is None else tuple(params[k] for k in order)
    cursor = db.dbapi.cursor()
    try:
        cursor.execute(sql, args)
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


Checkpoint = tuple[int, bytes] | None


class _Settled(NamedTuple):
    """An answer about *now* that holds while the clock stays in ``since <= at < until``:
    the rule reads the clock only against validity bounds (revocations count whenever they
    are dated, when asked about now)."""

    since: int
    until: int
    reasons: Reason
    evidence: tuple[Evidence, ...]


@dataclass(slots=True)
class _Snapshot:
    """The CA and platform rows read at one checkpoint (None: known to be absent), and the
    answers about now computed there, by (fingerprint, platform, action)."""

    checkpoint: Checkpoint
    platforms: dict[str, PlatformRow | None] = field(default_factory=dict)
    cas: dict[str, CaRow | None] = field(default_factory=dict)
    answers: dict[tuple[bytes, str, int], _Settled] = field(default_factory=dict)


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
    between the validity bounds it was computed between (``_Settled``), and at most
    ``max_answers`` are kept per checkpoint."""

    def __init__(self, max_entries: int = 1024, max_answers: int = 65_536) -> None:
        self.max_entries = max_entries  # unknown platform ids are cached too: keep it bounded
        self.max_answers = max_answers  # 0: never reuse an answer
        self._snapshot: _Snapshot | None = None
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

    def at(self, checkpoint: Checkpoint) -> _Snapshot:
        """The rows cached at ``checkpoint`` (a new, empty cache when it moved)."""
        snapshot = self._snapshot
        if (
            snapshot is None
            or snapshot.checkpoint != checkpoint
            or len(snapshot.platforms) + len(snapshot.cas) > self.max_entries
        ):
            snapshot = self._snapshot = _Snapshot(checkpoint)
        return snapshot


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

    db = _transaction_of(session)
    state = _rows(db, "state", state_id=1)
    checkpoint = None if not state else (int(state[0][0]), bytes(state[0][1]))
    snapshot = _Snapshot(checkpoint) if cache is None else cache.at(checkpoint)
    if platform_id in snapshot.platforms:
        platform = snapshot.platforms[platform_id]
    else:
        found = _rows(db, "platform", platform_id=platform_id)
        platform = _platform(found[0]) if found else None
        snapshot.platforms[platform_id] = platform
    # Answers about now that an earlier request settled at this checkpoint (see IndexCache).
    reuse = cache is not None and revoked_by == NOW and cache.max_answers > 0
    settled: dict[bytes, _Settled] = {}
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
            evidence = _evidence(cert, ca, platform, auth, grantor)
            if reuse and cache is not None:
                hit = _settle(at, reasons, evidence, cert, grantor)
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


def _settle(
    at: int,
    reasons: Reason,
    evidence: tuple[Evidence, ...],
    *certs: CertificateRecord | None,
) -> _Settled:
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
    return _Settled(since, until, reasons, evidence)


def _platform(row: Sequence[Any]) -> PlatformRow:
    block_number, block_hash, transaction_hash, log_index, platform_id, center, active = row
    evidence = (block_number, block_hash, transaction_hash, log_index)
    return PlatformRow(*evidence, platform_id, center, bool(active))  # SQLite's are 0 and 1


def _cas(db: ReadTransaction, snapshot: _Snapshot, ca_ids: set[str]) -> dict[str, CaRow]:
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


def _evidence(
    cert: CertificateRecord | None,
    ca: CaRecord | None,
    platform: PlatformRecord | None,
    auth: AuthorizationRecord | None,
    grantor: CertificateRecord | None,
) -> tuple[Evidence, ...]:
    out: list[Evidence] = []
    if cert is not None:
        out.append(_cite("certificate", "CertificateRecorded", cert))
        if (
            cert.revoked_block_number is not None
            and cert.revoked_block_hash is not None
            and cert.revoked_transaction_hash is not None
            and cert.revoked_log_index is not None
        ):
            revoked = Evidence(
                "revocation",
                "CertificateRevoked",
                cert.revoked_block_number,
                cert.revoked_block_hash,
                cert.revoked_transaction_hash,
                cert.revoked_log_index,
            )
            out.append(revoked)
    if ca is not None:
        accredited = ca.status == CaStatus.ACCREDITED
        out.append(_cite("ca", "CaAccredited" if accredited else "CaSuspended", ca))
    if platform is not None:
        event = "PlatformRegistered" if platform.active else "PlatformRetired"
        out.append(_cite("platform", event, platform))
    if auth is not None:
        event = "AuthorizationGranted" if auth.rights else "AuthorizationRevoked"
        out.append(_cite("authorization", event, auth))
    if grantor is not None and auth is not None and auth.rights:
        out.append(_cite("enterprise_certificate", "CertificateRecorded", grantor))
    return tuple(out)


def _cite(role: str, event: str, row: EvidenceRecord) -> Evidence:
    return Evidence(
        role, event, row.block_number, row.block_hash, row.transaction_hash, row.log_index
    )
