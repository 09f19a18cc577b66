"""Certificate status from the node's index, for OCSP and CRLs.

A serial's status joins this node's issued certificates (serial -> fingerprint) with the
index of chain state (``certificates``: the record and its revocation). What the chain does
not hold is unknown, also a certificate that was signed but whose record is not yet
committed: a relying party must not take it as valid.

The lookups run on the DBAPI cursor with statements compiled once per dialect (SQLAlchemy's
execution machinery costs more than these one-row queries; see
``huren.node.recognition._rows``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.sql import Select

from huren.node.db.models import Certificate
from huren.node.db.pki_tables import PkiIssuedCertificate
from huren.node.recognition import read_transaction
from huren.registry.types import CertificateStatus

__all__ = ["CertStatus", "Revoked", "StatusLookup"]

_ISSUED = PkiIssuedCertificate.__table__  # type: ignore[attr-defined]
_CERTS = Certificate.__table__  # type: ignore[attr-defined]


class CertStatus(enum.Enum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Revoked:
    serial: int
    revoked_at: int
    reason: int


_STATUS_QUERY: Select[Any] = (
    select(_CERTS.c.status, _CERTS.c.revoked_at, _CERTS.c.revocation_reason)
    .select_from(_ISSUED.join(_CERTS, _CERTS.c.fingerprint == _ISSUED.c.fingerprint))
    .where(_ISSUED.c.serial == bindparam("serial"), _ISSUED.c.ca_id == bindparam("ca_id"))
)
_REVOKED_QUERY: Select[Any] = (
    select(_ISSUED.c.serial, _CERTS.c.revoked_at, _CERTS.c.revocation_reason)
    .select_from(_ISSUED.join(_CERTS, _CERTS.c.fingerprint == _ISSUED.c.fingerprint))
    .where(
        _ISSUED.c.ca_id == bindparam("ca_id"),
        _CERTS.c.status == bindparam("revoked"),
    )
    .order_by(_ISSUED.c.serial)
)


class StatusLookup:
    """Status of a CA's serials as the index holds them (thread-safe)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _run(self, name: str, query: Select[Any], params: dict[str, Any]) -> list[Any]:
        entry = self._compiled.get(name)
        if entry is None:
            compiled = query.compile(dialect=self.engine.dialect)
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            entry = self._compiled[name] = (compiled.string, order)
        sql, order = entry
        args: Any = params if order is None else tuple(params[k] for k in order)
        with read_transaction(self.engine) as db:
            cursor = db.dbapi.cursor()
            try:
                cursor.execute(sql, args)
                return list(cursor.fetchall())
            finally:
                cursor.close()

    def status(self, ca_id: str, serial: int) -> tuple[CertStatus, int | None, int | None]:
        """(status, revoked_at, reason) of ``serial`` issued by ``ca_id``."""
        rows = self._run("status", _STATUS_QUERY, {"serial": f"{serial:x}", "ca_id": ca_id})
        if not rows:
            return CertStatus.UNKNOWN, None, None
        status, revoked_at, reason = rows[0]
        if status == CertificateStatus.REVOKED:
            return CertStatus.REVOKED, revoked_at, reason
        return CertStatus.GOOD, None, None

    def revoked(self, ca_id: str) -> list[Revoked]:
        """Every revoked certificate of ``ca_id`` in the index, by serial."""
        params = {"ca_id": ca_id, "revoked": int(CertificateStatus.REVOKED)}
        rows = self._run("revoked", _REVOKED_QUERY, params)
        return [Revoked(int(s, 16), at, reason) for s, at, reason in rows]
