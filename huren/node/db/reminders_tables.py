"""Reminders the node's upkeep job sent once and must not send again (see
``huren.node.reminders``)."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.applications_tables  # noqa: F401 - applications first (foreign key)

__all__ = ["ReissueReminder"]


class ReissueReminder(SQLModel, table=True):
    """The reminder (``reissue_not_downloaded``) sent for an enterprise change's
    ``change_reissue`` left paid and not downloaded, written in the transaction that posts
    it: one per replacement, ever."""

    __tablename__ = "upkeep_reissue_reminders"

    application_id: str = Field(foreign_key="applications.id", primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="accounts.id", max_length=32)
    message_id: int  # no foreign key: the holder may delete the message
    sent_at: int = Field(sa_type=BigInteger)
