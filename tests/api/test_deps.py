"""The API's dependencies: the lag probe's cache and its refresh in the background."""

from __future__ import annotations

import threading
import time

import pytest

from huren.api import deps
from huren.registry.backend import ChainUnavailable


class SlowIndexer:
    """Counts the lag asked for; holds each answer until ``release`` is set."""

    confirmations = 0
    last_error = None

    def __init__(self) -> None:
        self.asked = 0
        self.lag_value: int | None = 3
        self.release = threading.Event()
        self.release.set()

    def lag(self) -> int:
        self.release.wait(5)
        self.asked += 1
        if self.lag_value is None:
            raise ChainUnavailable("down")
        return self.lag_value

    def checkpoint(self) -> tuple[int, bytes] | None:
        return None


def refreshes(thread: threading.Thread, probe: deps.LagProbe) -> bool:
    target = getattr(thread, "_target", None)  # the thread's function, while it runs
    return thread.name == "huren-lag-probe" and getattr(target, "__self__", None) is probe


def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_the_lag_is_asked_when_stale_and_cached_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    indexer = SlowIndexer()
    probe = deps.LagProbe(indexer)
    assert probe.peek() == (False, None)  # never asked: stale, and peeking does not ask
    assert indexer.asked == 0
    assert probe() == 3 and indexer.asked == 1
    assert probe.peek() == (True, 3) and probe() == 3 and indexer.asked == 1
    indexer.lag_value = None  # the chain is down: the lag is unknown, not an error
    monkeypatch.setattr(deps, "LAG_CACHE_S", 0.0)
    assert probe() is None and indexer.asked == 2


def test_a_busy_api_finds_the_lag_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past LAG_REFRESH_S, peeking starts one refresh in the background and answers at once
    with the value it has, fresh while younger than LAG_CACHE_S."""
    monkeypatch.setattr(deps, "LAG_REFRESH_S", 0.0)
    monkeypatch.setattr(deps, "LAG_CACHE_S", 60.0)
    indexer = SlowIndexer()
    probe = deps.LagProbe(indexer)
    assert probe() == 3
    indexer.lag_value, indexer.asked = 4, 0
    indexer.release.clear()  # the chain answers slowly
    for _ in range(20):
        assert probe.peek() == (True, 3)  # no waiting ...
    refreshing = [t for t in threading.enumerate() if refreshes(t, probe)]
    assert len(refreshing) == 1  # ... and one refresh at a time
    indexer.release.set()
    refreshing[0].join(5)
    assert indexer.asked == 1 and probe.peek()[1] == 4


def test_a_failing_refresh_leaves_the_value_to_the_next_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken(SlowIndexer):
        def lag(self) -> int:
            raise RuntimeError("database gone")

    monkeypatch.setattr(deps, "LAG_REFRESH_S", 0.0)
    probe = deps.LagProbe(Broken())
    probe._value, probe._at = 7, time.monotonic()
    assert probe.peek() == (True, 7)
    wait_for(lambda: not probe._refreshing.locked())
    assert probe.peek()[1] == 7
    monkeypatch.setattr(deps, "LAG_CACHE_S", 0.0)
    with pytest.raises(RuntimeError):
        probe()  # asked at once, and reported
