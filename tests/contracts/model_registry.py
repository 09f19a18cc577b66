"""Plain Python model of CertificateRegistry.sol: records, revocations, zone bindings,
staff authorizations and the recognition rule.

Functions take the governance model (``model_governance.Governance``) for what the registry
asks of the consortium, and raise ``Revert`` as the contract does. No chain here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.contracts.model_governance import (
    CA_ACCREDITED,
    ZERO_ADDRESS,
    ZERO_ID,
    Governance,
    Revert,
    is_operator,
    issuance_authority,
    platform_state,
)

KIND_ENTERPRISE, KIND_STAFF, KIND_PERSONAL = 1, 2, 3
USAGE_SIGNING, USAGE_ENCRYPTION = 1, 2
SCOPE_ALLIANCE, SCOPE_REGIONAL = 1, 2
STATUS_ACTIVE, STATUS_REVOKED = 1, 2

RIGHT_LOGIN, RIGHT_SIGN, RIGHT_SEAL, RIGHT_ENCRYPT, RIGHT_DECRYPT = 1, 2, 4, 8, 16
ALL_RIGHTS = 31
ACTIONS = (0, RIGHT_LOGIN, RIGHT_SIGN, RIGHT_SEAL, RIGHT_ENCRYPT, RIGHT_DECRYPT)

REASON_UNKNOWN_CERTIFICATE = 1
REASON_CA_NOT_ACCREDITED = 2
REASON_REVOKED = 4
REASON_NOT_YET_VALID = 8
REASON_EXPIRED = 16
REASON_OUT_OF_SCOPE = 32
REASON_UNKNOWN_PLATFORM = 64
REASON_PLATFORM_RETIRED = 128
REASON_NOT_AUTHORIZED = 256
REASON_WRONG_USAGE = 512

UINT40_MAX = 2**40 - 1
# RFC 5280 reason codes accepted: 6 and 8 are reversible (revocation here is not), 7 unassigned.
REVOCATION_REASONS = frozenset({0, 1, 2, 3, 4, 5, 9, 10})


@dataclass(frozen=True)
class CertInput:
    """One ``CertificateInput``; ``center`` is ZERO_ADDRESS for alliance scope."""

    fingerprint: bytes
    holder: bytes
    predecessor: bytes
    not_before: int
    not_after: int
    kind: int
    usage: int
    scope: int
    center: str


@dataclass
class Record:
    ca_index: int
    center_index: int
    not_before: int
    not_after: int
    kind: int
    usage: int
    scope: int
    predecessor: bytes
    status: int = STATUS_ACTIVE
    revocation_reason: int = 0
    revoked_at: int = 0


@dataclass
class Registry:
    records: dict[bytes, Record] = field(default_factory=dict)
    bindings: dict[tuple[bytes, bytes], bytes] = field(default_factory=dict)
    # (staff, platform) -> (enterprise fingerprint, rights)
    authorizations: dict[tuple[bytes, bytes], tuple[bytes, int]] = field(default_factory=dict)
    count: int = 0


# ------------------------------------------------------------------ issuance and revocation


def record_certificates(
    gov: Governance,
    reg: Registry,
    sender: str,
    ca_id: bytes,
    key_id: bytes,
    certs: list[CertInput],
    *,
    batch: bool = True,
) -> None:
    """``recordCertificates`` (``batch``) or ``recordCertificate`` (one input, no batch check)."""
    if batch and not certs:
        raise Revert("EmptyBatch")
    ca_index = issuance_authority(gov, ca_id, key_id, sender)
    for cert in certs:
        _record(gov, reg, ca_index, cert)
    reg.count += len(certs)


def _record(gov: Governance, reg: Registry, ca_index: int, c: CertInput) -> None:
    fp = c.fingerprint
    if fp == ZERO_ID:
        raise Revert("ZeroFingerprint")
    if fp in reg.records:
        raise Revert("CertificateAlreadyRecorded", fp)
    if c.holder == ZERO_ID:
        raise Revert("EmptyHolderCommitment", fp)
    if not KIND_ENTERPRISE <= c.kind <= KIND_PERSONAL:
        raise Revert("InvalidKind", fp, c.kind)
    if not USAGE_SIGNING <= c.usage <= USAGE_ENCRYPTION:
        raise Revert("InvalidUsage", fp, c.usage)
    if c.not_before >= c.not_after or c.not_after > UINT40_MAX:
        raise Revert("InvalidValidity", fp, c.not_before, c.not_after)
    center_int = int(c.center, 16)
    center_index = 0
    if c.scope == SCOPE_ALLIANCE:
        if c.center != ZERO_ADDRESS:
            raise Revert("InvalidScope", fp, c.scope, center_int)
    elif c.scope == SCOPE_REGIONAL:
        m = gov.members.get(c.center)
        if m is None or not m.active:
            raise Revert("InvalidScope", fp, c.scope, center_int)
        center_index = m.index
    else:
        raise Revert("InvalidScope", fp, c.scope, center_int)
    if c.predecessor != ZERO_ID and c.predecessor not in reg.records:
        raise Revert("UnknownPredecessor", fp, c.predecessor)
    reg.records[fp] = Record(
        ca_index,
        center_index,
        c.not_before,
        c.not_after,
        c.kind,
        c.usage,
        c.scope,
        c.predecessor,
    )


def revoke_certificates(
    gov: Governance,
    reg: Registry,
    sender: str,
    now: int,
    fingerprints: list[bytes],
    reasons: list[int],
    *,
    batch: bool = True,
) -> None:
    """``revokeCertificates`` (``batch``) or ``revokeCertificate``, at block time ``now``.
    Only an operator of the issuing CA, also while the CA is suspended; irreversible."""
    if batch:
        if not fingerprints:
            raise Revert("EmptyBatch")
        if len(reasons) != len(fingerprints):
            raise Revert("LengthMismatch", len(fingerprints), len(reasons))
    for fp, reason in zip(fingerprints, reasons, strict=True):
        r = _existing(reg, fp)
        _require_ca_operator(gov, r.ca_index, sender)
        if r.status == STATUS_REVOKED:
            raise Revert("AlreadyRevoked", fp)
        if reason not in REVOCATION_REASONS:
            raise Revert("InvalidRevocationReason", fp, reason)
        r.status, r.revocation_reason, r.revoked_at = STATUS_REVOKED, reason, now


# ------------------------------------------------------------------ zones and authorizations


def bind(
    gov: Governance,
    reg: Registry,
    sender: str,
    now: int,
    fp: bytes,
    platform_id: bytes,
    evidence: bytes,
) -> None:
    """Only the active platform's owning center binds, once, a certificate usable at block
    time ``now`` and, if regional, of the platform's center."""
    platform_center = _require_platform_center(gov, platform_id, sender, active=True)
    if evidence == ZERO_ID:
        raise Revert("EmptyEvidence")
    r = _existing(reg, fp)
    _require_usable(fp, r, now)
    if r.scope == SCOPE_REGIONAL and r.center_index != platform_center:
        raise Revert("OutOfScope", fp, platform_id)
    if (fp, platform_id) in reg.bindings:
        raise Revert("AlreadyBound", fp, platform_id)
    reg.bindings[fp, platform_id] = evidence


def unbind(
    gov: Governance, reg: Registry, sender: str, fp: bytes, platform_id: bytes, evidence: bytes
) -> None:
    """The platform's center unbinds, also once the platform is retired."""
    _require_platform_center(gov, platform_id, sender, active=False)
    if evidence == ZERO_ID:
        raise Revert("EmptyEvidence")
    if (fp, platform_id) not in reg.bindings:
        raise Revert("NotBound", fp, platform_id)
    del reg.bindings[fp, platform_id]


def grant_authorization(
    gov: Governance,
    reg: Registry,
    sender: str,
    now: int,
    staff_fp: bytes,
    platform_id: bytes,
    enterprise_fp: bytes,
    rights: int,
) -> None:
    """An operator of the accredited CA that issued the staff certificate authorizes it at an
    active platform under an enterprise certificate, both usable at block time ``now``;
    replaces an earlier grant."""
    if not 0 < rights <= ALL_RIGHTS:
        raise Revert("InvalidRights", rights)
    staff = _existing(reg, staff_fp)
    _require_ca_operator(gov, staff.ca_index, sender)
    ca_id = gov.ca_by_index[staff.ca_index - 1]
    if gov.cas[ca_id].status != CA_ACCREDITED:
        raise Revert("CaNotAccredited", ca_id)
    if staff.kind != KIND_STAFF:
        raise Revert("WrongCertificateKind", staff_fp, KIND_STAFF, staff.kind)
    _require_usable(staff_fp, staff, now)
    ent = _existing(reg, enterprise_fp)
    if ent.kind != KIND_ENTERPRISE:
        raise Revert("WrongCertificateKind", enterprise_fp, KIND_ENTERPRISE, ent.kind)
    _require_usable(enterprise_fp, ent, now)
    registered, active, _, _ = platform_state(gov, platform_id)
    if not registered:
        raise Revert("UnknownPlatform", platform_id)
    if not active:
        raise Revert("PlatformNotActive", platform_id)
    reg.authorizations[staff_fp, platform_id] = (enterprise_fp, rights)


def revoke_authorization(
    gov: Governance, reg: Registry, sender: str, staff_fp: bytes, platform_id: bytes
) -> None:
    staff = _existing(reg, staff_fp)
    _require_ca_operator(gov, staff.ca_index, sender)
    if (staff_fp, platform_id) not in reg.authorizations:
        raise Revert("NotAuthorized", staff_fp, platform_id)
    del reg.authorizations[staff_fp, platform_id]


# ------------------------------------------------------------------ recognition


def recognize_at(
    gov: Governance, reg: Registry, fp: bytes, platform_id: bytes, action: int, at: int
) -> tuple[bool, int]:
    """The recognition rule: (recognized, every REASON_* bit that applies)."""
    if action not in ACTIONS:
        raise Revert("InvalidAction", action)
    reasons = 0
    registered, active, _, platform_center = platform_state(gov, platform_id)
    if not registered:
        reasons |= REASON_UNKNOWN_PLATFORM
    elif not active:
        reasons |= REASON_PLATFORM_RETIRED
    r = reg.records.get(fp)
    if r is None:
        return False, reasons | REASON_UNKNOWN_CERTIFICATE
    if gov.cas[gov.ca_by_index[r.ca_index - 1]].status != CA_ACCREDITED:
        reasons |= REASON_CA_NOT_ACCREDITED
    if revoked_by(r, at):
        reasons |= REASON_REVOKED
    if at < r.not_before:
        reasons |= REASON_NOT_YET_VALID
    if at > r.not_after:
        reasons |= REASON_EXPIRED
    if r.scope == SCOPE_REGIONAL and (not registered or r.center_index != platform_center):
        reasons |= REASON_OUT_OF_SCOPE
    if r.kind == KIND_STAFF:  # authorized, under an enterprise certificate valid at ``at``
        enterprise, rights = reg.authorizations.get((fp, platform_id), (ZERO_ID, 0))
        granted = rights != 0 if action == 0 else rights & action != 0
        if not granted or not valid_at(reg.records.get(enterprise), at):
            reasons |= REASON_NOT_AUTHORIZED
    if action != 0:
        wants_encryption = action in (RIGHT_ENCRYPT, RIGHT_DECRYPT)
        if wants_encryption != (r.usage == USAGE_ENCRYPTION):
            reasons |= REASON_WRONG_USAGE
    return reasons == 0, reasons


def certificate_center(gov: Governance, r: Record) -> str:
    """The regional center's account as the ``certificate`` view reports it."""
    return gov.member_by_index[r.center_index - 1] if r.center_index else ZERO_ADDRESS


# ------------------------------------------------------------------ helpers


def revoked_by(r: Record, at: int) -> bool:
    """Revocation is dated: a certificate counts as revoked from its revocation time on."""
    return r.status == STATUS_REVOKED and r.revoked_at <= at


def valid_at(r: Record | None, at: int) -> bool:
    """Recorded, not revoked by ``at`` and ``at`` within its validity."""
    return r is not None and not revoked_by(r, at) and r.not_before <= at <= r.not_after


def _require_usable(fp: bytes, r: Record, now: int) -> None:
    if not valid_at(r, now):
        raise Revert("CertificateNotActive", fp)


def _existing(reg: Registry, fp: bytes) -> Record:
    r = reg.records.get(fp)
    if r is None:
        raise Revert("UnknownCertificate", fp)
    return r


def _require_ca_operator(gov: Governance, ca_index: int, sender: str) -> None:
    ca_id = gov.ca_by_index[ca_index - 1]
    if not is_operator(gov, ca_id, sender):
        raise Revert("NotCaOperator", ca_id, sender)


def _require_platform_center(
    gov: Governance, platform_id: bytes, sender: str, *, active: bool
) -> int:
    """The platform's center index, when ``sender`` owns it (and it is active if need be)."""
    registered, is_active, center, center_index = platform_state(gov, platform_id)
    if not registered:
        raise Revert("UnknownPlatform", platform_id)
    if active and not is_active:
        raise Revert("PlatformNotActive", platform_id)
    if center != sender:
        raise Revert("NotPlatformCenter", platform_id, sender)
    return center_index
