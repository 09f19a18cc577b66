"""The node's upkeep job: catch-up work that must not wait for the next start.

Several services leave work for later when a call out fails or the node stops halfway:
revocations of replaced pairs (``CertificateDesk.revoke_superseded``), orders past their
payment window (``Payments.expire_due``), authorization revocations the chain refused
(``AuthorizationService.finish_revocations``), zone statements left between node and chain
(``ZoneService.settle_pending``). Each of those is idempotent and safe to repeat. The job
also posts the manual's 证书即将到期 reminder: one ``certificate_expiring`` message per held
signing certificate (the pair's handle, which a renewal names) once it enters its last
``EXPIRING_SOON_S`` (30 days), recorded in ``upkeep_expiry_notices`` in the transaction that
posts it, so the holder gets it exactly once. It also reminds, once, the holder of an enterprise
change's replacement left paid and not downloaded for 7 days (``huren.node.reminders``).

``Upkeep.run_once(now)`` runs every task independently: one that raises is logged and
reported, the others still run. The node runs one pass when it opens (before serving) and
then one every ``HUREN_UPKEEP_INTERVAL_S`` seconds in a thread (``start``/``stop``); the
last report is kept for ``GET /v1/upkeep``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from huren.node.applications.issuing import EXPIRING_SOON_S
from huren.node.db.applications_tables import HeldCertificate
from huren.node.db.engine import write_session
from huren.node.db.models import Certificate
from huren.node.db.pki_tables import PkiIssuedCertificate
from huren.node.db.upkeep_tables import ExpiryNotice
from huren.node.messages import MessageKind, post
from huren.node.messages.inbox import MAX_PARAM_LENGTH
from huren.node.reminders import remind_reissues
from huren.registry.types import CertificateStatus, KeyUsage

__all__ = [
    "NOTICES_PER_PASS",
    "NoticesFailed",
    "TaskOutcome",
    "Upkeep",
    "UpkeepReport",
    "UpkeepTask",
    "node_upkeep",
    "notify_expiring",
]

log = logging.getLogger(__name__)

NOTICES_PER_PASS = 500  # bounds one pass; the rest go out on the next
DAY_S = 86_400

# A task gets the pass's time and answers how many items it handled.
UpkeepTask = Callable[[int], int]


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    name: str
    ok: bool
    handled: int  # items the task finished (0 when it failed)
    error: str | None  # "ExceptionType: message" when it raised
    duration_ms: float


@dataclass(frozen=True, slots=True)
class UpkeepReport:
    at: int  # the pass's time (unix seconds)
    tasks: tuple[TaskOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(task.ok for task in self.tasks)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(task.name for task in self.tasks if not task.ok)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "ok": self.ok,
            "tasks": [
                {
                    "name": t.name,
                    "ok": t.ok,
                    "handled": t.handled,
                    "error": t.error,
                    "duration_ms": round(t.duration_ms, 3),
                }
                for t in self.tasks
            ],
        }


class Upkeep:
    """Named tasks run together, each on its own; the last report; a background thread."""

    def __init__(
        self, tasks: Sequence[tuple[str, UpkeepTask]], *, clock: Callable[[], float] = time.time
    ) -> None:
        names = [name for name, _ in tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"upkeep task names repeat: {names}")
        self.tasks = tuple(tasks)
        self.clock = clock
        self.interval_s: float | None = None  # while the thread runs
        self._pass = threading.Lock()  # one pass at a time (thread, API, start)
        self._last: UpkeepReport | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def task_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.tasks)

    @property
    def last_report(self) -> UpkeepReport | None:
        return self._last

    def run_once(self, now: int | None = None) -> UpkeepReport:
        """Run every task once at ``now`` (default: the clock); a task that raises is logged
        and reported as failed, and the next one runs anyway."""
        with self._pass:
            at = int(self.clock()) if now is None else now
            outcomes = []
            for name, task in self.tasks:
                started = time.perf_counter()
                try:
                    handled = task(at)
                except Exception as exc:  # one task's failure must not stop the others
                    log.exception("upkeep task %s failed", name)
                    error = f"{type(exc).__name__}: {exc}"[:500]
                    outcome = TaskOutcome(name, False, 0, error, _ms(started))
                else:
                    if handled:
                        log.info("upkeep task %s handled %d", name, handled)
                    outcome = TaskOutcome(name, True, handled, None, _ms(started))
                outcomes.append(outcome)
            report = UpkeepReport(at, tuple(outcomes))
            self._last = report
            return report

    # -- the background thread -------------------------------------------------------------

    def start(self, interval_s: float) -> None:
        """Run a pass every ``interval_s`` seconds (the first after one interval) until
        ``stop``; 0 runs none."""
        if interval_s <= 0 or self._thread is not None:
            return
        self.interval_s = interval_s
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval_s,), name="huren-upkeep", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the thread (a pass under way finishes first); whether it has stopped."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout)
        self.interval_s = None
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.run_once()
            except Exception:  # the clock, say; the thread keeps going
                log.exception("upkeep pass failed")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


# -- expiring soon ---------------------------------------------------------------------------


class NoticesFailed(Exception):
    """Some expiring-soon messages could not be posted (the others were; see the log)."""


def notify_expiring(engine: Engine, now: int, *, limit: int = NOTICES_PER_PASS) -> int:
    """Post ``certificate_expiring`` to the holder of every active signing certificate whose
    last ``EXPIRING_SOON_S`` have begun and who was not told yet; how many were posted.

    Active: valid at ``now``, not replaced, not revoked (neither in the index nor sent by
    this node's PKI). Each message commits with its ``ExpiryNotice`` row, whose key is the
    certificate: a second pass, or another node on the same database, posts nothing again
    (a racing insert fails on the key and its message rolls back with it)."""
    with Session(engine) as session:
        candidates = session.exec(
            select(HeldCertificate.fingerprint)
            .outerjoin(
                ExpiryNotice, col(ExpiryNotice.fingerprint) == col(HeldCertificate.fingerprint)
            )
            .outerjoin(
                Certificate, col(Certificate.fingerprint) == col(HeldCertificate.fingerprint)
            )
            .outerjoin(
                PkiIssuedCertificate,
                col(PkiIssuedCertificate.fingerprint) == col(HeldCertificate.fingerprint),
            )
            .where(
                col(ExpiryNotice.fingerprint).is_(None),
                col(HeldCertificate.usage) == int(KeyUsage.SIGNING),
                col(HeldCertificate.replaced_by).is_(None),
                col(HeldCertificate.not_before) <= now,
                col(HeldCertificate.not_after) > now,
                col(HeldCertificate.not_after) <= now + EXPIRING_SOON_S,
                (col(Certificate.status).is_(None))
                | (col(Certificate.status) != int(CertificateStatus.REVOKED)),
                col(PkiIssuedCertificate.revocation_transaction_hash).is_(None),
            )
            .order_by(col(HeldCertificate.not_after))
            .limit(limit)
        ).all()
    posted, failed = 0, 0
    for fingerprint in candidates:
        try:
            posted += _notify_one(engine, fingerprint, now)
        except IntegrityError:  # told concurrently by another pass: nothing posted here
            continue
        except Exception:  # one bad row must not hold up the holders after it
            log.exception("the expiring-soon message for %s failed", fingerprint.hex())
            failed += 1
    if failed:
        raise NoticesFailed(f"{failed} expiring-soon messages failed ({posted} sent)")
    return posted


def _notify_one(engine: Engine, fingerprint: bytes, now: int) -> int:
    with write_session(engine) as session:
        if session.get(ExpiryNotice, fingerprint) is not None:
            return 0
        held = session.get(HeldCertificate, fingerprint)
        assert held is not None
        days_left = max(1, math.ceil((held.not_after - now) / DAY_S))
        params = {
            "fingerprint": fingerprint.hex(),
            "certificate_name": held.name[:MAX_PARAM_LENGTH],
            "days_left": days_left,
        }
        message = post(session, held.account_id, MessageKind.CERTIFICATE_EXPIRING, params, now=now)
        session.add(
            ExpiryNotice(
                fingerprint=fingerprint,
                account_id=held.account_id,
                message_id=message.id,
                not_after=held.not_after,
                sent_at=now,
            )
        )
    return 1


# -- the node's tasks ------------------------------------------------------------------------


class _Desk(Protocol):
    def revoke_superseded(self) -> int: ...


class _Payments(Protocol):
    def expire_due(self) -> Sequence[object]: ...


class _Authorizations(Protocol):
    def finish_revocations(self) -> int: ...


class _Zones(Protocol):
    def settle_pending(self) -> int: ...


def node_upkeep(
    engine: Engine,
    *,
    desk: _Desk | None,
    payments: _Payments | None,
    authorizations: _Authorizations | None,
    zones: _Zones | None,
    clock: Callable[[], float] = time.time,
) -> Upkeep:
    """The node's upkeep over the services it has (a node without billing expires no
    orders). Each service keeps its own clock; ``now`` times the expiring-soon window and
    the reminders' delay."""
    tasks: list[tuple[str, UpkeepTask]] = []
    if desk is not None:
        tasks.append(("revoke_superseded", lambda now: desk.revoke_superseded()))
    if payments is not None:
        tasks.append(("expire_orders", lambda now: len(payments.expire_due())))
    if authorizations is not None:
        tasks.append(
            ("finish_authorization_revocations", lambda now: authorizations.finish_revocations())
        )
    if zones is not None:
        tasks.append(("settle_zone_statements", lambda now: zones.settle_pending()))
    tasks.append(("notify_expiring", lambda now: notify_expiring(engine, now)))
    tasks.append(("remind_reissue_downloads", lambda now: remind_reissues(engine, now)))
    return Upkeep(tasks, clock=clock)
