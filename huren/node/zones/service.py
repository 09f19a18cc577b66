"""The node's side of zones: check a holder's signed bind or unbind statement, confirm it
with the account's SMS code, record it on chain through this node's account (which must be
the platform's center), keep the statement for auditors, trace it in the operation log.

Order of a change (each step refuses with a typed error; nothing is spent before the
signature verifies): the statement's form, action, account, deployment and age; the
platform (known, this node's center's, active for a bind); the certificate (indexed, not
another account's, bound or not as the action needs, recognized at the platform for
``ZONE_RIGHT`` for a bind); its key; the replay check; the signature; then the SMS code is
used (a wrong one counts a try), the statement row written ``pending``, the transaction
sent, and the row marked ``recorded`` together with its operation-log row (or ``failed``
with the chain's refusal).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.accounts.base import CodeSent
from huren.node.accounts.codes import Purpose
from huren.node.accounts.service import AccountService
from huren.node.audit.oplog import Operation, OperationLog, OperationRecord
from huren.node.db.accounts_tables import Account
from huren.node.db.applications_tables import HeldCertificate
from huren.node.db.engine import write_session
from huren.node.db.models import Binding, Certificate, Platform
from huren.node.db.zones_tables import ZoneStatementRecord, ZoneStatementState
from huren.node.recognition import recognize
from huren.node.zones.errors import (
    AlreadyBound,
    CertificateNotRecognized,
    NotBound,
    NotCertificateHolder,
    NotPlatformCenter,
    PlatformRetired,
    StatementExpired,
    StatementMismatch,
    StatementReplayed,
    UnknownCertificate,
    UnknownPlatform,
    ZoneNotFound,
)
from huren.node.zones.keys import certificate_key
from huren.node.zones.statement import (
    STATEMENT_TTL_S,
    ZoneAction,
    ZoneStatement,
    verify_signature,
)
from huren.node.zones.views import ZoneReads, ZoneView
from huren.registry.client import RegistryClient
from huren.registry.errors_base import ContractError
from huren.registry.types import Right

__all__ = ["ZONE_RIGHT", "ZoneChange", "ZoneService", "ZoneView"]

# The right a certificate must be recognized for at the platform to bind its zone, and the
# action the device signs the statement with: the zone is where the holder logs in (scan
# login to the platform's business system, manual 2.15.1), so binding needs no more than
# using it; a staff certificate authorized only to log in there may bind. SIGN would ask a
# document-signing authorization for what is no document signature.
ZONE_RIGHT = Right.LOGIN
PURPOSES: dict[str, Purpose] = {"bind": Purpose.BIND_ZONE, "unbind": Purpose.UNBIND_ZONE}
PENDING_GIVE_UP_S = 3600  # a pending row the index never saw after this is marked failed
_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@dataclass(frozen=True, slots=True)
class ZoneChange:
    """A bind or unbind the chain recorded."""

    action: ZoneAction
    fingerprint: bytes
    platform_id: str
    evidence_hash: bytes
    transaction_hash: bytes
    block_number: int


class ZoneService(ZoneReads):
    """Zone changes (and, from ``ZoneReads``, the listings) over the node's database and
    its typed client acting as this node's center."""

    def __init__(
        self,
        engine: Engine,
        client: RegistryClient,
        accounts: AccountService,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.client = client
        self.accounts = accounts
        self.clock = clock

    @property
    def center(self) -> str:
        """The center this node acts for (its chain account)."""
        return self.client.account.address

    # -- before the change -------------------------------------------------------------------

    def prepare(
        self, account_id: str, action: ZoneAction, fingerprint: bytes, platform_id: str
    ) -> ZoneStatement:
        """A fresh statement for the holder to sign (nothing is stored: the device may as
        well build its own). The platform is checked now, to refuse early."""
        with Session(self.engine) as session:
            self._platform(session, platform_id, action)
        deployment = self.client.deployment
        return ZoneStatement.new(
            action,
            chain_id=deployment.chain_id,
            registry=deployment.registry,
            platform_id=platform_id,
            fingerprint=fingerprint,
            account_id=account_id,
            issued_at=int(self.clock()),
        )

    def send_code(self, account_id: str, action: ZoneAction, client: str) -> CodeSent:
        """An SMS code for the change, to the account's phone (the accounts' limits apply)."""
        with Session(self.engine) as session:
            phone = self._phone(session, account_id)
        return self.accounts.send_code(phone, PURPOSES[action], client)

    # -- the change --------------------------------------------------------------------------

    def bind(
        self,
        account_id: str,
        statement: bytes,
        signature: bytes,
        code: str,
        certificate_der: bytes | None = None,
    ) -> ZoneChange:
        return self._change("bind", account_id, statement, signature, code, certificate_der)

    def unbind(
        self,
        account_id: str,
        statement: bytes,
        signature: bytes,
        code: str,
        certificate_der: bytes | None = None,
    ) -> ZoneChange:
        return self._change("unbind", account_id, statement, signature, code, certificate_der)

    def _change(
        self,
        action: ZoneAction,
        account_id: str,
        raw: bytes,
        signature: bytes,
        code: str,
        certificate_der: bytes | None,
    ) -> ZoneChange:
        st = ZoneStatement.parse(raw)
        now = int(self.clock())
        self._check_statement(st, action, account_id, now)
        fp, platform_id, evidence = st.fingerprint, st.platform_id, st.evidence_hash
        with Session(self.engine) as session:
            self._platform(session, platform_id, action)
            self._certificate(session, st, action, now)
            key = certificate_key(session, fp, certificate_der)
            replayed = session.exec(
                select(ZoneStatementRecord.evidence_hash).where(
                    or_(
                        col(ZoneStatementRecord.evidence_hash) == evidence,
                        (col(ZoneStatementRecord.fingerprint) == fp)
                        & (col(ZoneStatementRecord.nonce) == st.nonce),
                    )
                )
            ).first()
            if replayed is not None:
                raise StatementReplayed("this statement (or its nonce) was used before")
            phone = self._phone(session, account_id)
        verify_signature(key.public_key, raw, signature)
        self.accounts.use_code(phone, PURPOSES[action], code)
        row = ZoneStatementRecord(
            evidence_hash=evidence,
            fingerprint=fp,
            platform_id=platform_id,
            action=action,
            account_id=account_id,
            nonce=st.nonce,
            issued_at=st.issued_at,
            statement=raw,
            signature=signature,
            public_key=key.public_key,
            key_source=key.source,
            state=ZoneStatementState.PENDING,
            received_at=now,
        )
        try:
            with write_session(self.engine) as session:
                session.add(row)
        except IntegrityError:  # a concurrent request with the same statement won
            raise StatementReplayed("this statement (or its nonce) was used before") from None
        try:
            if action == "bind":
                tx = self.client.bind_certificate(fp, platform_id, evidence)
            else:
                tx = self.client.unbind_certificate(fp, platform_id, evidence)
        except ContractError as exc:
            self._settle(evidence, ZoneStatementState.FAILED, result=_code(exc))
            raise
        # Anything else (the chain unreachable, ...) leaves the row pending: whether the
        # transaction was mined is not known; ``settle_pending`` asks the index later.
        with write_session(self.engine) as session:
            stored = session.get(ZoneStatementRecord, evidence)
            assert stored is not None
            stored.state = ZoneStatementState.RECORDED
            stored.transaction_hash = tx.transaction_hash
            stored.block_number = tx.block_number
            session.add(stored)
            trace = OperationRecord(
                actor=account_id,
                operation=Operation.ZONE_CHANGE,
                subject=fp.hex(),
                digest=evidence,
                platform=platform_id,
            )
            OperationLog(self.engine, clock=lambda: now).append_in(session.connection(), trace)
        return ZoneChange(action, fp, platform_id, evidence, tx.transaction_hash, tx.block_number)

    def _check_statement(
        self, st: ZoneStatement, action: ZoneAction, account_id: str, now: int
    ) -> None:
        deployment = self.client.deployment
        if st.action != action:
            raise StatementMismatch(f"the statement says {st.action}, this is a {action}")
        if st.account_id != account_id:
            raise StatementMismatch("the statement names another account")
        if st.chain_id != deployment.chain_id or st.registry != deployment.registry.lower():
            raise StatementMismatch("the statement is for another consortium deployment")
        if abs(now - st.issued_at) > STATEMENT_TTL_S:
            raise StatementExpired(
                f"the statement was issued at {st.issued_at}, more than {STATEMENT_TTL_S} s "
                f"from now ({now}): sign a new one"
            )

    def _platform(self, session: Session, platform_id: str, action: ZoneAction) -> Platform:
        platform = session.get(Platform, platform_id)
        if platform is None:
            raise UnknownPlatform(f"no platform {platform_id!r} is registered")
        if platform.center != self.center:
            raise NotPlatformCenter(
                f"platform {platform_id!r} belongs to center {platform.center}; this node "
                f"acts for {self.center}: change its zone at that center's node",
                center=platform.center,
            )
        if action == "bind" and not platform.active:
            raise PlatformRetired(f"platform {platform_id!r} is retired")
        return platform

    def _certificate(
        self, session: Session, st: ZoneStatement, action: ZoneAction, now: int
    ) -> None:
        fp, platform_id = st.fingerprint, st.platform_id
        if session.get(Certificate, fp) is None:
            raise UnknownCertificate("no such certificate is recorded")
        held = session.get(HeldCertificate, fp)
        if held is not None and held.account_id != st.account_id:
            raise NotCertificateHolder("the certificate is another account's")
        binding = session.get(Binding, (fp, platform_id))
        bound = binding is not None and binding.bound
        if action == "bind" and bound:
            raise AlreadyBound(f"the certificate is bound to {platform_id!r}'s zone already")
        if action == "unbind" and not bound:
            raise NotBound(f"the certificate is not bound to {platform_id!r}'s zone")
        if action == "bind":
            answer = recognize(
                session,
                fp,
                platform_id,
                ZONE_RIGHT,
                clock=lambda: datetime.fromtimestamp(now, UTC),
            )
            if not answer.recognized:
                raise CertificateNotRecognized(
                    f"the certificate is not recognized at {platform_id!r} for login",
                    reasons=answer.reason_codes,
                )

    @staticmethod
    def _phone(session: Session, account_id: str) -> str:
        account = session.get(Account, account_id)
        if account is None:  # authenticated a moment ago: deleted since
            raise ZoneNotFound("no such account")
        return account.phone

    def _settle(self, evidence: bytes, state: str, *, result: str | None = None) -> None:
        with write_session(self.engine) as session:
            stored = session.get(ZoneStatementRecord, evidence)
            if stored is not None:
                stored.state, stored.result = state, result
                session.add(stored)

    def settle_pending(self) -> int:
        """Settle statements left pending (the node stopped, or the chain failed, after the
        transaction may have gone out) from the index: recorded when the index holds their
        evidence hash, failed once ``PENDING_GIVE_UP_S`` passed without it. Returns how many
        were settled. (No operation-log row is written for these: the chain holds them.)"""
        now = int(self.clock())
        settled = 0
        with write_session(self.engine) as session:
            pending = session.exec(
                select(ZoneStatementRecord).where(
                    col(ZoneStatementRecord.state) == ZoneStatementState.PENDING
                )
            ).all()
            for row in pending:
                binding = session.get(Binding, (row.fingerprint, row.platform_id))
                if binding is not None and binding.evidence_hash == row.evidence_hash:
                    row.state = ZoneStatementState.RECORDED
                    row.transaction_hash = binding.transaction_hash
                    row.block_number = binding.block_number
                elif now - row.received_at > PENDING_GIVE_UP_S:
                    row.state, row.result = ZoneStatementState.FAILED, "NOT_ON_CHAIN"
                else:
                    continue
                session.add(row)
                settled += 1
        return settled


def _code(exc: ContractError) -> str:
    return _SNAKE.sub("_", type(exc).__name__).upper()[:64]
