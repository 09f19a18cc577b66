"""The scan service: platforms create requests, devices read and answer them, platforms wait
for the answer. No HTTP here (``huren.api.routers.scan`` is the thin router).

One request is answered once: the answer and the status change are one write transaction on
the row (locked for update), so a second answer (a replay) finds it answered, and an answer
after the expiry finds it expired. A refused approval (bad signature, not recognized, bind
mismatch) leaves the request pending: the holder may still approve with the right certificate
or deny. Waiters are woken by a condition when a request of this process is answered; they also
wake at the request's expiry, so a wait never outlasts what it waits for.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding
from nacl.signing import SigningKey
from sqlalchemy import Engine
from sqlmodel import Session

from huren.node.cosigner.auth import SignedRequest
from huren.node.db.engine import write_session
from huren.node.db.scan_tables import ScanRequestRow
from huren.node.recognition import IndexCache, RecognitionError, recognize
from huren.node.scan import (
    bid_kinds,  # noqa: F401 - registers the encrypt and decrypt kinds
    seal_kind,  # noqa: F401 - registers the seal kind
    sessions,
    verify,
    wire,
)
from huren.node.scan.errors import (
    AlreadyAnswered,
    InvalidScanRequest,
    NotRecognized,
    ScanExpired,
    UnknownScanRequest,
)
from huren.node.scan.kinds import RequestContext, kind_of
from huren.registry.errors_base import RegistryError

__all__ = ["APPROVED", "DENIED", "EXPIRED", "FINAL", "PENDING", "ScanRequest", "ScanService"]

PENDING, APPROVED, DENIED, EXPIRED = "pending", "approved", "denied", "expired"
FINAL = frozenset({APPROVED, DENIED, EXPIRED})
MAX_WAIT_S = 30.0
MAX_NAME = 128

Clock = Callable[[], int]
# The issuing chain of a certificate, leaf excluded (the PKI knows its CAs); none by default.
ChainOf = Callable[[x509.Certificate], list[x509.Certificate]]


def _wall_clock() -> int:
    return int(time.time())


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """A request as the platform and the device see it (the nonce only through ``payload``)."""

    request_id: str
    platform_id: str
    action: str
    payload: str
    content: dict[str, Any]
    bind_name: str | None
    bind_uscc: str | None
    created_at: int
    expires_at: int
    status: str
    answered_at: int | None
    fingerprint: bytes | None
    signature: bytes | None
    certificate_chain_pem: str | None
    session_id: str | None
    result: dict[str, Any]
    result_blob: bytes | None
    message: bytes  # the bytes the certificate's key signs (kind.message; b"" until known)
    needs_certificate: bool  # the device presents its certificate before signing

    @property
    def final(self) -> bool:
        return self.status in FINAL


class ScanService:
    def __init__(
        self,
        engine: Engine,
        node_key: SigningKey,
        base_url: str,
        *,
        clock: Clock = _wall_clock,
        index_cache: IndexCache | None = None,
        chain_of: ChainOf | None = None,
    ) -> None:
        self.engine = engine
        self.node_key = node_key
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self._index_cache = index_cache
        self._chain_of = chain_of or (lambda _: [])
        self._changed = threading.Condition()
        self._generation = 0  # answers so far: a waiter misses none between read and wait

    @property
    def node_public_key(self) -> bytes:
        return bytes(self.node_key.verify_key)

    # -- platform -----------------------------------------------------------------------------

    def create(
        self,
        platform_id: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        bind_name: str | None = None,
        bind_uscc: str | None = None,
        ttl_s: int | None = None,
        session_fingerprint: bytes | None = None,
    ) -> ScanRequest:
        """A new request of ``action`` for ``platform_id``, with its signed QR payload; with
        ``session_fingerprint`` pushed into that certificate's active signing session at the
        platform instead (``SCAN_SESSION_STATE`` when it has none)."""
        kind = kind_of(action)
        if not wire.PLATFORM.fullmatch(platform_id):
            raise InvalidScanRequest("malformed platform id")
        if bind_name is not None and not 0 < len(bind_name) <= MAX_NAME:
            raise InvalidScanRequest(f"bind_name is 1 to {MAX_NAME} characters")
        if bind_uscc is not None and len(bind_uscc) != 18:
            raise InvalidScanRequest("bind_uscc is an 18-character unified social credit code")
        ttl = kind.ttl_s if ttl_s is None else ttl_s
        if not 10 <= ttl <= kind.max_ttl_s:
            raise InvalidScanRequest(f"a {action} request lives 10 to {kind.max_ttl_s} seconds")
        now = self.clock()
        context = RequestContext(platform_id, secrets.token_hex(16), now, now + ttl)
        content = kind.prepare(dict(params or {}), context)
        blob = content.pop("_blob", None)
        nonce = secrets.token_urlsafe(16)
        payload = wire.encode_payload(
            wire.ScanPayload(
                self.base_url, platform_id, context.request_id, nonce, context.expires_at
            ),
            self.node_key,
        )
        row = ScanRequestRow(
            request_id=context.request_id,
            platform_id=platform_id,
            action=action,
            nonce=nonce,
            payload=payload,
            content=json.dumps(content, sort_keys=True),
            bind_name=bind_name,
            bind_uscc=bind_uscc,
            created_at=now,
            expires_at=context.expires_at,
            status=PENDING,
            input_blob=blob if isinstance(blob, bytes) else None,
        )
        with write_session(self.engine) as session:
            if session_fingerprint is not None:
                row.session_id = sessions.active_session_for(
                    session, action, session_fingerprint, platform_id, now
                )
            session.add(row)
            view = self._view(row, now)
        return view

    def session_state(self, platform_id: str, fingerprint: bytes) -> sessions.SessionState:
        """The platform's view of a certificate's newest signing session there."""
        with Session(self.engine) as session:
            return sessions.session_state(session, platform_id, fingerprint, self.clock())

    def pending(self, request: SignedRequest, session_id: str) -> list[str]:
        """(device) The payloads waiting in one of the calling device's sessions."""
        _, payloads = sessions.pending_payloads(self.engine, request, session_id, self.clock())
        return payloads

    def get(self, platform_id: str, request_id: str) -> ScanRequest:
        """The platform's own request (another platform's is unknown to it)."""
        with Session(self.engine) as session:
            row = session.get(ScanRequestRow, request_id)
            if row is None or row.platform_id != platform_id:
                raise UnknownScanRequest("no such scan request of this platform")
            return self._view(row, self.clock())

    def wait(self, platform_id: str, request_id: str, timeout_s: float) -> ScanRequest:
        """The request once it is final, or as it is after ``timeout_s`` (at most
        ``MAX_WAIT_S``; never past the request's expiry)."""
        deadline = time.monotonic() + min(max(timeout_s, 0.0), MAX_WAIT_S)
        while True:
            with self._changed:
                seen = self._generation
            current = self.get(platform_id, request_id)  # read outside the lock
            left = deadline - time.monotonic()
            if current.final or left <= 0:
                return current
            until_expiry = current.expires_at - self.clock() + 1
            with self._changed:
                if self._generation == seen:  # nothing answered since the read
                    self._changed.wait(min(left, max(until_expiry, 0.05)))

    def notify(self) -> None:
        """Wake every waiter (the service does so after each answer)."""
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    # -- device -------------------------------------------------------------------------------

    def read(self, request_id: str, nonce: str) -> ScanRequest:
        """What the scanned code asks for: the nonce from the QR is the capability."""
        with Session(self.engine) as session:
            row = self._by_nonce(session, request_id, nonce)
            view = self._view(row, self.clock())
        if view.status == EXPIRED:
            raise ScanExpired("this request expired; ask the platform for a new code")
        if view.final:
            raise AlreadyAnswered("this request was answered already")
        return view

    def present_certificate(
        self, request_id: str, nonce: str, certificate_der: bytes, fingerprint: bytes | None = None
    ) -> ScanRequest:
        """(kinds that need it, e.g. seal) The signer's certificate before the message: it is
        checked (recognized, bound enterprise) and the kind completes the content, so the
        view's ``message`` is then what to sign. Again with another certificate redoes it."""
        now = self.clock()
        with write_session(self.engine) as session:
            row = self._pending(session, request_id, nonce, now)
            kind = kind_of(row.action)
            if not kind.needs_certificate:
                raise InvalidScanRequest(f"a {row.action} request needs no certificate first")
            certificate = self._checked_certificate(session, row, certificate_der, fingerprint, now)
            chain = [certificate, *self._chain_of(certificate)]
            content = json.loads(row.content)
            content.pop("signed_attributes", None)
            completed, state = kind.with_certificate(content, _context(row), chain, row.input_blob)
            row.content = json.dumps(completed, sort_keys=True)
            row.state_blob, row.certificate = state, certificate_der
            session.add(row)
            view = self._view(row, now)
        return view

    def document(self, platform_id: str, request_id: str) -> bytes:
        """The document an approval produced (the sealed PDF); 404 when there is none."""
        with Session(self.engine) as session:
            row = session.get(ScanRequestRow, request_id)
            if row is None or row.platform_id != platform_id or row.result_blob is None:
                raise UnknownScanRequest("no document for this scan request")
            return bytes(row.result_blob)

    def deny(self, request_id: str, nonce: str) -> ScanRequest:
        return self._answer(request_id, nonce, None)

    def approve(
        self,
        request_id: str,
        nonce: str,
        *,
        signature: bytes,
        certificate_der: bytes,
        fingerprint: bytes | None = None,
    ) -> ScanRequest:
        """Check and record an approval: the certificate (the fingerprinted one, Ed25519),
        recognized at the platform for the kind's right, the bound enterprise's, and the
        signature over the kind's message under its key."""
        return self._answer(request_id, nonce, (signature, certificate_der, fingerprint))

    # -- internals ----------------------------------------------------------------------------

    def _pending(self, session: Session, request_id: str, nonce: str, now: int) -> ScanRequestRow:
        row = self._by_nonce(session, request_id, nonce, lock=True)
        if row.status != PENDING:
            raise AlreadyAnswered(f"this request was answered already ({row.status})")
        if now > row.expires_at:
            raise ScanExpired("this request expired before it was answered")
        return row

    def _answer(
        self, request_id: str, nonce: str, approval: tuple[bytes, bytes, bytes | None] | None
    ) -> ScanRequest:
        now = self.clock()
        expired = False
        with write_session(self.engine) as session:
            row = self._by_nonce(session, request_id, nonce, lock=True)
            if row.status == PENDING and now > row.expires_at:
                row.status = EXPIRED
                session.add(row)
                expired = True
            elif row.status != PENDING:
                raise AlreadyAnswered(f"this request was answered already ({row.status})")
            elif approval is None:
                row.status, row.answered_at = DENIED, now
                session.add(row)
            else:
                self._check_approval(session, row, now, *approval)
            view = self._view(row, now)
        self.notify()
        if expired:
            raise ScanExpired("this request expired before it was answered")
        return view

    def _check_approval(
        self,
        session: Session,
        row: ScanRequestRow,
        now: int,
        signature: bytes,
        der: bytes,
        fingerprint: bytes | None,
    ) -> None:
        kind = kind_of(row.action)
        if getattr(kind, "own_answer", False):
            raise InvalidScanRequest(f"a {row.action} request is answered by its own route")
        if kind.needs_certificate and (row.certificate != der or row.state_blob is None):
            raise InvalidScanRequest("present this certificate first, then sign what it gives")
        certificate = self._checked_certificate(session, row, der, fingerprint, now)
        content = json.loads(row.content)
        context = _context(row)
        verify.verify_signature(certificate, kind.message(content, context), signature)
        chain = [certificate, *self._chain_of(certificate)]
        extras, blob = kind.finish(content, context, signature, chain, row.state_blob)
        row.status, row.answered_at = APPROVED, now
        row.signature, row.certificate = signature, der
        row.fingerprint = certificate.fingerprint(SHA256())
        row.result = json.dumps(extras, sort_keys=True)
        row.result_blob, row.state_blob = blob, None
        session.add(row)

    def _checked_certificate(
        self,
        session: Session,
        row: ScanRequestRow,
        der: bytes,
        fingerprint: bytes | None,
        now: int,
    ) -> x509.Certificate:
        """The certificate, recognized at the request's platform for its kind's right and of
        the bound enterprise."""
        kind = kind_of(row.action)
        certificate = verify.load_certificate(der, fingerprint)
        fp = certificate.fingerprint(SHA256())
        try:
            answer = recognize(
                session,
                fp,
                row.platform_id,
                kind.right,
                cache=self._index_cache,
                clock=lambda: datetime.fromtimestamp(now, UTC),
            )
        except (RecognitionError, RegistryError) as error:
            raise InvalidScanRequest(str(error)) from error
        if not answer.recognized:
            reasons = list(answer.reason_codes)
            raise NotRecognized(
                f"the certificate is not recognized at {row.platform_id} for {row.action}: "
                + ", ".join(reasons),
                reasons,
            )
        verify.check_bind(certificate, row.bind_name, row.bind_uscc)
        return certificate

    @staticmethod
    def _by_nonce(
        session: Session, request_id: str, nonce: str, *, lock: bool = False
    ) -> ScanRequestRow:
        row = session.get(ScanRequestRow, request_id, with_for_update=lock)
        if row is None or not secrets.compare_digest(row.nonce.encode(), nonce.encode()):
            raise UnknownScanRequest("no such scan request (or a wrong nonce)")
        return row

    def _view(self, row: ScanRequestRow, now: int) -> ScanRequest:
        status = EXPIRED if row.status == PENDING and now > row.expires_at else row.status
        content = json.loads(row.content)
        chain = None
        if row.certificate is not None and row.signature is not None:
            certificate = x509.load_der_x509_certificate(row.certificate)
            chain = b"".join(
                c.public_bytes(Encoding.PEM) for c in [certificate, *self._chain_of(certificate)]
            ).decode()
        return ScanRequest(
            request_id=row.request_id,
            platform_id=row.platform_id,
            action=row.action,
            payload=row.payload,
            content=content,
            bind_name=row.bind_name,
            bind_uscc=row.bind_uscc,
            created_at=row.created_at,
            expires_at=row.expires_at,
            status=status,
            answered_at=row.answered_at,
            fingerprint=row.fingerprint,
            signature=row.signature,
            certificate_chain_pem=chain,
            session_id=row.session_id,
            result=json.loads(row.result),
            result_blob=row.result_blob,
            message=kind_of(row.action).message(content, _context(row)),
            needs_certificate=kind_of(row.action).needs_certificate,
        )


def _context(row: ScanRequestRow) -> RequestContext:
    return RequestContext(row.platform_id, row.request_id, row.created_at, row.expires_at)
