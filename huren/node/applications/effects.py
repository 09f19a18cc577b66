"""What an approval or a completed application changes besides its own state: enterprise
memberships, the applicant's messages and the operation log. Run inside the caller's
transaction."""

from __future__ import annotations

from sqlmodel import Session

from huren.node import enterprises
from huren.node.applications import change_choice, enterprise_change
from huren.node.applications.model import ApplicationKind
from huren.node.audit.oplog import Operation, OperationLog, OperationRecord
from huren.node.db.applications_tables import Application
from huren.node.db.recovery_tables import KeyRecovery
from huren.node.enterprises import Role
from huren.node.messages import MessageKind, post

__all__ = ["complete_transfer", "on_approved", "on_paid"]


def on_approved(session: Session, row: Application, now: int) -> None:
    """A claim makes the claimant the enterprise's admin and a join makes the joiner staff
    when the CA approves (the manual's messages say so); the applicant is told."""
    kind = ApplicationKind(row.kind)
    if kind == ApplicationKind.CLAIM_ENTERPRISE:
        assert row.enterprise_name is not None and row.uscc is not None
        change_choice.check_uscc_free(session, row.uscc, row.enterprise_id)
        enterprise = enterprises.ensure_enterprise(session, row.enterprise_name, row.uscc, now=now)
        admin = enterprises.admin_of(session, enterprise.id)
        if admin is not None and admin != row.account_id:
            raise enterprises.EnterpriseClaimed("another account claimed the enterprise first")
        enterprises.set_member(session, enterprise.id, row.account_id, Role.ADMIN, now=now)
        row.enterprise_id = enterprise.id
        params = {"application_id": row.id, "enterprise_name": row.enterprise_name}
        post(session, row.account_id, MessageKind.CLAIM_APPROVED, params, now=now)
    elif kind == ApplicationKind.JOIN_ENTERPRISE:
        assert row.enterprise_id is not None and row.enterprise_name is not None
        enterprises.set_member(session, row.enterprise_id, row.account_id, Role.STAFF, now=now)
        params = {"application_id": row.id, "enterprise_name": row.enterprise_name}
        post(session, row.account_id, MessageKind.JOIN_APPROVED, params, now=now)
    elif kind == ApplicationKind.ENTERPRISE_CHANGE:
        enterprise_change.on_approved(session, row, now)
    elif kind == ApplicationKind.RENEWAL:
        post(
            session, row.account_id, MessageKind.RENEWAL_READY, {"application_id": row.id}, now=now
        )
    elif kind == ApplicationKind.RECOVERY and session.get(KeyRecovery, row.id) is not None:
        pass  # a split-key recovery downloads nothing: recovery_ready follows at payment
    elif kind != ApplicationKind.ADMIN_TRANSFER:
        params = {"application_id": row.id}
        post(session, row.account_id, MessageKind.CERTIFICATE_READY, params, now=now)
    session.add(row)


def on_paid(session: Session, row: Application, now: int) -> None:
    """A split-key recovery approved and paid: its ticket can now be asked for, so the
    holder is told (证书找回审核通过), in the transaction that makes it paid."""
    if row.kind == ApplicationKind.RECOVERY.value and session.get(KeyRecovery, row.id) is not None:
        params = {"application_id": row.id}
        post(session, row.account_id, MessageKind.RECOVERY_READY, params, now=now)


def complete_transfer(session: Session, row: Application, now: int) -> None:
    """无证转授管理员 (2.11.4.4.2): the staff member named becomes the admin, the applicant
    (the admin until now) stays on as staff."""
    assert row.enterprise_id is not None and row.enterprise_name is not None
    assert row.transferee_id is not None
    if enterprises.role_of(session, row.enterprise_id, row.transferee_id) != Role.STAFF:
        raise enterprises.EnterpriseError("the transferee is no longer staff of the enterprise")
    enterprises.set_member(session, row.enterprise_id, row.transferee_id, Role.ADMIN, now=now)
    name = row.enterprise_name
    post(session, row.transferee_id, MessageKind.ADMIN_TRANSFERRED, _role(name, "管理员"), now=now)
    post(session, row.account_id, MessageKind.ADMIN_TRANSFERRED, _role(name, "办事人员"), now=now)
    record = OperationRecord(
        actor=row.account_id, operation=Operation.ADMIN_TRANSFER, subject=row.enterprise_id
    )  # 操作追溯: who handed the enterprise to whom is in the application's own trail
    OperationLog(session.get_bind(), clock=lambda: now).append_in(session.connection(), record)  # type: ignore[arg-type]


def _role(enterprise_name: str, role: str) -> dict[str, str]:
    return {"enterprise_name": enterprise_name, "role": role}
