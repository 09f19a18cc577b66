"""An enterprise change (企业信息变更) and the certificates its admin chose to re-issue
(see ``huren.node.applications.enterprise_change``)."""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first

__all__ = ["EnterpriseChange", "EnterpriseChangeChoice"]


class EnterpriseChange(SQLModel, table=True):
    """The change an ``enterprise_change`` application asks for: the enterprise's name and
    USCC before and after. ``carried_out_at``: when the paid change updated the record."""

    __tablename__ = "enterprise_changes"

    application_id: str = Field(foreign_key="applications.id", primary_key=True, max_length=32)
    enterprise_id: str = Field(foreign_key="enterprises.id", index=True, max_length=32)
    old_name: str = Field(max_length=128)
    old_uscc: str = Field(max_length=18)
    new_name: str = Field(max_length=128)
    new_uscc: str = Field(max_length=18, index=True)
    carried_out_at: int | None = Field(default=None, sa_type=BigInteger)


class EnterpriseChangeChoice(SQLModel, table=True):
    """One certificate pair chosen for re-issue, named by its signing certificate; its
    holder downloads the replacement through ``reissue_id`` (a ``change_reissue``
    application, made when the CA approves the change)."""

    __tablename__ = "enterprise_change_choices"

    application_id: str = Field(
        foreign_key="enterprise_changes.application_id", primary_key=True, max_length=32
    )
    predecessor: bytes = Field(primary_key=True)
    position: int
    holder_account_id: str = Field(foreign_key="accounts.id", max_length=32)
    reissue_id: str | None = Field(
        default=None, foreign_key="applications.id", index=True, max_length=32
    )
