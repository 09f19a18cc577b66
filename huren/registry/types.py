"""Python mirrors of the contracts' constants, and the values the client hands out.

Enums carry the contracts' numbers so they go on chain unchanged; dataclasses are frozen and
slotted because they are shared across threads and created in bulk by the event stream.
Addresses are checksummed ``str``; CA and platform ids are ``str`` (see ``ids``); hashes and
fingerprints are 32-byte ``bytes``; times are unix seconds.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from enum import IntEnum, IntFlag
from typing import Any

from huren.registry.errors_base import InvalidCertificateInput, InvalidIdentifier
from huren.registry.ids import check_bytes32

__all__ = [
    "MAX_TIMESTAMP",
    "AccreditCaAction",
    "AddMemberAction",
    "Authorization",
    "Ca",
    "CaStatus",
    "CertificateInput",
    "CertificateKind",
    "CertificateRecord",
    "CertificateStatus",
    "Deployment",
    "KeyUsage",
    "Member",
    "Platform",
    "Proposal",
    "ProposalAction",
    "ProposalKind",
    "ProposalStatus",
    "Reason",
    "Recognition",
    "RegisterPlatformAction",
    "RemoveMemberAction",
    "RetirePlatformAction",
    "RevocationReason",
    "Right",
    "Scope",
    "SetQuorumAction",
    "SuspendCaAction",
    "Vote",
]

MAX_TIMESTAMP = 2**40 - 1  # records pack notBefore/notAfter into uint40


class CertificateKind(IntEnum):
    ENTERPRISE = 1
    STAFF = 2
    PERSONAL = 3


class KeyUsage(IntEnum):
    SIGNING = 1
    ENCRYPTION = 2


class Scope(IntEnum):
    """Alliance certificates are recognized at every member's platforms, regional ones only
    at their center's."""

    ALLIANCE = 1
    REGIONAL = 2


class CertificateStatus(IntEnum):
    ACTIVE = 1
    REVOKED = 2


class CaStatus(IntEnum):
    NONE = 0
    ACCREDITED = 1
    SUSPENDED = 2


class ProposalKind(IntEnum):
    ADD_MEMBER = 0
    REMOVE_MEMBER = 1
    ACCREDIT_CA = 2
    SUSPEND_CA = 3
    REGISTER_PLATFORM = 4
    RETIRE_PLATFORM = 5
    SET_QUORUM = 6


class ProposalStatus(IntEnum):
    """EXPIRED is never stored: the views report an OPEN proposal past its expiry as such."""

    NONE = 0
    OPEN = 1
    EXECUTED = 2
    REJECTED = 3
    EXPIRED = 4


class Vote(IntEnum):
    NONE = 0
    YES = 1
    NO = 2


class Right(IntFlag):
    """Rights an authorization grants; a single bit is also an action to recognize for."""

    LOGIN = 1
    SIGN = 2
    SEAL = 4
    ENCRYPT = 8
    DECRYPT = 16


class Reason(IntFlag):
    """Why a certificate is not recognized; ``recognize`` reports every one that applies."""

    UNKNOWN_CERTIFICATE = 1
    CA_NOT_ACCREDITED = 2
    REVOKED = 4
    NOT_YET_VALID = 8
    EXPIRED = 16
    OUT_OF_SCOPE = 32
    UNKNOWN_PLATFORM = 64
    PLATFORM_RETIRED = 128
    NOT_AUTHORIZED = 256
    WRONG_USAGE = 512


class RevocationReason(IntEnum):
    """RFC 5280 CRLReason codes the registry accepts: certificateHold (6) and removeFromCRL
    (8) are reversible, which revocation on chain is not, and 7 is unassigned."""

    UNSPECIFIED = 0
    KEY_COMPROMISE = 1
    CA_COMPROMISE = 2
    AFFILIATION_CHANGED = 3
    SUPERSEDED = 4
    CESSATION_OF_OPERATION = 5
    PRIVILEGE_WITHDRAWN = 9
    AA_COMPROMISE = 10


@dataclass(frozen=True, slots=True)
class Deployment:
    """Where the contracts live. ``block_number`` is the block that created the Consortium:
    replaying events from there sees everything, the founders included. ``audit_anchor`` is
    the AuditAnchor contract (None for a deployment made before it existed)."""

    consortium: str
    registry: str
    block_number: int
    chain_id: int
    audit_anchor: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    account: str
    name: str
    region_code: int  # GB/T 2260 six-digit administrative region code
    index: int  # 1, 2, ... in order of first admission; 0 if never a member
    active: bool


@dataclass(frozen=True, slots=True)
class Ca:
    ca_id: str
    name: str
    status: CaStatus
    index: int
    issuer_key_ids: tuple[bytes, ...]
    operators: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Platform:
    platform_id: str
    center: str  # the owning member center
    name: str
    active: bool


@dataclass(frozen=True, slots=True)
class AddMemberAction:
    account: str
    name: str
    region_code: int


@dataclass(frozen=True, slots=True)
class RemoveMemberAction:
    account: str


@dataclass(frozen=True, slots=True)
class AccreditCaAction:
    ca_id: str
    name: str
    operators: tuple[str, ...]
    issuer_key_ids: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class SuspendCaAction:
    ca_id: str


@dataclass(frozen=True, slots=True)
class RegisterPlatformAction:
    platform_id: str
    center: str
    name: str


@dataclass(frozen=True, slots=True)
class RetirePlatformAction:
    platform_id: str


@dataclass(frozen=True, slots=True)
class SetQuorumAction:
    quorum_percent: int


ProposalAction = (
    AddMemberAction
    | RemoveMemberAction
    | AccreditCaAction
    | SuspendCaAction
    | RegisterPlatformAction
    | RetirePlatformAction
    | SetQuorumAction
)


@dataclass(frozen=True, slots=True)
class Proposal:
    """A governance proposal; ``action`` is ``payload`` decoded according to ``kind``."""

    id: int
    kind: ProposalKind
    status: ProposalStatus
    proposer: str
    created_at: int
    expires_at: int
    yes: int
    no: int
    payload: bytes
    action: ProposalAction


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateInput:
    """One certificate to record. The constructor applies the contract's own checks (except
    those needing chain state: duplicates, predecessor, the center's membership), so a bad
    record fails here instead of reverting a whole batch."""

    fingerprint: bytes  # SHA-256 of the certificate DER
    holder: bytes  # salted commitment to the holder's identity
    not_before: int
    not_after: int
    kind: CertificateKind
    usage: KeyUsage
    scope: Scope
    center: str | None = None  # the member center of a REGIONAL certificate
    predecessor: bytes | None = None  # the certificate this one renews or replaces

    def __post_init__(self) -> None:
        try:
            check_bytes32(self.fingerprint, "fingerprint", nonzero=True)
            check_bytes32(self.holder, "holder commitment", nonzero=True)
            if self.predecessor is not None:
                check_bytes32(self.predecessor, "predecessor", nonzero=True)
        except InvalidIdentifier as exc:
            raise InvalidCertificateInput(str(exc)) from None
        for name, enum in (("kind", CertificateKind), ("usage", KeyUsage), ("scope", Scope)):
            value = getattr(self, name)
            if isinstance(value, bool) or value not in enum._value2member_map_:
                raise InvalidCertificateInput(f"{name} {value!r} is not a {enum.__name__}")
            object.__setattr__(self, name, enum(value))
        nb, na = self.not_before, self.not_after
        if not (isinstance(nb, int) and isinstance(na, int) and 0 <= nb < na <= MAX_TIMESTAMP):
            raise InvalidCertificateInput(
                f"validity {nb!r}..{na!r}: need integers 0 <= not_before < not_after < 2^40"
            )
        if self.scope == Scope.ALLIANCE and self.center is not None:
            raise InvalidCertificateInput("an alliance certificate names no center")
        if self.scope == Scope.REGIONAL and not _is_address(self.center):
            raise InvalidCertificateInput("a regional certificate needs its center's address")

    @classmethod
    def unchecked(cls, **values: Any) -> CertificateInput:
        """Build without validation, to reach the contract's own checks (tests of InvalidKind
        and the like). Ints and addresses are sent as given; nothing else should use this."""
        self = object.__new__(cls)
        for f in fields(cls):
            default = None if f.default is MISSING else f.default
            object.__setattr__(self, f.name, values.pop(f.name, default))
        if values:
            raise TypeError(f"unknown fields {sorted(values)}")
        return self


def _is_address(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 42 or value[:2] not in ("0x", "0X"):
        return False
    try:
        return int(value, 16) != 0
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class CertificateRecord:
    """A recorded certificate as the ``certificate`` view returns it. The holder commitment
    and issuer key are not stored on chain; they are in the CertificateRecorded event."""

    fingerprint: bytes
    ca_id: str
    predecessor: bytes | None
    not_before: int
    not_after: int
    kind: CertificateKind
    usage: KeyUsage
    scope: Scope
    center: str | None
    status: CertificateStatus
    revocation_reason: RevocationReason | None  # None while active
    revoked_at: int | None  # None while active

    @property
    def revoked(self) -> bool:
        return self.status == CertificateStatus.REVOKED


@dataclass(frozen=True, slots=True)
class Authorization:
    """Staff certificate ``staff_fingerprint`` may act at ``platform_id`` with ``rights``,
    granted under enterprise certificate ``enterprise_fingerprint``."""

    staff_fingerprint: bytes
    platform_id: str
    enterprise_fingerprint: bytes
    rights: Right


@dataclass(frozen=True, slots=True)
class Recognition:
    """The answer of ``recognize``: recognized exactly when ``reasons`` is empty."""

    recognized: bool
    reasons: Reason

    def __bool__(self) -> bool:
        return self.recognized
