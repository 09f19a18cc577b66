"""What routers depend on: the node's services, a read session, the caller, the index lag.

The app holds one object satisfying ``NodeServices`` (``huren.node.node.Node``); routers
reach it only through these ``Annotated`` dependencies, so tests can hand in their own.

Authentication. Every request except health and readiness names a caller with
``Authorization: Bearer <key>`` or ``X-API-Key: <key>``:
- a platform key (``hrk_...``, see ``huren.node.platform_keys``) acts for its one platform:
  it reads recognition answers for that platform and the consortium's public state;
- the node-admin key (setting ``admin_api_key``) is the center's operator: it may also ask
  for any platform, manage platform keys, and propose and vote through the node's account.
No key, or a wrong one, is a 401 problem before any data is read.

Costs. The dependencies that do no blocking work are ``async`` (FastAPI runs a sync one in
its thread pool, a hand-off of a few hundred microseconds under load): the caller is
usually found in the platform key cache (``huren.node.platform_keys.KeyCache``; the
database is read in the thread pool on a miss) and the lag is cached (``LagProbe``: a
thread asks the chain head again in the background before the value gets stale).
``read_in_loop`` says whether the app may run a short read of the database in the event
loop itself: SQLite reads of a few rows from the page cache take tens of microseconds, less
than a thread hand-off, and never wait for the writer (WAL); PostgreSQL reads wait on the
network, so they go to the thread pool.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

from eth_account.signers.local import LocalAccount
from fastapi import Depends, FastAPI, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import PoolProxiedConnection
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from huren.api.problems import ApiProblem
from huren.node import platform_keys
from huren.node.db.engine import session_factory
from huren.node.recognition import IndexCache, ReadTransaction, read_transaction
from huren.registry.backend import BackendError, ChainBackend
from huren.registry.client import RegistryClient

__all__ = [
    "AdminDep",
    "Caller",
    "CallerDep",
    "IndexLag",
    "LagDep",
    "NodeDep",
    "NodeServices",
    "SessionDep",
    "get_caller",
    "get_node",
]

log = logging.getLogger(__name__)

LAG_CACHE_S = 0.5  # a lag reported is at most this old ...
LAG_REFRESH_S = 0.4  # ... and refreshed once this old: the head is asked at most 2.5 times/s


class ApiSettings(Protocol):
    @property
    def admin_api_key(self) -> SecretStr | None: ...

    @property
    def recognition_answer_cache(self) -> int: ...


class IndexLag(Protocol):
    """The part of ``huren.node.indexer.Indexer`` the API uses."""

    confirmations: int

    def subscribe(self, listener: Callable[[tuple[int, bytes]], None]) -> None: ...

    last_error: BaseException | None

    def lag(self) -> int: ...

    def checkpoint(self) -> tuple[int, bytes] | None: ...


class NodeServices(Protocol):
    """What the API needs from the node (``huren.node.node.Node`` provides it)."""

    @property
    def settings(self) -> ApiSettings: ...

    @property
    def backend(self) -> ChainBackend: ...

    @property
    def client(self) -> RegistryClient: ...

    @property
    def operator(self) -> LocalAccount: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def indexer(self) -> IndexLag: ...

    def close(self) -> None: ...


class LagProbe:
    """The index lag, cached for ``LAG_CACHE_S``; None while the chain cannot be reached
    (recognition still answers from the index then, saying it cannot tell the lag).

    ``peek()`` never waits: once the value is ``LAG_REFRESH_S`` old, it has a thread ask
    again in the background (one at a time), so that a busy API finds it fresh every time;
    calling the probe asks at once when the value is ``LAG_CACHE_S`` old. (Without the
    background refresh, every request arriving at a stale value went to the thread pool at
    once, twice a second: that burst was most of the recognition's 99th percentile.)"""

    def __init__(self, indexer: IndexLag) -> None:
        self._indexer = indexer
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()  # held by the background refresh
        self._value: int | None = None
        self._at = float("-inf")

    def peek(self) -> tuple[bool, int | None]:
        """(fresh, value) without waiting: the cached value and whether it is younger than
        ``LAG_CACHE_S``."""
        at = self._at  # read before the value, which is set before the time
        age = time.monotonic() - at
        if LAG_REFRESH_S <= age < LAG_CACHE_S and self._refreshing.acquire(blocking=False):
            threading.Thread(target=self._refresh, name="huren-lag-probe", daemon=True).start()
        return age < LAG_CACHE_S, self._value

    def __call__(self) -> int | None:
        with self._lock:
            if time.monotonic() - self._at >= LAG_CACHE_S:
                self._ask()
            return self._value

    def _refresh(self) -> None:
        try:
            with self._lock:
                if time.monotonic() - self._at >= LAG_REFRESH_S:
                    self._ask()
        except Exception:  # the next call past LAG_CACHE_S asks again, and reports it
            log.debug("refreshing the index lag failed", exc_info=True)
        finally:
            self._refreshing.release()

    def _ask(self) -> None:
        now = time.monotonic()
        try:
            self._value = self._indexer.lag()
        except BackendError:
            self._value = None
        self._at = now


async def get_node(request: Request) -> NodeServices:
    node: NodeServices = request.app.state.node
    return node


NodeDep = Annotated[NodeServices, Depends(get_node)]


def get_session(request: Request) -> Iterator[Session]:
    """A read session: its queries share one transaction, hence one snapshot."""
    factory = request.app.state.sessions
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_lag(request: Request) -> int | None:
    probe: LagProbe = request.app.state.lag_probe
    fresh, value = probe.peek()
    if fresh:
        return value
    return await run_in_threadpool(probe)  # the chain head: a call to the chain


LagDep = Annotated[int | None, Depends(get_lag)]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks: a platform (through one of its keys) or the node's admin."""

    kind: Literal["platform", "admin"]
    platform_id: str | None = None  # the key's platform
    key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


_bearer = HTTPBearer(auto_error=False, description="a platform key or the node-admin key")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same keys")
_UNAUTHENTICATED = ApiProblem(
    401,
    "UNAUTHENTICATED",
    "send a key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
    headers={"WWW-Authenticate": "Bearer"},
)


def is_admin_key(key: str, admin: SecretStr | None) -> bool:
    """Whether ``key`` is the node-admin key ``admin`` (compared in constant time)."""
    if admin is None or not admin.get_secret_value():
        return False
    expected = hashlib.sha256(admin.get_secret_value().encode()).digest()
    return hmac.compare_digest(hashlib.sha256(key.encode()).digest(), expected)


async def get_caller(
    request: Request,
    node: NodeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key)],
) -> Caller:
    key = bearer.credentials if bearer is not None else header_key
    if not key:
        raise _UNAUTHENTICATED
    if is_admin_key(key, node.settings.admin_api_key):
        return Caller("admin")
    cache: platform_keys.KeyCache = request.app.state.key_cache
    info = cache.cached(key)
    if info is None:
        try:
            info = await run_in_threadpool(_authenticate, request.app.state.sessions, cache, key)
        except platform_keys.PlatformKeyError as exc:
            headers = {"WWW-Authenticate": "Bearer"}
            raise ApiProblem(exc.status, exc.code, str(exc), headers) from None
    return Caller("platform", info.platform_id, info.key_id)


def _authenticate(
    sessions: sessionmaker[Session], cache: platform_keys.KeyCache, key: str
) -> platform_keys.PlatformKeyInfo:
    with sessions() as session:
        return cache.authenticate(session, key)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def require_admin(caller: CallerDep) -> Caller:
    if not caller.is_admin:
        raise ApiProblem(403, "ADMIN_ONLY", "this needs the node-admin key")
    return caller


AdminDep = Annotated[Caller, Depends(require_admin)]


class LoopReads:
    """A SQLite connection kept for the reads the event loop runs itself (``read_in_loop``):
    a pool checkout and return cost a fifth of a recognition. ``transaction()`` is one read
    transaction on it (BEGIN, rolled back at the end). The loop runs such reads to the end
    without awaiting, so they never overlap; should another thread's loop come in meanwhile,
    it reads through the pool as usual. ``close()`` returns the connection to the pool."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._dbapi: PoolProxiedConnection | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[ReadTransaction]:
        if not self._lock.acquire(blocking=False):
            with read_transaction(self._engine) as db:
                yield db
            return
        try:
            if self._dbapi is None:
                self._dbapi = self._engine.raw_connection()
            raw = self._dbapi.driver_connection
            assert raw is not None
            try:
                raw.execute("BEGIN")  # as huren.node.db.engine emits it for a read
            except Exception:  # a broken connection: the next read takes a new one
                self._discard()
                raise
            try:
                yield ReadTransaction(self._engine.dialect, raw)
            finally:
                try:
                    raw.rollback()
                except Exception:
                    self._discard()
                    raise
        finally:
            self._lock.release()

    def _discard(self) -> None:
        dbapi, self._dbapi = self._dbapi, None
        if dbapi is not None:
            with contextlib.suppress(Exception):
                dbapi.invalidate()

    def close(self) -> None:
        with self._lock:
            dbapi, self._dbapi = self._dbapi, None
            if dbapi is not None:
                dbapi.close()


def install_state(app: FastAPI, node: NodeServices) -> None:
    """Put on ``app.state`` the node, the engine and session factory for reads, the lag
    probe, the caches (index rows, platform keys) and whether reads may run in the loop."""
    app.state.node = node
    engine = node.engine
    if engine.dialect.name == "postgresql":
        # One snapshot per request: READ COMMITTED would give each query its own, so a batch
        # could mix index states. (SQLite reads in one snapshot per transaction anyway.)
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    app.state.read_engine = engine
    app.state.sessions = session_factory(engine)
    app.state.lag_probe = LagProbe(node.indexer)
    app.state.index_cache = IndexCache(max_answers=node.settings.recognition_answer_cache)
    if node.indexer is not None:  # (an app over a node without a chain, in tests)
        node.indexer.subscribe(app.state.index_cache.publish)  # new blocks, without a read
    app.state.key_cache = platform_keys.KeyCache()
    app.state.read_in_loop = engine.dialect.name == "sqlite"
    app.state.loop_reads = LoopReads(engine)
