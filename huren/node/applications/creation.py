"""Checking a new application against the chain's index (platform, CA), the enterprise
records and the certificates the applicant holds, and filling in what it takes from them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from huren.node import enterprises
from huren.node.applications import change_choice
from huren.node.applications.errors import (
    CaNotAccepting,
    CertificateNotHeld,
    InvalidApplication,
    NotEnterpriseAdmin,
    UnknownPlatform,
)
from huren.node.applications.model import ApplicationKind, Predecessor
from huren.node.applications.recovery_errors import SplitKeyRecoveryByDevice
from huren.node.cosigner.query import enrolment_of_certificate
from huren.node.db.accounts_tables import Account
from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.models import Ca, Certificate, Platform
from huren.node.enterprises import Role
from huren.registry.types import CaStatus, CertificateKind, CertificateStatus

__all__ = ["NewApplication", "check_ca", "check_platform", "take_enterprise", "take_predecessor"]


@dataclass(frozen=True, slots=True)
class NewApplication:
    kind: ApplicationKind
    ca_id: str
    platform_id: str
    validity_years: int
    enterprise_name: str | None = None
    uscc: str | None = None
    person_name: str | None = None
    id_number: str | None = None  # checked against the verified identity, never stored
    predecessor: bytes | None = None  # a signing certificate the applicant holds
    transferee_phone: str | None = None  # admin transfer: the staff member's phone


def take_enterprise(
    session: Session, row: Application, kind: ApplicationKind, new: NewApplication
) -> None:
    K = ApplicationKind
    needs_person = kind in (K.CLAIM_ENTERPRISE, K.JOIN_ENTERPRISE, K.PERSONAL)
    if needs_person and row.person_name is None:
        raise InvalidApplication(f"a {kind.value} application names the person (and ID)")
    if kind == K.PERSONAL:
        return
    if new.uscc is None:
        raise InvalidApplication(f"a {kind.value} application names the enterprise's USCC")
    existing = enterprises.by_uscc(session, new.uscc)
    if kind == K.CLAIM_ENTERPRISE:
        if new.enterprise_name is None:
            raise InvalidApplication("a claim names the enterprise")
        if existing is not None and enterprises.admin_of(session, existing.id) is not None:
            raise enterprises.EnterpriseClaimed("the enterprise has an admin already")
        row.enterprise_name = enterprises.checked_name(new.enterprise_name)
        row.uscc = enterprises.checked_uscc(new.uscc)
        row.enterprise_id = None if existing is None else existing.id
        change_choice.check_uscc_free(session, row.uscc, row.enterprise_id)
        return
    if existing is None:
        raise enterprises.EnterpriseNotFound("no enterprise with that USCC is claimed here")
    role = enterprises.role_of(session, existing.id, row.account_id)
    if kind == K.JOIN_ENTERPRISE and role is not None:
        raise enterprises.AlreadyMember("the account is a member of the enterprise already")
    if kind == K.ENTERPRISE_CERTIFICATE:
        _enterprise_certificate(row, role)
    if kind == K.ADMIN_TRANSFER:
        if role != Role.ADMIN:
            raise NotEnterpriseAdmin("only the enterprise's admin hands the role on")
        row.transferee_id = _transferee(session, existing.id, new.transferee_phone)
    row.enterprise_id, row.enterprise_name, row.uscc = existing.id, existing.name, existing.uscc


def _enterprise_certificate(row: Application, role: Role | None) -> None:
    """The admin's is the enterprise certificate; a staff member's (办事人员新增企业证书,
    2.12.2.1) is a staff certificate naming the enterprise and the person, agreed to by the
    admin first (``staff_requests``)."""
    if role is None:
        raise enterprises.NotEnterpriseMember(
            "only the enterprise's members apply for its certificates"
        )
    if role == Role.STAFF:
        if row.person_name is None:
            raise InvalidApplication("a staff member's certificate names the person (and ID)")
        row.certificate_kind = CertificateKind.STAFF.value


def _transferee(session: Session, enterprise_id: str, phone: str | None) -> str:
    account = (
        None
        if phone is None
        else session.exec(select(Account).where(Account.phone == phone)).first()
    )
    if account is None or enterprises.role_of(session, enterprise_id, account.id) != Role.STAFF:
        raise InvalidApplication("the admin role goes to a staff member (name their phone)")
    return account.id


def take_predecessor(
    session: Session, row: Application, new: NewApplication, want: Predecessor, now: int
) -> None:
    if new.predecessor is None:
        raise InvalidApplication(f"a {row.kind} application names the certificate it replaces")
    held = session.get(HeldCertificate, new.predecessor)
    if held is None or held.account_id != row.account_id or held.usage != 1:
        raise CertificateNotHeld("the predecessor is none of your signing certificates")
    indexed = session.get(Certificate, held.fingerprint)
    if indexed is not None and indexed.status == CertificateStatus.REVOKED:
        raise InvalidApplication("a revoked certificate is neither renewed nor replaced")
    if held.replaced_by is not None:
        raise InvalidApplication("that certificate was replaced already")
    expired = held.not_after <= now
    if want == Predecessor.ACTIVE and expired:
        raise InvalidApplication("the certificate has expired: apply for it again instead")
    if want == Predecessor.EXPIRED and not expired:
        raise InvalidApplication("the certificate is still valid: renew it instead")
    before = session.get(Application, held.application_id)
    assert before is not None
    row.predecessor = held.fingerprint
    row.holder = before.holder  # the same holder on chain
    row.enterprise_id, row.uscc = before.enterprise_id, before.uscc
    row.enterprise_name, row.person_name = before.enterprise_name, before.person_name
    row.certificate_kind = before.certificate_kind
    if row.kind == ApplicationKind.RECOVERY:
        if enrolment_of_certificate(session, held.fingerprint) is not None:
            # A split key is recovered by resharing onto the new phone (same certificate),
            # not by new keys: that flow checks identity afresh and revokes the old device.
            raise SplitKeyRecoveryByDevice(
                "that certificate's key is split with the co-signer: recover it through "
                "/v1/recoveries (the new phone reshares; the certificate stays)"
            )
        if new.person_name is None or new.id_number is None:
            # The manual: recovery verifies the person again, matching the account's identity.
            raise InvalidApplication("a recovery names the person (name and ID number) again")


def check_platform(session: Session, platform_id: str) -> str:
    platform = session.get(Platform, platform_id)
    if platform is None or not platform.active:
        raise UnknownPlatform(f"no active platform {platform_id!r} on chain")
    return platform.center


def check_ca(session: Session, ca_id: str, served: frozenset[str]) -> None:
    ca = session.get(Ca, ca_id)
    if ca is None or ca.status != CaStatus.ACCREDITED:
        state = "unknown" if ca is None else CaStatus(ca.status).name.lower()
        raise CaNotAccepting(f"CA {ca_id!r} is {state} on chain; it takes no applications")
    if ca_id not in served:
        raise CaNotAccepting(f"CA {ca_id!r} is not served by this node")
