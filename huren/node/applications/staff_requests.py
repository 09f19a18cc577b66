"""Which applications go to the enterprise admin before the CA (staff requests), and what
the admin is told and seals.

The manual (2.7.2, 2.12.2.1, 2.12.2.3, 2.12.2.5): a join, and a staff member's (办事人员)
new enterprise certificate, renewal and re-application of an expired one, are submitted to
the enterprise's admin (管理员), who gets 加入企业申领, 证书授权 ("办事人员 X 申请企业证书，请审核")
or 证书续期 ("办事人员 X 申请续期企业证书，请审核"), agrees, and seals an authorization letter
(确认并盖章) before the request goes on to the CA. The admin's own applications and personal
certificates do not take this step.

So the step is decided per application, not per kind: a join always; an enterprise
certificate, renewal or re-application when the certificate it issues names the enterprise
(an enterprise-bound certificate: staff, or an enterprise certificate a former admin still
holds) and the applicant is staff of that enterprise now (the admin: no step; no longer a
member: refused, ``NotEnterpriseMember``). A staff member's "enterprise certificate" is a
staff certificate (``StaffSubject``: the enterprise and the person): the enterprise
certificate proper names no person and is the admin's to hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from huren.node import enterprises
from huren.node.applications.model import ApplicationKind
from huren.node.db.applications_tables import Application
from huren.node.enterprises import Role
from huren.node.enterprises.letters import LetterKind
from huren.node.messages import MessageKind, post
from huren.registry.types import CertificateKind

__all__ = ["AdminStep", "admin_step", "ask_admin", "check_still_member"]

_K = ApplicationKind
# Kinds whose certificate, when it names an enterprise, is the enterprise admin's to agree to.
_ENTERPRISE_BOUND_KINDS = frozenset({_K.ENTERPRISE_CERTIFICATE, _K.RENEWAL, _K.REAPPLICATION})
_BOUND_CERTIFICATES = frozenset({CertificateKind.ENTERPRISE.value, CertificateKind.STAFF.value})


@dataclass(frozen=True, slots=True)
class AdminStep:
    """The admin's step of a staff request: the message the admin gets and the letter kind
    the approval is sealed with."""

    message: MessageKind
    letter: LetterKind


_JOIN = AdminStep(MessageKind.JOIN_REQUEST, LetterKind.JOIN_APPROVAL)
_CERTIFICATE = AdminStep(MessageKind.CERTIFICATE_REQUEST, LetterKind.STAFF_CERTIFICATE)
_RENEWAL = AdminStep(MessageKind.RENEWAL_REQUEST, LetterKind.STAFF_CERTIFICATE)


def _enterprise_bound(row: Application) -> bool:
    return (
        ApplicationKind(row.kind) in _ENTERPRISE_BOUND_KINDS
        and row.enterprise_id is not None
        and row.certificate_kind in _BOUND_CERTIFICATES
    )


def admin_step(session: Session, row: Application) -> AdminStep | None:
    """The admin's step ``row`` takes before the CA, or None (straight to the CA).
    ``NotEnterpriseMember`` when it asks for a certificate of an enterprise the applicant
    no longer belongs to."""
    kind = ApplicationKind(row.kind)
    if kind == _K.JOIN_ENTERPRISE:
        return _JOIN
    if not _enterprise_bound(row):
        return None
    assert row.enterprise_id is not None
    role = enterprises.role_of(session, row.enterprise_id, row.account_id)
    if role is None:
        raise enterprises.NotEnterpriseMember(
            f"you no longer belong to {row.enterprise_name}: its certificates are not yours "
            "to apply for"
        )
    if role == Role.ADMIN:
        return None
    return _RENEWAL if kind == _K.RENEWAL else _CERTIFICATE


def check_still_member(session: Session, row: Application) -> None:
    """An enterprise-bound certificate is issued only to a member: checked again when the
    admin and when the CA approves (a member removed meanwhile is refused)."""
    if not _enterprise_bound(row):
        return
    assert row.enterprise_id is not None
    if enterprises.role_of(session, row.enterprise_id, row.account_id) is None:
        raise enterprises.NotEnterpriseMember(
            "the applicant no longer belongs to the enterprise the certificate names"
        )


def ask_admin(session: Session, row: Application, step: AdminStep, *, now: int) -> None:
    """The admin's inbox gets the request (加入企业申领, 证书授权 or 证书续期)."""
    admin = enterprises.admin_of(session, row.enterprise_id or "")
    if admin is None:  # an enterprise always has its admin; a broken record is refused
        raise enterprises.EnterpriseNotFound("the enterprise has no admin to ask")
    assert row.person_name and row.enterprise_name
    params: dict[str, str] = {"request_id": row.id}
    if step.message == MessageKind.JOIN_REQUEST:
        params |= {"applicant_name": row.person_name, "enterprise_name": row.enterprise_name}
    else:
        params["staff_name"] = row.person_name
    post(session, admin, step.message, params, now=now)
