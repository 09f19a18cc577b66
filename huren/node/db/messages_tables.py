"""The inbox table (see ``huren.node.messages``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

import huren.node.db.accounts_tables  # noqa: F401 - accounts first (foreign keys)

__all__ = ["Message"]


class Message(SQLModel, table=True):
    """One message in an account's inbox; ``params`` is the kind's JSON parameters and
    ``action`` what the message links to (e.g. ``application:42/download``)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_account_read", "account_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="accounts.id", max_length=32)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    body: str = Field(max_length=2000)
    params: str = Field(max_length=4000)  # JSON object
    action: str | None = Field(default=None, max_length=200)
    created_at: int = Field(sa_type=BigInteger)
    read_at: int | None = Field(default=None, sa_type=BigInteger)
