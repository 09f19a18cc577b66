"""What the application review page shows besides the application for two kinds: a
split-key recovery's evidence (the policy version acknowledged, the identity verified again:
method, provider reference and time; the keys and the device they leave) and an enterprise
change's chosen certificates (holder, kind, fingerprint). Read through the same services as
``GET /v1/ca/{ca}/applications/{id}/recovery`` and ``GET /v1/ca/{ca}/enterprise-changes/{id}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from huren.node.applications.enterprise_change import ChangeView, EnterpriseChanges
from huren.node.applications.model import ApplicationKind
from huren.node.applications.recovery_service import KeyRecoveryService, RecoveryView
from huren.node.applications.wiring import ApplicationServices
from huren.node.db.models import Certificate
from huren.registry.types import CertificateKind, KeyUsage

__all__ = ["ChangeEvidence", "ChosenCertificate", "review_evidence"]


@dataclass(frozen=True, slots=True)
class ChosenCertificate:
    fingerprint: str  # hex
    holder_account_id: str
    label: str
    kind: str  # e.g. "staff signing"; "" if the index does not know the certificate
    reissue_state: str | None


@dataclass(frozen=True, slots=True)
class ChangeEvidence:
    change: ChangeView
    chosen: tuple[ChosenCertificate, ...]


def _kind(session: Session, fingerprint_hex: str) -> str:
    try:
        record = session.get(Certificate, bytes.fromhex(fingerprint_hex))
    except ValueError:
        return ""
    if record is None:
        return ""
    kind = CertificateKind(record.kind).name.lower()
    usage = KeyUsage(record.usage).name.lower()
    return f"{kind} {usage}"


def review_evidence(
    services: ApplicationServices, ca_id: str, application_id: str, kind: str
) -> tuple[RecoveryView | None, ChangeEvidence | None]:
    """The recovery evidence of a ``recovery`` application, the chosen certificates of an
    ``enterprise_change``; ``(None, None)`` for any other kind."""
    applications = services.applications
    if kind == ApplicationKind.RECOVERY.value:
        recoveries = KeyRecoveryService(applications, applications.identity)
        return recoveries.ca_detail(ca_id, application_id), None
    if kind == ApplicationKind.ENTERPRISE_CHANGE.value:
        change = EnterpriseChanges(applications).ca_detail(ca_id, application_id)
        with Session(applications.engine) as session:
            chosen = tuple(
                ChosenCertificate(
                    c.predecessor,
                    c.holder_account_id,
                    c.label,
                    _kind(session, c.predecessor),
                    c.reissue_state,
                )
                for c in change.choices
            )
        return None, ChangeEvidence(change, chosen)
    return None, None
