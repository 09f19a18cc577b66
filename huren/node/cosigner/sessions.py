"""Signing sessions (会话签章): the device proves the PIN once for one key, certificate and
platform; until the session ends (on request) or expires (at most ``MAX_SESSION_S``), signing
rounds for exactly that key, certificate and platform go without a PIN proof — still signed
by the device key, still checked for binding and recognition, still recorded.

A session round hands out no unwrap secret: the device keeps its share open in memory for the
session (it got the unwrap secret once, with the PIN proof, at ``start`` or ``open``). So a
session adds no offline PIN test on a stolen phone: its files stay as sealed as before. Start,
open and end are recorded in the co-signer's operations (``session_start``, ``session_open``,
``session_end``), and each round's record names the session.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from huren.node.cosigner.auth import SignedRequest
from huren.node.cosigner.enrolment import SIGNING
from huren.node.cosigner.errors import CosignerError, InvalidRequest
from huren.node.cosigner.frame import ACTIONS, ServiceFrame
from huren.node.cosigner.records import OperationRecord
from huren.node.db.cosigner_session_tables import CosignerSigningSession
from huren.node.db.cosigner_tables import CosignerEnrolment
from huren.registry.types import Right

__all__ = ["MAX_SESSION_S", "SESSION_ACTIONS", "SessionOperations", "SessionRefused"]

MAX_SESSION_S = 8 * 3600
DEFAULT_SESSION_S = 3600
SESSION_ACTIONS = frozenset({"sign", "seal"})  # never login: a login proves presence


class SessionRefused(CosignerError):
    """No such active session of this device, or one for another key, certificate, platform
    or action."""

    status = 409
    code = "SIGNING_SESSION_REFUSED"


@dataclass(frozen=True, slots=True)
class SessionStarted:
    session: CosignerSigningSession
    unwrap_secret: bytes


class SessionOperations(ServiceFrame):
    def start_session(
        self,
        request: SignedRequest,
        enrolment_id: str,
        *,
        fingerprint: bytes,
        platform_id: str,
        ttl_s: int = DEFAULT_SESSION_S,
        auto_confirm: bool = False,
    ) -> SessionStarted:
        """Open a session (PIN proof; the certificate bound and recognized for signing)."""
        if not 60 <= ttl_s <= MAX_SESSION_S:
            raise InvalidRequest(f"a session lasts 60 to {MAX_SESSION_S} seconds")
        record = OperationRecord(
            "session_start",
            enrolment_id=enrolment_id,
            fingerprint=fingerprint,
            platform_id=platform_id,
            action="sign",
        )
        with self._operation(record, request) as (s, device, now):
            enrolment = self._enrolment(s, device, enrolment_id, SIGNING)
            self._check_pin(s, enrolment, request, now)
            self._check_certificate(s, enrolment, fingerprint, platform_id, Right.SIGN)
            row = CosignerSigningSession(
                session_id=secrets.token_hex(16),
                device_id=request.device_id,
                holder=enrolment.holder,
                enrolment_id=enrolment_id,
                fingerprint=fingerprint,
                platform_id=platform_id,
                auto_confirm=auto_confirm,
                created_at=now,
                expires_at=now + ttl_s,
            )
            record.detail = f"session {row.session_id} until {row.expires_at}"
            s.add(row)
            s.flush()
            unwrap = self._unwrap(enrolment)
        return SessionStarted(row, unwrap)

    def open_session(self, request: SignedRequest, session_id: str) -> SessionStarted:
        """The unwrap secret again for an active session (PIN proof): a device process that
        did not start the session opens its share for it."""
        record = OperationRecord("session_open", detail=f"session {session_id}")
        with self._operation(record, request) as (s, device, now):
            row = self._active_session(s, request, session_id, now)
            record.enrolment_id, record.platform_id = row.enrolment_id, row.platform_id
            enrolment = self._enrolment(s, device, row.enrolment_id, SIGNING)
            self._check_pin(s, enrolment, request, now)
            unwrap = self._unwrap(enrolment)
        return SessionStarted(row, unwrap)

    def end_session(self, request: SignedRequest, session_id: str) -> CosignerSigningSession:
        """End a session of this device now (ending an ended one is refused)."""
        record = OperationRecord("session_end", detail=f"session {session_id}")
        with self._operation(record, request) as (s, _, now):
            row = self._active_session(s, request, session_id, now)
            record.enrolment_id, record.platform_id = row.enrolment_id, row.platform_id
            row.ended_at = now
            s.add(row)
        return row

    def signing_sessions(self, request: SignedRequest) -> Sequence[CosignerSigningSession]:
        """This device's sessions, newest first."""
        with self._operation(None, request) as (s, _, __):
            rows = s.exec(
                select(CosignerSigningSession)
                .where(col(CosignerSigningSession.device_id) == request.device_id)
                .order_by(col(CosignerSigningSession.created_at).desc())
                .limit(100)
            ).all()
        return rows

    def _active_session(
        self, session: Session, request: SignedRequest, session_id: str, now: int
    ) -> CosignerSigningSession:
        row = session.get(CosignerSigningSession, session_id, with_for_update=True)
        if row is None or row.device_id != request.device_id:
            raise SessionRefused("no such signing session of this device")
        if row.ended_at is not None or now >= row.expires_at:
            raise SessionRefused("the signing session ended or expired")
        return row

    def _check_session(
        self,
        session: Session,
        enrolment: CosignerEnrolment,
        request: SignedRequest,
        session_id: str,
        *,
        fingerprint: bytes,
        platform_id: str,
        action: str,
        now: int,
    ) -> None:
        """In place of the PIN proof: an active session for exactly this key, certificate and
        platform, and a session action (the lock still applies)."""
        from huren.node.cosigner.errors import KeyLocked

        if enrolment.locked_at is not None:
            raise KeyLocked("the key is locked after 5 wrong PINs; verify your identity again")
        row = self._active_session(session, request, session_id, now)
        if (
            row.enrolment_id != enrolment.enrolment_id
            or row.fingerprint != fingerprint
            or row.platform_id != platform_id
            or action not in SESSION_ACTIONS
            or action not in ACTIONS
        ):
            raise SessionRefused(
                "the session is for another key, certificate or platform, or not this action"
            )
