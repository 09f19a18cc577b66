"""What the node's upkeep job has done once and must not do again (see
``huren.node.upkeep``)."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.applications_tables  # noqa: F401 - held certificates first (foreign key)

__all__ = ["ExpiryNotice"]


class ExpiryNotice(SQLModel, table=True):
    """The "expiring soon" message (``certificate_expiring``) sent for a held signing
    certificate, written in the transaction that posts it: one per certificate, ever."""

    __tablename__ = "upkeep_expiry_notices"

    fingerprint: bytes = Field(foreign_key="held_certificates.fingerprint", primary_key=True)
    account_id: str = Field(foreign_key="accounts.id", max_length=32)
    message_id: int  # no foreign key: the holder may delete the message
    not_after: int = Field(sa_type=BigInteger)
    sent_at: int = Field(sa_type=BigInteger)
