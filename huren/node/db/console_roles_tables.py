"""Tables of the console: roles granted to accounts, and the auditor's replay runs (see
``huren.node.console_roles`` and ``huren.node.console_audit``).

A grant gives one account one console role: ``ca-operator`` of one CA (``ca_id``) or
``auditor`` (``ca_id`` empty, so that the unique key also holds for it). A replay run keeps
its report's JSON once finished (the console renders the plots from its statistics).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import huren.node.db.models  # noqa: F401 - the shared metadata's naming convention first
from huren.node.db.accounts_tables import Account  # noqa: F401 - the foreign key's table

__all__ = ["ConsoleAuditRun", "ConsoleRoleGrant"]


class ConsoleRoleGrant(SQLModel, table=True):
    __tablename__ = "console_role_grants"
    __table_args__ = (UniqueConstraint("account_id", "role", "ca_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="accounts.id", index=True, max_length=32)
    role: str = Field(max_length=16)
    ca_id: str = Field(default="", max_length=64)  # "" unless the role is ca-operator
    granted_by: str = Field(max_length=64)
    granted_at: int = Field(sa_type=BigInteger)


class ConsoleAuditRun(SQLModel, table=True):
    """One replay run from the console: ``status`` running, done or failed."""

    __tablename__ = "console_audit_runs"

    id: int | None = Field(default=None, primary_key=True)
    started_by: str = Field(max_length=64)
    started_at: int = Field(sa_type=BigInteger, index=True)
    finished_at: int | None = Field(default=None, sa_type=BigInteger)
    status: str = Field(max_length=16)
    to_block: int | None = Field(default=None, sa_type=BigInteger)
    clean: bool | None = None
    differences: int | None = None
    error: str | None = Field(default=None, max_length=2000)
    report_json: str | None = Field(default=None, sa_type=Text)
