"""Replays started from the console: the node's own chain (through the backend it holds
open) replayed up to the block its index has reached, compared with that index and with the
contracts' views, in a background thread whose progress the console polls.

One run at a time per node (a second start while one runs is ``AuditAlreadyRunning``). The
run is recorded (status ``running``) before its thread starts; its report's JSON is stored
when it ends, or the error when it fails, so the list of past runs survives a restart. A run
that a stopped process left ``running`` is marked failed by ``recover``.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from huren.node.audit.run import run_replay_audit
from huren.node.db.console_roles_tables import ConsoleAuditRun
from huren.node.db.engine import write_session
from huren.registry.backend import ChainBackend
from huren.registry.types import Deployment

__all__ = [
    "AuditAlreadyRunning",
    "AuditRunError",
    "AuditRunner",
    "NoSuchRun",
    "Progress",
    "RunSummary",
]

INDEX_SOURCE = "node index"
VIEW_SAMPLE = 500  # certificates read back by view per run (the rest by replay and index)


class AuditRunError(Exception):
    """Root of the console replay runs' errors."""


class AuditAlreadyRunning(AuditRunError):
    def __init__(self, run_id: int) -> None:
        super().__init__(f"replay run {run_id} is still running")
        self.run_id = run_id


class NoSuchRun(AuditRunError):
    pass


@dataclass
class Progress:
    """The stages a run went through: stage -> (done, total), in order."""

    stages: dict[str, tuple[int, int]] = field(default_factory=dict)

    def update(self, stage: str, done: int, total: int) -> None:
        self.stages[stage] = (done, total)


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    started_by: str
    started_at: int
    finished_at: int | None
    status: str  # running, done, failed
    to_block: int | None
    clean: bool | None
    differences: int | None
    error: str | None

    @classmethod
    def of(cls, row: ConsoleAuditRun) -> RunSummary:
        assert row.id is not None
        return cls(
            row.id,
            row.started_by,
            row.started_at,
            row.finished_at,
            row.status,
            row.to_block,
            row.clean,
            row.differences,
            row.error,
        )


class AuditRunner:
    def __init__(
        self,
        engine: Engine,
        backend: ChainBackend,
        deployment: Deployment,
        *,
        clock: Callable[[], float] = time.time,
        view_sample: int | None = VIEW_SAMPLE,
    ) -> None:
        self.engine = engine
        self.backend = backend
        self.deployment = deployment
        self.clock = clock
        self.view_sample = view_sample
        self._lock = threading.Lock()
        self._running: tuple[int, Progress, threading.Thread] | None = None

    def recover(self) -> int:
        """Mark runs left ``running`` by a stopped process failed; how many."""
        with write_session(self.engine) as session:
            rows = session.exec(
                select(ConsoleAuditRun).where(col(ConsoleAuditRun.status) == "running")
            ).all()
            for row in rows:
                row.status, row.error = "failed", "the node stopped during the run"
                session.add(row)
            return len(rows)

    def start(self, started_by: str, to_block: int | None) -> int:
        """Record a run and start its thread: replay to ``to_block`` (the index's
        checkpoint; None: nothing is indexed, the chain head)."""
        with self._lock:
            if self._running is not None and self._running[2].is_alive():
                raise AuditAlreadyRunning(self._running[0])
            with write_session(self.engine) as session:
                row = ConsoleAuditRun(
                    started_by=started_by[:64],
                    started_at=int(self.clock()),
                    status="running",
                    to_block=to_block,
                )
                session.add(row)
                session.flush()
                assert row.id is not None
                run_id = row.id
            progress = Progress()
            thread = threading.Thread(
                target=self._run,
                args=(run_id, to_block, progress),
                name=f"huren-console-audit-{run_id}",
                daemon=True,
            )
            self._running = (run_id, progress, thread)
            thread.start()
            return run_id

    def _run(self, run_id: int, to_block: int | None, progress: Progress) -> None:
        try:
            report = run_replay_audit(
                self.backend,
                self.deployment,
                views=True,
                view_sample=self.view_sample,
                indexes=[(INDEX_SOURCE, self.engine)],
                to_block=to_block,
                progress=progress,
                clock=lambda: datetime.datetime.fromtimestamp(self.clock(), datetime.UTC),
            )
            body = json.dumps(report.to_json(), ensure_ascii=False)
            self._finish(run_id, "done", None, body, report.clean, len(report.differences))
        except Exception as exc:  # the run's page shows it; the node goes on
            self._finish(run_id, "failed", f"{type(exc).__name__}: {exc}"[:2000], None, None, None)

    def _finish(
        self,
        run_id: int,
        status: str,
        error: str | None,
        body: str | None,
        clean: bool | None,
        differences: int | None,
    ) -> None:
        with write_session(self.engine) as session:
            row = session.get(ConsoleAuditRun, run_id)
            assert row is not None
            row.status, row.error, row.report_json = status, error, body
            row.clean, row.differences = clean, differences
            row.finished_at = int(self.clock())
            session.add(row)

    def progress(self, run_id: int) -> dict[str, tuple[int, int]] | None:
        """The stages of the run this process is running (or ran last); None otherwise."""
        running = self._running
        if running is None or running[0] != run_id:
            return None
        return dict(running[1].stages)

    def wait(self, run_id: int, timeout: float) -> bool:
        """For tests and shutdown: until the run's thread ends (bounded); whether it did."""
        running = self._running
        if running is None or running[0] != run_id:
            return True
        running[2].join(timeout)
        return not running[2].is_alive()

    def runs(self, limit: int = 50) -> list[RunSummary]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(ConsoleAuditRun).order_by(col(ConsoleAuditRun.id).desc()).limit(limit)
            ).all()
            return [RunSummary.of(r) for r in rows]

    def run(self, run_id: int) -> tuple[RunSummary, dict[str, Any] | None]:
        """A run and its report's JSON (None until done)."""
        with Session(self.engine) as session:
            row = session.get(ConsoleAuditRun, run_id)
            if row is None:
                raise NoSuchRun(f"no replay run {run_id}")
            report = None if row.report_json is None else json.loads(row.report_json)
            return RunSummary.of(row), report
