"""Enterprises and their members, as claims and joins create them (a later round adds
personnel management and authorizations on top).

An enterprise is known by its USCC (GB 32100, checked with
``huren.node.identity.checks.check_uscc``); it has at most one ``admin`` member (the account
whose claim made it, or to whom the admin role was transferred) and any number of ``staff``.
The functions work inside the caller's session, so a membership exists if and only if the
caller's change (an issued claim, an approved join) commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session, select

from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.node.identity.checks import InvalidUscc, check_uscc

__all__ = [
    "AlreadyMember",
    "EnterpriseClaimed",
    "EnterpriseError",
    "EnterpriseNotFound",
    "EnterpriseView",
    "InvalidEnterprise",
    "NotEnterpriseAdmin",
    "NotEnterpriseMember",
    "Role",
    "admin_of",
    "by_uscc",
    "change",
    "checked_name",
    "checked_uscc",
    "ensure_enterprise",
    "require_role",
    "role_of",
    "set_member",
]


class EnterpriseError(Exception):
    status = 409
    code = "ENTERPRISE_ERROR"


class InvalidEnterprise(EnterpriseError, ValueError):
    status = 422
    code = "INVALID_ENTERPRISE"


class EnterpriseNotFound(EnterpriseError):
    status = 404
    code = "ENTERPRISE_NOT_FOUND"


class EnterpriseClaimed(EnterpriseError):
    """The enterprise has an admin already (a claim is made once)."""

    code = "ENTERPRISE_CLAIMED"


class AlreadyMember(EnterpriseError):
    code = "ALREADY_MEMBER"


class NotEnterpriseMember(EnterpriseError):
    status = 403
    code = "NOT_ENTERPRISE_MEMBER"


class NotEnterpriseAdmin(EnterpriseError):
    status = 403
    code = "NOT_ENTERPRISE_ADMIN"


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class EnterpriseView:
    id: str
    name: str
    uscc: str

    @classmethod
    def of(cls, row: Enterprise) -> EnterpriseView:
        return cls(row.id, row.name, row.uscc)


def checked_uscc(uscc: str) -> str:
    try:
        return check_uscc(uscc)
    except InvalidUscc as exc:
        raise InvalidEnterprise(str(exc)) from None


def checked_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 128 or name != name.strip():
        raise InvalidEnterprise("an enterprise name has 1..128 characters, no outer spaces")
    return name


def by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.exec(select(Enterprise).where(Enterprise.uscc == checked_uscc(uscc))).first()


def ensure_enterprise(session: Session, name: str, uscc: str, *, now: int) -> Enterprise:
    """The enterprise of ``uscc``, created under ``name`` if new; an existing one takes
    ``name`` (a claim or an enterprise change states the registered name)."""
    row = by_uscc(session, uscc)
    if row is None:
        row = Enterprise(
            id=secrets.token_hex(8),
            name=checked_name(name),
            uscc=checked_uscc(uscc),
            created_at=now,
            updated_at=now,
        )
    elif row.name != name:
        row.name, row.updated_at = checked_name(name), now
    session.add(row)
    session.flush()
    return row


def change(session: Session, enterprise_id: str, name: str, uscc: str, *, now: int) -> None:
    """An enterprise change (企业信息变更): the registered name and USCC as they are now."""
    row = session.get(Enterprise, enterprise_id)
    if row is None:
        raise EnterpriseNotFound(f"no enterprise {enterprise_id}")
    row.name, row.uscc, row.updated_at = checked_name(name), checked_uscc(uscc), now
    session.add(row)
    session.flush()


def admin_of(session: Session, enterprise_id: str) -> str | None:
    """The account that administers the enterprise, if any."""
    row = session.exec(
        select(EnterpriseMember).where(
            EnterpriseMember.enterprise_id == enterprise_id, EnterpriseMember.role == Role.ADMIN
        )
    ).first()
    return None if row is None else row.account_id


def role_of(session: Session, enterprise_id: str, account_id: str) -> Role | None:
    row = session.get(EnterpriseMember, (enterprise_id, account_id))
    return None if row is None else Role(row.role)


def require_role(engine: Engine, enterprise_id: str, account_id: str, *, admin: bool) -> Role:
    """The account's role in the enterprise, which it must have (``admin``: as its admin):
    what another service asks before acting for an enterprise (its bills, say)."""
    with Session(engine) as session:
        role = role_of(session, enterprise_id, account_id)
    if role is None:
        raise NotEnterpriseMember("you do not belong to this enterprise")
    if admin and role != Role.ADMIN:
        raise NotEnterpriseAdmin("only the enterprise's admin may do this")
    return role


def set_member(
    session: Session, enterprise_id: str, account_id: str, role: Role, *, now: int
) -> None:
    """Make ``account_id`` a member with ``role``; a new admin demotes the old one to staff
    (one admin per enterprise)."""
    if role == Role.ADMIN:
        current = admin_of(session, enterprise_id)
        if current is not None and current != account_id:
            old = session.get(EnterpriseMember, (enterprise_id, current))
            assert old is not None
            old.role = Role.STAFF.value
            session.add(old)
    row = session.get(EnterpriseMember, (enterprise_id, account_id))
    if row is None:
        row = EnterpriseMember(
            enterprise_id=enterprise_id, account_id=account_id, role=role.value, created_at=now
        )
    row.role = role.value
    session.add(row)
    session.flush()
