"""The append-only trail of billing state changes (``billing_events``). Every service records
its change in the same transaction as the change itself: both commit, or neither."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from huren.node.db.billing_tables import BillingEventRow

__all__ = ["SYSTEM_ACTOR", "BillingEvent", "Clock", "events_of", "record"]

Clock = Callable[[], int]  # unix seconds
SYSTEM_ACTOR = "system"  # the node itself (expiry, reconciliation)


@dataclass(frozen=True, slots=True)
class BillingEvent:
    event_id: int
    at: int
    actor: str
    subject_kind: str
    subject_id: str
    action: str
    from_state: str | None
    to_state: str | None
    amount_fen: int | None
    detail: str


def record(
    session: Session,
    *,
    at: int,
    actor: str,
    subject_kind: str,
    subject_id: str,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    amount_fen: int | None = None,
    detail: str = "",
) -> None:
    session.add(
        BillingEventRow(
            at=at,
            actor=actor,
            subject_kind=subject_kind,
            subject_id=subject_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            amount_fen=amount_fen,
            detail=detail[:500],
        )
    )


def events_of(session: Session, subject_kind: str, subject_id: str) -> Sequence[BillingEvent]:
    """A subject's events, oldest first."""
    rows = session.exec(
        select(BillingEventRow)
        .where(
            BillingEventRow.subject_kind == subject_kind,
            BillingEventRow.subject_id == subject_id,
        )
        .order_by(col(BillingEventRow.event_id))
    ).all()
    return [
        BillingEvent(
            event_id=r.event_id or 0,
            at=r.at,
            actor=r.actor,
            subject_kind=r.subject_kind,
            subject_id=r.subject_id,
            action=r.action,
            from_state=r.from_state,
            to_state=r.to_state,
            amount_fen=r.amount_fen,
            detail=r.detail,
        )
        for r in rows
    ]
