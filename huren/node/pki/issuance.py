"""Issuance: an approved request becomes a signed certificate recorded on chain.

The cycle follows Boulder (Let's Encrypt's CA): nothing is signed that was not recorded
first, and nothing is handed out that the chain does not hold.

1. ``reserve``: in one transaction, check the CA (loaded, accredited in the index), draw a
   random serial and write the whole intent (``IssuanceState.RESERVED``): subject, key,
   validity, kind, usage, scope, holder commitment, predecessor, who approved.
2. ``sign``: build the certificate from the recorded intent and sign it with deterministic
   ECDSA, so signing the same intent again after a crash gives the same DER and fingerprint
   (SHA-256 of the DER, as the registry keys records); store both (SIGNED).
3. ``commit_pending``: per CA, mark a batch SUBMITTED, record it on chain with
   ``recordCertificates`` as the CA's operator, then mark it COMMITTED with the transaction.
   Only now does ``chain_pem`` hand the certificate out.

``recover`` (run on start) finishes whatever a crash interrupted: it signs RESERVED rows,
asks the chain about SUBMITTED ones (recorded: COMMITTED; not: back to SIGNED) and commits
what is pending. A request id issues at most once: reserving it again returns the same
serial, and a different request under the same id is a ``RequestConflict``.

The CA side of revocation is ``revoke``: the issuing CA's operator revokes on chain (the
holder's own checks belong to the certificate service, which calls this).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from huren.node.audit.oplog import Operation, OperationLog, OperationRecord
from huren.node.db.engine import write_session
from huren.node.db.models import Certificate
from huren.node.db.pki_tables import IssuanceState, PkiIssuedCertificate
from huren.node.pki.ca import CertificateAuthority, check_accredited
from huren.node.pki.errors import (
    AlreadyRevoked,
    CertificateNotCommitted,
    InvalidIssuanceRequest,
    RequestConflict,
    UnknownCa,
    UnknownIssuedCertificate,
)
from huren.node.pki.profiles import LeafCertificate, subject_from_json, subject_to_json
from huren.node.pki.request import (
    YEAR_S,
    IssuanceRequest,
    IssuedCertificate,
    certificate_input,
    fingerprint_of,
    load_public_key,
    same_intent,
)
from huren.registry import errors as registry_errors
from huren.registry.client import RegistryClient
from huren.registry.errors_base import ContractError
from huren.registry.types import CertificateKind, CertificateStatus, KeyUsage, RevocationReason

__all__ = ["YEAR_S", "IssuanceRequest", "IssuanceService", "IssuedCertificate"]

log = logging.getLogger(__name__)

Clock = Callable[[], int]
DEFAULT_BATCH = 500


def _system_clock() -> int:
    return int(time.time())


class IssuanceService:
    """Issues certificates for the CAs in ``cas`` (see the module docstring). ``client`` is
    any client of the deployment; each CA's chain writes use its own operator account."""

    def __init__(
        self,
        engine: Engine,
        cas: Mapping[str, CertificateAuthority],
        client: RegistryClient,
        *,
        clock: Clock = _system_clock,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        if not 0 < batch_size <= client.max_batch:
            raise ValueError(f"batch_size must be 1..{client.max_batch}")
        self.engine = engine
        self.cas = dict(cas)
        self.clock = clock
        self.batch_size = batch_size
        self._clients = {ca_id: client.with_account(ca.operator) for ca_id, ca in cas.items()}

    def ca(self, ca_id: str) -> CertificateAuthority:
        try:
            return self.cas[ca_id]
        except KeyError:
            raise UnknownCa(f"no CA {ca_id!r} is loaded into this node") from None

    def operator_client(self, ca_id: str) -> RegistryClient:
        """The client that writes as ``ca_id``'s operator (authorizations use it too)."""
        self.ca(ca_id)
        return self._clients[ca_id]

    # -- the cycle ---------------------------------------------------------------------------

    def issue(self, request: IssuanceRequest) -> IssuedCertificate:
        """Reserve, sign and commit one request (see ``issue_many`` for batches)."""
        return self.issue_many([request])[0]

    def issue_many(self, requests: Sequence[IssuanceRequest]) -> list[IssuedCertificate]:
        """The whole cycle for many requests: their records go on chain in batches."""
        serials = self.reserve_many(requests)
        self.sign_many(serials)
        while self.commit_pending():
            pass
        return [self.status(s) for s in serials]

    def reserve(self, request: IssuanceRequest) -> str:
        return self.reserve_many([request])[0]

    def reserve_many(self, requests: Sequence[IssuanceRequest]) -> list[str]:
        """Record the intents (one transaction); returns their serials, the earlier serial
        for a request id reserved before."""
        for ca_id in {r.ca_id for r in requests}:
            check_accredited(self.engine, self.ca(ca_id))
        now = self.clock()
        serials: list[str] = []
        with write_session(self.engine) as session:
            ids = [r.request_id for r in requests]
            earlier = {
                row.request_id: row
                for row in session.exec(
                    select(PkiIssuedCertificate).where(
                        col(PkiIssuedCertificate.request_id).in_(ids)
                    )
                )
            }
            for request in requests:
                row = earlier.get(request.request_id)
                if row is not None:
                    if not same_intent(row, request):
                        raise RequestConflict(
                            f"request {request.request_id} was reserved for another issuance"
                        )
                    serials.append(row.serial)
                    continue
                ca = self.cas[request.ca_id]
                row = PkiIssuedCertificate(
                    serial=f"{x509.random_serial_number():x}",
                    ca_id=request.ca_id,
                    issuer_key_id=ca.issuer_key_id,
                    request_id=request.request_id,
                    state=IssuanceState.RESERVED,
                    approved_by=request.approved_by,
                    subject=subject_to_json(request.subject),
                    public_key=request.public_key_der(),
                    kind=request.kind,
                    usage=request.usage,
                    scope=request.scope,
                    center=request.center,
                    holder=request.holder,
                    predecessor=request.predecessor,
                    not_before=now,
                    not_after=now + request.validity_years * YEAR_S,
                    created_at=now,
                )
                session.add(row)
                earlier[request.request_id] = row
                serials.append(row.serial)
        return serials

    def sign(self, serial: str) -> bytes:
        """Sign a reserved intent (again, after a crash: same bytes); its fingerprint."""
        fingerprint = self.sign_many([serial])[0]
        return fingerprint

    def sign_many(self, serials: Sequence[str]) -> list[bytes]:
        now = self.clock()
        out: list[bytes] = []
        with write_session(self.engine) as session:
            rows = {
                r.serial: r
                for r in session.exec(
                    select(PkiIssuedCertificate).where(
                        col(PkiIssuedCertificate.serial).in_(serials)
                    )
                )
            }
            for serial in serials:
                row = rows.get(serial)
                if row is None:
                    raise UnknownIssuedCertificate(f"no issuance with serial {serial}")
                if row.state == IssuanceState.RESERVED:
                    der = (
                        self._leaf(row)
                        .sign(self.ca(row.ca_id))
                        .public_bytes(serialization.Encoding.DER)
                    )
                    row.der = der
                    row.fingerprint = fingerprint_of(der)
                    row.signed_at = now
                    row.state = IssuanceState.SIGNED
                    session.add(row)
                assert row.fingerprint is not None
                out.append(row.fingerprint)
        return out

    def _leaf(self, row: PkiIssuedCertificate) -> LeafCertificate:
        return LeafCertificate(
            subject=subject_from_json(row.subject),
            kind=CertificateKind(row.kind),
            usage=KeyUsage(row.usage),
            public_key=load_public_key(row.public_key),
            serial=int(row.serial, 16),
            not_before=row.not_before,
            not_after=row.not_after,
            holder=row.holder,
        )

    def commit_pending(self, *, raise_refusals: bool = True) -> int:
        """Record one batch of signed certificates per CA on chain; how many rows it handled
        (0: nothing was pending). A reverted batch goes back to SIGNED, except when the
        chain holds some of it already (a send before a crash that was mined late): those
        rows are settled as COMMITTED, the rest go out in the next batch. The other CAs'
        batches go on; then the first revert is raised (logged, with ``raise_refusals``
        false: a CA suspended meanwhile must not stop the node)."""
        recorded = 0
        refusals: list[ContractError] = []
        for ca_id in self.cas:
            with write_session(self.engine) as session:
                rows = list(
                    session.exec(
                        select(PkiIssuedCertificate)
                        .where(
                            PkiIssuedCertificate.ca_id == ca_id,
                            PkiIssuedCertificate.state == IssuanceState.SIGNED,
                        )
                        .order_by(col(PkiIssuedCertificate.created_at))
                        .limit(self.batch_size)
                        # PostgreSQL: two committers never take the same rows (SQLite's
                        # write transactions are serial anyway).
                        .with_for_update(skip_locked=True)
                    )
                )
                for row in rows:
                    row.state = IssuanceState.SUBMITTED
                    session.add(row)
            if not rows:
                continue
            try:
                self._record(ca_id, rows)
            except ContractError as exc:
                log.warning("the chain refused %d records of %s: %s", len(rows), ca_id, exc)
                refusals.append(exc)
                continue
            recorded += len(rows)
        if refusals and raise_refusals:
            raise refusals[0]
        return recorded

    def _record(self, ca_id: str, rows: list[PkiIssuedCertificate]) -> None:
        ca = self.cas[ca_id]
        inputs = [certificate_input(row) for row in rows]
        serials = [row.serial for row in rows]
        try:
            result = self._clients[ca_id].record_certificates(ca_id, ca.issuer_key_id, inputs)
        except registry_errors.CertificateAlreadyRecorded:
            # An earlier send of (part of) this batch was mined after all (a crash while it
            # was pending): settle each row with the chain; the rest goes out again.
            self._reconcile(rows)
            return
        except ContractError:  # reverted: nothing of the batch is on chain
            self._set_state(serials, IssuanceState.SIGNED)
            raise
        # Any other failure leaves the batch SUBMITTED: the transaction may have been mined.
        with write_session(self.engine) as session:
            session.execute(
                update(PkiIssuedCertificate)
                .where(col(PkiIssuedCertificate.serial).in_(serials))
                .values(
                    state=IssuanceState.COMMITTED,
                    transaction_hash=result.transaction_hash,
                    block_number=result.block_number,
                    committed_at=self.clock(),
                )
            )

    def _set_state(self, serials: Iterable[str], state: int) -> None:
        with write_session(self.engine) as session:
            session.execute(
                update(PkiIssuedCertificate)
                .where(col(PkiIssuedCertificate.serial).in_(list(serials)))
                .values(state=state)
            )

    def recover(self) -> None:
        """Finish what a crash interrupted (see the module docstring)."""
        with Session(self.engine) as session:
            mine = col(PkiIssuedCertificate.ca_id).in_(list(self.cas))  # CAs loaded now
            reserved = session.exec(
                select(PkiIssuedCertificate.serial).where(
                    PkiIssuedCertificate.state == IssuanceState.RESERVED, mine
                )
            ).all()
            submitted = session.exec(
                select(PkiIssuedCertificate).where(
                    PkiIssuedCertificate.state == IssuanceState.SUBMITTED, mine
                )
            ).all()
        if reserved:
            self.sign_many(list(reserved))
        self._reconcile(list(submitted))
        while self.commit_pending(raise_refusals=False):
            pass

    def _reconcile(self, rows: Sequence[PkiIssuedCertificate]) -> None:
        """Ask the chain about each row: recorded -> COMMITTED (its transaction is the
        index's to cite), not recorded -> SIGNED (to be sent again)."""
        for row in rows:
            assert row.fingerprint is not None
            try:
                self._clients[row.ca_id].certificate(row.fingerprint)
            except registry_errors.UnknownCertificate:
                self._set_state([row.serial], IssuanceState.SIGNED)
                continue
            with write_session(self.engine) as session:
                session.execute(
                    update(PkiIssuedCertificate)
                    .where(col(PkiIssuedCertificate.serial) == row.serial)
                    .values(state=IssuanceState.COMMITTED, committed_at=self.clock())
                )

    # -- reading -----------------------------------------------------------------------------

    def status(self, serial: str) -> IssuedCertificate:
        with Session(self.engine) as session:
            row = session.get(PkiIssuedCertificate, serial)
        if row is None:
            raise UnknownIssuedCertificate(f"no issuance with serial {serial}")
        return IssuedCertificate.of(row)

    def _by_fingerprint(self, session: Session, fingerprint: bytes) -> PkiIssuedCertificate:
        row = session.exec(
            select(PkiIssuedCertificate).where(PkiIssuedCertificate.fingerprint == fingerprint)
        ).first()
        if row is None:
            raise UnknownIssuedCertificate(f"this node issued no certificate {fingerprint.hex()}")
        return row

    def chain_pem(self, fingerprint: bytes) -> bytes:
        """The certificate with its issuing and root CA (PEM), once committed on chain."""
        with Session(self.engine) as session:
            row = self._by_fingerprint(session, fingerprint)
        if row.state != IssuanceState.COMMITTED or row.der is None:
            raise CertificateNotCommitted(
                f"certificate {fingerprint.hex()} is not yet recorded on chain"
            )
        leaf = x509.load_der_x509_certificate(row.der).public_bytes(serialization.Encoding.PEM)
        return leaf + self.ca(row.ca_id).chain_pem()

    # -- revocation --------------------------------------------------------------------------

    def revoke(
        self, fingerprint: bytes, reason: RevocationReason | int, *, actor: str | None = None
    ) -> bytes:
        """Revoke a committed certificate on chain as its issuing CA's operator (for good);
        the transaction hash. OCSP and the CRL show it once the index has the block. The
        revocation is traced in the operation log as done by ``actor`` (the holder's account,
        say; default the CA, ``ca:<id>``)."""
        try:
            reason = RevocationReason(reason)
        except ValueError:
            raise InvalidIssuanceRequest(
                f"revocation reason {reason!r} is not one the registry accepts"
            ) from None
        with write_session(self.engine) as session:
            row = self._by_fingerprint(session, fingerprint)
            if row.state != IssuanceState.COMMITTED:
                raise CertificateNotCommitted(f"{fingerprint.hex()} is not recorded on chain")
            indexed = session.get(Certificate, fingerprint)
            if indexed is not None and indexed.status == CertificateStatus.REVOKED:
                raise AlreadyRevoked(f"{fingerprint.hex()} is revoked already")
            row.revocation_reason = reason
            row.revocation_requested_at = self.clock()
            session.add(row)
            ca_id, serial = row.ca_id, row.serial
        try:
            result = self._clients[ca_id].revoke_certificate(fingerprint, reason)
        except registry_errors.AlreadyRevoked as exc:
            raise AlreadyRevoked(f"{fingerprint.hex()} is revoked already") from exc
        with write_session(self.engine) as session:
            session.execute(
                update(PkiIssuedCertificate)
                .where(col(PkiIssuedCertificate.serial) == serial)
                .values(revocation_transaction_hash=result.transaction_hash)
            )
            record = OperationRecord(
                actor=actor or f"ca:{ca_id}",
                operation=Operation.REVOCATION,
                subject=fingerprint.hex(),
            )
            OperationLog(self.engine, clock=self.clock).append_in(session.connection(), record)
        return result.transaction_hash
