"""Applications from draft to payment: creation (checked against the chain's index, the
account's verified identity and the enterprise records), attachments and the form, submit,
the enterprise admin's approval of staff requests, the CA's review, and payment.

Every state change goes through ``next_state`` (the transition table) and writes an
``ApplicationTransition`` row in the same transaction; messages to the applicant are posted
in that transaction too (``huren.node.messages.post``). Issuance, download, holder lists and
revocation are in ``huren.node.applications.issuing``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node import enterprises
from huren.node.applications import change_choice, payment, staff_requests
from huren.node.applications.attachments import check_upload, render_form_pdf
from huren.node.applications.billing import Billing, OrderTerms, PaymentStarted
from huren.node.applications.creation import (
    NewApplication,
    check_ca,
    check_platform,
    take_enterprise,
    take_predecessor,
)
from huren.node.applications.effects import complete_transfer, on_approved, on_paid
from huren.node.applications.enterprise_change import EnterpriseChanges, carry_out
from huren.node.applications.errors import (
    ApplicationNotFound,
    AttachmentMissing,
    IllegalTransition,
    InvalidApplication,
)
from huren.node.applications.model import (
    EDITABLE,
    KIND_RULES,
    Action,
    ApplicationKind,
    ApplicationState,
    AttachmentKind,
    Predecessor,
    next_state,
)
from huren.node.applications.subjects import subject_of
from huren.node.applications.views import ApplicationView
from huren.node.db.applications_tables import (
    Application,
    ApplicationAttachment,
    ApplicationTransition,
)
from huren.node.db.engine import write_session
from huren.node.db.enterprises_tables import Enterprise, EnterpriseMember
from huren.node.enterprises import Role
from huren.node.enterprises.letters import Expected, LetterKind, SealedLetter, accept_letter
from huren.node.identity import IdentityService
from huren.node.messages import MessageKind, post

__all__ = ["ALLIANCE_PLATFORM", "ApplicationService", "NewApplication"]

log = logging.getLogger(__name__)

ALLIANCE_PLATFORM = "alliance"  # the alliance's own platform: certificates of alliance scope
Clock = Callable[[], float]


class ApplicationService:
    def __init__(
        self,
        engine: Engine,
        identity: IdentityService,
        billing: Billing,
        *,
        issuing_cas: Callable[[], frozenset[str]],
        clock: Clock = time.time,
    ) -> None:
        self.engine = engine
        self.identity = identity
        self.billing = billing
        self.issuing_cas = issuing_cas  # the CAs this node's PKI holds
        self.clock = clock
        # Told the id of each application the CA approved, after the approval committed
        # (the seal a form brings: huren.node.seal_management); their failures are logged.
        self.approval_observers: list[Callable[[str], object]] = []

    def now(self) -> int:
        return int(self.clock())

    # -- creating and editing --------------------------------------------------------------

    def create(self, account_id: str, new: NewApplication) -> ApplicationView:
        kind = ApplicationKind(new.kind)
        rule = KIND_RULES[kind]
        if kind == ApplicationKind.ENTERPRISE_CHANGE:  # one certificate chosen: the old form
            return EnterpriseChanges(self).create_from_predecessor(account_id, new)
        if kind == ApplicationKind.CHANGE_REISSUE:
            raise InvalidApplication("an enterprise change makes its re-issue applications")
        if not isinstance(new.validity_years, int) or not 1 <= new.validity_years <= 3:
            raise InvalidApplication("validity is 1, 2 or 3 years")
        if new.person_name is not None or new.id_number is not None:
            if new.person_name is None or new.id_number is None:
                raise InvalidApplication("a person is named with name and ID number together")
            self.identity.check_matches(account_id, new.person_name, new.id_number)
        now = self.now()
        with write_session(self.engine) as session:
            center = check_platform(session, new.platform_id)
            check_ca(session, new.ca_id, self.issuing_cas())
            row = Application(
                id=secrets.token_hex(8),
                account_id=account_id,
                kind=kind.value,
                state=ApplicationState.DRAFT.value,
                ca_id=new.ca_id,
                platform_id=new.platform_id,
                center=center,
                validity_years=new.validity_years,
                fee_fen=self.billing.quote(new.ca_id, kind, new.validity_years),
                person_name=new.person_name,
                certificate_kind=None if rule.certificate is None else rule.certificate.value,
                holder=hashlib.sha256(
                    b"huren holder v1|" + secrets.token_bytes(32) + account_id.encode()
                ).digest(),
                created_at=now,
                updated_at=now,
            )
            if rule.predecessor != Predecessor.NONE:
                take_predecessor(session, row, new, rule.predecessor, now)
            else:
                take_enterprise(session, row, kind, new)
            staff_requests.admin_step(session, row)  # a removed member is refused now
            subject_of(row)  # the certificate's subject must be valid now, not at issuance
            session.add(row)
        return self.get(account_id, row.id)

    def attach(
        self, account_id: str, application_id: str, kind: AttachmentKind, data: bytes, declared: str
    ) -> ApplicationView:
        upload = check_upload(AttachmentKind(kind), data, declared)
        with write_session(self.engine) as session:
            row = self.owned(session, account_id, application_id)
            self._editable(row)
            now = row.updated_at = self.now()
            attachment = session.get(ApplicationAttachment, (row.id, kind.value))
            if attachment is not None:
                session.delete(attachment)
                session.flush()
            attachment = ApplicationAttachment(
                application_id=row.id,
                kind=kind.value,
                media_type=upload.media_type,
                sha256=upload.sha256,
                size=len(upload.data),
                data=upload.data,
                uploaded_at=now,
            )
            session.add(attachment)
            session.add(row)
        return self.get(account_id, application_id)

    def edit(
        self,
        account_id: str,
        application_id: str,
        *,
        platform_id: str | None = None,
        validity_years: int | None = None,
    ) -> ApplicationView:
        """Change a draft or rejected application's platform or validity (the fee is quoted
        again); attachments are replaced by uploading again."""
        with write_session(self.engine) as session:
            row = self.owned(session, account_id, application_id)
            self._editable(row)
            if platform_id is not None:
                row.center, row.platform_id = check_platform(session, platform_id), platform_id
            if validity_years is not None:
                if not 1 <= validity_years <= 3:
                    raise InvalidApplication("validity is 1, 2 or 3 years")
                kind = ApplicationKind(row.kind)
                unit = self.billing.quote(row.ca_id, kind, validity_years)
                row.fee_fen = unit * change_choice.quantity(session, row)
                row.validity_years = validity_years
            row.updated_at = self.now()
            session.add(row)
        return self.get(account_id, application_id)

    def form_pdf(self, account_id: str, application_id: str) -> bytes:
        """The application form to print, sign, stamp and upload back."""
        view = self.get(account_id, application_id)
        if view.kind == ApplicationKind.ENTERPRISE_CHANGE.value:
            change = EnterpriseChanges(self).detail(account_id, application_id)
            return render_form_pdf("企业变更申领表", change.form_lines())
        return render_form_pdf("数字证书申请表", view.form_lines())

    # -- moving through the states ---------------------------------------------------------

    def submit(self, account_id: str, application_id: str) -> ApplicationView:
        with write_session(self.engine) as session:
            row = self.owned(session, account_id, application_id)
            rule = KIND_RULES[ApplicationKind(row.kind)]
            have = {
                a.kind
                for a in session.exec(
                    select(ApplicationAttachment).where(
                        ApplicationAttachment.application_id == row.id
                    )
                )
            }
            missing = sorted(k.value for k in rule.attachments if k.value not in have)
            if missing:
                raise AttachmentMissing(f"attach {', '.join(missing)} first")
            step = staff_requests.admin_step(session, row)
            action = Action.SUBMIT if step is None else Action.SUBMIT_TO_ADMIN
            self.move(session, row, action, f"account:{account_id}")
            if step is not None:
                staff_requests.ask_admin(session, row, step, now=self.now())
        return self.get(account_id, application_id)

    def admin_review(
        self,
        admin_id: str,
        application_id: str,
        approve: bool,
        reason: str | None,
        letter: SealedLetter | None = None,
    ) -> ApplicationView:
        """The enterprise admin approves (on to the CA; sealed with the enterprise
        certificate: a ``join_approval`` letter for a join, a ``staff_certificate`` letter
        for a certificate, renewal or re-application, naming the application) or rejects a
        staff request with a reason."""
        with write_session(self.engine) as session:
            row = session.get(Application, application_id)
            if (
                row is None
                or row.state != ApplicationState.AWAITING_ADMIN.value
                or enterprises.admin_of(session, row.enterprise_id or "") != admin_id
            ):  # another enterprise's, or not (or no longer) waiting: none of yours to review
                raise ApplicationNotFound(f"no staff request {application_id} for your review")
            if approve:
                # Again: the member may have left (refused) or become the admin meanwhile.
                step = staff_requests.admin_step(session, row)
                enterprise = session.get(Enterprise, row.enterprise_id)
                assert enterprise is not None
                kind = LetterKind.STAFF_CERTIFICATE if step is None else step.letter
                expected = Expected(kind, row.id)
                accept_letter(
                    session,
                    letter,
                    enterprise=enterprise,
                    admin_id=admin_id,
                    expected=expected,
                    now=self.now(),
                )
                self.move(session, row, Action.ADMIN_APPROVE, f"account:{admin_id}")
            else:
                self._reject(session, row, Action.ADMIN_REJECT, f"account:{admin_id}", reason)
            return ApplicationView.of(row)

    def admin_queue(self, admin_id: str) -> list[ApplicationView]:
        """Staff requests awaiting ``admin_id`` as their enterprise's admin, oldest first."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Application)
                .join(
                    EnterpriseMember,
                    col(EnterpriseMember.enterprise_id) == col(Application.enterprise_id),
                )
                .where(
                    Application.state == ApplicationState.AWAITING_ADMIN.value,
                    EnterpriseMember.account_id == admin_id,
                    EnterpriseMember.role == Role.ADMIN.value,
                )
                .order_by(col(Application.updated_at))
            ).all()
            return [ApplicationView.of(r) for r in rows]

    def ca_queue(self, ca_id: str) -> list[ApplicationView]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Application)
                .where(
                    Application.ca_id == ca_id,
                    Application.state == ApplicationState.SUBMITTED.value,
                )
                .order_by(col(Application.updated_at))
            ).all()
            return [ApplicationView.of(r) for r in rows]

    def ca_detail(self, ca_id: str, application_id: str) -> ApplicationView:
        with Session(self.engine) as session:
            return self._view(session, self.of_ca(session, ca_id, application_id))

    def ca_attachment(
        self, ca_id: str, application_id: str, kind: AttachmentKind
    ) -> ApplicationAttachment:
        with Session(self.engine) as session:
            self.of_ca(session, ca_id, application_id)
            row = session.get(ApplicationAttachment, (application_id, kind.value))
            if row is None:
                raise AttachmentMissing(f"the application has no {kind.value}")
            return row

    def ca_review(
        self, ca_id: str, application_id: str, reviewer: str, approve: bool, reason: str | None
    ) -> ApplicationView:
        """Approve (free applications are paid on approval) or reject with a reason; a paid
        application rejected is refunded through billing first (``payment.reject_paid``)."""
        actor = f"ca:{ca_id}:{reviewer}"
        with write_session(self.engine) as session:
            row = self.of_ca(session, ca_id, application_id)
            refund = not approve and row.state == ApplicationState.PAID.value
            if approve:
                staff_requests.check_still_member(session, row)
                self.move(session, row, Action.CA_APPROVE, actor)
                row.reviewed_by, row.reason = actor, None
                on_approved(session, row, self.now())
                if row.fee_fen == 0:
                    self.settle(session, row, "billing:free")
            elif not refund:
                self._reject(session, row, Action.CA_REJECT, actor, reason)
            view = ApplicationView.of(row)
        if refund:  # the gateway is called outside any transaction of ours
            _check_reason(reason)
            assert reason is not None
            return payment.reject_paid(self, ca_id, application_id, actor, reason)
        if approve:
            for observe in self.approval_observers:
                try:
                    observe(application_id)
                except Exception:  # the approval stands; what an observer missed is logged
                    log.exception("approval observer failed for %s", application_id)
        return view

    def _reject(
        self, session: Session, row: Application, action: Action, actor: str, reason: str | None
    ) -> None:
        _check_reason(reason)
        self.move(session, row, action, actor, reason)
        row.reason = reason
        params = {"application_id": row.id, "reason": reason}
        told = (
            MessageKind.STAFF_REQUEST_REJECTED
            if action == Action.ADMIN_REJECT
            else MessageKind.APPLICATION_REJECTED
        )
        post(session, row.account_id, told, params, now=self.now())

    def start_payment(self, account_id: str, application_id: str) -> PaymentStarted:
        """The applicant pays an approved application (see ``payment.start``)."""
        return payment.start(self, account_id, application_id)

    def paid_by_billing(
        self,
        session: Session,
        application_id: str,
        order_id: str,
        is_order: Callable[[OrderTerms], bool],
    ) -> None:
        """Billing's observer: the order is paid (see ``payment.settle``)."""
        payment.settle(self, session, application_id, order_id, is_order)

    def settle(self, session: Session, row: Application, actor: str) -> None:
        """Approved -> paid (and an admin transfer or an enterprise change carried out), in
        ``session``; a split-key recovery's holder is told the ticket is ready."""
        self.move(session, row, Action.PAY, actor)
        on_paid(session, row, self.now())
        if not KIND_RULES[ApplicationKind(row.kind)].issues:
            if row.kind == ApplicationKind.ENTERPRISE_CHANGE.value:
                carry_out(self, session, row, actor)
            else:
                complete_transfer(session, row, self.now())
            self.move(session, row, Action.COMPLETE, "node")

    def move(
        self,
        session: Session,
        row: Application,
        action: Action,
        actor: str,
        reason: str | None = None,
    ) -> None:
        """The one way a state changes: legal by the table, with its audit row."""
        before = ApplicationState(row.state)
        after = next_state(before, action)
        row.state, row.updated_at = after.value, self.now()
        session.add(row)
        session.add(
            ApplicationTransition(
                application_id=row.id,
                from_state=before.value,
                to_state=after.value,
                action=action.value,
                actor=actor,
                reason=reason,
                at=row.updated_at,
            )
        )

    # -- reading ---------------------------------------------------------------------------

    def get(self, account_id: str, application_id: str) -> ApplicationView:
        with Session(self.engine) as session:
            return self._view(session, self.owned(session, account_id, application_id))

    def list_own(
        self, account_id: str, states: frozenset[ApplicationState]
    ) -> list[ApplicationView]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Application)
                .where(
                    Application.account_id == account_id,
                    col(Application.state).in_([s.value for s in states]),
                )
                .order_by(col(Application.created_at).desc())
            ).all()
            return [ApplicationView.of(r) for r in rows]

    def _view(self, session: Session, row: Application) -> ApplicationView:
        attachments = session.exec(
            select(ApplicationAttachment).where(ApplicationAttachment.application_id == row.id)
        ).all()
        history = session.exec(
            select(ApplicationTransition)
            .where(ApplicationTransition.application_id == row.id)
            .order_by(col(ApplicationTransition.id))
        ).all()
        return ApplicationView.of(row, list(attachments), list(history))

    @staticmethod
    def owned(session: Session, account_id: str, application_id: str) -> Application:
        row = session.get(Application, application_id)
        if row is None or row.account_id != account_id:
            raise ApplicationNotFound(f"no application {application_id}")
        return row

    @staticmethod
    def of_ca(session: Session, ca_id: str, application_id: str) -> Application:
        row = session.get(Application, application_id)
        if row is None or row.ca_id != ca_id:
            raise ApplicationNotFound(f"no application {application_id} for CA {ca_id}")
        return row

    @staticmethod
    def _editable(row: Application) -> None:
        if ApplicationState(row.state) not in EDITABLE:
            raise IllegalTransition("an application is edited only as a draft or rejected")


def _check_reason(reason: str | None) -> None:
    if reason is None or not reason.strip() or len(reason) > 500:
        raise InvalidApplication("a rejection gives its reason (1..500 characters)")
