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
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

from eth_account.signers.local import LocalAccount
from fastapi import Depends, FastAPI, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from huren.api.problems import ApiProblem
from huren.node import platform_keys
from huren.node.db.engine import session_factory
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

LAG_CACHE_S = 0.5  # the head is asked at most twice a second, however busy the API is


class ApiSettings(Protocol):
    @property
    def admin_api_key(self) -> SecretStr | None: ...


class IndexLag(Protocol):
    """The part of ``huren.node.indexer.Indexer`` the API uses."""

    confirmations: int
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
    (recognition still answers from the index then, saying it cannot tell the lag)."""

    def __init__(self, indexer: IndexLag) -> None:
        self._indexer = indexer
        self._lock = threading.Lock()
        self._value: int | None = None
        self._at = float("-inf")

    def __call__(self) -> int | None:
        with self._lock:
            now = time.monotonic()
            if now - self._at >= LAG_CACHE_S:
                try:
                    self._value = self._indexer.lag()
                except BackendError:
                    self._value = None
                self._at = now
            return self._value


def get_node(request: Request) -> NodeServices:
    node: NodeServices = request.app.state.node
    return node


NodeDep = Annotated[NodeServices, Depends(get_node)]


def get_session(request: Request) -> Iterator[Session]:
    """A read session: its queries share one transaction, hence one snapshot."""
    factory = request.app.state.sessions
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_lag(request: Request) -> int | None:
    probe: LagProbe = request.app.state.lag_probe
    return probe()


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


def _admin_matches(key: str, admin: SecretStr | None) -> bool:
    if admin is None or not admin.get_secret_value():
        return False
    expected = hashlib.sha256(admin.get_secret_value().encode()).digest()
    return hmac.compare_digest(hashlib.sha256(key.encode()).digest(), expected)


def get_caller(
    request: Request,
    node: NodeDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key)],
) -> Caller:
    key = bearer.credentials if bearer is not None else header_key
    if not key:
        raise _UNAUTHENTICATED
    if _admin_matches(key, node.settings.admin_api_key):
        return Caller("admin")
    factory = request.app.state.sessions
    try:
        with factory() as session:
            info = platform_keys.authenticate(session, key)
    except platform_keys.PlatformKeyError as exc:
        raise ApiProblem(exc.status, exc.code, str(exc), {"WWW-Authenticate": "Bearer"}) from None
    return Caller("platform", info.platform_id, info.key_id)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_admin(caller: CallerDep) -> Caller:
    if not caller.is_admin:
        raise ApiProblem(403, "ADMIN_ONLY", "this needs the node-admin key")
    return caller


AdminDep = Annotated[Caller, Depends(require_admin)]


def install_state(app: FastAPI, node: NodeServices) -> None:
    """Put the node, its session factory and the lag probe on ``app.state``."""
    app.state.node = node
    engine = node.engine
    if engine.dialect.name == "postgresql":
        # One snapshot per request: READ COMMITTED would give each query its own, so a batch
        # could mix index states. (SQLite reads in one snapshot per transaction anyway.)
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    app.state.sessions = session_factory(engine)
    app.state.lag_probe = LagProbe(node.indexer)
