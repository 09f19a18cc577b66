"""Each account's inbox. ``post`` is what other services call, inside their own transaction
(the message appears if and only if their change commits); ``Inbox`` serves the holder:
list, unread count, read, read all, delete. A message of another account is "not found"."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from huren.node.db.accounts_tables import Account
from huren.node.db.engine import write_session
from huren.node.db.messages_tables import Message
from huren.node.messages.kinds import MessageKind

__all__ = [
    "Inbox",
    "InvalidMessage",
    "MessageError",
    "MessageNotFound",
    "MessageView",
    "RecipientNotFound",
    "post",
]

MAX_PARAM_LENGTH = 200
MAX_PAGE = 100

Clock = Callable[[], float]


class MessageError(Exception):
    status = 400
    code = "MESSAGE_ERROR"

    @property
    def headers(self) -> dict[str, str] | None:
        return None


class InvalidMessage(MessageError, ValueError):
    status = 422
    code = "INVALID_MESSAGE"


class MessageNotFound(MessageError):
    status = 404
    code = "MESSAGE_NOT_FOUND"


class RecipientNotFound(MessageError):
    status = 404
    code = "RECIPIENT_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    kind: MessageKind
    title: str
    body: str
    params: dict[str, str | int]
    action: str | None
    created_at: int
    read_at: int | None

    @classmethod
    def of(cls, row: Message) -> MessageView:
        assert row.id is not None
        return cls(
            row.id,
            MessageKind(row.kind),
            row.title,
            row.body,
            json.loads(row.params),
            row.action,
            row.created_at,
            row.read_at,
        )


def _checked(kind: MessageKind, params: Mapping[str, Any]) -> dict[str, str | int]:
    spec = kind.spec
    missing = set(spec.params) - set(params)
    extra = set(params) - set(spec.params)
    if missing or extra:
        raise InvalidMessage(
            f"{kind.value} takes exactly {', '.join(spec.params)}"
            f" (missing {sorted(missing)}, unexpected {sorted(extra)})"
        )
    checked: dict[str, str | int] = {}
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidMessage(f"parameter {name} is a string or an integer")
        if isinstance(value, str) and (
            not value.strip() or len(value) > MAX_PARAM_LENGTH or not value.isprintable()
        ):
            raise InvalidMessage(f"parameter {name} has 1-{MAX_PARAM_LENGTH} printable characters")
        checked[name] = value
    return checked


def post(
    session: Session,
    account_id: str,
    kind: MessageKind,
    params: Mapping[str, Any],
    *,
    now: int,
) -> MessageView:
    """Put a message of ``kind`` into ``account_id``'s inbox (flushed, not committed)."""
    checked = _checked(kind, params)
    if session.get(Account, account_id) is None:
        raise RecipientNotFound(f"no account {account_id}")
    spec = kind.spec
    row = Message(
        account_id=account_id,
        kind=kind.value,
        title=spec.title,
        body=spec.body.format(**checked),
        params=json.dumps(checked, ensure_ascii=False, sort_keys=True),
        action=None if spec.action is None else spec.action.format(**checked),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return MessageView.of(row)


class Inbox:
    def __init__(self, engine: Engine, *, clock: Clock = time.time) -> None:
        self.engine = engine
        self._clock = clock

    def post(self, account_id: str, kind: MessageKind, params: Mapping[str, Any]) -> MessageView:
        with write_session(self.engine) as session:
            return post(session, account_id, kind, params, now=int(self._clock()))

    def list_messages(
        self,
        account_id: str,
        *,
        unread_only: bool = False,
        before: int | None = None,
        limit: int = 20,
    ) -> list[MessageView]:
        """Newest first; ``before`` a message id pages on."""
        query = select(Message).where(col(Message.account_id) == account_id)
        if unread_only:
            query = query.where(col(Message.read_at).is_(None))
        if before is not None:
            query = query.where(col(Message.id) < before)
        query = query.order_by(col(Message.id).desc()).limit(max(1, min(limit, MAX_PAGE)))
        with Session(self.engine) as session:
            return [MessageView.of(row) for row in session.exec(query)]

    def unread_count(self, account_id: str) -> int:
        with Session(self.engine) as session:
            return session.exec(
                select(func.count()).where(
                    col(Message.account_id) == account_id, col(Message.read_at).is_(None)
                )
            ).one()

    def get(self, account_id: str, message_id: int) -> MessageView:
        with Session(self.engine) as session:
            return MessageView.of(self._own(session, account_id, message_id))

    def mark_read(self, account_id: str, message_id: int) -> MessageView:
        """Read (reading twice keeps the first time)."""
        with write_session(self.engine) as session:
            row = self._own(session, account_id, message_id)
            if row.read_at is None:
                row.read_at = int(self._clock())
                session.add(row)
            return MessageView.of(row)

    def mark_all_read(self, account_id: str) -> int:
        """Mark every unread message read; how many were."""
        with write_session(self.engine) as session:
            result = session.connection().execute(
                update(Message)
                .where(col(Message.account_id) == account_id, col(Message.read_at).is_(None))
                .values(read_at=int(self._clock()))
            )
            return int(result.rowcount)

    def delete(self, account_id: str, message_id: int) -> None:
        with write_session(self.engine) as session:
            session.delete(self._own(session, account_id, message_id))

    @staticmethod
    def _own(session: Session, account_id: str, message_id: int) -> Message:
        row = session.get(Message, message_id)
        if row is None or row.account_id != account_id:
            raise MessageNotFound(f"no message {message_id}")
        return row
