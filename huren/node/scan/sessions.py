"""Requests pushed into a signing session (会话签章, auto-receive / auto-confirm).

A platform that knows a holder's certificate (from an approved scan login: its
``fingerprint``) pushes sign requests into that holder's active signing session at the
platform (``huren.node.cosigner.sessions``) instead of showing a QR code. The device lists
its session's pending requests (a device-signed request, as at the co-signer), checks each
payload like a scanned one, and approves (a session round, no PIN) or denies; with
auto-confirm it approves without asking. The platform sees the session's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.cosigner.auth import SignedRequest, authenticate
from huren.node.cosigner.sessions import SESSION_ACTIONS
from huren.node.db.cosigner_session_tables import CosignerSigningSession
from huren.node.db.engine import write_session
from huren.node.db.scan_tables import ScanRequestRow
from huren.node.scan.errors import InvalidScanRequest, SessionError, UnknownScanRequest

__all__ = ["SessionState", "active_session_for", "pending_payloads", "session_state"]

ACTIVE, ENDED, EXPIRED = "active", "ended", "expired"
MAX_PENDING_LISTED = 50


@dataclass(frozen=True, slots=True)
class SessionState:
    """A signing session as its platform sees it (no device or key ids)."""

    session_id: str
    fingerprint: bytes
    platform_id: str
    state: str  # active | ended | expired
    auto_confirm: bool
    created_at: int
    expires_at: int
    ended_at: int | None
    pending: int


def _state(row: CosignerSigningSession, now: int) -> str:
    if row.ended_at is not None:
        return ENDED
    return EXPIRED if now >= row.expires_at else ACTIVE


def active_session_for(
    session: Session, action: str, fingerprint: bytes, platform_id: str, now: int
) -> str:
    """The id of the newest active session of ``fingerprint`` at ``platform_id``."""
    if action not in SESSION_ACTIONS:
        raise InvalidScanRequest(f"only {', '.join(sorted(SESSION_ACTIONS))} go into sessions")
    for row in _sessions_of(session, fingerprint, platform_id):
        if _state(row, now) == ACTIVE:
            return row.session_id
    raise SessionError("this certificate has no active signing session at this platform")


def session_state(session: Session, platform_id: str, fingerprint: bytes, now: int) -> SessionState:
    """The active session of ``fingerprint`` at ``platform_id``, else its newest one (404
    when there is none)."""
    rows = _sessions_of(session, fingerprint, platform_id)
    if not rows:
        raise UnknownScanRequest("no signing session of this certificate at this platform")
    row = next((r for r in rows if _state(r, now) == ACTIVE), rows[0])
    pending = len(_pending_rows(session, row.session_id, now))
    return SessionState(
        row.session_id,
        row.fingerprint,
        row.platform_id,
        _state(row, now),
        row.auto_confirm,
        row.created_at,
        row.expires_at,
        row.ended_at,
        pending,
    )


def _sessions_of(
    session: Session, fingerprint: bytes, platform_id: str
) -> list[CosignerSigningSession]:
    """Newest first (within one second of creation, a session not ended on request first)."""
    rows = session.exec(
        select(CosignerSigningSession)
        .where(col(CosignerSigningSession.fingerprint) == fingerprint)
        .where(col(CosignerSigningSession.platform_id) == platform_id)
        .order_by(
            col(CosignerSigningSession.created_at).desc(),
            col(CosignerSigningSession.ended_at).is_not(None),
            col(CosignerSigningSession.expires_at).desc(),
        )
        .limit(100)
    ).all()
    return list(rows)


def _pending_rows(session: Session, session_id: str, now: int) -> list[ScanRequestRow]:
    return list(
        session.exec(
            select(ScanRequestRow)
            .where(col(ScanRequestRow.session_id) == session_id)
            .where(col(ScanRequestRow.status) == "pending")
            .where(col(ScanRequestRow.expires_at) >= now)
            .order_by(col(ScanRequestRow.created_at))
            .limit(MAX_PENDING_LISTED)
        ).all()
    )


def pending_payloads(
    engine: Engine, request: SignedRequest, session_id: str, now: int
) -> tuple[CosignerSigningSession, list[str]]:
    """The payloads of the pending requests of one of the calling device's active sessions
    (the device checks each as a scanned one)."""
    with write_session(engine) as session:  # the device's nonce is remembered
        authenticate(session, request, now=now)
        row = session.get(CosignerSigningSession, session_id)
        if row is None or row.device_id != request.device_id:
            raise SessionError("no such signing session of this device")
        if _state(row, now) != ACTIVE:
            raise SessionError("the signing session ended or expired")
        payloads = [r.payload for r in _pending_rows(session, session_id, now)]
        session.expunge(row)
    return row, payloads
