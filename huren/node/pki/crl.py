"""The CRL of an issuing CA, from the index's revocations.

``CrlPublisher.current()`` returns the DER of the CA's CRL (RFC 5280 v2: CRL number,
authority key identifier, a reason code per entry unless unspecified). It is re-signed when
the revoked certificates the index holds for the CA differ from the ones the last CRL lists
(their digest is the cache key: the indexed state) or when the last one is older than
``refresh_s``; the number increases every time and survives restarts (``pki_crls``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import Engine
from sqlmodel import Session

from huren.node.db.engine import write_session
from huren.node.db.pki_tables import PkiCrl
from huren.node.pki.ca import CertificateAuthority
from huren.node.pki.ocsp import REASON_FLAGS
from huren.node.pki.status import Revoked, StatusLookup

__all__ = ["CrlPublisher"]

Clock = Callable[[], float]


def _entries_digest(entries: list[Revoked]) -> bytes:
    text = "".join(f"{e.serial:x}:{e.revoked_at}:{e.reason};" for e in entries)
    return hashlib.sha256(text.encode()).digest()


class CrlPublisher:
    """The CRL of one issuing CA (thread-safe)."""

    def __init__(
        self,
        engine: Engine,
        ca: CertificateAuthority,
        lookup: StatusLookup,
        *,
        clock: Clock = time.time,
        validity_s: int = 7 * 86_400,
        refresh_s: int = 86_400,
    ) -> None:
        if not 0 < refresh_s < validity_s:
            raise ValueError("a CRL is re-signed well before its nextUpdate")
        self.engine = engine
        self.ca = ca
        self.lookup = lookup
        self.clock = clock
        self.validity_s = validity_s
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._last: PkiCrl | None = None

    def current(self) -> bytes:
        entries = self.lookup.revoked(self.ca.ca_id)
        digest = _entries_digest(entries)
        now = int(self.clock())
        last = self._last
        if last is not None and self._fresh(last, digest, now):
            return last.der
        with self._lock:
            with Session(self.engine) as session:
                stored = session.get(PkiCrl, self.ca.ca_id)
            if stored is not None and self._fresh(stored, digest, now):
                self._last = stored
                return stored.der
            number = 1 if stored is None else stored.crl_number + 1
            der = self._sign(entries, number, now)
            row = PkiCrl(
                ca_id=self.ca.ca_id,
                crl_number=number,
                entries_digest=digest,
                this_update=now,
                next_update=now + self.validity_s,
                der=der,
            )
            with write_session(self.engine) as session:
                session.merge(row)
            self._last = row
            return der

    def _fresh(self, crl: PkiCrl, digest: bytes, now: int) -> bool:
        return crl.entries_digest == digest and 0 <= now - crl.this_update < self.refresh_s

    def _sign(self, entries: list[Revoked], number: int, now: int) -> bytes:
        this_update = dt.datetime.fromtimestamp(now, dt.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca.issuing.subject)
            .last_update(this_update)
            .next_update(this_update + dt.timedelta(seconds=self.validity_s))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.ca.issuing_key.public_key()
                ),
                critical=False,
            )
        )
        for entry in entries:
            revoked = (
                x509.RevokedCertificateBuilder()
                .serial_number(entry.serial)
                .revocation_date(dt.datetime.fromtimestamp(entry.revoked_at, dt.UTC))
            )
            if entry.reason:  # RFC 5280 5.3.1: omit rather than say unspecified
                flag = REASON_FLAGS.get(entry.reason, x509.ReasonFlags.unspecified)
                revoked = revoked.add_extension(x509.CRLReason(flag), critical=False)
            builder = builder.add_revoked_certificate(revoked.build())
        crl = builder.sign(self.ca.issuing_key, hashes.SHA256(), ecdsa_deterministic=True)
        return crl.public_bytes(serialization.Encoding.DER)
