"""Personnel (人员管理, manual 2.11.4): the admin's view of the enterprise's members,
invitations by name and phone, removal, and admin transfer with a certificate.

- Invite (新增人员): the admin names a person and a mobile number; the invitation is recorded,
  then an SMS goes to the number (the SMS port; a refusal or timeout is the port's error and
  leaves the invitation unsent: inviting again sends again), and an account with that phone
  gets an ``enterprise_invitation`` message. The invitee accepts by joining (加入企业): the
  invitation shows ``accepted`` once an account with that phone is a member.
- Remove (删除人员): the membership ends, the member's pending authorizations are withdrawn
  and granted ones revoked on chain (``AuthorizationService.withdraw_member``, sent after the
  commit); the member is told. The admin is not removed (transfer first).
- Admin transfer with a certificate (有证转授管理员): a sealed letter (kind
  ``admin_transfer``, subject the staff member's account id) makes the staff member admin at
  once, the old admin staff; both are told; the operation log records it. (Without a
  certificate it is the ``admin_transfer`` application, reviewed by a CA.)

Access: an account that is not a member of the enterprise gets ``ENTERPRISE_NOT_FOUND``
(another enterprise's admin learns nothing), a staff member ``NOT_ENTERPRISE_ADMIN``.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.accounts.validation import normalize_phone
from huren.node.audit.oplog import Operation, OperationLog, OperationRecord
from huren.node.db.accounts_tables import Account
from huren.node.db.authorizations_tables import EnterpriseInvitation
from huren.node.db.engine import write_session
from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.node.db.identity_tables import Identity
from huren.node.enterprises import (
    EnterpriseError,
    EnterpriseNotFound,
    NotEnterpriseAdmin,
    Role,
    role_of,
    set_member,
)
from huren.node.enterprises.letters import Expected, LetterKind, SealedLetter, accept_letter
from huren.node.messages import MessageKind, post
from huren.node.ports.protocols import SmsSender

if TYPE_CHECKING:
    from huren.node.enterprises.authorizations import AuthorizationService

__all__ = [
    "InvalidInvitation",
    "InvitationView",
    "MemberNotFound",
    "MemberView",
    "MyEnterprise",
    "PersonnelService",
    "admin_enterprise",
    "member_enterprise",
]

Clock = Callable[[], float]
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,64}")


class InvalidInvitation(EnterpriseError, ValueError):
    status = 422
    code = "INVALID_INVITATION"


class MemberNotFound(EnterpriseError):
    status = 404
    code = "MEMBER_NOT_FOUND"


class CannotRemoveAdmin(EnterpriseError):
    code = "CANNOT_REMOVE_ADMIN"


class NotStaffMember(EnterpriseError):
    """An admin transfer names a staff member of the enterprise."""

    status = 422
    code = "NOT_STAFF_MEMBER"


def member_enterprise(session: Session, enterprise_id: str, account_id: str) -> Role:
    """The account's role; ``EnterpriseNotFound`` for a non-member (even if it exists)."""
    role = role_of(session, enterprise_id, account_id)
    if role is None:
        raise EnterpriseNotFound(f"no enterprise {enterprise_id} of yours")
    return role


def admin_enterprise(session: Session, enterprise_id: str, account_id: str) -> Enterprise:
    """The enterprise ``account_id`` administers (see the module docstring for the errors)."""
    if member_enterprise(session, enterprise_id, account_id) != Role.ADMIN:
        raise NotEnterpriseAdmin("only the enterprise's admin may do this")
    enterprise = session.get(Enterprise, enterprise_id)
    assert enterprise is not None  # a membership references it
    return enterprise


@dataclass(frozen=True, slots=True)
class MyEnterprise:
    id: str
    name: str
    uscc: str
    role: str


@dataclass(frozen=True, slots=True)
class MemberView:
    account_id: str
    role: str
    name: str | None  # masked, from the verified identity
    phone: str  # masked
    joined_at: int


@dataclass(frozen=True, slots=True)
class InvitationView:
    id: str
    name: str
    phone: str  # masked
    state: str  # sent, unsent (the SMS failed), accepted
    created_at: int


def _mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


class PersonnelService:
    def __init__(
        self,
        engine: Engine,
        sms: SmsSender,
        authorizations: AuthorizationService,
        *,
        clock: Clock = time.time,
    ) -> None:
        self.engine = engine
        self.sms = sms
        self.authorizations = authorizations
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    def mine(self, account_id: str) -> list[MyEnterprise]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Enterprise, EnterpriseMember)
                .join(EnterpriseMember, col(EnterpriseMember.enterprise_id) == col(Enterprise.id))
                .where(EnterpriseMember.account_id == account_id)
                .order_by(col(Enterprise.name))
            ).all()
            return [MyEnterprise(e.id, e.name, e.uscc, m.role) for e, m in rows]

    def members(self, admin_id: str, enterprise_id: str) -> list[MemberView]:
        with Session(self.engine) as session:
            admin_enterprise(session, enterprise_id, admin_id)
            rows = session.exec(
                select(EnterpriseMember, Account, Identity)
                .join(Account, col(Account.id) == col(EnterpriseMember.account_id))
                .join(Identity, col(Identity.account_id) == col(Account.id), isouter=True)
                .where(EnterpriseMember.enterprise_id == enterprise_id)
                .order_by(col(EnterpriseMember.created_at), col(EnterpriseMember.account_id))
            ).all()
            return [
                MemberView(
                    m.account_id,
                    m.role,
                    None if i is None else i.masked_name,
                    _mask_phone(a.phone),
                    m.created_at,
                )
                for m, a, i in rows
            ]

    # -- invitations -------------------------------------------------------------------------

    def invite(self, admin_id: str, enterprise_id: str, name: str, phone: str) -> InvitationView:
        if not isinstance(name, str) or _NAME.fullmatch(name) is None or name != name.strip():
            raise InvalidInvitation("a name has 1..64 printable characters, no outer spaces")
        try:
            phone = normalize_phone(phone)
        except ValueError as exc:
            raise InvalidInvitation(str(exc)) from None
        now = self.now()
        with write_session(self.engine) as session:
            enterprise = admin_enterprise(session, enterprise_id, admin_id)
            invitee = session.exec(select(Account).where(Account.phone == phone)).first()
            if invitee is not None and role_of(session, enterprise_id, invitee.id) is not None:
                raise InvalidInvitation("that person is a member already")
            row = session.exec(
                select(EnterpriseInvitation).where(
                    EnterpriseInvitation.enterprise_id == enterprise_id,
                    EnterpriseInvitation.phone == phone,
                )
            ).first()
            if row is None:
                row = EnterpriseInvitation(
                    id=secrets.token_hex(8),
                    enterprise_id=enterprise_id,
                    name=name,
                    phone=phone,
                    invited_by=admin_id,
                    created_at=now,
                )
            row.name = name
            session.add(row)
            if invitee is not None:
                params = {"enterprise_name": enterprise.name, "uscc": enterprise.uscc}
                post(session, invitee.id, MessageKind.ENTERPRISE_INVITATION, params, now=now)
            text = (
                f"【互认】{name}，{enterprise.name} 邀请您加入企业。请在互认 APP 实名认证后"
                f"选择【加入企业】，统一社会信用代码 {enterprise.uscc}。"
            )
            invitation_id = row.id
        self.sms.send(phone, text)  # a port error propagates; the invitation stays unsent
        with write_session(self.engine) as session:
            row = session.get(EnterpriseInvitation, invitation_id)
            assert row is not None
            row.sms_sent_at = now
            session.add(row)
            return self._invitation(session, row)

    def invitations(self, admin_id: str, enterprise_id: str) -> list[InvitationView]:
        with Session(self.engine) as session:
            admin_enterprise(session, enterprise_id, admin_id)
            rows = session.exec(
                select(EnterpriseInvitation)
                .where(EnterpriseInvitation.enterprise_id == enterprise_id)
                .order_by(col(EnterpriseInvitation.created_at), col(EnterpriseInvitation.id))
            ).all()
            return [self._invitation(session, r) for r in rows]

    @staticmethod
    def _invitation(session: Session, row: EnterpriseInvitation) -> InvitationView:
        account = session.exec(select(Account).where(Account.phone == row.phone)).first()
        if account is not None and role_of(session, row.enterprise_id, account.id) is not None:
            state = "accepted"
        else:
            state = "unsent" if row.sms_sent_at is None else "sent"
        return InvitationView(row.id, row.name, _mask_phone(row.phone), state, row.created_at)

    # -- removal and transfer ----------------------------------------------------------------

    def remove(self, admin_id: str, enterprise_id: str, account_id: str) -> None:
        now = self.now()
        with write_session(self.engine) as session:
            enterprise = admin_enterprise(session, enterprise_id, admin_id)
            member = session.get(EnterpriseMember, (enterprise_id, account_id))
            if member is None:
                raise MemberNotFound(f"no member {account_id}")
            if member.role == Role.ADMIN.value:
                raise CannotRemoveAdmin("the admin stays; transfer the admin role first")
            self.authorizations.withdraw_member(
                session, enterprise_id, account_id, f"account:{admin_id}"
            )
            session.delete(member)
            params = {"enterprise_name": enterprise.name}
            post(session, account_id, MessageKind.REMOVED_FROM_ENTERPRISE, params, now=now)
        self.authorizations.finish_revocations()

    def transfer(
        self, admin_id: str, enterprise_id: str, transferee_id: str, letter: SealedLetter | None
    ) -> list[MemberView]:
        """有证转授管理员: immediate, sealed with the enterprise certificate."""
        now = self.now()
        with write_session(self.engine) as session:
            enterprise = admin_enterprise(session, enterprise_id, admin_id)
            if role_of(session, enterprise_id, transferee_id) != Role.STAFF:
                raise NotStaffMember("the admin role goes to a staff member of the enterprise")
            accept_letter(
                session,
                letter,
                enterprise=enterprise,
                admin_id=admin_id,
                expected=Expected(LetterKind.ADMIN_TRANSFER, transferee_id),
                now=now,
            )
            set_member(session, enterprise_id, transferee_id, Role.ADMIN, now=now)
            for account, role in ((transferee_id, "管理员"), (admin_id, "办事人员")):
                params = {"enterprise_name": enterprise.name, "role": role}
                post(session, account, MessageKind.ADMIN_TRANSFERRED, params, now=now)
            record = OperationRecord(
                actor=admin_id, operation=Operation.ADMIN_TRANSFER, subject=enterprise_id
            )
            OperationLog(self.engine, clock=lambda: now).append_in(session.connection(), record)
        return self.members(transferee_id, enterprise_id)
