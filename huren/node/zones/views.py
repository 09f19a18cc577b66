"""Reading zones: the bindings the index holds for an account's certificates, for one
certificate, for a platform, and the statement behind an evidence hash (``ZoneService``
inherits these)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.db.applications_tables import HeldCertificate
from huren.node.db.models import Binding, Platform
from huren.node.db.zones_tables import ZoneStatementRecord, ZoneStatementState
from huren.node.zones.errors import UnknownPlatform, ZoneNotFound

__all__ = ["ZoneReads", "ZoneView"]


@dataclass(frozen=True, slots=True)
class ZoneView:
    """A certificate bound to a platform's zone, as the index holds it, and whether this
    node keeps the signed statement behind its evidence hash."""

    fingerprint: bytes
    platform_id: str
    platform_name: str | None
    evidence_hash: bytes
    recorded_by: str
    block_number: int
    transaction_hash: bytes
    statement_kept: bool


class ZoneReads:
    """The listings, over ``engine`` (set by ``ZoneService``)."""

    engine: Engine

    def zones_of_account(self, account_id: str) -> list[ZoneView]:
        """Every zone binding of the account's certificates: those it holds on this node and
        those it changed zones with here (it proved holding them by their signature)."""
        with Session(self.engine) as session:
            fingerprints = self._held(session, account_id)
            return self._views(session, col(Binding.fingerprint).in_(fingerprints))

    def zones_of_certificate(self, account_id: str, fingerprint: bytes) -> list[ZoneView]:
        """The zones one certificate is bound to; ``ZoneNotFound`` unless it is the
        account's."""
        with Session(self.engine) as session:
            if fingerprint not in self._held(session, account_id):
                raise ZoneNotFound("no certificate of this account has that fingerprint")
            return self._views(session, col(Binding.fingerprint) == fingerprint)

    def zone_of_platform(self, platform_id: str) -> list[ZoneView]:
        """The certificates bound to the platform's zone."""
        with Session(self.engine) as session:
            if session.get(Platform, platform_id) is None:
                raise UnknownPlatform(f"no platform {platform_id!r} is registered")
            return self._views(session, col(Binding.platform_id) == platform_id)

    def evidence(self, evidence_hash: bytes) -> ZoneStatementRecord:
        """The statement behind an evidence hash, with its signature and key."""
        with Session(self.engine) as session:
            row = session.get(ZoneStatementRecord, evidence_hash)
        if row is None:
            raise ZoneNotFound("this node keeps no statement with that evidence hash")
        return row

    @staticmethod
    def _held(session: Session, account_id: str) -> set[bytes]:
        """The account's certificates: those the node's applications gave it, and those it
        changed zones with here, unless the applications gave them to another account."""
        held = session.exec(
            select(HeldCertificate.fingerprint).where(col(HeldCertificate.account_id) == account_id)
        ).all()
        changed = {
            bytes(f)
            for f in session.exec(
                select(ZoneStatementRecord.fingerprint).where(
                    col(ZoneStatementRecord.account_id) == account_id,
                    col(ZoneStatementRecord.state) == ZoneStatementState.RECORDED,
                )
            ).all()
        }
        others = session.exec(
            select(HeldCertificate.fingerprint).where(
                col(HeldCertificate.fingerprint).in_(changed),
                col(HeldCertificate.account_id) != account_id,
            )
        ).all()
        return {bytes(f) for f in held} | (changed - {bytes(f) for f in others})

    @staticmethod
    def _views(session: Session, condition: object) -> list[ZoneView]:
        rows: Sequence[tuple[Binding, str | None]] = session.exec(
            select(Binding, Platform.name)
            .join(Platform, col(Platform.platform_id) == col(Binding.platform_id), isouter=True)
            .where(condition, col(Binding.bound).is_(True))  # type: ignore[arg-type]
            .order_by(col(Binding.block_number), col(Binding.log_index))
        ).all()
        kept = set(
            session.exec(
                select(ZoneStatementRecord.evidence_hash).where(
                    col(ZoneStatementRecord.evidence_hash).in_([b.evidence_hash for b, _ in rows])
                )
            ).all()
        )
        return [
            ZoneView(
                fingerprint=bytes(b.fingerprint),
                platform_id=b.platform_id,
                platform_name=name,
                evidence_hash=bytes(b.evidence_hash),
                recorded_by=b.by,
                block_number=b.block_number,
                transaction_hash=bytes(b.transaction_hash),
                statement_kept=b.evidence_hash in kept,
            )
            for b, name in rows
        ]
