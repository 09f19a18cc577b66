"""The operation log: appends form a hash chain, and the verifier names each kind of
tampering a database administrator could do: edit, delete, insert, reorder, rewrite."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from huren.node.audit.oplog import (
    GENESIS_HASH,
    FindingKind,
    InvalidOperationRecord,
    LoggedOperation,
    Operation,
    OperationLog,
    OperationRecord,
    compute_row_hash,
    verify_operation_log,
)
from huren.node.audit.proof_errors import OperationLogTampered
from huren.node.db.audit_tables import OperationLogEntry
from huren.node.db.engine import write_connection
from huren.node.indexer_projection import table

T = table(OperationLogEntry)
OPS = list(Operation)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 1.5
        return self.now


def filled(engine: Engine, n: int = 8) -> OperationLog:
    log = OperationLog(engine, Clock())
    for i in range(n):
        digest = hashlib.sha256(f"doc-{i}".encode()).digest() if i % 2 else None
        log.append(OperationRecord(f"account-{i % 3}", OPS[i % len(OPS)], f"subject-{i}", digest))
    return log


def rows(engine: Engine) -> list[LoggedOperation]:
    with engine.connect() as conn:
        return OperationLog.rows(conn)


def findings(
    engine: Engine, anchors: list[tuple[int, bytes]] | None = None
) -> list[tuple[FindingKind, int]]:
    with pytest.raises(OperationLogTampered) as caught:
        verify_operation_log(rows(engine), anchors or [])
    return [(f.kind, f.seq) for f in caught.value.findings]  # type: ignore[attr-defined]


def test_appends_form_a_hash_chain_that_verifies(sqlite_engine: Engine) -> None:
    log = filled(sqlite_engine)
    stored = rows(sqlite_engine)
    assert [r.seq for r in stored] == list(range(1, 9))
    assert stored[0].prev_hash == GENESIS_HASH
    for prev, row in itertools.pairwise(stored):
        assert row.prev_hash == prev.row_hash
        assert row.row_hash == compute_row_hash(row.prev_hash, row.at, row.record)
    with sqlite_engine.connect() as conn:
        assert OperationLog.head(conn) == (8, stored[-1].row_hash)
    result = verify_operation_log(stored, [(3, stored[2].row_hash), (8, stored[7].row_hash)])
    assert (result.size, result.head, result.anchors_checked) == (8, stored[-1].row_hash, 2)
    # append_in joins the caller's transaction: a rollback takes the row with it.
    with pytest.raises(RuntimeError), write_connection(sqlite_engine) as conn:
        log.append_in(conn, OperationRecord("account-0", Operation.LOGIN, "s"))
        raise RuntimeError("the operation itself failed")
    assert len(rows(sqlite_engine)) == 8


def test_records_are_validated() -> None:
    with pytest.raises(InvalidOperationRecord):
        OperationRecord("", Operation.SIGN, "x")
    with pytest.raises(InvalidOperationRecord):
        OperationRecord("a", "teleport", "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidOperationRecord):
        OperationRecord("a", Operation.SIGN, "x", digest=b"short")
    assert OperationRecord("a", "seal", "x").operation is Operation.SEAL  # type: ignore[arg-type]


def test_an_edited_row_is_reported(sqlite_engine: Engine) -> None:
    filled(sqlite_engine)
    with write_connection(sqlite_engine) as conn:
        conn.execute(update(T).where(T.c.seq == 4).values(subject="someone-else"))
    assert findings(sqlite_engine) == [(FindingKind.EDITED, 4)]


def test_an_edited_and_rehashed_row_is_reported(sqlite_engine: Engine) -> None:
    filled(sqlite_engine)
    row = rows(sqlite_engine)[4]
    forged = OperationRecord(row.record.actor, row.record.operation, "forged", row.record.digest)
    new_hash = compute_row_hash(row.prev_hash, row.at, forged)
    with write_connection(sqlite_engine) as conn:
        conn.execute(update(T).where(T.c.seq == 5).values(subject="forged", row_hash=new_hash))
    assert findings(sqlite_engine) == [(FindingKind.EDITED, 5)]


def test_a_deleted_row_is_reported(sqlite_engine: Engine) -> None:
    filled(sqlite_engine)
    with write_connection(sqlite_engine) as conn:
        conn.execute(delete(T).where(T.c.seq == 3))
    assert findings(sqlite_engine) == [(FindingKind.DELETED, 3)]


def test_deleted_last_rows_are_caught_by_the_anchor(sqlite_engine: Engine) -> None:
    filled(sqlite_engine)
    anchored = (8, rows(sqlite_engine)[-1].row_hash)
    with write_connection(sqlite_engine) as conn:
        conn.execute(delete(T).where(T.c.seq >= 7))
    verify_operation_log(rows(sqlite_engine))  # without the anchor, a shorter log looks fine
    assert findings(sqlite_engine, [anchored]) == [(FindingKind.DELETED, 7)]


def test_an_inserted_row_is_reported(sqlite_engine: Engine) -> None:
    filled(sqlite_engine)
    before = rows(sqlite_engine)[2]  # the forger makes room after seq 3 and links properly
    with write_connection(sqlite_engine) as conn:
        for seq in range(8, 3, -1):
            conn.execute(update(T).where(T.c.seq == seq).values(seq=seq + 1))
        record = OperationRecord("account-9", Operation.SIGN, "backdated")
        conn.execute(
            insert(T),
            {
                "seq": 4,
                "at": before.at + 1,
                "actor": record.actor,
                "operation": str(record.operation),
                "subject": record.subject,
                "digest": None,
                "platform": None,
                "prev_hash": before.row_hash,
                "row_hash": compute_row_hash(before.row_hash, before.at + 1, record),
            },
        )
    assert findings(sqlite_engine) == [(FindingKind.INSERTED, 4)]


def test_reordered_rows_are_reported(sqlite_engine: Engine) -> None:
    filled(sqlite_engine)
    with write_connection(sqlite_engine) as conn:  # swap rows 5 and 6
        conn.execute(update(T).where(T.c.seq == 5).values(seq=100))
        conn.execute(update(T).where(T.c.seq == 6).values(seq=5))
        conn.execute(update(T).where(T.c.seq == 100).values(seq=6))
    found = findings(sqlite_engine)
    assert len(found) == 1 and found[0][0] is FindingKind.REORDERED and found[0][1] in (5, 6)


def test_a_rewritten_history_is_caught_by_the_anchor(sqlite_engine: Engine) -> None:
    filled(sqlite_engine)
    anchored = (6, rows(sqlite_engine)[5].row_hash)
    # The forger rewrites row 2 and recomputes every later hash: the chain is whole again.
    stored = rows(sqlite_engine)
    prev = stored[0].row_hash
    with write_connection(sqlite_engine) as conn:
        for row in stored[1:]:
            subject = "rewritten" if row.seq == 2 else row.record.subject
            record = OperationRecord(
                row.record.actor, row.record.operation, subject, row.record.digest
            )
            new_hash = compute_row_hash(prev, row.at, record)
            conn.execute(
                update(T)
                .where(T.c.seq == row.seq)
                .values(subject=subject, prev_hash=prev, row_hash=new_hash)
            )
            prev = new_hash
    verify_operation_log(rows(sqlite_engine))
    assert findings(sqlite_engine, [anchored]) == [(FindingKind.ANCHOR_MISMATCH, 6)]
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(T.c.subject).where(T.c.seq == 2)).scalar() == "rewritten"
