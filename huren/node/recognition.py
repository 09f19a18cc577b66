"""The recognition rule off chain: ``CertificateRegistry.recognizeAt`` over the SQL index.

Trading platforms ask the node whether a certificate is recognized many times a second, and
an ``eth_call`` costs about 10 ms, so the node answers from its index and never calls the
chain here. The rule below is the contract's, condition for condition (the property test in
``tests/node/test_recognition.py`` holds the two to the same answers over random states):

- the certificate is recorded (else UNKNOWN_CERTIFICATE and nothing more about it);
- its CA is accredited now (a suspended CA's certificates are not recognized meanwhile);
- it was not revoked at or before ``at``; ``at`` lies within notBefore..notAfter;
  asked about *now* (``at`` None), every revocation the index holds counts, however the
  chain's block times compare with this node's clock (an embedded chain's blocks run ahead of
  the wall clock in bursts, since each block's time exceeds its parent's);
- it is alliance scope, or regional and the platform belongs to its center;
- the platform is registered and active;
- a staff certificate holds an authorization at the platform with the action's right (any
  right for action 0), and the enterprise certificate that granted it was, at ``at``,
  recorded, unrevoked and within its validity;
- the action fits the key usage (encrypt/decrypt need an encryption certificate).

The contract compares member *indexes* of the certificate's and the platform's centers; a
member keeps its index for good, so comparing their addresses is the same test.

Every answer cites the records it rests on (``Evidence``: the event that last set each row)
and says how far the index lags the chain, so a platform can judge how fresh it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from huren.node.db.models import Authorization, Ca, Certificate, IndexState, Platform
from huren.registry.ids import check_bytes32, decode_id, encode_id
from huren.registry.types import (
    CaStatus,
    CertificateKind,
    CertificateStatus,
    KeyUsage,
    Reason,
    Right,
    Scope,
)

__all__ = [
    "MAX_BATCH",
    "NOW",
    "Evidence",
    "InvalidAction",
    "RecognitionAnswer",
    "RecognitionError",
    "TooManyFingerprints",
    "evaluate",
    "reason_codes",
    "recognize",
    "recognize_many",
]

MAX_BATCH = 1000
NOW = 2**64 - 1  # a revocation cutoff after every revocation: "now" is the latest state
_ENCRYPTION_ACTIONS = (Right.ENCRYPT, Right.DECRYPT)


class RecognitionError(Exception):
    """Root of the recognition service's errors; ``status`` and ``code`` say how the API
    reports each (the service itself knows nothing of HTTP beyond these two values)."""

    status = 400
    code = "RECOGNITION_ERROR"


class InvalidAction(RecognitionError, ValueError):
    """Not 0 nor a single right bit (the contract reverts ``InvalidAction`` likewise)."""

    status = 422
    code = "INVALID_ACTION"


class TooManyFingerprints(RecognitionError, ValueError):
    status = 422
    code = "TOO_MANY_FINGERPRINTS"


@dataclass(frozen=True, slots=True)
class Evidence:
    """The chain event behind one record an answer rests on. ``role`` is what the record is
    to the answer: certificate, revocation, ca, platform or authorization."""

    role: str
    event: str
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    log_index: int


@dataclass(frozen=True, slots=True)
class RecognitionAnswer:
    """Whether ``fingerprint`` is recognized at ``platform_id`` for ``action`` at ``at``
    (unix seconds), with every failed condition in ``reasons`` (bit for bit the contract's),
    the evidence, the index's lag behind the chain head in blocks, the last indexed block
    and when the answer was computed."""

    fingerprint: bytes
    platform_id: str
    action: Right | int
    at: int
    recognized: bool
    reasons: Reason
    evidence: tuple[Evidence, ...]
    index_lag: int | None
    indexed_block: int | None
    evaluated_at: datetime

    @property
    def reason_codes(self) -> list[str]:
        return reason_codes(self.reasons)

    @property
    def platform_known(self) -> bool:
        return not self.reasons & Reason.UNKNOWN_PLATFORM


def reason_codes(reasons: Reason | int) -> list[str]:
    """The names of the set bits, lowest first (``["CA_NOT_ACCREDITED", "REVOKED"]``)."""
    return [r.name for r in Reason if r.name is not None and int(reasons) & r.value]


def check_action(action: Right | int) -> Right | int:
    """``action`` when it is 0 or exactly one right bit; ``InvalidAction`` otherwise."""
    if isinstance(action, bool):
        raise InvalidAction(f"action {action!r} is not a right")
    value = int(action)
    if value == 0:
        return 0
    if value < 0 or value > Right.DECRYPT or value & (value - 1):
        raise InvalidAction(f"action {value} is neither 0 nor a single right")
    return Right(value)


def evaluate(
    cert: Certificate | None,
    ca: Ca | None,
    platform: Platform | None,
    authorization: Authorization | None,
    granting: Certificate | None,
    action: Right | int,
    at: int,
    revoked_by: int | None = None,
) -> Reason:
    """THE rule (see the module docstring): every reason that applies to these records. The
    records are the index's rows for the certificate, its CA, the platform, the staff
    certificate's authorization at the platform and the enterprise certificate that granted
    it (None when there is none). A revocation counts when dated at or before ``revoked_by``
    (default ``at``; ``NOW`` counts every one)."""
    cutoff = at if revoked_by is None else revoked_by
    reasons = Reason(0)
    if platform is None:
        reasons |= Reason.UNKNOWN_PLATFORM
    elif not platform.active:
        reasons |= Reason.PLATFORM_RETIRED
    if cert is None:
        return reasons | Reason.UNKNOWN_CERTIFICATE
    if ca is None or ca.status != CaStatus.ACCREDITED:
        reasons |= Reason.CA_NOT_ACCREDITED
    if _revoked_by(cert, cutoff):
        reasons |= Reason.REVOKED
    if at < cert.not_before:
        reasons |= Reason.NOT_YET_VALID
    if at > cert.not_after:
        reasons |= Reason.EXPIRED
    if cert.scope == Scope.REGIONAL and (
        platform is None or (cert.center or "").lower() != platform.center.lower()
    ):
        reasons |= Reason.OUT_OF_SCOPE
    if cert.kind == CertificateKind.STAFF:
        rights = 0 if authorization is None else authorization.rights
        granted = rights != 0 if action == 0 else bool(rights & int(action))
        if not granted or granting is None or not _valid_at(granting, at, cutoff):
            reasons |= Reason.NOT_AUTHORIZED
    if action != 0:
        wants_encryption = action in _ENCRYPTION_ACTIONS
        if wants_encryption != (cert.usage == KeyUsage.ENCRYPTION):
            reasons |= Reason.WRONG_USAGE
    return reasons


def _revoked_by(cert: Certificate, at: int) -> bool:
    return (
        cert.status == CertificateStatus.REVOKED
        and cert.revoked_at is not None
        and cert.revoked_at <= at
    )


def _valid_at(cert: Certificate, at: int, cutoff: int) -> bool:
    return not _revoked_by(cert, cutoff) and cert.not_before <= at <= cert.not_after


def recognize(
    session: Session,
    fingerprint: bytes,
    platform_id: str,
    action: Right | int,
    at: int | None = None,
    *,
    lag: int | None = None,
) -> RecognitionAnswer:
    """The recognition of one certificate, from the index only, at time ``at`` (None: now, on
    the latest indexed state; ``lag``: the index's lag behind the chain head, reported in the
    answer; None when unknown)."""
    return recognize_many(session, [fingerprint], platform_id, action, at, lag=lag)[0]


def recognize_many(
    session: Session,
    fingerprints: Sequence[bytes],
    platform_id: str,
    action: Right | int,
    at: int | None = None,
    *,
    lag: int | None = None,
) -> list[RecognitionAnswer]:
    """The recognition of up to ``MAX_BATCH`` certificates at one platform, in the order
    given (duplicates answered twice), in at most six queries whatever their number, all in one
    read transaction of ``session``: every answer sees the same index state when that
    transaction reads one snapshot (SQLite does; on PostgreSQL use REPEATABLE READ, as the
    API's sessions do)."""
    if len(fingerprints) > MAX_BATCH:
        raise TooManyFingerprints(f"{len(fingerprints)} fingerprints; at most {MAX_BATCH}")
    fps = [check_bytes32(f, "fingerprint") for f in fingerprints]
    action = check_action(action)
    platform_id = decode_id(encode_id(platform_id))  # a raw 0x form reads as the id
    evaluated_at = datetime.now(UTC)
    revoked_by = NOW if at is None else at
    at = int(evaluated_at.timestamp()) if at is None else at

    state = session.get(IndexState, 1)
    platform = session.get(Platform, platform_id)
    unique = list(dict.fromkeys(fps))
    certs = _by(session.exec(select(Certificate).where(col(Certificate.fingerprint).in_(unique))))
    ca_ids = sorted({c.ca_id for c in certs.values()})
    cas = {c.ca_id: c for c in session.exec(select(Ca).where(col(Ca.ca_id).in_(ca_ids)))}
    staff = [f for f, c in certs.items() if c.kind == CertificateKind.STAFF]
    auths: dict[bytes, Authorization] = {}
    if staff:
        query = select(Authorization).where(
            col(Authorization.platform_id) == platform_id,
            col(Authorization.staff_fingerprint).in_(staff),
        )
        auths = {a.staff_fingerprint: a for a in session.exec(query)}
    granting = {a.enterprise_fingerprint for a in auths.values() if a.rights} - certs.keys()
    if granting:
        query_granting = select(Certificate).where(col(Certificate.fingerprint).in_(granting))
        certs.update(_by(session.exec(query_granting)))

    answers = []
    for fp in fps:
        cert = certs.get(fp)
        ca = None if cert is None else cas.get(cert.ca_id)
        auth = auths.get(fp)
        grantor = None if auth is None else certs.get(bytes(auth.enterprise_fingerprint))
        reasons = evaluate(cert, ca, platform, auth, grantor, action, at, revoked_by)
        answers.append(
            RecognitionAnswer(
                fingerprint=fp,
                platform_id=platform_id,
                action=action,
                at=at,
                recognized=not reasons,
                reasons=reasons,
                evidence=_evidence(cert, ca, platform, auth, grantor),
                index_lag=lag,
                indexed_block=None if state is None else state.block_number,
                evaluated_at=evaluated_at,
            )
        )
    return answers


def _by(rows: Iterable[Certificate]) -> dict[bytes, Certificate]:
    return {bytes(c.fingerprint): c for c in rows}


def _evidence(
    cert: Certificate | None,
    ca: Ca | None,
    platform: Platform | None,
    auth: Authorization | None,
    grantor: Certificate | None,
) -> tuple[Evidence, ...]:
    out: list[Evidence] = []
    if cert is not None:
        out.append(_cite("certificate", "CertificateRecorded", cert))
        if (
            cert.revoked_block_number is not None
            and cert.revoked_block_hash is not None
            and cert.revoked_transaction_hash is not None
            and cert.revoked_log_index is not None
        ):
            revoked = Evidence(
                "revocation",
                "CertificateRevoked",
                cert.revoked_block_number,
                cert.revoked_block_hash,
                cert.revoked_transaction_hash,
                cert.revoked_log_index,
            )
            out.append(revoked)
    if ca is not None:
        accredited = ca.status == CaStatus.ACCREDITED
        out.append(_cite("ca", "CaAccredited" if accredited else "CaSuspended", ca))
    if platform is not None:
        event = "PlatformRegistered" if platform.active else "PlatformRetired"
        out.append(_cite("platform", event, platform))
    if auth is not None:
        event = "AuthorizationGranted" if auth.rights else "AuthorizationRevoked"
        out.append(_cite("authorization", event, auth))
    if grantor is not None and auth is not None and auth.rights:
        out.append(_cite("enterprise_certificate", "CertificateRecorded", grantor))
    return tuple(out)


def _cite(role: str, event: str, row: Certificate | Ca | Platform | Authorization) -> Evidence:
    return Evidence(
        role, event, row.block_number, row.block_hash, row.transaction_hash, row.log_index
    )
