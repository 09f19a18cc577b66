"""What the CA reads before deciding an authorization request (the console's review page):
the request, the enterprise and the staff member by name, the platform, the sealed letter's
facts (which admin sealed it, when it was accepted, the enterprise certificate that sealed
it, the statement as signed) and the history the operation log keeps for the staff
certificate at that platform since the request was made.

Read-only; the decisions stay with ``AuthorizationService.ca_approve`` / ``ca_reject``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.audit.oplog import Operation
from huren.node.db.applications_tables import HeldCertificate
from huren.node.db.audit_tables import OperationLogEntry
from huren.node.db.authorizations_tables import SealedLetterRecord
from huren.node.db.enterprises_tables import Enterprise
from huren.node.db.models import Platform
from huren.node.enterprises.authorization_chain_side import AuthorizationChainSide
from huren.node.enterprises.authorization_model import AuthorizationView

__all__ = ["AuthorizationDossier", "LetterFacts", "LogEntry", "ca_dossier"]


@dataclass(frozen=True, slots=True)
class LetterFacts:
    sealed_by: str  # the admin's account id
    accepted_at: int  # unix seconds
    certificate_fingerprint: str  # the enterprise signing certificate that sealed it (hex)
    kind: str
    statement: str  # the canonical statement as signed


@dataclass(frozen=True, slots=True)
class LogEntry:
    at_ms: int
    actor: str
    operation: str


@dataclass(frozen=True, slots=True)
class AuthorizationDossier:
    request: AuthorizationView
    enterprise_name: str
    enterprise_uscc: str
    staff_name: str  # the person, as the holder's certificate list names them
    platform_name: str
    requested_by: str  # the admin's account id
    letter: LetterFacts | None  # None only if the letter's row is gone (never deleted today)
    history: tuple[LogEntry, ...]


def ca_dossier(engine: Engine, ca_id: str, request_id: str) -> AuthorizationDossier:
    """The request ``request_id`` of CA ``ca_id`` with what its reviewer reads; raises
    ``AuthorizationNotFound`` for an unknown request or another CA's."""
    with Session(engine) as session:
        row = AuthorizationChainSide._of_ca(session, ca_id, request_id)
        enterprise = session.get(Enterprise, row.enterprise_id)
        held = session.get(HeldCertificate, row.staff_fingerprint)
        platform = session.get(Platform, row.platform_id)
        record = session.get(SealedLetterRecord, row.letter_nonce)
        letter = (
            None
            if record is None
            else LetterFacts(
                sealed_by=record.account_id,
                accepted_at=record.accepted_at,
                certificate_fingerprint=record.certificate_fingerprint.hex(),
                kind=record.kind,
                statement=record.statement.decode("utf-8", "replace"),
            )
        )
        entries = session.exec(
            select(OperationLogEntry)
            .where(
                OperationLogEntry.operation == Operation.AUTHORIZATION_CHANGE.value,
                OperationLogEntry.subject == row.staff_fingerprint.hex(),
                OperationLogEntry.platform == row.platform_id,
                col(OperationLogEntry.at) >= row.created_at * 1000,
            )
            .order_by(col(OperationLogEntry.seq))
        ).all()
        return AuthorizationDossier(
            request=AuthorizationView.of(row),
            enterprise_name="" if enterprise is None else enterprise.name,
            enterprise_uscc="" if enterprise is None else enterprise.uscc,
            staff_name="" if held is None else held.name.rsplit(" / ", 1)[-1].strip(),
            platform_name=row.platform_id if platform is None else platform.name,
            requested_by=row.requested_by,
            letter=letter,
            history=tuple(LogEntry(e.at, e.actor, e.operation) for e in entries),
        )
