"""Console roles of people's accounts: a node-admin grants an account (found by its phone)
the role of CA operator for one CA, or of auditor; the console signs such an account in with
its phone and password (or an SMS code) and reads its grants on every request, so revoking a
grant ends the sessions that rest on it.

Errors derive from ``ConsoleRoleError``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.accounts.errors import AccountError
from huren.node.accounts.validation import normalize_phone
from huren.node.db.accounts_tables import Account
from huren.node.db.console_roles_tables import ConsoleRoleGrant
from huren.node.db.engine import write_session

__all__ = [
    "AccountStanding",
    "ConsoleRoleError",
    "ConsoleRoleService",
    "Grant",
    "GrantedRole",
    "InvalidGrant",
    "NoSuchAccount",
    "NoSuchGrant",
]

_CA_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class ConsoleRoleError(Exception):
    """Root of the console roles' errors."""


class InvalidGrant(ConsoleRoleError, ValueError):
    """A role that is not grantable, a CA id missing or malformed, or a phone not valid."""


class NoSuchAccount(ConsoleRoleError):
    """No account has that phone (the person registers in the app, or by SMS, first)."""


class NoSuchGrant(ConsoleRoleError):
    """The grant to revoke does not exist (revoked already)."""


class GrantedRole(StrEnum):
    """The roles an account can hold (values as ``huren.api.console.roles.Role``)."""

    CA_OPERATOR = "ca-operator"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class Grant:
    id: int
    account_id: str
    phone: str
    role: GrantedRole
    ca_id: str | None
    granted_by: str
    granted_at: int


@dataclass(frozen=True, slots=True)
class AccountStanding:
    """What a console session of an account rests on: the account's token version (moves
    on a password or phone change) and its grants now."""

    account_id: str
    phone: str
    token_version: int
    grants: tuple[Grant, ...]

    def ca_ids(self) -> tuple[str, ...]:
        return tuple(
            sorted(g.ca_id for g in self.grants if g.role == GrantedRole.CA_OPERATOR and g.ca_id)
        )

    def roles(self) -> tuple[GrantedRole, ...]:
        return tuple(r for r in GrantedRole if any(g.role == r for g in self.grants))


def _grant(row: ConsoleRoleGrant, phone: str) -> Grant:
    assert row.id is not None
    return Grant(
        row.id,
        row.account_id,
        phone,
        GrantedRole(row.role),
        row.ca_id or None,
        row.granted_by,
        row.granted_at,
    )


class ConsoleRoleService:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def grant(self, phone: str, role: GrantedRole | str, ca_id: str | None, by: str) -> Grant:
        """Grant ``role`` (for ``ca_id`` when CA operator) to the account of ``phone``;
        granting what it holds already answers the existing grant."""
        try:
            role = GrantedRole(role)
            phone = normalize_phone(phone)
        except (ValueError, AccountError) as exc:
            raise InvalidGrant(str(exc)) from None
        if role == GrantedRole.CA_OPERATOR:
            if not ca_id or not _CA_ID.fullmatch(ca_id):
                raise InvalidGrant("a CA operator's grant names the CA id (e.g. zjca)")
        elif ca_id:
            raise InvalidGrant("an auditor's grant names no CA")
        stored_ca = (ca_id or "") if role == GrantedRole.CA_OPERATOR else ""
        with write_session(self.engine) as session:
            account = session.exec(select(Account).where(col(Account.phone) == phone)).first()
            if account is None:
                raise NoSuchAccount(f"no account has the phone {phone}")
            existing = session.exec(
                select(ConsoleRoleGrant).where(
                    col(ConsoleRoleGrant.account_id) == account.id,
                    col(ConsoleRoleGrant.role) == role.value,
                    col(ConsoleRoleGrant.ca_id) == stored_ca,
                )
            ).first()
            if existing is not None:
                return _grant(existing, phone)
            row = ConsoleRoleGrant(
                account_id=account.id,
                role=role.value,
                ca_id=stored_ca,
                granted_by=by[:64],
                granted_at=int(self.clock()),
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError:  # granted by someone else in between
                raise InvalidGrant("granted just now by someone else; reload") from None
            return _grant(row, phone)

    def revoke(self, grant_id: int) -> Grant:
        with write_session(self.engine) as session:
            row = session.get(ConsoleRoleGrant, grant_id)
            if row is None:
                raise NoSuchGrant(f"no grant {grant_id}")
            account = session.get(Account, row.account_id)
            found = _grant(row, account.phone if account is not None else "?")
            session.delete(row)
            return found

    def grants(self) -> list[Grant]:
        """Every grant, by phone then role."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(ConsoleRoleGrant, Account.phone).join(
                    Account, col(Account.id) == col(ConsoleRoleGrant.account_id)
                )
            ).all()
        found = [_grant(row, phone) for row, phone in rows]
        return sorted(found, key=lambda g: (g.phone, g.role, g.ca_id or ""))

    def standing(self, account_id: str) -> AccountStanding | None:
        """The account's token version and grants; None when the account is gone."""
        with Session(self.engine) as session:
            account = session.get(Account, account_id)
            if account is None:
                return None
            rows = session.exec(
                select(ConsoleRoleGrant).where(col(ConsoleRoleGrant.account_id) == account_id)
            ).all()
            grants = tuple(_grant(r, account.phone) for r in rows)
            return AccountStanding(account.id, account.phone, account.token_version, grants)
