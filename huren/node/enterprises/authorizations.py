"""Authorizations (授权管理, manual 2.11.5): an enterprise admin lets a staff member's
certificates act for the enterprise at a platform with chosen rights.

1. The admin asks with a sealed letter (``letters``: kind ``authorization_grant``, subject
   the staff signing certificate's fingerprint, the rights and platforms): one request per
   platform, ``pending``; the staff member is told (``authorization_requested``).
2. The CA that issued the staff certificate reviews (``/v1/ca/{ca}/authorizations``).
   Rejected: ``rejected`` with the reason, the admin is told. Approved: ``granting`` is
   recorded first, then the CA's operator grants on chain (``grantAuthorization``): the
   signing certificate gets the login/sign/seal rights, its encryption partner the
   encrypt/decrypt rights (recognition asks for an encryption certificate there), each
   under the enterprise certificate that sealed the letter; then ``granted`` with the
   transactions, and the staff member is told. A chain failure leaves ``granting``:
   approving again sends the same grants (a grant replaces the earlier one on chain); a
   grant the chain keeps refusing is rejected or deleted after the chain is read
   (``authorization_granting``).
   A grant for a certificate and platform that already had one replaces it (``replaced``).
3. The admin deletes by request, platform or person: ``pending`` ones are ``withdrawn``,
   ``granted`` ones become ``revoking``, the CA's operator revokes on chain, then
   ``revoked`` (the staff member is told). What a failure leaves ``revoking`` is sent again
   by ``finish_revocations`` (each delete, each member removal and the node's start).

Every change of a request's state that is not an intent (``granting``, ``revoking``)
appends ``authorization_change`` to the operation log in the same transaction.

The chain side (granting, revoking, finishing revocations) is
``huren.node.enterprises.authorization_chain_side``; the service below adds the requests,
the CA's queue and rejection, deletion and the listings.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlmodel import Session, col, select

from huren.node.db.applications_tables import Application, HeldCertificate
from huren.node.db.authorizations_tables import AuthorizationRequest
from huren.node.db.engine import write_session
from huren.node.db.enterprises_tables import Enterprise
from huren.node.db.models import Certificate, Platform
from huren.node.enterprises import Role, role_of
from huren.node.enterprises.authorization_chain_side import log, reviewer_actor
from huren.node.enterprises.authorization_granting import GrantingSettlement, GrantOnChain
from huren.node.enterprises.authorization_model import (
    ACTIVE,
    ENCRYPTION_RIGHTS,
    SIGNING_RIGHTS,
    AuthorizationChain,
    AuthorizationNotFound,
    AuthorizationPending,
    AuthorizationState,
    AuthorizationView,
    CaNotServed,
    IllegalAuthorizationState,
    InvalidAuthorization,
    NotStaffCertificate,
    PkiAuthorizationChain,
    UnknownAuthorizationPlatform,
    labels,
)
from huren.node.enterprises.letters import Expected, LetterKind, SealedLetter, accept_letter
from huren.node.enterprises.personnel import admin_enterprise, member_enterprise
from huren.node.messages import MessageKind, post
from huren.registry.types import CertificateKind, CertificateStatus, KeyUsage, Right

__all__ = [
    "ENCRYPTION_RIGHTS",
    "SIGNING_RIGHTS",
    "AuthorizationChain",
    "AuthorizationNotFound",
    "AuthorizationService",
    "AuthorizationState",
    "AuthorizationView",
    "CaNotServed",
    "IllegalAuthorizationState",
    "InvalidAuthorization",
    "NotStaffCertificate",
    "PkiAuthorizationChain",
    "UnknownAuthorizationPlatform",
]


class AuthorizationService(GrantingSettlement):
    """Requests (the admin asks), the CA's queue and rejection, deletion and listings; the
    chain side (approval's grants, revocations) comes from ``AuthorizationChainSide``, the
    settling of ``granting`` requests from ``GrantingSettlement``."""

    # -- the admin asks ----------------------------------------------------------------------

    def request(
        self,
        admin_id: str,
        enterprise_id: str,
        staff_fingerprint: bytes,
        platforms: Iterable[str],
        rights: Right,
        letter: SealedLetter | None,
    ) -> list[AuthorizationView]:
        wanted = tuple(sorted(set(platforms)))
        if not wanted or len(wanted) > 32:
            raise InvalidAuthorization("name 1..32 platforms")
        if not isinstance(rights, int) or not 0 < int(rights) <= int(
            SIGNING_RIGHTS | ENCRYPTION_RIGHTS
        ):
            raise InvalidAuthorization("grant at least one of login, sign, seal, encrypt, decrypt")
        rights = Right(int(rights))
        now = self.now()
        with write_session(self.engine) as session:
            enterprise = admin_enterprise(session, enterprise_id, admin_id)
            held = self._staff_pair(session, enterprise, staff_fingerprint, now)
            names = {p: self._platform_name(session, p) for p in wanted}
            if held.ca_id not in self.served_cas():
                raise CaNotServed(f"CA {held.ca_id} reviews on another node")
            pending = session.exec(
                select(AuthorizationRequest).where(
                    AuthorizationRequest.staff_fingerprint == staff_fingerprint,
                    col(AuthorizationRequest.platform_id).in_(wanted),
                    # A revocation still to be sent would take a newer grant away with it.
                    col(AuthorizationRequest.state).in_(
                        [
                            AuthorizationState.PENDING.value,
                            AuthorizationState.GRANTING.value,
                            AuthorizationState.REVOKING.value,
                        ]
                    ),
                )
            ).first()
            if pending is not None:
                raise AuthorizationPending(
                    f"an authorization at {pending.platform_id} is {pending.state}: "
                    "ask again once it is settled"
                )
            accepted = accept_letter(
                session,
                letter,
                enterprise=enterprise,
                admin_id=admin_id,
                expected=Expected(
                    LetterKind.AUTHORIZATION_GRANT, staff_fingerprint.hex(), rights, wanted
                ),
                now=now,
            )
            rows = []
            for platform_id in wanted:
                row = AuthorizationRequest(
                    id=secrets.token_hex(8),
                    enterprise_id=enterprise.id,
                    staff_account_id=held.account_id,
                    staff_fingerprint=staff_fingerprint,
                    encryption_fingerprint=held.partner,
                    platform_id=platform_id,
                    rights=int(rights),
                    ca_id=held.ca_id,
                    enterprise_fingerprint=accepted.certificate_fingerprint,
                    letter_nonce=accepted.statement.nonce,
                    state=AuthorizationState.PENDING.value,
                    requested_by=admin_id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
                self._log(session, f"account:{admin_id}", row)
                params = {
                    "enterprise_name": enterprise.name,
                    "platform_name": names[platform_id],
                    "rights": labels(rights),
                }
                post(session, held.account_id, MessageKind.AUTHORIZATION_REQUESTED, params, now=now)
                rows.append(AuthorizationView.of(row))
            return rows

    def _staff_pair(
        self, session: Session, enterprise: Enterprise, fingerprint: bytes, now: int
    ) -> HeldCertificate:
        """The staff signing certificate, held by a member of ``enterprise`` through one of
        its join applications, recorded and usable now."""
        held = session.get(HeldCertificate, fingerprint)
        application = None if held is None else session.get(Application, held.application_id)
        if (
            held is None
            or application is None
            or application.enterprise_id != enterprise.id
            or role_of(session, enterprise.id, held.account_id) is None
        ):
            raise NotStaffCertificate("not a certificate of a member of this enterprise")
        record = session.get(Certificate, fingerprint)
        if (
            record is None
            or record.kind != CertificateKind.STAFF
            or record.usage != KeyUsage.SIGNING
        ):
            raise NotStaffCertificate("authorize a staff signing certificate (recorded on chain)")
        if (
            record.status == CertificateStatus.REVOKED
            or not record.not_before <= now <= record.not_after
        ):
            raise NotStaffCertificate("the staff certificate is revoked or not valid now")
        return held

    @staticmethod
    def _platform_name(session: Session, platform_id: str) -> str:
        platform = session.get(Platform, platform_id)
        if platform is None or not platform.active:
            raise UnknownAuthorizationPlatform(f"no active platform {platform_id!r}")
        return platform.name

    # -- reading -----------------------------------------------------------------------------

    def listing(
        self,
        account_id: str,
        enterprise_id: str,
        *,
        platform_id: str | None = None,
        staff_account_id: str | None = None,
        history: bool = False,
    ) -> list[AuthorizationView]:
        """The enterprise's authorizations (admin), by platform or by person; active ones
        unless ``history``. A staff member sees their own."""
        with Session(self.engine) as session:
            role = member_enterprise(session, enterprise_id, account_id)
            query = select(AuthorizationRequest).where(
                AuthorizationRequest.enterprise_id == enterprise_id
            )
            if role != Role.ADMIN:
                query = query.where(AuthorizationRequest.staff_account_id == account_id)
            if platform_id is not None:
                query = query.where(AuthorizationRequest.platform_id == platform_id)
            if staff_account_id is not None:
                query = query.where(AuthorizationRequest.staff_account_id == staff_account_id)
            if not history:
                query = query.where(col(AuthorizationRequest.state).in_([s.value for s in ACTIVE]))
            rows = session.exec(
                query.order_by(col(AuthorizationRequest.created_at), col(AuthorizationRequest.id))
            )
            return [AuthorizationView.of(r) for r in rows]

    # -- the CA reviews ----------------------------------------------------------------------

    def ca_queue(self, ca_id: str) -> list[AuthorizationView]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(AuthorizationRequest)
                .where(
                    AuthorizationRequest.ca_id == ca_id,
                    col(AuthorizationRequest.state).in_(
                        [AuthorizationState.PENDING.value, AuthorizationState.GRANTING.value]
                    ),
                )
                .order_by(col(AuthorizationRequest.created_at), col(AuthorizationRequest.id))
            ).all()
            return [AuthorizationView.of(r) for r in rows]

    def ca_detail(self, ca_id: str, request_id: str) -> AuthorizationView:
        with Session(self.engine) as session:
            return AuthorizationView.of(self._of_ca(session, ca_id, request_id))

    def ca_reject(
        self, ca_id: str, request_id: str, reviewer: str, reason: str
    ) -> AuthorizationView:
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise InvalidAuthorization("a rejection gives its reason (1..500 characters)")
        actor = reviewer_actor(ca_id, reviewer)
        with Session(self.engine) as session:
            self._of_ca(session, ca_id, request_id)
        found = self.grant_on_chain([request_id]).get(request_id)  # read before the write
        with write_session(self.engine) as session:
            row = self._locked(session, ca_id, request_id)
            granting = row.state == AuthorizationState.GRANTING.value
            if granting and found is GrantOnChain.LANDED:
                log.info("authorization %s was granted on chain: recorded granted", row.id)
                self._record_granted(session, row, actor, [])
                return AuthorizationView.of(row)
            if granting and found is GrantOnChain.PARTIAL:
                raise IllegalAuthorizationState(
                    "part of the grant is on chain: approve again, or the admin deletes it"
                )
            if row.state != AuthorizationState.PENDING.value and not (
                granting and found is GrantOnChain.ABSENT
            ):
                raise IllegalAuthorizationState(f"the request is {row.state}")
            now = self.now()
            row.state, row.reviewed_by, row.reason, row.updated_at = (
                AuthorizationState.REJECTED.value,
                actor,
                reason,
                now,
            )
            session.add(row)
            self._log(session, actor, row)
            params = {
                "request_id": row.id,
                "staff_name": _staff_name(session, row.staff_fingerprint),
                "platform_name": self._name(session, row.platform_id),
                "reason": reason,
            }
            post(session, row.requested_by, MessageKind.AUTHORIZATION_REJECTED, params, now=now)
            return AuthorizationView.of(row)

    # -- the admin deletes -------------------------------------------------------------------

    def delete(
        self,
        admin_id: str,
        enterprise_id: str,
        *,
        request_id: str | None = None,
        platform_id: str | None = None,
        staff_account_id: str | None = None,
    ) -> list[AuthorizationView]:
        """Delete one request, or all of a platform or a person (删除授权 按交易平台/按人员):
        pending ones are withdrawn, granted ones revoked on chain, granting ones settled by
        what the chain holds (``authorization_granting``)."""
        if [request_id, platform_id, staff_account_id].count(None) != 2:
            raise InvalidAuthorization("delete by one request, one platform or one person")
        query = select(AuthorizationRequest).where(
            AuthorizationRequest.enterprise_id == enterprise_id,
            col(AuthorizationRequest.state).in_(
                [
                    AuthorizationState.PENDING.value,
                    AuthorizationState.GRANTING.value,
                    AuthorizationState.GRANTED.value,
                ]
            ),
        )
        if request_id is not None:
            query = query.where(AuthorizationRequest.id == request_id)
        elif platform_id is not None:
            query = query.where(AuthorizationRequest.platform_id == platform_id)
        else:
            query = query.where(AuthorizationRequest.staff_account_id == staff_account_id)
        with Session(self.engine) as session:
            admin_enterprise(session, enterprise_id, admin_id)
            seen = [r.id for r in session.exec(query)]
        found = self.grant_on_chain(seen)  # the granting ones, read before the write
        actor = f"account:{admin_id}"
        with write_session(self.engine) as session:
            admin_enterprise(session, enterprise_id, admin_id)
            rows = session.exec(query.with_for_update()).all()
            if not rows:
                raise AuthorizationNotFound("no pending or granted authorization matches")
            for row in rows:
                if row.state != AuthorizationState.GRANTING.value:
                    continue
                if row.id not in found:  # approved since the chain was read
                    raise IllegalAuthorizationState(f"{row.id} is being granted: try again")
                self.withdraw_granting(session, row, found[row.id], actor)
            ids = self.withdraw(session, rows, actor)
        self.finish_revocations()
        with Session(self.engine) as session:
            return [
                AuthorizationView.of(r)
                for r in session.exec(
                    select(AuthorizationRequest).where(col(AuthorizationRequest.id).in_(ids))
                )
            ]


def _staff_name(session: Session, fingerprint: bytes) -> str:
    held = session.get(HeldCertificate, fingerprint)
    name = "" if held is None else held.name.rsplit(" / ", 1)[-1].strip()
    return name or fingerprint.hex()[:16]
