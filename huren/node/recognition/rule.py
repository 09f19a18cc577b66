"""The recognition rule: ``CertificateRegistry.recognizeAt`` evaluated over index rows.

``evaluate`` is the contract's rule, condition for condition (the property test in
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

Every answer cites the records it rests on (``cite_evidence``: the event that last set each
row).
"""

from __future__ import annotations

import functools
from typing import Protocol

from huren.node.recognition.answer import Evidence
from huren.node.recognition.errors import InvalidAction
from huren.registry.ids import decode_id, encode_id
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
    "NOW",
    "AuthorizationRecord",
    "CaRecord",
    "CertificateRecord",
    "EvidenceRecord",
    "PlatformRecord",
    "canonical_id",
    "check_action",
    "cite_evidence",
    "evaluate",
]

NOW = 2**64 - 1  # a revocation cutoff after every revocation: "now" is the latest state
_ENCRYPTION_ACTIONS = (Right.ENCRYPT, Right.DECRYPT)


@functools.lru_cache(maxsize=4096)
def canonical_id(value: str) -> str:
    """The id ``value`` names, as the index keys it (a raw ``0x`` form reads as the id);
    ``InvalidIdentifier`` when it is no id. Cached: the same few platforms ask all day."""
    return decode_id(encode_id(value))


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


# -- the records the rule reads ------------------------------------------------------------------
#
# ``evaluate`` reads these attributes only; the index's ORM rows (``huren.node.db.models``)
# have them, and so do the lean rows of ``huren.node.recognition.queries``.


class EvidenceRecord(Protocol):
    @property
    def block_number(self) -> int: ...
    @property
    def block_hash(self) -> bytes: ...
    @property
    def transaction_hash(self) -> bytes: ...
    @property
    def log_index(self) -> int: ...


class CertificateRecord(EvidenceRecord, Protocol):
    @property
    def fingerprint(self) -> bytes: ...
    @property
    def ca_id(self) -> str: ...
    @property
    def kind(self) -> int: ...
    @property
    def usage(self) -> int: ...
    @property
    def scope(self) -> int: ...
    @property
    def center(self) -> str | None: ...
    @property
    def not_before(self) -> int: ...
    @property
    def not_after(self) -> int: ...
    @property
    def status(self) -> int: ...
    @property
    def revoked_at(self) -> int | None: ...
    @property
    def revoked_block_number(self) -> int | None: ...
    @property
    def revoked_block_hash(self) -> bytes | None: ...
    @property
    def revoked_transaction_hash(self) -> bytes | None: ...
    @property
    def revoked_log_index(self) -> int | None: ...


class CaRecord(EvidenceRecord, Protocol):
    @property
    def status(self) -> int: ...


class PlatformRecord(EvidenceRecord, Protocol):
    @property
    def center(self) -> str: ...
    @property
    def active(self) -> bool: ...


class AuthorizationRecord(EvidenceRecord, Protocol):
    @property
    def enterprise_fingerprint(self) -> bytes: ...
    @property
    def rights(self) -> int: ...


def evaluate(
    cert: CertificateRecord | None,
    ca: CaRecord | None,
    platform: PlatformRecord | None,
    authorization: AuthorizationRecord | None,
    granting: CertificateRecord | None,
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


def _revoked_by(cert: CertificateRecord, at: int) -> bool:
    return (
        cert.status == CertificateStatus.REVOKED
        and cert.revoked_at is not None
        and cert.revoked_at <= at
    )


def _valid_at(cert: CertificateRecord, at: int, cutoff: int) -> bool:
    return not _revoked_by(cert, cutoff) and cert.not_before <= at <= cert.not_after


# -- the evidence an answer cites ----------------------------------------------------------------


def cite_evidence(
    cert: CertificateRecord | None,
    ca: CaRecord | None,
    platform: PlatformRecord | None,
    auth: AuthorizationRecord | None,
    grantor: CertificateRecord | None,
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


def _cite(role: str, event: str, row: EvidenceRecord) -> Evidence:
    return Evidence(
        role, event, row.block_number, row.block_hash, row.transaction_hash, row.log_index
    )
