"""Recovery of a split-key certificate on a new phone (证书找回, manual 2.13): the split-key
mode of the ``recovery`` application kind.

A ``recovery`` application whose certificate is bound to a co-signer enrolment does not
issue new keys: it is an ordinary application row (so the attachments, the form, submit, the
CA's review queue, rejection and resubmission, payment and refunds all work unchanged) with a
``key_recoveries`` row beside it. The row records the holder's acknowledgement of the
versioned recovery policy and a fresh identity verification at a provider whose name and ID
number match the account's stored commitments. Once the application is paid, the holder
gets a one-time recovery ticket (:meth:`KeyRecoveryService.issue_ticket`); the new device
redeems it at the co-signer, which reshares the keys (``huren.node.cosigner.reshare``) and
completes the application through :class:`KeyRecoveryGrants` (paid → issued → downloaded,
in the co-signer's transaction). The certificate and its public key stay the same.

CSR-made certificates keep the original recovery (new keys, old pair revoked).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from huren.node.accounts.validation import normalize_phone
from huren.node.applications.creation import check_ca, check_platform
from huren.node.applications.errors import InvalidApplication
from huren.node.applications.model import (
    PENDING,
    ApplicationKind,
    ApplicationState,
)
from huren.node.applications.recovery_errors import (
    PolicyNotAcknowledged,
    PolicyOutdated,
    RecoverableCertificateNotFound,
    RecoveryInProgress,
    RecoveryNotReady,
)
from huren.node.applications.recovery_grants import keys_of, record_step
from huren.node.applications.recovery_policy import CURRENT_POLICY, RecoveryPolicy
from huren.node.applications.service import ApplicationService
from huren.node.applications.views import ApplicationView
from huren.node.cosigner.enrolment import ENCRYPTION, SIGNING
from huren.node.cosigner.records import OperationRecord
from huren.node.db.applications_tables import Application
from huren.node.db.cosigner_tables import CosignerCertificate, CosignerEnrolment
from huren.node.db.engine import write_session
from huren.node.db.models import Certificate
from huren.node.db.recovery_tables import KeyRecovery, KeyRecoveryKey
from huren.node.identity import IdentityService
from huren.node.identity.checks import check_bank_card, check_resident_id
from huren.node.identity.errors import IdentityRejected
from huren.node.identity.service import check_name
from huren.node.ports import PortRefused
from huren.registry.types import CertificateStatus

__all__ = [
    "IdentityProof",
    "KeyRecoveryService",
    "RecoverableCertificate",
    "RecoveryTicket",
    "RecoveryView",
    "StartRecovery",
    "holder_of",
]

TICKET_TTL_S = 86_400
METHODS = ("cfca", "bank_card")


def holder_of(account_id: str) -> str:
    """The co-signer's holder reference of an account's keys."""
    return f"account:{account_id}"


@dataclass(frozen=True, slots=True)
class IdentityProof:
    """A fresh verification: the person again, through CFCA or the bank card's four factors."""

    method: str
    name: str
    id_number: str
    card_number: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class StartRecovery:
    fingerprint: bytes  # the split-key signing certificate
    platform_id: str
    policy_version: str
    policy_acknowledged: bool
    identity: IdentityProof
    encryption_fingerprint: bytes | None = None  # its partner, recovered with it


@dataclass(frozen=True, slots=True)
class RecoverableCertificate:
    fingerprint: bytes
    purpose: str
    enrolment_id: str
    device_id: str
    ca_id: str | None
    not_after: int | None


@dataclass(frozen=True, slots=True)
class RecoveryView:
    application: ApplicationView
    policy_version: str
    identity_method: str
    identity_verified_at: int
    keys: tuple[tuple[str, str, bytes], ...]  # (enrolment id, purpose, fingerprint)
    old_device_id: str
    new_device_id: str | None
    completed_at: int | None
    identity_reference: str  # the provider's reference of the fresh verification


@dataclass(frozen=True, slots=True)
class RecoveryTicket:
    ticket: str  # shown once
    expires_at: int
    enrolment_ids: tuple[str, ...]


class KeyRecoveryService:
    def __init__(self, applications: ApplicationService, identity: IdentityService) -> None:
        self.applications = applications
        self.identity = identity
        self.engine = applications.engine

    @staticmethod
    def policy() -> RecoveryPolicy:
        return CURRENT_POLICY

    # -- what can be recovered ---------------------------------------------------------------

    def candidates(self, account_id: str) -> list[RecoverableCertificate]:
        """The account's certificates bound to split keys (the app's 'certificates to
        recover' prompt), oldest key first."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(CosignerCertificate, CosignerEnrolment)
                .join(
                    CosignerEnrolment,
                    col(CosignerEnrolment.enrolment_id) == col(CosignerCertificate.enrolment_id),
                )
                .where(col(CosignerEnrolment.holder) == holder_of(account_id))
                .order_by(col(CosignerEnrolment.created_at), col(CosignerCertificate.bound_at))
            ).all()
            out = []
            for bound, enrolment in rows:
                indexed = session.get(Certificate, bound.fingerprint)
                out.append(
                    RecoverableCertificate(
                        bytes(bound.fingerprint),
                        enrolment.purpose,
                        enrolment.enrolment_id,
                        enrolment.device_id,
                        None if indexed is None else indexed.ca_id,
                        None if indexed is None else indexed.not_after,
                    )
                )
        return out

    # -- starting ----------------------------------------------------------------------------

    def start(self, account_id: str, new: StartRecovery) -> RecoveryView:
        """Policy acknowledged, certificate checked, identity verified again (matching the
        account's, then at the provider), then the draft application in one transaction."""
        if not new.policy_acknowledged:
            raise PolicyNotAcknowledged("read and acknowledge the recovery policy first")
        if new.policy_version != CURRENT_POLICY.version:
            raise PolicyOutdated(
                f"the policy in force is version {CURRENT_POLICY.version}; read it again"
            )
        now = self.applications.now()
        with Session(self.engine) as session:  # checked before the provider is asked (paid)
            self._keys(session, account_id, new, now)
        reference = self._reverify(account_id, new.identity)
        with write_session(self.engine) as session:
            keys, signing = self._keys(session, account_id, new, now)
            center = check_platform(session, new.platform_id)
            check_ca(session, signing.ca_id, self.applications.issuing_cas())
            first = keys[0][0]
            row = Application(
                id=secrets.token_hex(8),
                account_id=account_id,
                kind=ApplicationKind.RECOVERY.value,
                state=ApplicationState.DRAFT.value,
                ca_id=signing.ca_id,
                platform_id=new.platform_id,
                center=center,
                validity_years=1,  # the certificate keeps its validity; the fee's term
                fee_fen=self.applications.billing.quote(signing.ca_id, ApplicationKind.RECOVERY, 1),
                person_name=check_name(new.identity.name),
                certificate_kind=signing.kind,
                predecessor=signing.fingerprint,
                holder=signing.holder,
                signing_fingerprint=signing.fingerprint,
                encryption_fingerprint=new.encryption_fingerprint,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            session.add(
                KeyRecovery(
                    application_id=row.id,
                    account_id=account_id,
                    holder=holder_of(account_id),
                    policy_version=CURRENT_POLICY.version,
                    policy_sha256=CURRENT_POLICY.sha256,
                    acknowledged_at=now,
                    identity_method=new.identity.method,
                    identity_reference=reference[:64],
                    identity_verified_at=now,
                    old_device_id=first.device_id,
                    created_at=now,
                )
            )
            session.flush()
            for enrolment, fingerprint in keys:
                session.add(
                    KeyRecoveryKey(
                        application_id=row.id,
                        enrolment_id=enrolment.enrolment_id,
                        fingerprint=fingerprint,
                        purpose=enrolment.purpose,
                        old_epoch=enrolment.epoch,
                    )
                )
            record_step(
                session,
                OperationRecord(
                    "recovery_request",
                    holder=holder_of(account_id),
                    device_id=first.device_id,
                    enrolment_id=first.enrolment_id,
                    fingerprint=signing.fingerprint,
                    detail=(
                        f"recovery {row.id}: policy {CURRENT_POLICY.version} acknowledged, "
                        f"identity verified again by {new.identity.method}"
                    ),
                ),
                now,
            )
            application_id = row.id
        return self.get(account_id, application_id)

    def _keys(
        self, session: Session, account_id: str, new: StartRecovery, now: int
    ) -> tuple[list[tuple[CosignerEnrolment, bytes]], Certificate]:
        """The enrolments to reshare (signing first), all of this account, on one device, with
        no other recovery pending; and the signing certificate's index row."""
        wanted = [(new.fingerprint, SIGNING)]
        if new.encryption_fingerprint is not None:
            wanted.append((new.encryption_fingerprint, ENCRYPTION))
        keys: list[tuple[CosignerEnrolment, bytes]] = []
        for fingerprint, purpose in wanted:
            bound = session.get(CosignerCertificate, fingerprint)
            enrolment = (
                None if bound is None else session.get(CosignerEnrolment, bound.enrolment_id)
            )
            if (
                enrolment is None
                or enrolment.holder != holder_of(account_id)
                or enrolment.purpose != purpose
            ):
                raise RecoverableCertificateNotFound(
                    f"no {purpose} certificate of yours on a split key has that fingerprint"
                )
            keys.append((enrolment, fingerprint))
        if len({e.device_id for e, _ in keys}) != 1 or len(
            {e.enrolment_id for e, _ in keys}
        ) != len(keys):
            raise InvalidApplication("a recovery moves the keys of one lost device together")
        signing = session.get(Certificate, new.fingerprint)
        if signing is None:
            raise RecoverableCertificateNotFound("the certificate is not recorded on chain")
        if signing.status == CertificateStatus.REVOKED:
            raise InvalidApplication("a revoked certificate is not recovered: apply anew")
        if signing.not_after <= now:
            raise InvalidApplication("the certificate has expired: apply for it again instead")
        pending = [s.value for s in PENDING]
        busy = session.exec(
            select(KeyRecoveryKey.enrolment_id)
            .join(Application, col(Application.id) == col(KeyRecoveryKey.application_id))
            .join(
                KeyRecovery, col(KeyRecovery.application_id) == col(KeyRecoveryKey.application_id)
            )
            .where(
                col(KeyRecoveryKey.enrolment_id).in_([e.enrolment_id for e, _ in keys]),
                col(Application.state).in_(pending),
                col(KeyRecovery.completed_at).is_(None),
            )
        ).first()
        if busy is not None:
            raise RecoveryInProgress("a recovery of this key is in progress already")
        return keys, signing

    def _reverify(self, account_id: str, proof: IdentityProof) -> str:
        """Compare with the stored commitments (no provider call on a mismatch), then verify
        afresh at the provider; the provider's reference."""
        if proof.method not in METHODS:
            raise InvalidApplication(f"verify again by one of {', '.join(METHODS)}")
        self.identity.check_matches(account_id, proof.name, proof.id_number)
        name, id_number = check_name(proof.name), check_resident_id(proof.id_number)
        ports = self.identity.ports
        try:
            if proof.method == "cfca":
                return ports.cfca.verify(name, id_number)
            if proof.card_number is None or proof.phone is None:
                raise InvalidApplication("a bank-card verification names the card and phone")
            card, phone = check_bank_card(proof.card_number), normalize_phone(proof.phone)
            return ports.bank.verify(name, id_number, card, phone)
        except PortRefused as refused:
            raise IdentityRejected(refused.reason, str(refused)) from None

    # -- reading -----------------------------------------------------------------------------

    def get(self, account_id: str, application_id: str) -> RecoveryView:
        with Session(self.engine) as session:
            row = self.applications.owned(session, account_id, application_id)
            return self._view(session, row)

    def ca_detail(self, ca_id: str, application_id: str) -> RecoveryView:
        """What the CA reviews besides the application: the policy acknowledged, how and
        when the identity was verified again, the keys and the device they leave."""
        with Session(self.engine) as session:
            return self._view(session, self.applications.of_ca(session, ca_id, application_id))

    def _view(self, session: Session, row: Application) -> RecoveryView:
        recovery = session.get(KeyRecovery, row.id)
        if recovery is None:
            raise RecoverableCertificateNotFound(f"application {row.id} is no split-key recovery")
        keys = keys_of(session, row.id)
        return RecoveryView(
            self.applications._view(session, row),
            recovery.policy_version,
            recovery.identity_method,
            recovery.identity_verified_at,
            tuple((k.enrolment_id, k.purpose, bytes(k.fingerprint)) for k in keys),
            recovery.old_device_id,
            recovery.new_device_id,
            recovery.completed_at,
            recovery.identity_reference,
        )

    # -- the ticket for the new device -------------------------------------------------------

    def issue_ticket(self, account_id: str, application_id: str) -> RecoveryTicket:
        """A one-time ticket for the new device (replacing any earlier one), once the
        recovery is approved and paid."""
        now = self.applications.now()
        with write_session(self.engine) as session:
            row = self.applications.owned(session, account_id, application_id)
            recovery = session.get(KeyRecovery, application_id, with_for_update=True)
            if recovery is None:
                raise RecoverableCertificateNotFound(
                    f"application {application_id} is no split-key recovery"
                )
            if recovery.completed_at is not None:
                raise RecoveryNotReady("this recovery was completed already")
            if row.state != ApplicationState.PAID.value:
                raise RecoveryNotReady(f"the recovery is {row.state}: approval and payment first")
            if row.fee_fen and not self.applications.billing.is_paid(row.id):
                raise RecoveryNotReady("the recovery's order is not paid")
            ticket = f"hrt_{row.id}_{secrets.token_urlsafe(32)}"
            recovery.ticket_sha256 = hashlib.sha256(ticket.encode()).digest()
            recovery.ticket_expires_at = now + TICKET_TTL_S
            session.add(recovery)
            keys = keys_of(session, application_id)
            record_step(
                session,
                OperationRecord(
                    "recovery_ticket",
                    holder=recovery.holder,
                    device_id=recovery.old_device_id,
                    enrolment_id=keys[0].enrolment_id,
                    fingerprint=row.signing_fingerprint,
                    detail=f"recovery {row.id}: ticket for the new device",
                ),
                now,
            )
            return RecoveryTicket(ticket, now + TICKET_TTL_S, tuple(k.enrolment_id for k in keys))
