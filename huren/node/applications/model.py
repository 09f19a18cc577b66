"""Kinds of application, their states, and the transition table that says what is legal.

The manual's 申领 flows (2.6-2.12): claim an enterprise (认领企业, the claimant becomes its
admin), join one (加入企业, the admin approves first), a personal certificate, another
enterprise certificate, renewal (续期), re-application after expiry, recovery (找回, a lost
phone), enterprise change (企业信息变更: the admin chooses the enterprise and staff
certificates to re-issue; each becomes a ``change_reissue`` application of its holder) and
admin transfer without a certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from huren.node.applications.errors import IllegalTransition
from huren.registry.types import CertificateKind

__all__ = [
    "KIND_RULES",
    "TRANSITIONS",
    "Action",
    "ApplicationKind",
    "ApplicationState",
    "AttachmentKind",
    "KindRule",
    "Predecessor",
    "next_state",
]


class ApplicationKind(StrEnum):
    CLAIM_ENTERPRISE = "claim_enterprise"
    JOIN_ENTERPRISE = "join_enterprise"
    PERSONAL = "personal"
    ENTERPRISE_CERTIFICATE = "enterprise_certificate"
    RENEWAL = "renewal"
    REAPPLICATION = "reapplication"
    RECOVERY = "recovery"
    ENTERPRISE_CHANGE = "enterprise_change"
    CHANGE_REISSUE = "change_reissue"  # one chosen certificate of a change, for its holder
    ADMIN_TRANSFER = "admin_transfer"


class ApplicationState(StrEnum):
    DRAFT = "draft"
    AWAITING_ADMIN = "awaiting_admin"  # a staff request, before the enterprise admin
    SUBMITTED = "submitted"  # in the CA's review queue
    REJECTED = "rejected"
    APPROVED = "approved"
    PAID = "paid"
    ISSUED = "issued"  # committed on chain
    DOWNLOADED = "downloaded"
    COMPLETED = "completed"  # an admin transfer carried out (no certificate)
    REFUNDED = "refunded"  # the CA rejected after payment; the fee went back (final)


class Action(StrEnum):
    SUBMIT = "submit"
    SUBMIT_TO_ADMIN = "submit_to_admin"
    ADMIN_APPROVE = "admin_approve"
    ADMIN_REJECT = "admin_reject"
    CA_APPROVE = "ca_approve"
    CA_REJECT = "ca_reject"
    PAY = "pay"
    ISSUE = "issue"
    DOWNLOAD = "download"
    COMPLETE = "complete"


S, A = ApplicationState, Action
TRANSITIONS: dict[tuple[ApplicationState, Action], ApplicationState] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.SUBMIT_TO_ADMIN): S.AWAITING_ADMIN,
    (S.REJECTED, A.SUBMIT): S.SUBMITTED,  # edited and resubmitted
    (S.REJECTED, A.SUBMIT_TO_ADMIN): S.AWAITING_ADMIN,
    (S.AWAITING_ADMIN, A.ADMIN_APPROVE): S.SUBMITTED,
    (S.AWAITING_ADMIN, A.ADMIN_REJECT): S.REJECTED,
    (S.SUBMITTED, A.CA_APPROVE): S.APPROVED,
    (S.SUBMITTED, A.CA_REJECT): S.REJECTED,
    (S.APPROVED, A.PAY): S.PAID,
    (S.PAID, A.ISSUE): S.ISSUED,
    (S.PAID, A.CA_REJECT): S.REFUNDED,  # billing's refunded order cannot be paid again
    (S.PAID, A.COMPLETE): S.COMPLETED,
    (S.ISSUED, A.DOWNLOAD): S.DOWNLOADED,
}
EDITABLE = frozenset({S.DRAFT, S.REJECTED})
PENDING = frozenset({S.DRAFT, S.AWAITING_ADMIN, S.SUBMITTED, S.REJECTED, S.APPROVED, S.PAID})


def next_state(state: ApplicationState, action: Action) -> ApplicationState:
    """The state ``action`` leads to from ``state``; ``IllegalTransition`` if none."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(
            f"{action.value} is not allowed while the application is {state.value}"
        ) from None


class AttachmentKind(StrEnum):
    BUSINESS_LICENCE = "business_licence"  # 营业执照 image
    APPLICATION_FORM = "application_form"  # the stamped scan of the generated form


class Predecessor(StrEnum):
    NONE = "none"
    ACTIVE = "active"  # a certificate still valid and not revoked
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class KindRule:
    certificate: CertificateKind | None  # None: the predecessor's kind
    attachments: frozenset[AttachmentKind]
    predecessor: Predecessor
    keeps_encryption_key: bool  # renewal: the new encryption certificate, the same key
    replaces: bool  # the predecessor is revoked (superseded) once its successor is issued
    issues: bool = True  # False: an admin transfer, carried out on approval and payment


_E, _P, _ST = CertificateKind.ENTERPRISE, CertificateKind.PERSONAL, CertificateKind.STAFF
_L, _F = AttachmentKind.BUSINESS_LICENCE, AttachmentKind.APPLICATION_FORM
_BOTH, _FORM, _NONE = frozenset({_L, _F}), frozenset({_F}), frozenset[AttachmentKind]()
K = ApplicationKind
# Renewal, re-application and recovery issue the predecessor's kind again. Whether an
# application goes to the enterprise admin first depends on more than its kind (the
# applicant's role, the certificate it names): ``staff_requests.admin_step``.
KIND_RULES: dict[ApplicationKind, KindRule] = {
    K.CLAIM_ENTERPRISE: KindRule(_E, _BOTH, Predecessor.NONE, False, False),
    K.JOIN_ENTERPRISE: KindRule(_ST, _FORM, Predecessor.NONE, False, False),
    K.PERSONAL: KindRule(_P, _NONE, Predecessor.NONE, False, False),
    K.ENTERPRISE_CERTIFICATE: KindRule(_E, _FORM, Predecessor.NONE, False, False),
    K.RENEWAL: KindRule(None, _NONE, Predecessor.ACTIVE, True, False),
    K.REAPPLICATION: KindRule(None, _FORM, Predecessor.EXPIRED, False, False),
    K.RECOVERY: KindRule(None, _FORM, Predecessor.ACTIVE, False, True),
    # A change issues nothing itself: paid, it updates the enterprise and its change_reissue
    # applications (made when the CA approves, one per chosen certificate) become paid.
    K.ENTERPRISE_CHANGE: KindRule(None, _BOTH, Predecessor.NONE, False, False, False),
    K.CHANGE_REISSUE: KindRule(None, _NONE, Predecessor.ACTIVE, False, True),
    K.ADMIN_TRANSFER: KindRule(None, _FORM, Predecessor.NONE, False, False, False),
}
