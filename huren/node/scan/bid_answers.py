"""The answers of the ``encrypt`` and ``decrypt`` scan kinds (``huren.node.scan.bid_kinds``).

Same rules as every scan answer (``ScanService``): the nonce from the QR is the capability,
one write transaction on the locked row, single use, an answer after the expiry makes the
request ``expired``, a refused answer leaves it pending.

- encrypt: the device lists the candidates (``candidates``: its enterprise's encryption
  certificates recognized for ``encrypt`` at the platform, from an ``EncryptionDirectory``),
  then posts its choice (``choose``) with a signature over ``bid_wire.choice_message`` under
  its signing certificate (recognized for ``sign``, of the bound enterprise). The node
  checks every recipient: an X25519 certificate, recognized for ``encrypt`` at the platform,
  of the signer's enterprise (the organizationIdentifier ``NTRCN-<USCC>``). The platform
  gets the recipients' certificates (PEM) and the signature.
- decrypt: the device posts its encryption certificate (one of the request's recipient
  entries, recognized for ``decrypt`` at the platform, of the bound enterprise) and the box
  sealed to the hall's key. The node cannot open the box and records it as it came.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine
from sqlmodel import Session, select

from huren.node.db.engine import write_session
from huren.node.db.pki_tables import IssuanceState, PkiIssuedCertificate
from huren.node.db.scan_tables import ScanRequestRow
from huren.node.recognition import RecognitionError, recognize
from huren.node.scan import bid_wire, verify
from huren.node.scan.errors import (
    BindMismatch,
    CertificateInvalid,
    InvalidScanRequest,
    NotRecognized,
)
from huren.node.scan.service import APPROVED, ScanRequest, ScanService
from huren.registry.errors_base import RegistryError
from huren.registry.types import KeyUsage, Right

__all__ = ["BidScan", "Candidate", "EncryptionDirectory", "PkiDirectory", "enterprise_uscc"]

MAX_CHOSEN = 50


@dataclass(frozen=True, slots=True)
class Candidate:
    fingerprint: bytes
    name: str
    der: bytes


class EncryptionDirectory(Protocol):
    """Where the node finds an enterprise's encryption certificates (DER) by its USCC."""

    def encryption_certificates(self, uscc: str) -> list[bytes]: ...


class PkiDirectory:
    """The encryption certificates this node's CAs issued (signed or on chain)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def encryption_certificates(self, uscc: str) -> list[bytes]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(PkiIssuedCertificate).where(
                    PkiIssuedCertificate.usage == int(KeyUsage.ENCRYPTION),
                    PkiIssuedCertificate.state.in_(  # type: ignore[attr-defined]
                        [IssuanceState.SIGNED, IssuanceState.SUBMITTED, IssuanceState.COMMITTED]
                    ),
                )
            ).all()
        found: list[bytes] = []
        for row in rows:
            if row.der is None:
                continue
            try:
                subject = json.loads(row.subject)
            except ValueError:
                continue
            if isinstance(subject, dict) and subject.get("uscc") == uscc:
                found.append(bytes(row.der))
        return found


def enterprise_uscc(certificate: x509.Certificate) -> str | None:
    values = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    if len(values) != 1:
        return None
    text = str(values[0].value)
    return text[len(verify.USCC_PREFIX) :] if text.startswith(verify.USCC_PREFIX) else None


def _common_name(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else certificate.subject.rfc4514_string()


def load_encryption_certificate(der: bytes, fingerprint: bytes | None = None) -> x509.Certificate:
    if fingerprint is not None and _sha256(der) != fingerprint:
        raise CertificateInvalid("the certificate is not the one with this fingerprint")
    try:
        certificate = x509.load_der_x509_certificate(der)
        key = certificate.public_key()
    except ValueError as error:
        raise CertificateInvalid("the certificate is not DER X.509") from error
    if not isinstance(key, X25519PublicKey):
        raise CertificateInvalid("the certificate does not carry an X25519 encryption key")
    return certificate


def _sha256(der: bytes) -> bytes:
    return hashlib.sha256(der).digest()


class BidScan:
    """The encrypt and decrypt answers on top of a :class:`ScanService` (its rows, clock,
    index cache and waiters)."""

    def __init__(self, scan: ScanService, directory: EncryptionDirectory) -> None:
        self.scan = scan
        self.directory = directory

    # -- encrypt ------------------------------------------------------------------------------

    def candidates(
        self, request_id: str, nonce: str, signer_der: bytes, fingerprint: bytes | None
    ) -> list[Candidate]:
        """The encryption certificates the holder of ``signer_der`` may choose: its
        enterprise's, recognized for ``encrypt`` at the request's platform."""
        now = self.scan.clock()
        with Session(self.scan.engine) as session:
            row = self._pending_row(session, request_id, nonce, now, "encrypt")
            signer = self.scan._checked_certificate(session, row, signer_der, fingerprint, now)
            uscc = self._uscc(signer)
            found: list[Candidate] = []
            for der in self.directory.encryption_certificates(uscc):
                try:
                    certificate = self._recipient(session, row, der, uscc, now)
                except (CertificateInvalid, NotRecognized, BindMismatch):
                    continue
                found.append(Candidate(_sha256(der), _common_name(certificate), der))
        return found

    def choose(
        self,
        request_id: str,
        nonce: str,
        *,
        signature: bytes,
        signer_der: bytes,
        fingerprint: bytes | None,
        recipients: Sequence[bytes],
    ) -> ScanRequest:
        """Check and record the holder's choice of recipients (see the module)."""
        if not 0 < len(recipients) <= MAX_CHOSEN:
            raise InvalidScanRequest(f"choose 1 to {MAX_CHOSEN} recipient certificates")
        fps = [_sha256(der) for der in recipients]
        if len(set(fps)) != len(fps):
            raise InvalidScanRequest("a recipient is chosen twice")
        now = self.scan.clock()
        with write_session(self.scan.engine) as session:
            row = self._answerable(session, request_id, nonce, now, "encrypt")
            if row is None:
                view = None
            else:
                signer = self.scan._checked_certificate(session, row, signer_der, fingerprint, now)
                uscc = self._uscc(signer)
                chosen = [self._recipient(session, row, der, uscc, now) for der in recipients]
                content = json.loads(row.content)
                message = bid_wire.choice_message(
                    row.platform_id, row.request_id, str(content["tender_id"]), row.expires_at, fps
                )
                verify.verify_signature(signer, message, signature)
                pem = b"".join(c.public_bytes(Encoding.PEM) for c in chosen).decode()
                result = {
                    "recipients": sorted(fp.hex() for fp in fps),
                    "recipients_pem": pem,
                    "signed_message": message.decode(),
                }
                self._approve(session, row, now, signer_der, signature, result)
                view = self.scan._view(row, now)
        return self._finish(view)

    # -- decrypt ------------------------------------------------------------------------------

    def answer_decrypt(
        self,
        request_id: str,
        nonce: str,
        *,
        certificate_der: bytes,
        fingerprint: bytes | None,
        device_public_key: bytes,
        sealed: bytes,
    ) -> ScanRequest:
        """Record the device's sealed answer for its recipient entry (see the module)."""
        if len(device_public_key) != 32 or not 16 < len(sealed) <= 1024:
            raise InvalidScanRequest("a sealed answer is a 32-byte key and a short box")
        now = self.scan.clock()
        with write_session(self.scan.engine) as session:
            row = self._answerable(session, request_id, nonce, now, "decrypt")
            if row is None:
                view = None
            else:
                certificate = load_encryption_certificate(certificate_der, fingerprint)
                fp = _sha256(certificate_der)
                content = json.loads(row.content)
                entry = next(
                    (e for e in content["recipients"] if e["fingerprint"] == fp.hex()), None
                )
                if entry is None:
                    raise InvalidScanRequest("this certificate is not one of the file's recipients")
                self._recognized(session, row, fp, Right.DECRYPT, now)
                verify.check_bind(certificate, row.bind_name, row.bind_uscc)
                result = {
                    "fingerprint": fp.hex(),
                    "enc": entry["enc"],
                    "certificate_pem": certificate.public_bytes(Encoding.PEM).decode(),
                    "device_public_key": device_public_key.hex(),
                    "sealed": sealed.hex(),
                }
                self._approve(session, row, now, certificate_der, None, result)
                view = self.scan._view(row, now)
        return self._finish(view)

    # -- internals ----------------------------------------------------------------------------

    def _pending_row(
        self, session: Session, request_id: str, nonce: str, now: int, action: str
    ) -> ScanRequestRow:
        row = self.scan._pending(session, request_id, nonce, now)
        if row.action != action:
            raise InvalidScanRequest(f"this is a {row.action} request, not {action}")
        return row

    def _answerable(
        self, session: Session, request_id: str, nonce: str, now: int, action: str
    ) -> ScanRequestRow | None:
        """The locked pending row; None when it just expired (marked so, committed)."""
        row = ScanService._by_nonce(session, request_id, nonce, lock=True)
        if row.action != action:
            raise InvalidScanRequest(f"this is a {row.action} request, not {action}")
        if row.status == "pending" and now > row.expires_at:
            row.status = "expired"
            session.add(row)
            return None
        return self.scan._pending(session, request_id, nonce, now)

    def _finish(self, view: ScanRequest | None) -> ScanRequest:
        self.scan.notify()
        if view is None:
            from huren.node.scan.errors import ScanExpired

            raise ScanExpired("this request expired before it was answered")
        return view

    @staticmethod
    def _approve(
        session: Session,
        row: ScanRequestRow,
        now: int,
        der: bytes,
        signature: bytes | None,
        result: Mapping[str, object],
    ) -> None:
        row.status, row.answered_at = APPROVED, now
        row.certificate, row.signature = der, signature
        row.fingerprint = _sha256(der)
        row.result = json.dumps(result, sort_keys=True)
        session.add(row)

    @staticmethod
    def _uscc(signer: x509.Certificate) -> str:
        uscc = enterprise_uscc(signer)
        if uscc is None:
            raise InvalidScanRequest("the signing certificate names no enterprise (USCC)")
        return uscc

    def _recipient(
        self, session: Session, row: ScanRequestRow, der: bytes, uscc: str, now: int
    ) -> x509.Certificate:
        certificate = load_encryption_certificate(der)
        if enterprise_uscc(certificate) != uscc:
            raise BindMismatch("a recipient certificate is not of the signer's enterprise")
        self._recognized(session, row, _sha256(der), Right.ENCRYPT, now)
        return certificate

    def _recognized(
        self, session: Session, row: ScanRequestRow, fp: bytes, right: Right, now: int
    ) -> None:
        try:
            answer = recognize(
                session,
                fp,
                row.platform_id,
                right,
                cache=self.scan._index_cache,
                clock=lambda: datetime.fromtimestamp(now, UTC),
            )
        except (RecognitionError, RegistryError) as error:
            raise InvalidScanRequest(str(error)) from error
        if not answer.recognized:
            reasons = list(answer.reason_codes)
            raise NotRecognized(
                f"certificate {fp.hex()[:16]}… is not recognized at {row.platform_id} for "
                f"{str(right.name).lower()}: " + ", ".join(reasons),
                reasons,
            )
