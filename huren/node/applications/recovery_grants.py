"""The recovery applications as the co-signer sees them (its ``RecoveryGrants`` port): a
recovery ticket found and redeemed in the co-signer's transaction, and the helpers the
recovery service shares with it (the keys of a recovery, a recorded step)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence

from sqlmodel import Session, select

from huren.node.applications.model import Action, ApplicationState
from huren.node.applications.service import ApplicationService
from huren.node.audit.oplog import Operation, OperationLog
from huren.node.audit.oplog import OperationRecord as TracedOperation
from huren.node.cosigner.enrolment import SIGNING
from huren.node.cosigner.records import OK, OperationRecord
from huren.node.cosigner.reshare import GrantedKey, RecoveryGrant, RecoveryTicketRefused
from huren.node.db.applications_tables import Application
from huren.node.db.recovery_tables import KeyRecovery, KeyRecoveryKey

__all__ = ["TICKET", "KeyRecoveryGrants", "keys_of", "record_step"]

TICKET = re.compile(r"hrt_([0-9a-f]{16})_[A-Za-z0-9_-]{43}")


class KeyRecoveryGrants:
    """The co-signer's view of recovery tickets (``huren.node.cosigner.reshare.RecoveryGrants``)."""

    def __init__(self, applications: ApplicationService) -> None:
        self.applications = applications

    def find(self, session: Session, ticket: str, *, now: int) -> RecoveryGrant:
        match = TICKET.fullmatch(ticket)
        recovery = None if match is None else session.get(KeyRecovery, match.group(1))
        row = None if recovery is None else session.get(Application, recovery.application_id)
        digest = hashlib.sha256(ticket.encode()).digest()
        if (
            recovery is None
            or row is None
            or recovery.ticket_sha256 is None
            or not hmac.compare_digest(recovery.ticket_sha256, digest)
            or recovery.ticket_expires_at is None
            or recovery.ticket_expires_at <= now
            or recovery.completed_at is not None
            or row.state != ApplicationState.PAID.value
        ):
            raise RecoveryTicketRefused("the recovery ticket is unknown, used or expired")
        keys = keys_of(session, recovery.application_id)
        return RecoveryGrant(
            recovery.application_id,
            recovery.holder,
            recovery.old_device_id,
            tuple(GrantedKey(k.enrolment_id, bytes(k.fingerprint), k.old_epoch) for k in keys),
        )

    def redeem(
        self,
        session: Session,
        grant: RecoveryGrant,
        *,
        device_id: str,
        new_epochs: Mapping[str, int],
        now: int,
    ) -> None:
        recovery = session.get(KeyRecovery, grant.recovery_id, with_for_update=True)
        row = session.get(Application, grant.recovery_id)
        assert recovery is not None and row is not None
        if recovery.completed_at is not None:
            raise RecoveryTicketRefused("the recovery ticket is unknown, used or expired")
        recovery.completed_at, recovery.new_device_id = now, device_id
        recovery.ticket_sha256 = None
        session.add(recovery)
        for key in keys_of(session, grant.recovery_id):
            key.new_epoch = new_epochs[key.enrolment_id]
            session.add(key)
        actor = f"device:{device_id}"
        self.applications.move(session, row, Action.ISSUE, actor, "keys reshared")
        self.applications.move(session, row, Action.DOWNLOAD, actor)


def keys_of(session: Session, application_id: str) -> Sequence[KeyRecoveryKey]:
    """Signing first, then its encryption partner."""
    rows = session.exec(
        select(KeyRecoveryKey).where(KeyRecoveryKey.application_id == application_id)
    ).all()
    return sorted(rows, key=lambda k: k.purpose != SIGNING)


def record_step(session: Session, record: OperationRecord, now: int) -> None:
    """A co-signer record of the step and its operation-log row, in the caller's transaction."""
    record.write(session, at=now, result=OK)
    subject = record.fingerprint.hex() if record.fingerprint else record.enrolment_id or "-"
    traced = TracedOperation(
        actor=record.holder or "unknown", operation=Operation.RECOVERY, subject=subject
    )
    OperationLog(session.get_bind(), clock=lambda: now).append_in(session.connection(), traced)  # type: ignore[arg-type]
