"""Issuance on download, the holder's certificate lists, and revocation by the holder.

Download is where the holder's keys arrive (see ``keys``), so it is where issuance happens:
for a paid application, two ``IssuanceRequest``s (signing and encryption certificate) go to
the PKI's ``IssuanceService``, whose cycle reserves, signs and records them on chain; only
when both are committed does the application become ISSUED (then DOWNLOADED, as the holder
receives the chains in the same answer). Request ids are the application's, so a retry after
a failure issues once; the same keys again return the same certificates; other keys after
issuance are ``AlreadyIssued``. A renewal's encryption certificate carries the predecessor's
X25519 key; a recovery or enterprise change revokes the certificates it replaces
(superseded) once its own are on chain, and warns that files encrypted to them are lost.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from sqlalchemy import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from huren.node.accounts import AccountService
from huren.node.applications import change_choice
from huren.node.applications.errors import (
    AlreadyIssued,
    ApplicationNotFound,
    CertificateNotHeld,
    InvalidKeyProof,
    NotPaid,
)
from huren.node.applications.keys import HolderKeys
from huren.node.applications.model import KIND_RULES, Action, ApplicationKind, ApplicationState
from huren.node.applications.recovery_errors import SplitKeyRecoveryByDevice
from huren.node.applications.service import ALLIANCE_PLATFORM, ApplicationService
from huren.node.applications.subjects import display_name, subject_of
from huren.node.applications.views import DownloadResult, HeldCertificateView
from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.engine import write_session
from huren.node.db.models import Certificate
from huren.node.db.pki_tables import PkiIssuedCertificate
from huren.node.db.recovery_tables import KeyRecovery
from huren.node.messages import MessageKind, post
from huren.node.pki.errors import AlreadyRevoked, RequestConflict
from huren.node.pki.issuance import IssuanceService
from huren.node.pki.request import IssuanceRequest, IssuedCertificate, load_public_key
from huren.registry.types import (
    CertificateKind,
    CertificateStatus,
    KeyUsage,
    RevocationReason,
    Scope,
)

__all__ = ["ENCRYPTION_KEY_REPLACED", "EXPIRING_SOON_S", "AlsoRecord", "CertificateDesk"]

log = logging.getLogger(__name__)

EXPIRING_SOON_S = 30 * 86_400
ENCRYPTION_KEY_REPLACED = (
    "ENCRYPTION_KEY_REPLACED: files encrypted to the replaced encryption certificate can no "
    "longer be decrypted with the new one"
)
_S = ApplicationState
# Work to commit with the issued certificates: (session, application, [signing, encryption]).
AlsoRecord = Callable[[Session, Application, list[IssuedCertificate]], None]


def _spki(key: object) -> bytes:
    assert hasattr(key, "public_bytes")
    der: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der


class CertificateDesk:
    """Download, lists and revocation over ``applications`` and the PKI's ``issuance``."""

    def __init__(
        self,
        applications: ApplicationService,
        issuance: IssuanceService,
        accounts: AccountService,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.applications = applications
        self.issuance = issuance
        self.accounts = accounts
        self.engine: Engine = applications.engine
        self.clock = clock

    # -- download --------------------------------------------------------------------------

    def download(
        self,
        account_id: str,
        application_id: str,
        keys: HolderKeys,
        *,
        also: AlsoRecord | None = None,
    ) -> DownloadResult:
        """Issue (or return again) the application's certificates for ``keys``; ``also``
        runs in the transaction that records them (``split_keys`` binds them to the
        co-signer's enrolments there), and a refusal of it rolls the recording back."""
        with Session(self.engine) as session:
            row = self.applications.owned(session, account_id, application_id)
            if session.get(KeyRecovery, row.id) is not None:
                raise SplitKeyRecoveryByDevice("a split-key recovery reshares on the new device")
            state = ApplicationState(row.state)
            if state in (_S.ISSUED, _S.DOWNLOADED):
                return self._again(session, row, keys)
            if state != _S.PAID:
                if state == _S.APPROVED:
                    raise NotPaid(f"pay for application {row.id} first")
                raise ApplicationNotFound(
                    f"application {row.id} issues nothing now ({state.value})"
                )
            if row.fee_fen and not self.applications.billing.is_paid(row.id):
                raise NotPaid(f"the order of application {row.id} is not paid")  # refunded
            change_choice.check_reissue_holder(session, row)  # paid for by its change
            rule = KIND_RULES[ApplicationKind(row.kind)]
            encryption, encryption_predecessor = self._encryption_key(session, row, keys)
            requests = self._requests(row, keys, encryption, encryption_predecessor)
        try:
            issued = self.issuance.issue_many(requests)
        except RequestConflict:
            raise AlreadyIssued("this application was issued for other keys") from None
        warnings = (ENCRYPTION_KEY_REPLACED,) if rule.replaces else ()
        replaced = self._record(row.id, account_id, issued, row.predecessor, also)
        for fingerprint in replaced:
            self._supersede(fingerprint)
        return self._result(row.id, issued[0], issued[1], warnings)

    def _encryption_key(
        self, session: Session, row: Application, keys: HolderKeys
    ) -> tuple[x25519.X25519PublicKey, bytes | None]:
        """The key the encryption certificate carries, and the certificate it succeeds."""
        rule = KIND_RULES[ApplicationKind(row.kind)]
        partner = None
        if row.predecessor is not None:
            held = session.get(HeldCertificate, row.predecessor)
            assert held is not None
            partner = held.partner
        if rule.keeps_encryption_key:
            if keys.encryption is not None:
                raise InvalidKeyProof("a renewal keeps its encryption key: send none")
            issued = session.exec(
                select(PkiIssuedCertificate).where(PkiIssuedCertificate.fingerprint == partner)
            ).one()
            key = load_public_key(issued.public_key)
            assert isinstance(key, x25519.X25519PublicKey)
            return key, partner
        if keys.encryption is None:
            raise InvalidKeyProof("send the encryption key with its proof")
        return keys.encryption, partner

    def _requests(
        self,
        row: Application,
        keys: HolderKeys,
        encryption: x25519.X25519PublicKey,
        encryption_predecessor: bytes | None,
    ) -> list[IssuanceRequest]:
        subject = subject_of(row)
        assert subject is not None and row.certificate_kind is not None and row.reviewed_by
        alliance = row.platform_id == ALLIANCE_PLATFORM
        common = {
            "approved_by": row.reviewed_by,
            "ca_id": row.ca_id,
            "subject": subject,
            "kind": CertificateKind(row.certificate_kind),
            "validity_years": row.validity_years,
            "scope": Scope.ALLIANCE if alliance else Scope.REGIONAL,
            "center": None if alliance else row.center,
            "holder": row.holder,
        }
        return [
            IssuanceRequest(
                request_id=f"{row.id}-signing",
                usage=KeyUsage.SIGNING,
                public_key=keys.signing,
                predecessor=row.predecessor,
                **common,  # type: ignore[arg-type]
            ),
            IssuanceRequest(
                request_id=f"{row.id}-encryption",
                usage=KeyUsage.ENCRYPTION,
                public_key=encryption,
                predecessor=encryption_predecessor,
                **common,  # type: ignore[arg-type]
            ),
        ]

    def _record(
        self,
        application_id: str,
        account_id: str,
        issued: list[IssuedCertificate],
        predecessor: bytes | None,
        also: AlsoRecord | None = None,
    ) -> list[bytes]:
        """Both certificates are on chain: the application is ISSUED and DOWNLOADED, the
        holder holds them, their predecessors are marked replaced. What to revoke."""
        signing, encryption = issued
        assert signing.fingerprint is not None and encryption.fingerprint is not None
        now = int(self.clock())
        replaced: list[bytes] = []
        with write_session(self.engine) as session:
            row = session.get(Application, application_id)
            assert row is not None
            if row.state != _S.PAID.value:  # a concurrent download recorded them already
                return []
            if also is not None:
                also(session, row, issued)
            rule = KIND_RULES[ApplicationKind(row.kind)]
            name = display_name(row)
            for cert, partner in ((signing, encryption), (encryption, signing)):
                assert cert.fingerprint is not None and partner.fingerprint is not None
                pki_row = session.get(PkiIssuedCertificate, cert.serial)
                assert pki_row is not None
                session.add(
                    HeldCertificate(
                        fingerprint=cert.fingerprint,
                        account_id=account_id,
                        application_id=row.id,
                        ca_id=row.ca_id,
                        usage=pki_row.usage,
                        partner=partner.fingerprint,
                        name=name,
                        not_before=pki_row.not_before,
                        not_after=pki_row.not_after,
                    )
                )
            if predecessor is not None:
                old = session.get(HeldCertificate, predecessor)
                assert old is not None
                for fingerprint, successor in (
                    (old.fingerprint, signing.fingerprint),
                    (old.partner, encryption.fingerprint),
                ):
                    held = session.get(HeldCertificate, fingerprint)
                    assert held is not None
                    held.replaced_by = successor
                    session.add(held)
                    if rule.replaces:
                        replaced.append(fingerprint)
            row.signing_fingerprint = signing.fingerprint
            row.encryption_fingerprint = encryption.fingerprint
            self.applications.move(session, row, Action.ISSUE, f"ca:{row.ca_id}")
            self.applications.move(session, row, Action.DOWNLOAD, f"account:{account_id}")
            post(
                session,
                account_id,
                MessageKind.CERTIFICATE_READY,
                {"application_id": row.id},
                now=now,
            )
        return replaced

    def _supersede(self, fingerprint: bytes) -> bool:
        """Revoke a replaced certificate (its successor is on chain already); a failure is
        logged, not raised: the holder has the new certificates either way, and
        ``revoke_superseded`` tries again."""
        try:
            self.issuance.revoke(fingerprint, RevocationReason.SUPERSEDED)
        except AlreadyRevoked:
            return True
        except Exception:
            log.exception("revoking the superseded certificate %s failed", fingerprint.hex())
            return False
        return True

    def revoke_superseded(self) -> int:
        """Revoke every certificate a recovery or enterprise change replaced whose
        revocation has not been sent yet (a failure at download); how many were revoked."""
        replacing = {
            ApplicationKind.RECOVERY.value,
            ApplicationKind.CHANGE_REISSUE.value,
            ApplicationKind.ENTERPRISE_CHANGE.value,  # changes downloaded before 0014
        }
        successor = aliased(HeldCertificate)
        with Session(self.engine) as session:
            rows = session.exec(
                select(HeldCertificate.fingerprint, Application.kind)
                .join(successor, col(successor.fingerprint) == col(HeldCertificate.replaced_by))
                .join(Application, col(Application.id) == col(successor.application_id))
                .join(
                    PkiIssuedCertificate,
                    col(PkiIssuedCertificate.fingerprint) == col(HeldCertificate.fingerprint),
                )
                .where(col(PkiIssuedCertificate.revocation_transaction_hash).is_(None))
            ).all()
        pending = [fingerprint for fingerprint, kind in rows if kind in replacing]
        return sum(self._supersede(fingerprint) for fingerprint in pending)

    def _again(self, session: Session, row: Application, keys: HolderKeys) -> DownloadResult:
        """A second download: the same certificates for the same keys, nothing issued."""
        assert row.signing_fingerprint is not None and row.encryption_fingerprint is not None
        signing = self._issued(session, row.signing_fingerprint)
        encryption = self._issued(session, row.encryption_fingerprint)
        same_encryption = keys.encryption is None or _spki(keys.encryption) == encryption.public_key
        if _spki(keys.signing) != signing.public_key or not same_encryption:
            raise AlreadyIssued("this application's certificates were issued for other keys")
        rule = KIND_RULES[ApplicationKind(row.kind)]
        warnings = (ENCRYPTION_KEY_REPLACED,) if rule.replaces else ()
        return self._result(
            row.id, IssuedCertificate.of(signing), IssuedCertificate.of(encryption), warnings
        )

    @staticmethod
    def _issued(session: Session, fingerprint: bytes) -> PkiIssuedCertificate:
        return session.exec(
            select(PkiIssuedCertificate).where(PkiIssuedCertificate.fingerprint == fingerprint)
        ).one()

    def _result(
        self,
        application_id: str,
        signing: IssuedCertificate,
        encryption: IssuedCertificate,
        warnings: tuple[str, ...],
    ) -> DownloadResult:
        assert signing.fingerprint is not None and encryption.fingerprint is not None
        return DownloadResult(
            application_id=application_id,
            signing_fingerprint=signing.fingerprint.hex(),
            signing_chain_pem=self.issuance.chain_pem(signing.fingerprint).decode(),
            encryption_fingerprint=encryption.fingerprint.hex(),
            encryption_chain_pem=self.issuance.chain_pem(encryption.fingerprint).decode(),
            warnings=warnings,
        )

    # -- lists -----------------------------------------------------------------------------

    def certificates(self, account_id: str, status: str | None = None) -> list[HeldCertificateView]:
        """The holder's certificates, newest first; ``status`` filters (active, expired,
        revoked, replaced)."""
        now = int(self.clock())
        with Session(self.engine) as session:
            rows = session.exec(
                select(HeldCertificate)
                .where(HeldCertificate.account_id == account_id)
                .order_by(col(HeldCertificate.not_before).desc(), col(HeldCertificate.usage))
            ).all()
            views = [self._view(session, r, now) for r in rows]
        return [v for v in views if status is None or v.status == status]

    def certificate(self, account_id: str, fingerprint: bytes) -> HeldCertificateView:
        with Session(self.engine) as session:
            row = session.get(HeldCertificate, fingerprint)
            if row is None or row.account_id != account_id:
                raise CertificateNotHeld(f"you hold no certificate {fingerprint.hex()}")
            return self._view(session, row, int(self.clock()))

    @staticmethod
    def _view(session: Session, row: HeldCertificate, now: int) -> HeldCertificateView:
        indexed = session.get(Certificate, row.fingerprint)
        if indexed is not None and indexed.status == CertificateStatus.REVOKED:
            status = "revoked"
        elif row.not_after <= now:
            status = "expired"
        elif row.replaced_by is not None:
            status = "replaced"
        else:
            status = "active"
        soon = status == "active" and row.not_after - now <= EXPIRING_SOON_S
        return HeldCertificateView.of(row, status, soon)

    # -- revocation ------------------------------------------------------------------------

    def revoke(
        self,
        account_id: str,
        fingerprint: bytes,
        certificate_password: str,
        reason: RevocationReason = RevocationReason.UNSPECIFIED,
    ) -> list[str]:
        """Revoke a held certificate and its pair partner on chain (for good), once the
        certificate password is right; the transaction hashes."""
        with Session(self.engine) as session:
            row = session.get(HeldCertificate, fingerprint)
            if row is None or row.account_id != account_id:
                raise CertificateNotHeld(f"you hold no certificate {fingerprint.hex()}")
            partner = row.partner
            partner_revoked = session.get(Certificate, partner)
        self.accounts.verify_certificate_password(account_id, certificate_password)
        done = [self.issuance.revoke(fingerprint, reason, actor=account_id).hex()]
        if partner_revoked is None or partner_revoked.status != CertificateStatus.REVOKED:
            with contextlib.suppress(AlreadyRevoked):
                done.append(self.issuance.revoke(partner, reason, actor=account_id).hex())
        return done
