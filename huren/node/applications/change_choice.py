"""Which certificates an enterprise change may re-issue, and the checks of a choice.

A candidate is a signing certificate (with its encryption partner) that an application of
the enterprise issued as an enterprise or staff certificate, still active (not revoked —
by the index or by this node's PKI, which may be ahead of the index — not expired, not
replaced), whose holder is still a member of the enterprise. One that another application
is replacing already (submitted, approved or paid: a renewal, a recovery, another change)
is shown but cannot be chosen. Everything here runs in the caller's session, so the checks
at creation and again at the CA's approval see one consistent state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from huren.node import enterprises
from huren.node.applications.change_errors import (
    CertificateNotActive,
    ChangeInProgress,
    DuplicateCertificate,
    HolderNotMember,
    NoCertificatesChosen,
    NotEnterpriseCertificate,
    ReplacementPending,
)
from huren.node.applications.model import ApplicationKind, ApplicationState
from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.enterprise_change_tables import EnterpriseChange, EnterpriseChangeChoice
from huren.node.db.identity_tables import Identity
from huren.node.db.models import Certificate
from huren.node.db.pki_tables import PkiIssuedCertificate
from huren.registry.types import CertificateKind, CertificateStatus

__all__ = [
    "MAX_CHOSEN",
    "Candidate",
    "Chosen",
    "candidates",
    "change_in_flight",
    "check_choice",
    "check_reissue_holder",
    "check_uscc_free",
    "quantity",
]

MAX_CHOSEN = 200  # certificate pairs per change (an order pays for at most 500)
EXPIRING_SOON_S = 30 * 86_400
_S = ApplicationState
# An application past submission that would replace or renew its predecessor.
_REPLACING = frozenset({_S.AWAITING_ADMIN, _S.SUBMITTED, _S.APPROVED, _S.PAID})
_KINDS = {CertificateKind.ENTERPRISE.value: "enterprise", CertificateKind.STAFF.value: "staff"}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A certificate pair the admin may choose (``pending_application`` None) or sees as
    being replaced already."""

    fingerprint: str  # the signing certificate; its encryption partner goes with it
    encryption_fingerprint: str
    kind: str  # enterprise | staff
    name: str  # as the certificate names it now
    ca_id: str
    not_after: int
    expiring_soon: bool
    holder_account_id: str
    holder_name: str  # the person the application named, else the verified masked name
    holder_role: str  # admin | staff
    pending_application: str | None


@dataclass(frozen=True, slots=True)
class Chosen:
    """A checked choice: the held signing certificate and the application that issued it."""

    held: HeldCertificate
    issued_by: Application
    role: enterprises.Role


def _rows(session: Session, enterprise_id: str) -> list[tuple[HeldCertificate, Application]]:
    rows = session.exec(
        select(HeldCertificate, Application)
        .join(Application, col(Application.id) == col(HeldCertificate.application_id))
        .where(
            Application.enterprise_id == enterprise_id,
            col(Application.certificate_kind).in_(list(_KINDS)),
            HeldCertificate.usage == 1,
        )
        .order_by(col(HeldCertificate.not_before), col(HeldCertificate.fingerprint))
    ).all()
    return [(held, app) for held, app in rows]


def _inactive(session: Session, held: HeldCertificate, now: int) -> str | None:
    """Why ``held`` is not active, or None."""
    indexed = session.get(Certificate, held.fingerprint)
    issued = session.exec(
        select(PkiIssuedCertificate).where(PkiIssuedCertificate.fingerprint == held.fingerprint)
    ).first()
    if (indexed is not None and indexed.status == CertificateStatus.REVOKED) or (
        issued is not None and issued.revocation_transaction_hash is not None
    ):
        return "revoked"
    if held.not_after <= now:
        return "expired"
    if held.replaced_by is not None:
        return "replaced"
    return None


def _pending(session: Session, fingerprint: bytes, change_id: str | None) -> str | None:
    """An application past submission that replaces ``fingerprint``, or a change (not
    ``change_id``) with the CA or approved that chose it."""
    replacing = session.exec(
        select(Application.id).where(
            Application.predecessor == fingerprint,
            col(Application.state).in_([s.value for s in _REPLACING]),
        )
    ).first()
    if replacing is not None:
        return replacing
    changes = session.exec(
        select(Application.id)
        .join(
            EnterpriseChangeChoice,
            col(EnterpriseChangeChoice.application_id) == col(Application.id),
        )
        .where(
            EnterpriseChangeChoice.predecessor == fingerprint,
            col(Application.state).in_([_S.SUBMITTED.value, _S.APPROVED.value]),
        )
    ).all()
    return next((c for c in changes if c != change_id), None)


def _holder_name(session: Session, app: Application, account_id: str) -> str:
    if app.person_name:
        return app.person_name
    identity = session.get(Identity, account_id)
    return "" if identity is None else identity.masked_name


def candidates(session: Session, enterprise_id: str, now: int) -> list[Candidate]:
    """The enterprise's active enterprise and staff certificates of current members."""
    found = []
    for held, app in _rows(session, enterprise_id):
        role = enterprises.role_of(session, enterprise_id, held.account_id)
        if role is None or _inactive(session, held, now) is not None:
            continue
        found.append(
            Candidate(
                fingerprint=held.fingerprint.hex(),
                encryption_fingerprint=held.partner.hex(),
                kind=_KINDS[int(app.certificate_kind or 0)],
                name=held.name,
                ca_id=held.ca_id,
                not_after=held.not_after,
                expiring_soon=held.not_after - now <= EXPIRING_SOON_S,
                holder_account_id=held.account_id,
                holder_name=_holder_name(session, app, held.account_id),
                holder_role=role.value,
                pending_application=_pending(session, held.fingerprint, None),
            )
        )
    return found


def check_choice(
    session: Session,
    enterprise_id: str,
    fingerprints: Sequence[bytes],
    now: int,
    *,
    change_id: str | None = None,
) -> list[Chosen]:
    """The chosen certificates, each checked; the first problem raises its typed error."""
    if not fingerprints:
        raise NoCertificatesChosen("choose at least one certificate to re-issue")
    if len(fingerprints) > MAX_CHOSEN:
        raise NoCertificatesChosen(f"choose at most {MAX_CHOSEN} certificates per change")
    if len(set(fingerprints)) != len(fingerprints):
        raise DuplicateCertificate("a certificate is chosen once")
    chosen = []
    for fingerprint in fingerprints:
        held = session.get(HeldCertificate, fingerprint)
        app = None if held is None else session.get(Application, held.application_id)
        if (
            held is None
            or app is None
            or held.usage != 1
            or app.enterprise_id != enterprise_id
            or app.certificate_kind not in _KINDS
        ):
            raise NotEnterpriseCertificate(
                f"{fingerprint.hex()} is no enterprise or staff signing certificate "
                "of this enterprise"
            )
        why = _inactive(session, held, now)
        if why is not None:
            raise CertificateNotActive(f"certificate {fingerprint.hex()} is {why}")
        role = enterprises.role_of(session, enterprise_id, held.account_id)
        if role is None:
            raise HolderNotMember(
                f"the holder of {fingerprint.hex()} is no longer a member of the enterprise"
            )
        pending = _pending(session, fingerprint, change_id)
        if pending is not None:
            raise ReplacementPending(
                f"application {pending} replaces certificate {fingerprint.hex()} already"
            )
        chosen.append(Chosen(held, app, role))
    return chosen


def change_in_flight(
    session: Session, enterprise_id: str, change_id: str | None, *, approving: bool = False
) -> None:
    """``ChangeInProgress`` if another change of the enterprise is with the CA or approved
    and unpaid (two changes carried out out of order would leave the older name); when
    ``approving``, only an approved one counts (the CA approves one of two submitted)."""
    states = [_S.APPROVED.value] if approving else [_S.SUBMITTED.value, _S.APPROVED.value]
    others = session.exec(
        select(Application.id)
        .join(EnterpriseChange, col(EnterpriseChange.application_id) == col(Application.id))
        .where(
            EnterpriseChange.enterprise_id == enterprise_id,
            col(Application.state).in_(states),
        )
    ).all()
    other = next((o for o in others if o != change_id), None)
    if other is not None:
        raise ChangeInProgress(f"change {other} of this enterprise is not finished yet")


def check_uscc_free(session: Session, uscc: str, enterprise_id: str | None = None) -> None:
    """``EnterpriseClaimed`` if ``uscc`` belongs to another enterprise, or an approved,
    unpaid change moves another enterprise to it (so a claim cannot take it meanwhile)."""
    other = enterprises.by_uscc(session, uscc)
    if other is not None and other.id != enterprise_id:
        raise enterprises.EnterpriseClaimed("another enterprise has that USCC")
    moving = session.exec(
        select(EnterpriseChange.enterprise_id)
        .join(Application, col(Application.id) == col(EnterpriseChange.application_id))
        .where(
            EnterpriseChange.new_uscc == uscc,
            Application.state == _S.APPROVED.value,
        )
    ).all()
    if any(e != enterprise_id for e in moving):
        raise enterprises.EnterpriseClaimed("an approved enterprise change takes that USCC")


def check_reissue_holder(session: Session, row: Application) -> None:
    """At download: the holder of a change's replacement still belongs to the enterprise
    (one who left since the approval gets no certificate naming it)."""
    if row.kind != ApplicationKind.CHANGE_REISSUE.value:
        return
    if enterprises.role_of(session, row.enterprise_id or "", row.account_id) is None:
        raise HolderNotMember("you no longer belong to the enterprise this certificate names")


def quantity(session: Session, row: Application) -> int:
    """Certificate pairs an application pays for: an enterprise change's choice, else 1."""
    if row.kind != ApplicationKind.ENTERPRISE_CHANGE.value:
        return 1
    chosen = session.exec(
        select(EnterpriseChangeChoice.predecessor).where(
            EnterpriseChangeChoice.application_id == row.id
        )
    ).all()
    return max(1, len(chosen))
