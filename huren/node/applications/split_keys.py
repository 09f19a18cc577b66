"""The download's other key source: keys split with the co-signer (密钥拆分).

Instead of a CSR, the holder of a paid application enrols a signing key (the Ed25519 group
key of a FROST 2-of-3) and an encryption key (X25519) with the co-signer, using one-time
tickets this flow issues to the account (``tickets``), and names the two enrolments at
download (``download``). The node then issues the certificates for the group keys through
the same path as for a CSR (``CertificateDesk.download``: reserve, sign, record on chain,
downloadable only once committed) and, in the transaction that moves the application to
issued and downloaded, binds each certificate to its enrolment in the co-signer, so the
device can sign and decrypt with the co-signer under it. A crash between the chain and that
transaction leaves the application paid; the same enrolments again finish it (the request
ids make the PKI issue once).

Security contexts: this module reads enrolments through the co-signer's public query
(``huren.node.cosigner.query``: purpose, holder, public key, bindings) and binds with
``enrolment.bind_certificate``; it never loads a share or an unwrap secret.

Every check comes before anything is reserved: the enrolment finished, is the account's
(its ticket's holder), of the right purpose, its device not revoked, and bound to no
certificate but this application's own. A renewal keeps its encryption key: only a signing
enrolment is named, and the new encryption certificate is bound to the enrolment the
predecessor's encryption certificate is bound to (if it came from one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlmodel import Session

from huren.node.applications.errors import ApplicationError, IllegalTransition
from huren.node.applications.issuing import CertificateDesk
from huren.node.applications.keys import HolderKeys
from huren.node.applications.model import KIND_RULES, ApplicationKind, ApplicationState
from huren.node.applications.views import DownloadResult
from huren.node.cosigner import tickets as cosigner_tickets
from huren.node.cosigner.enrolment import ENCRYPTION, SIGNING, bind_certificate
from huren.node.cosigner.query import (
    EnrolledKey,
    enrolled_key,
    enrolment_of_certificate,
    holder_of_account,
)
from huren.node.cosigner.recovery_key import RecoveryKeyUnavailable
from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.engine import write_session
from huren.node.pki.request import IssuedCertificate

__all__ = [
    "TICKET_TTL_S",
    "EnrolmentAlreadyBound",
    "EnrolmentNotFinished",
    "EnrolmentNotYours",
    "EnrolmentTicket",
    "EnrolmentTickets",
    "EnrolmentUnusable",
    "InvalidKeySource",
    "SplitKeyDesk",
    "WrongEnrolmentPurpose",
]

TICKET_TTL_S = 86_400  # a day to enrol; ask again for fresh tickets after that
_TICKETS_WHEN = frozenset({ApplicationState.APPROVED, ApplicationState.PAID})


class InvalidKeySource(ApplicationError, ValueError):
    """The download names the wrong set of enrolments (or mixes in CSR fields)."""

    status = 422
    code = "INVALID_KEY_SOURCE"


class EnrolmentNotFinished(ApplicationError):
    """No finished enrolment with this id (unknown, or its second round not done)."""

    status = 409
    code = "ENROLMENT_NOT_FINISHED"


class EnrolmentNotYours(ApplicationError):
    """The enrolment was made with a ticket for another holder."""

    status = 403
    code = "ENROLMENT_NOT_YOURS"


class WrongEnrolmentPurpose(ApplicationError, ValueError):
    status = 422
    code = "WRONG_ENROLMENT_PURPOSE"


class EnrolmentUnusable(ApplicationError):
    """The enrolment's device was revoked: its key cannot act, so nothing is issued for it."""

    status = 409
    code = "ENROLMENT_UNUSABLE"


class EnrolmentAlreadyBound(ApplicationError):
    """A certificate other than this application's is bound to the enrolment already."""

    status = 409
    code = "ENROLMENT_ALREADY_BOUND"


@dataclass(frozen=True, slots=True)
class EnrolmentTicket:
    purpose: str
    ticket: str  # shown once
    ticket_id: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class EnrolmentTickets:
    application_id: str
    holder: str
    recovery_public_key: bytes
    tickets: tuple[EnrolmentTicket, ...]


class SplitKeyDesk:
    """Tickets for an application's holder, and download with enrolled keys, over the
    applications' ``desk``; ``recovery_public_key`` None: the node has none configured."""

    def __init__(self, desk: CertificateDesk, recovery_public_key: bytes | None) -> None:
        self.desk = desk
        self.applications = desk.applications
        self.engine = desk.engine
        self.recovery_public_key = recovery_public_key
        self.clock: Callable[[], float] = desk.clock

    # -- tickets ---------------------------------------------------------------------------

    def tickets(self, account_id: str, application_id: str) -> EnrolmentTickets:
        """One-time enrolment tickets for the application's keys, in the account's name: a
        signing and an encryption ticket (a renewal, keeping its encryption key, only a
        signing one). For an approved or paid application; fresh ones on every call."""
        if self.recovery_public_key is None:
            raise RecoveryKeyUnavailable(
                "this node has no HUREN_RECOVERY_PUBLIC_KEY: it issues no enrolment tickets"
            )
        holder = holder_of_account(account_id)
        now = int(self.clock())
        with write_session(self.engine) as session:
            row = self.applications.owned(session, account_id, application_id)
            rule = KIND_RULES[ApplicationKind(row.kind)]
            if not rule.issues:
                raise IllegalTransition(f"a {row.kind} application issues no certificate")
            if ApplicationState(row.state) not in _TICKETS_WHEN:
                raise IllegalTransition(
                    f"enrolment tickets are for approved or paid applications, not {row.state}"
                )
            purposes = (SIGNING,) if rule.keeps_encryption_key else (SIGNING, ENCRYPTION)
            issued = [
                (
                    purpose,
                    cosigner_tickets.issue_ticket(
                        session, holder, self.recovery_public_key, now=now, ttl_s=TICKET_TTL_S
                    ),
                )
                for purpose in purposes
            ]
        return EnrolmentTickets(
            application_id=application_id,
            holder=holder,
            recovery_public_key=self.recovery_public_key,
            tickets=tuple(
                EnrolmentTicket(purpose, t.ticket, t.ticket_id, t.expires_at)
                for purpose, t in issued
            ),
        )

    # -- download --------------------------------------------------------------------------

    def download(
        self,
        account_id: str,
        application_id: str,
        signing_enrolment: str,
        encryption_enrolment: str | None,
    ) -> DownloadResult:
        """Issue the application's certificates for the enrolled keys and bind them (see the
        module docstring); the same enrolments again return the same certificates."""
        holder = holder_of_account(account_id)
        with Session(self.engine) as session:
            row = self.applications.owned(session, account_id, application_id)
            own = {f for f in (row.signing_fingerprint, row.encryption_fingerprint) if f}
            signing = _usable(session, signing_enrolment, SIGNING, holder, own)
            if KIND_RULES[ApplicationKind(row.kind)].keeps_encryption_key:
                kept = self._kept_encryption(session, row, holder)
                if encryption_enrolment is not None and encryption_enrolment != kept:
                    raise InvalidKeySource(
                        "a renewal keeps its encryption key: name no encryption enrolment "
                        "(or the predecessor's)"
                    )
                encryption_target, encryption_key = kept, None
            else:
                if encryption_enrolment is None:
                    raise InvalidKeySource("name the encryption enrolment too")
                encryption = _usable(session, encryption_enrolment, ENCRYPTION, holder, own)
                encryption_target = encryption_enrolment
                encryption_key = X25519PublicKey.from_public_bytes(encryption.certificate_key)
        signing_key = Ed25519PublicKey.from_public_bytes(signing.certificate_key)
        keys = HolderKeys(signing_key, encryption_key)
        # (enrolment, fresh): a kept encryption enrolment is bound to the predecessor already
        targets = ((signing_enrolment, True), (encryption_target, encryption_key is not None))

        def bind(session: Session, row: Application, issued: list[IssuedCertificate]) -> None:
            now = int(self.clock())
            for (enrolment_id, fresh), certificate in zip(targets, issued, strict=True):
                if enrolment_id is None:
                    continue  # the kept encryption key came from no enrolment
                assert certificate.der is not None and certificate.fingerprint is not None
                if fresh:  # bound meanwhile by another application's download?
                    again = enrolled_key(session, enrolment_id, for_update=True)
                    assert again is not None
                    if any(f != certificate.fingerprint for f in again.bound):
                        raise EnrolmentAlreadyBound(
                            f"enrolment {enrolment_id} was bound to another certificate meanwhile"
                        )
                bind_certificate(session, enrolment_id, certificate.der, now=now)

        return self.desk.download(account_id, application_id, keys, also=bind)

    @staticmethod
    def _kept_encryption(session: Session, row: Application, holder: str) -> str | None:
        """The enrolment the predecessor's encryption certificate is bound to, if any."""
        assert row.predecessor is not None
        held = session.get(HeldCertificate, row.predecessor)
        assert held is not None
        enrolment_id = enrolment_of_certificate(session, held.partner)
        if enrolment_id is None:
            return None
        kept = enrolled_key(session, enrolment_id)
        if kept is None or kept.holder != holder:
            raise EnrolmentNotYours("the predecessor's encryption key is another holder's")
        return enrolment_id


def _usable(
    session: Session, enrolment_id: str, purpose: str, holder: str, own: set[bytes]
) -> EnrolledKey:
    key = enrolled_key(session, enrolment_id)
    if key is None:
        raise EnrolmentNotFinished(f"no finished enrolment {enrolment_id}")
    if key.holder != holder:
        raise EnrolmentNotYours(f"enrolment {enrolment_id} is not yours")
    if key.purpose != purpose:
        raise WrongEnrolmentPurpose(f"enrolment {enrolment_id} is a {key.purpose} key")
    if key.device_revoked:
        raise EnrolmentUnusable(f"the device of enrolment {enrolment_id} was revoked")
    if any(f not in own for f in key.bound):
        raise EnrolmentAlreadyBound(f"enrolment {enrolment_id} has a certificate already")
    return key
