"""变更企业信息 (manual 2.11.4.3): the enterprise's admin changes its name (and USCC) and
chooses which of its active certificates to re-issue under the new name.

One application (``enterprise_change``, the admin's) goes through one CA review and one
payment: its fee is the price of a new certificate pair times the pairs chosen, and its
billing order pays for that many (``OrderTerms.quantity``). Then:

- **on the CA's approval** (``on_approved``, in the review's transaction) the choice is
  checked again (a certificate revoked, replaced or expired since, a holder who left, a
  replacement started elsewhere: the approval fails with that error and the CA rejects) and
  each chosen certificate becomes a ``change_reissue`` application of its *holder*, state
  ``approved``, fee 0: the holder sees it among their pending applications;
- **on payment** (``carry_out``, in billing's transaction) the enterprise record takes the
  new name and USCC, every ``change_reissue`` becomes ``paid`` and its holder gets a
  ``certificate_ready`` message; the change itself is ``completed`` (no CA rejection after
  that: the change is carried out);
- **each holder downloads** their replacement with their own keys through the ordinary
  ``POST /v1/applications/{id}/download`` (``CertificateDesk.download``: crash-safe, a retry
  finishes the same reservation), predecessor links on chain, the replaced pair revoked as
  superseded, the warning ``ENCRYPTION_KEY_REPLACED``.

Certificates not chosen stay as they are: they keep naming the old enterprise name until
they are renewed or re-applied for.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from huren.node import enterprises
from huren.node.applications import change_choice
from huren.node.applications.change_choice import Candidate
from huren.node.applications.change_errors import NotEnterpriseCertificate, NothingChanged
from huren.node.applications.creation import NewApplication, check_ca, check_platform
from huren.node.applications.errors import (
    ApplicationNotFound,
    InvalidApplication,
    NotEnterpriseAdmin,
)
from huren.node.applications.model import Action, ApplicationKind, ApplicationState
from huren.node.applications.subjects import subject_of
from huren.node.applications.views import ApplicationView
from huren.node.db.applications_tables import (
    Application,
    ApplicationTransition,
    HeldCertificate,
)
from huren.node.db.engine import write_session
from huren.node.db.enterprise_change_tables import EnterpriseChange, EnterpriseChangeChoice
from huren.node.db.enterprises_tables import Enterprise
from huren.node.enterprises import Role
from huren.node.messages import MessageKind, post

if TYPE_CHECKING:
    from huren.node.applications.service import ApplicationService

__all__ = [
    "CandidatesView",
    "ChangeView",
    "ChoiceView",
    "EnterpriseChanges",
    "NewEnterpriseChange",
    "carry_out",
    "on_approved",
]

# The manual: "CA 证书一经变更，不能恢复，无法解密原有文件！"
CHOICE_WARNING = (
    "ENCRYPTION_KEY_REPLACED: each chosen certificate pair is replaced with new keys; files "
    "encrypted to the replaced encryption certificates can no longer be decrypted"
)
_S = ApplicationState
_FORM_CHOICES = 3  # chosen certificates named on the one-page form


@dataclass(frozen=True, slots=True)
class NewEnterpriseChange:
    enterprise_uscc: str  # the enterprise, by its USCC as it is now
    ca_id: str  # reviews the change and issues every replacement
    platform_id: str  # the replacements' scope (as any application's)
    validity_years: int
    new_name: str
    new_uscc: str | None  # None: the USCC stays
    certificates: tuple[bytes, ...]  # the chosen signing certificates (partners go along)


@dataclass(frozen=True, slots=True)
class CandidatesView:
    enterprise_id: str
    name: str
    uscc: str
    certificates: tuple[Candidate, ...]
    warnings: tuple[str, ...] = (CHOICE_WARNING,)


@dataclass(frozen=True, slots=True)
class ChoiceView:
    predecessor: str
    holder_account_id: str
    reissue_id: str | None  # the holder's change_reissue application (after approval)
    reissue_state: str | None
    signing_fingerprint: str | None  # the replacement, once downloaded
    encryption_fingerprint: str | None
    label: str = ""  # the chosen certificate as the form names it (its name, fingerprint)


@dataclass(frozen=True, slots=True)
class ChangeView:
    application: ApplicationView
    enterprise_id: str
    old_name: str
    old_uscc: str
    new_name: str
    new_uscc: str
    carried_out_at: int | None
    choices: tuple[ChoiceView, ...]
    warnings: tuple[str, ...] = (CHOICE_WARNING,)

    def form_lines(self) -> list[tuple[str, str]]:
        """The change form's fields (企业变更申领表, one A4 page: the first few chosen
        certificates by name, the rest counted)."""
        app = self.application
        lines = [
            ("申请编号", app.id),
            ("原企业名称", self.old_name),
            ("原统一社会信用代码", self.old_uscc),
            ("新企业名称", self.new_name),
            ("新统一社会信用代码", self.new_uscc),
            ("CA 机构", app.ca_id),
            ("交易平台", app.platform_id),
            ("有效期（年）", str(app.validity_years)),
            ("费用（元）", f"{app.fee_fen / 100:.2f}"),
            ("变更证书", f"{len(self.choices)} 对（签名证书及其加密证书）"),
        ]
        shown = self.choices[:_FORM_CHOICES]
        lines += [(f"证书 {i}", c.label) for i, c in enumerate(shown, 1)]
        if len(self.choices) > len(shown):
            lines.append(("", f"另 {len(self.choices) - len(shown)} 对，见 CA 审核页"))
        return lines


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


class EnterpriseChanges:
    """The admin's side of a change over the application service (stateless: cheap to
    build per call)."""

    def __init__(self, applications: ApplicationService) -> None:
        self.applications = applications
        self.engine = applications.engine

    def _administered(self, session: Session, account_id: str, uscc: str) -> str:
        enterprise = enterprises.by_uscc(session, uscc)
        if enterprise is None:
            raise enterprises.EnterpriseNotFound("no enterprise with that USCC is claimed here")
        if enterprises.role_of(session, enterprise.id, account_id) != Role.ADMIN:
            raise NotEnterpriseAdmin("only the enterprise's admin changes its information")
        return enterprise.id

    def candidates(self, account_id: str, uscc: str) -> CandidatesView:
        """What the admin may choose: the enterprise's active enterprise and staff
        certificates, with holder, kind and expiry."""
        with Session(self.engine) as session:
            enterprise_id = self._administered(session, account_id, uscc)
            found = change_choice.candidates(session, enterprise_id, self.applications.now())
            enterprise = enterprises.by_uscc(session, uscc)
            assert enterprise is not None
            return CandidatesView(enterprise.id, enterprise.name, enterprise.uscc, tuple(found))

    def create(self, account_id: str, new: NewEnterpriseChange) -> ChangeView:
        """A draft change (attach the licence and the form, then submit); every check
        before anything is written, all of it written in one transaction."""
        if not isinstance(new.validity_years, int) or not 1 <= new.validity_years <= 3:
            raise InvalidApplication("validity is 1, 2 or 3 years")
        service, now = self.applications, self.applications.now()
        with write_session(self.engine) as session:
            enterprise_id = self._administered(session, account_id, new.enterprise_uscc)
            enterprise = enterprises.by_uscc(session, new.enterprise_uscc)
            assert enterprise is not None
            new_name = enterprises.checked_name(new.new_name)
            new_uscc = enterprise.uscc if new.new_uscc is None else new.new_uscc
            new_uscc = enterprises.checked_uscc(new_uscc)  # GB 32100
            if (new_name, new_uscc) == (enterprise.name, enterprise.uscc):
                raise NothingChanged("the enterprise has that name and USCC already")
            change_choice.check_uscc_free(session, new_uscc, enterprise_id)
            change_choice.change_in_flight(session, enterprise_id, None)
            change_choice.check_choice(session, enterprise_id, new.certificates, now)
            center = check_platform(session, new.platform_id)
            check_ca(session, new.ca_id, service.issuing_cas())
            unit = service.billing.quote(
                new.ca_id, ApplicationKind.ENTERPRISE_CHANGE, new.validity_years
            )
            row = Application(
                id=secrets.token_hex(8),
                account_id=account_id,
                kind=ApplicationKind.ENTERPRISE_CHANGE.value,
                state=_S.DRAFT.value,
                ca_id=new.ca_id,
                platform_id=new.platform_id,
                center=center,
                validity_years=new.validity_years,
                fee_fen=unit * len(new.certificates),
                enterprise_id=enterprise_id,
                enterprise_name=new_name,
                uscc=new_uscc,
                holder=hashlib.sha256(b"huren change v1|" + secrets.token_bytes(32)).digest(),
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            session.add(
                EnterpriseChange(
                    application_id=row.id,
                    enterprise_id=enterprise_id,
                    old_name=enterprise.name,
                    old_uscc=enterprise.uscc,
                    new_name=new_name,
                    new_uscc=new_uscc,
                )
            )
            session.flush()
            for position, fingerprint in enumerate(new.certificates):
                held = session.get(HeldCertificate, fingerprint)
                assert held is not None
                session.add(
                    EnterpriseChangeChoice(
                        application_id=row.id,
                        predecessor=fingerprint,
                        position=position,
                        holder_account_id=held.account_id,
                    )
                )
        return self.detail(account_id, row.id)

    def create_from_predecessor(self, account_id: str, new: NewApplication) -> ApplicationView:
        """``POST /v1/applications`` with kind ``enterprise_change`` as before: one
        certificate (``predecessor``) chosen, the enterprise the one that issued it."""
        if new.predecessor is None:
            raise InvalidApplication("an enterprise change names the certificates it re-issues")
        if new.enterprise_name is None:
            raise InvalidApplication("an enterprise change names the enterprise as it is now")
        with Session(self.engine) as session:
            held = session.get(HeldCertificate, new.predecessor)
            issued_by = None if held is None else session.get(Application, held.application_id)
            enterprise = None
            if issued_by is not None and issued_by.enterprise_id is not None:
                enterprise = session.get(Enterprise, issued_by.enterprise_id)
            if enterprise is None:
                raise NotEnterpriseCertificate(
                    "the predecessor is no enterprise or staff certificate"
                )
            uscc = enterprise.uscc
        change = NewEnterpriseChange(
            enterprise_uscc=uscc,
            ca_id=new.ca_id,
            platform_id=new.platform_id,
            validity_years=new.validity_years,
            new_name=new.enterprise_name,
            new_uscc=new.uscc,
            certificates=(new.predecessor,),
        )
        return self.create(account_id, change).application

    def detail(self, account_id: str, application_id: str) -> ChangeView:
        with Session(self.engine) as session:
            row = self.applications.owned(session, account_id, application_id)
            return self._view(session, row)

    def ca_detail(self, ca_id: str, application_id: str) -> ChangeView:
        with Session(self.engine) as session:
            return self._view(session, self.applications.of_ca(session, ca_id, application_id))

    def _view(self, session: Session, row: Application) -> ChangeView:
        change = session.get(EnterpriseChange, row.id)
        if change is None:
            raise ApplicationNotFound(f"application {row.id} is no enterprise change")
        choices = []
        for choice in _choices(session, row.id):
            reissue = _reissue(session, choice)
            choices.append(
                ChoiceView(
                    predecessor=choice.predecessor.hex(),
                    holder_account_id=choice.holder_account_id,
                    reissue_id=choice.reissue_id,
                    reissue_state=None if reissue is None else reissue.state,
                    label=_label(session, choice.predecessor),
                    signing_fingerprint=_hex(
                        None if reissue is None else reissue.signing_fingerprint
                    ),
                    encryption_fingerprint=_hex(
                        None if reissue is None else reissue.encryption_fingerprint
                    ),
                )
            )
        return ChangeView(
            application=self.applications._view(session, row),
            enterprise_id=change.enterprise_id,
            old_name=change.old_name,
            old_uscc=change.old_uscc,
            new_name=change.new_name,
            new_uscc=change.new_uscc,
            carried_out_at=change.carried_out_at,
            choices=tuple(choices),
        )


def _choices(session: Session, change_id: str) -> list[EnterpriseChangeChoice]:
    return list(
        session.exec(
            select(EnterpriseChangeChoice)
            .where(EnterpriseChangeChoice.application_id == change_id)
            .order_by(col(EnterpriseChangeChoice.position))
        ).all()
    )


def _label(session: Session, fingerprint: bytes) -> str:
    held = session.get(HeldCertificate, fingerprint)
    name = "" if held is None else held.name
    return f"{name} {fingerprint.hex()[:16]}…"


def _reissue(session: Session, choice: EnterpriseChangeChoice) -> Application | None:
    return None if choice.reissue_id is None else session.get(Application, choice.reissue_id)


def on_approved(session: Session, row: Application, now: int) -> None:
    """The CA approved the change: check the choice again and make each chosen certificate
    a ``change_reissue`` application of its holder (approved, paid for by the change)."""
    change = session.get(EnterpriseChange, row.id)
    assert change is not None and row.reviewed_by is not None
    if change.new_uscc != change.old_uscc:
        change_choice.check_uscc_free(session, change.new_uscc, change.enterprise_id)
    change_choice.change_in_flight(session, change.enterprise_id, row.id, approving=True)
    choices = _choices(session, row.id)
    chosen = change_choice.check_choice(
        session, change.enterprise_id, [c.predecessor for c in choices], now, change_id=row.id
    )
    for choice, checked in zip(choices, chosen, strict=True):
        before = checked.issued_by
        reissue = Application(
            id=secrets.token_hex(8),
            account_id=checked.held.account_id,
            kind=ApplicationKind.CHANGE_REISSUE.value,
            state=_S.APPROVED.value,
            ca_id=row.ca_id,
            platform_id=row.platform_id,
            center=row.center,
            validity_years=row.validity_years,
            fee_fen=0,  # the change's order pays for it
            enterprise_id=change.enterprise_id,
            enterprise_name=change.new_name,
            uscc=change.new_uscc,
            person_name=before.person_name,
            certificate_kind=before.certificate_kind,
            predecessor=checked.held.fingerprint,
            holder=before.holder,  # the same holder on chain
            reviewed_by=row.reviewed_by,
            created_at=now,
            updated_at=now,
        )
        subject_of(reissue)  # the new name must make a valid subject
        session.add(reissue)
        session.add(
            ApplicationTransition(
                application_id=reissue.id,
                from_state=_S.DRAFT.value,
                to_state=_S.APPROVED.value,
                action=Action.CA_APPROVE.value,
                actor=row.reviewed_by,
                reason=f"enterprise change {row.id}",
                at=now,
            )
        )
        session.flush()
        choice.reissue_id, choice.holder_account_id = reissue.id, checked.held.account_id
        session.add(choice)
    params = {"application_id": row.id, "enterprise_name": change.new_name}
    post(session, row.account_id, MessageKind.ENTERPRISE_CHANGE_APPROVED, params, now=now)


def carry_out(service: ApplicationService, session: Session, row: Application, actor: str) -> None:
    """The change is paid (billing's transaction): the enterprise record takes the new
    name and USCC, each chosen certificate's replacement is paid and its holder told."""
    change = session.get(EnterpriseChange, row.id)
    assert change is not None
    now = service.now()
    enterprises.change(session, change.enterprise_id, change.new_name, change.new_uscc, now=now)
    change.carried_out_at = now
    session.add(change)
    for choice in _choices(session, row.id):
        reissue = _reissue(session, choice)
        if reissue is None or reissue.state != _S.APPROVED.value:
            continue
        service.move(session, reissue, Action.PAY, actor)
        params = {"application_id": reissue.id}
        post(session, reissue.account_id, MessageKind.CERTIFICATE_READY, params, now=now)
