"""One audit run: replay, read every source asked for, compare, report.

``run_replay_audit`` is what ``huren audit replay`` does, without the command line: the
caller hands in the chain, the sources and a ``ProgressSink`` (the CLI's draws rich bars).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from huren.node.audit.compare import Difference, compare
from huren.node.audit.records import Snapshot, expected
from huren.node.audit.replay import DEFAULT_REPLAY_CHUNK, replay
from huren.node.audit.report import AuditReport, statistics
from huren.node.audit.source_api import ApiTransport, read_api
from huren.node.audit.source_index import read_index
from huren.node.audit.source_views import read_views
from huren.registry.backend import ChainBackend
from huren.registry.client import RegistryClient
from huren.registry.types import Deployment

__all__ = ["ApiSource", "ProgressSink", "run_replay_audit"]


class ProgressSink(Protocol):
    """Where a run reports its stages: ``update(stage, done, total)`` as work goes on."""

    def update(self, stage: str, done: int, total: int) -> None: ...


class _Silent:
    def update(self, stage: str, done: int, total: int) -> None:
        pass


@dataclass(frozen=True)
class ApiSource:
    transport: ApiTransport
    platform: str | None = None  # where to ask for certificates; default the first active


def run_replay_audit(
    backend: ChainBackend,
    deployment: Deployment,
    *,
    views: bool = True,
    view_sample: int | None = None,
    indexes: Sequence[tuple[str, Engine]] = (),
    apis: Sequence[ApiSource] = (),
    to_block: int | None = None,
    chunk_size: int = DEFAULT_REPLAY_CHUNK,
    progress: ProgressSink | None = None,
    clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
) -> AuditReport:
    """Replay the deployment's events up to ``to_block`` (default the head) and compare the
    result with the contracts' views at that block (``views``), with each ``(name, engine)``
    index and each API. ``view_sample``: read only that many certificates (at random) by
    view."""
    sink = progress or _Silent()

    def stage(name: str) -> Callable[[int, int], None]:
        return lambda done, total: sink.update(name, done, total)

    started = time.perf_counter()
    state = replay(
        backend, deployment, to_block=to_block, chunk_size=chunk_size, progress=stage("replay")
    )
    replay_seconds = time.perf_counter() - started
    want = expected(state)
    sources: list[Snapshot] = []
    if views:
        client = RegistryClient(backend, deployment)
        sources.append(
            read_views(
                client, state, certificate_sample=view_sample, progress=stage("contract views")
            )
        )
    for name, engine in indexes:
        sink.update(f"index {name}", 0, 1)
        sources.append(read_index(engine, name, replayed_block=state.block_number))
        sink.update(f"index {name}", 1, 1)
    for api in apis:
        label = api.transport.name
        sources.append(read_api(api.transport, state, platform=api.platform, progress=stage(label)))
    differences: list[Difference] = []
    for snap in sources:
        differences.extend(compare(want, snap))
    stats = statistics(state, lambda n: backend.block(n).timestamp)
    return AuditReport.build(
        state=state,
        expected=want,
        sources=sources,
        differences=differences,
        stats=stats,
        replay_seconds=replay_seconds,
        now=clock(),
    )
