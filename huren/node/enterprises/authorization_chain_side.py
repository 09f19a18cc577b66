"""The chain side of authorizations (see ``huren.node.enterprises.authorizations``): what
the service records around the CA operator's chain calls. An approval records ``granting``,
grants the staff signing/encryption pair on chain (revoking what a replaced grant held
and this one does not), then ``granted``; a withdrawal marks granted requests ``revoking``
and ``finish_revocations`` revokes them on chain, then ``revoked`` (again after a failure).

``AuthorizationService`` builds on this class; the request, review and reading side lives
there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.audit.oplog import Operation, OperationLog, OperationRecord
from huren.node.db.authorizations_tables import AuthorizationRequest
from huren.node.db.engine import write_session
from huren.node.db.enterprises_tables import Enterprise
from huren.node.db.models import Platform
from huren.node.enterprises.authorization_model import (
    ENCRYPTION_RIGHTS,
    SIGNING_RIGHTS,
    AuthorizationChain,
    AuthorizationNotFound,
    AuthorizationState,
    AuthorizationView,
    IllegalAuthorizationState,
    InvalidAuthorization,
    labels,
)
from huren.node.messages import MessageKind, post
from huren.registry.backend import BackendError
from huren.registry.errors_base import RegistryError
from huren.registry.types import Right

__all__ = ["AuthorizationChainSide", "Clock", "reviewer_actor"]

# The name the service's log had before the chain side moved here.
log = logging.getLogger("huren.node.enterprises.authorizations")
Clock = Callable[[], float]


class AuthorizationChainSide:
    def __init__(
        self,
        engine: Engine,
        chain: AuthorizationChain,
        *,
        served_cas: Callable[[], frozenset[str]],
        clock: Clock = time.time,
    ) -> None:
        self.engine = engine
        self.chain = chain
        self.served_cas = served_cas
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    def _log(self, session: Session, actor: str, row: AuthorizationRequest) -> None:
        record = OperationRecord(
            actor=actor,
            operation=Operation.AUTHORIZATION_CHANGE,
            subject=row.staff_fingerprint.hex(),
            platform=row.platform_id,
        )
        now = self.now()
        OperationLog(self.engine, clock=lambda: now).append_in(session.connection(), record)

    # -- the CA grants ---------------------------------------------------------------------

    @staticmethod
    def _of_ca(session: Session, ca_id: str, request_id: str) -> AuthorizationRequest:
        row = session.get(AuthorizationRequest, request_id)
        if row is None or row.ca_id != ca_id:
            raise AuthorizationNotFound(f"no authorization request {request_id} for CA {ca_id}")
        return row

    def ca_approve(self, ca_id: str, request_id: str, reviewer: str) -> AuthorizationView:
        actor = reviewer_actor(ca_id, reviewer)
        with write_session(self.engine) as session:
            row = self._of_ca(session, ca_id, request_id)
            if row.state == AuthorizationState.PENDING.value:
                row.state, row.reviewed_by, row.updated_at = (
                    AuthorizationState.GRANTING.value,
                    actor,
                    self.now(),
                )
                session.add(row)
            elif row.state != AuthorizationState.GRANTING.value:
                raise IllegalAuthorizationState(f"the request is {row.state}")
            previous = session.exec(
                select(AuthorizationRequest).where(
                    AuthorizationRequest.staff_fingerprint == row.staff_fingerprint,
                    AuthorizationRequest.platform_id == row.platform_id,
                    AuthorizationRequest.state == AuthorizationState.GRANTED.value,
                )
            ).all()
            before = Right(0)
            for p in previous:
                before |= Right(p.rights)
        rights = Right(row.rights)
        transactions = []
        for fingerprint, mask in self._pair(row):
            if rights & mask:
                transactions.append(
                    self.chain.grant(
                        ca_id,
                        fingerprint,
                        row.platform_id,
                        row.enterprise_fingerprint,
                        rights & mask,
                    )
                )
            elif before & mask:  # the replaced grant had rights for this certificate
                self.chain.revoke(ca_id, fingerprint, row.platform_id)
        with write_session(self.engine) as session:
            row = self._locked(session, ca_id, request_id)
            if row.state in (AuthorizationState.REJECTED.value, AuthorizationState.WITHDRAWN.value):
                # Rejected or deleted while the grant was in flight (the other side read the
                # chain before the grant landed): take back what was just granted.
                row.state, row.updated_at = AuthorizationState.REVOKING.value, self.now()
                session.add(row)
            elif row.state != AuthorizationState.GRANTING.value:
                return AuthorizationView.of(row)  # a concurrent approval finished it
            else:
                self._record_granted(session, row, actor, transactions)
                return AuthorizationView.of(row)
        self.finish_revocations([request_id])
        with Session(self.engine) as session:
            return AuthorizationView.of(self._of_ca(session, ca_id, request_id))

    @staticmethod
    def _locked(session: Session, ca_id: str, request_id: str) -> AuthorizationRequest:
        """The row under a write lock (PostgreSQL's row lock; SQLite's write transaction
        already excludes other writers)."""
        row = session.get(AuthorizationRequest, request_id, with_for_update=True)
        if row is None or row.ca_id != ca_id:
            raise AuthorizationNotFound(f"no authorization request {request_id} for CA {ca_id}")
        return row

    def _record_granted(
        self, session: Session, row: AuthorizationRequest, actor: str, transactions: list[bytes]
    ) -> None:
        """In the caller's transaction: the grant is on chain; earlier grants of the
        certificate at the platform are replaced, the staff member told."""
        now = self.now()
        for p in session.exec(
            select(AuthorizationRequest).where(
                AuthorizationRequest.staff_fingerprint == row.staff_fingerprint,
                AuthorizationRequest.platform_id == row.platform_id,
                AuthorizationRequest.state == AuthorizationState.GRANTED.value,
            )
        ).all():
            p.state, p.updated_at = AuthorizationState.REPLACED.value, now
            session.add(p)
            self._log(session, actor, p)
        row.state, row.updated_at = AuthorizationState.GRANTED.value, now
        # Empty when a grant found on chain is recorded (its transaction is not known here).
        row.grant_transactions = ",".join(t.hex() for t in transactions)
        session.add(row)
        self._log(session, actor, row)
        enterprise = session.get(Enterprise, row.enterprise_id)
        assert enterprise is not None
        params = {
            "enterprise_name": enterprise.name,
            "platform_name": self._name(session, row.platform_id),
            "rights": labels(Right(row.rights)),
        }
        post(session, row.staff_account_id, MessageKind.AUTHORIZATION_GRANTED, params, now=now)

    # -- revocations -----------------------------------------------------------------------

    def withdraw(
        self, session: Session, rows: Iterable[AuthorizationRequest], actor: str
    ) -> list[str]:
        """In the caller's transaction: pending rows withdrawn, granted ones marked for
        revocation (``finish_revocations`` sends them after the commit)."""
        now, ids = self.now(), []
        for row in rows:
            ids.append(row.id)
            row.updated_at, row.revoked_by = now, actor
            if row.state == AuthorizationState.PENDING.value:
                row.state = AuthorizationState.WITHDRAWN.value
                session.add(row)
                self._log(session, actor, row)
            elif row.state == AuthorizationState.GRANTED.value:
                row.state = AuthorizationState.REVOKING.value
                session.add(row)
        return ids

    def withdraw_member(
        self, session: Session, enterprise_id: str, account_id: str, actor: str
    ) -> None:
        rows = session.exec(
            select(AuthorizationRequest).where(
                AuthorizationRequest.enterprise_id == enterprise_id,
                AuthorizationRequest.staff_account_id == account_id,
                col(AuthorizationRequest.state).in_(
                    [AuthorizationState.PENDING.value, AuthorizationState.GRANTED.value]
                ),
            )
        ).all()
        self.withdraw(session, rows, actor)

    def finish_revocations(self, only: Iterable[str] | None = None) -> int:
        """Send the chain revocations of every ``revoking`` request (what a failure left
        too), or of those of ``only``; the number finished. A chain failure is logged and
        left for the next run."""
        query = select(AuthorizationRequest.id).where(
            AuthorizationRequest.state == AuthorizationState.REVOKING.value
        )
        if only is not None:
            query = query.where(col(AuthorizationRequest.id).in_(list(only)))
        with Session(self.engine) as session:
            pending = session.exec(query).all()
        done = 0
        for request_id in pending:
            try:
                self._revoke(request_id)
                done += 1
            except (RegistryError, BackendError):
                log.exception(
                    "revoking authorization %s on chain failed; retried later", request_id
                )
        return done

    def _revoke(self, request_id: str) -> None:
        with Session(self.engine) as session:
            row = session.get(AuthorizationRequest, request_id)
            assert row is not None
            # A grant never recorded granted landed over the earlier grant: put that back.
            earlier = Right(0)
            enterprise_fingerprint = b""
            if row.grant_transactions is None:
                for p in session.exec(
                    select(AuthorizationRequest).where(
                        AuthorizationRequest.staff_fingerprint == row.staff_fingerprint,
                        AuthorizationRequest.platform_id == row.platform_id,
                        AuthorizationRequest.state == AuthorizationState.GRANTED.value,
                    )
                ):
                    earlier, enterprise_fingerprint = Right(p.rights), p.enterprise_fingerprint
        rights = Right(row.rights)
        transactions = []
        for fingerprint, mask in self._pair(row):
            if earlier & mask:
                transactions.append(
                    self.chain.grant(
                        row.ca_id,
                        fingerprint,
                        row.platform_id,
                        enterprise_fingerprint,
                        earlier & mask,
                    )
                )
            elif rights & mask:
                tx = self.chain.revoke(row.ca_id, fingerprint, row.platform_id)
                if tx is not None:
                    transactions.append(tx)
        with write_session(self.engine) as session:
            row = session.get(AuthorizationRequest, request_id)
            assert row is not None
            if row.state != AuthorizationState.REVOKING.value:
                return
            now = self.now()
            row.revoke_transactions = ",".join(t.hex() for t in transactions) or None
            row.updated_at = now
            if row.grant_transactions is None:
                # Never recorded granted (a grant that landed after a rejection or a delete,
                # see ``authorization_granting``): it ends as the people were told.
                row.state = (
                    AuthorizationState.REJECTED.value
                    if row.reason is not None
                    else AuthorizationState.WITHDRAWN.value
                )
                session.add(row)
                self._log(session, row.revoked_by or row.reviewed_by or f"ca:{row.ca_id}", row)
                return
            row.state = AuthorizationState.REVOKED.value
            session.add(row)
            self._log(session, row.revoked_by or f"ca:{row.ca_id}", row)
            enterprise = session.get(Enterprise, row.enterprise_id)
            assert enterprise is not None
            params = {
                "enterprise_name": enterprise.name,
                "platform_name": self._name(session, row.platform_id),
            }
            post(session, row.staff_account_id, MessageKind.AUTHORIZATION_REVOKED, params, now=now)

    @staticmethod
    def _pair(row: AuthorizationRequest) -> list[tuple[bytes, Right]]:
        pair = [(row.staff_fingerprint, SIGNING_RIGHTS)]
        if row.encryption_fingerprint is not None:
            pair.append((row.encryption_fingerprint, ENCRYPTION_RIGHTS))
        return pair

    @staticmethod
    def _name(session: Session, platform_id: str) -> str:
        platform = session.get(Platform, platform_id)
        return platform_id if platform is None else platform.name


def reviewer_actor(ca_id: str, reviewer: str) -> str:
    """The operation log's actor for a CA reviewer, who must be named."""
    if not isinstance(reviewer, str) or not reviewer.strip() or len(reviewer) > 120:
        raise InvalidAuthorization("the reviewer is named (1..120 characters)")
    return f"ca:{ca_id}:{reviewer}"
