"""Replay runs started from the console (``huren.node.console_audit``): a run replays the
chain through the backend the node holds open, compares with the node's index, and stores
its report; one run at a time; a failure is recorded; a run left behind is marked failed."""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest
from sqlmodel import Session

from huren.node.console_audit import AuditAlreadyRunning, AuditRunner, NoSuchRun
from huren.node.db.console_roles_tables import ConsoleAuditRun
from huren.node.db.engine import write_session
from huren.node.indexer import Indexer
from huren.registry.backend import BackendError, ChainBackend
from tests.node.audit.conftest import AuditedChain

WAIT_S = 60.0
T = 1_800_000_000


class GatedBackend:
    """The real backend, whose chain head and block headers wait for ``gate`` (a run that
    is still going: every run reads the replayed block's header)."""

    def __init__(self, inner: ChainBackend, *, fail: bool = False) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.fail = fail

    def block_number(self) -> int:
        self.gate.wait(WAIT_S)
        if self.fail:
            raise BackendError("the chain went away")
        return self.inner.block_number()

    def block(self, number: int) -> Any:
        self.gate.wait(WAIT_S)
        if self.fail:
            raise BackendError("the chain went away")
        return self.inner.block(number)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def runner_of(chain: AuditedChain, backend: object | None = None) -> AuditRunner:
    use = chain.backend if backend is None else cast(ChainBackend, backend)
    return AuditRunner(chain.engine, use, chain.deployment, clock=lambda: T, view_sample=None)


def test_a_run_replays_the_open_chain_and_stores_a_clean_report(audited: AuditedChain) -> None:
    runner = runner_of(audited)
    checkpoint = Indexer(audited.engine, audited.backend, audited.deployment).checkpoint()
    assert checkpoint is not None
    run_id = runner.start("13800138001", checkpoint[0])
    assert runner.wait(run_id, WAIT_S)
    summary, report = runner.run(run_id)
    assert (summary.status, summary.clean, summary.differences) == ("done", True, 0)
    assert (summary.started_at, summary.finished_at, summary.to_block) == (T, T, checkpoint[0])
    assert report is not None and report["clean"] is True
    assert report["chain"]["replayed_block"] == checkpoint[0]
    assert [s["source"] for s in report["sources"]][-1] == "node index"
    assert report["statistics"]["by_status"]["revoked"] >= 1
    stages = runner.progress(run_id)
    assert stages is not None and stages["replay"][0] == stages["replay"][1] > 0
    assert [r.id for r in runner.runs()] == [run_id]
    # the backend stays open for the node: it still answers
    assert audited.backend.block_number() >= checkpoint[0]


def test_a_corrupted_index_gives_a_report_with_differences(audited: AuditedChain) -> None:
    with write_session(audited.engine) as session:
        session.connection().exec_driver_sql("UPDATE cas SET name = 'forged' WHERE ca_id = 'zjca'")
    runner = runner_of(audited)
    run_id = runner.start("auditor", None)
    assert runner.wait(run_id, WAIT_S)
    summary, report = runner.run(run_id)
    assert summary.status == "done" and summary.clean is False
    assert report is not None
    assert any(d["key"] == "zjca" and d["field"] == "name" for d in report["differences"])


def test_one_run_at_a_time(audited: AuditedChain) -> None:
    gated = GatedBackend(audited.backend)
    runner = runner_of(audited, gated)
    first = runner.start("a", None)
    with pytest.raises(AuditAlreadyRunning) as refused:
        runner.start("b", None)
    assert refused.value.run_id == first
    assert runner.run(first)[0].status == "running"
    gated.gate.set()
    assert runner.wait(first, WAIT_S)
    second = runner.start("b", None)
    assert runner.wait(second, WAIT_S)
    assert [r.status for r in runner.runs()] == ["done", "done"]


def test_a_failing_run_is_recorded_with_its_error(audited: AuditedChain) -> None:
    gated = GatedBackend(audited.backend, fail=True)
    gated.gate.set()
    runner = runner_of(audited, gated)
    run_id = runner.start("auditor", None)
    assert runner.wait(run_id, WAIT_S)
    summary, report = runner.run(run_id)
    assert summary.status == "failed" and report is None
    assert summary.error == "BackendError: the chain went away"


def test_a_run_left_running_is_marked_failed_and_unknown_runs_are_refused(
    audited: AuditedChain,
) -> None:
    with write_session(audited.engine) as session:
        session.add(ConsoleAuditRun(started_by="x", started_at=T, status="running"))
    runner = runner_of(audited)
    assert runner.recover() == 1
    with Session(audited.engine) as session:
        row = session.get(ConsoleAuditRun, 1)
        assert row is not None and row.status == "failed"
    with pytest.raises(NoSuchRun):
        runner.run(99)
    assert runner.progress(99) is None
