"""``SealRepository`` on the node's SQL database (SQLite or PostgreSQL).

Each call is one write transaction. The per-kind limit holds under concurrency through the
``slot`` unique constraint (see ``huren.node.db.seals_tables``): an add takes the lowest
free slot below the limit, and an add that loses a race for that slot retries with the next.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.db.engine import write_session
from huren.node.db.seals_tables import SealRow
from huren.node.seals.errors import InvalidSealRecord, SealLimitReached, SealNotFound
from huren.node.seals.records import (
    OwnerKind,
    SealImageSource,
    SealKind,
    SealOwner,
    SealRecord,
)

__all__ = ["SqlSealRepository"]

_ADD_ATTEMPTS = 4


def _to_record(row: SealRow) -> SealRecord:
    return SealRecord(
        seal_id=row.seal_id,
        owner=SealOwner(OwnerKind(row.owner_kind), row.owner_id),
        kind=SealKind(row.kind),
        source=SealImageSource(row.source),
        label=row.label,
        image_png=row.image_png,
        image_sha256=row.image_sha256,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlSealRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, record: SealRecord, *, limit: int) -> None:
        for _ in range(_ADD_ATTEMPTS):
            try:
                with write_session(self._engine) as session:
                    if session.get(SealRow, record.seal_id) is not None:
                        raise InvalidSealRecord(f"seal id {record.seal_id} exists")
                    used = set(
                        session.exec(
                            select(SealRow.slot).where(
                                SealRow.owner_kind == record.owner.kind.value,
                                SealRow.owner_id == record.owner.owner_id,
                                SealRow.kind == record.kind.value,
                            )
                        ).all()
                    )
                    free = [slot for slot in range(limit) if slot not in used]
                    if not free:
                        raise SealLimitReached(
                            f"{record.owner.kind} {record.owner.owner_id} already has "
                            f"{len(used)} {record.kind.value} seal(s); at most {limit}"
                        )
                    session.add(
                        SealRow(
                            seal_id=record.seal_id,
                            owner_kind=record.owner.kind.value,
                            owner_id=record.owner.owner_id,
                            kind=record.kind.value,
                            slot=free[0],
                            source=record.source.value,
                            label=record.label,
                            image_png=record.image_png,
                            image_sha256=record.image_sha256,
                            created_at=record.created_at,
                            updated_at=record.updated_at,
                        )
                    )
                return
            except IntegrityError:
                continue  # a concurrent add took the slot (or the id): look again
        raise SealLimitReached(f"could not add {record.seal_id}: slots kept being taken")

    def _row(self, session: Session, seal_id: str) -> SealRow:
        row = session.get(SealRow, seal_id)
        if row is None:
            raise SealNotFound(f"no seal {seal_id}")
        return row

    def get(self, seal_id: str) -> SealRecord:
        with Session(self._engine) as session:
            return _to_record(self._row(session, seal_id))

    def update(self, record: SealRecord) -> None:
        with write_session(self._engine) as session:
            row = self._row(session, record.seal_id)
            if (row.owner_kind, row.owner_id, row.kind) != (
                record.owner.kind.value,
                record.owner.owner_id,
                record.kind.value,
            ):
                raise InvalidSealRecord("an update may not move a seal to another owner or kind")
            row.source = record.source.value
            row.label = record.label
            row.image_png = record.image_png
            row.image_sha256 = record.image_sha256
            row.updated_at = record.updated_at
            session.add(row)

    def delete(self, seal_id: str) -> None:
        with write_session(self._engine) as session:
            session.delete(self._row(session, seal_id))

    def list_for(self, owner: SealOwner) -> Sequence[SealRecord]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(SealRow)
                .where(SealRow.owner_kind == owner.kind.value, SealRow.owner_id == owner.owner_id)
                .order_by(col(SealRow.created_at), col(SealRow.seal_id))
            ).all()
            return [_to_record(row) for row in rows]
