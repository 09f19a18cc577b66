"""The co-signer's operation records: who (holder, device), what (operation, action, the
SHA-256 of what was signed or decrypted), with which key and certificate, at which platform,
when, and how it ended. Every operation of an authenticated device writes one row in the
transaction that commits the operation's effects, refusals included; a share leaves the
co-signer only after its record is committed ("record before you sign")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from huren.node.audit.oplog import Operation, OperationLog
from huren.node.audit.oplog import OperationRecord as TracedOperation
from huren.node.db.cosigner_tables import CosignerOperation

OK = "ok"

# The completed operations that the node's operation log (操作追溯) traces too, by what the
# holder did: signing a login challenge is a login, sealing is a seal.
_TRACED = {
    ("sign", "login"): Operation.LOGIN,
    ("sign", "sign"): Operation.SIGN,
    ("sign", "seal"): Operation.SEAL,
    ("decrypt", "decrypt"): Operation.DECRYPT,
}


@dataclass(slots=True)
class OperationRecord:
    """The fields of one record, filled in as an operation proceeds."""

    operation: str
    holder: str | None = None
    device_id: str | None = None
    enrolment_id: str | None = None
    fingerprint: bytes | None = None
    platform_id: str | None = None
    action: str | None = None
    digest: bytes | None = None
    detail: str = ""

    def write(self, session: Session, *, at: int, result: str) -> None:
        session.add(
            CosignerOperation(
                at=at,
                operation=self.operation,
                result=result,
                holder=self.holder,
                device_id=self.device_id,
                enrolment_id=self.enrolment_id,
                fingerprint=self.fingerprint,
                platform_id=self.platform_id,
                action=self.action,
                digest=self.digest,
                detail=self.detail[:500],
            )
        )
        traced = _TRACED.get((self.operation, self.action or ""))
        if result == OK and traced is not None:
            self._trace(session, at, traced)

    def _trace(self, session: Session, at: int, operation: Operation) -> None:
        """The operation-log row, in the transaction of the co-signer's own record."""
        subject = self.fingerprint.hex() if self.fingerprint else self.enrolment_id or "-"
        record = TracedOperation(
            actor=self.holder or self.device_id or "unknown device",
            operation=operation,
            subject=subject,
            digest=self.digest,
            platform=self.platform_id,
        )
        OperationLog(session.get_bind(), clock=lambda: at).append_in(session.connection(), record)  # type: ignore[arg-type]


def operations_of(
    session: Session,
    *,
    holder: str | None = None,
    enrolment_id: str | None = None,
    limit: int = 100,
) -> Sequence[CosignerOperation]:
    """Records, newest first, of one holder and/or one enrolment."""
    query = select(CosignerOperation)
    if holder is not None:
        query = query.where(col(CosignerOperation.holder) == holder)
    if enrolment_id is not None:
        query = query.where(col(CosignerOperation.enrolment_id) == enrolment_id)
    query = query.order_by(col(CosignerOperation.id).desc()).limit(limit)
    return session.exec(query).all()
