"""The contracts' events as typed values, and a stream of them over a block range.

The node's indexer and the auditors' replay read the chain through this, so it must keep up
with batched issuance: a precomputed topic0 -> plan table, indexed parameters straight from
the topics, static data sliced word by word and only dynamic data (names, arrays, payloads)
through eth_abi, which costs more than the rest of a decode together.

Event classes mirror the Solidity events: same names, parameters in the same order under
their snake_case names, then ``meta`` saying where the log sits on chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, TypeVar

from eth_abi.abi import decode
from eth_utils.crypto import keccak

from huren.contracts.artifacts import load
from huren.registry.abi import canonical_signature as _signature
from huren.registry.abi import is_static, value_converter, word_converter
from huren.registry.backend import ChainBackend, RawLog
from huren.registry.errors_base import EventDecodeError, snake_case
from huren.registry.event_types import (
    EVENT_TYPES,
    AuthorizationGranted,
    AuthorizationRevoked,
    CaAccredited,
    CaSuspended,
    CertificateBound,
    CertificateRecorded,
    CertificateRevoked,
    CertificateUnbound,
    ChainEvent,
    EventMeta,
    MemberAdded,
    MemberRemoved,
    PlatformRegistered,
    PlatformRetired,
    ProposalCreated,
    ProposalExecuted,
    ProposalRejected,
    QuorumChanged,
    RoleAdminChanged,
    RoleGranted,
    RoleRevoked,
    VoteCast,
)
from huren.registry.types import Deployment

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "EVENT_TYPES",
    "AuthorizationGranted",
    "AuthorizationRevoked",
    "CaAccredited",
    "CaSuspended",
    "CertificateBound",
    "CertificateRecorded",
    "CertificateRevoked",
    "CertificateUnbound",
    "ChainEvent",
    "EventMeta",
    "EventStream",
    "MemberAdded",
    "MemberRemoved",
    "PlatformRegistered",
    "PlatformRetired",
    "ProposalCreated",
    "ProposalExecuted",
    "ProposalRejected",
    "QuorumChanged",
    "RoleAdminChanged",
    "RoleGranted",
    "RoleRevoked",
    "VoteCast",
    "decode_log",
    "decode_logs",
    "topic0_of",
]

DEFAULT_CHUNK_SIZE = 2_000  # blocks per get_logs request
Converter = Callable[[Any], Any]
E = TypeVar("E", bound=ChainEvent)


@dataclass(frozen=True, slots=True)
class _Plan:
    cls: type[ChainEvent]
    n_topics: int
    static: bool
    data_types: tuple[str, ...]
    picks: tuple[tuple[int, Converter], ...]  # (index into topics[1:] + data values, convert)


def _plan(item: dict[str, Any], cls: type[ChainEvent]) -> _Plan:
    notes = {f.name: str(f.type) for f in fields(cls) if f.name != "meta"}
    names = [snake_case(p["name"]) for p in item["inputs"]]
    if names != list(notes):
        raise RuntimeError(f"{cls.__name__} fields {list(notes)} differ from the ABI's {names}")
    indexed = [p for p in item["inputs"] if p["indexed"]]
    data = [p for p in item["inputs"] if not p["indexed"]]
    static = all(is_static(p["type"]) for p in data)
    picks: list[tuple[int, Converter]] = []
    for p in item["inputs"]:
        note = notes[snake_case(p["name"])]
        if p["indexed"]:
            if not is_static(p["type"]):
                raise RuntimeError(f"{cls.__name__}: indexed dynamic {p['name']} unsupported")
            picks.append((indexed.index(p), word_converter(p["type"], note)))
        else:
            make = word_converter if static else value_converter
            picks.append((len(indexed) + data.index(p), make(p["type"], note)))
    return _Plan(cls, 1 + len(indexed), static, tuple(p["type"] for p in data), tuple(picks))


@cache
def _plans() -> dict[bytes, _Plan]:
    by_name = {cls.__name__: cls for cls in EVENT_TYPES}
    plans: dict[bytes, _Plan] = {}
    for contract in ("Consortium", "CertificateRegistry"):
        for item in load(contract).abi:
            if item["type"] == "event":
                cls = by_name.get(item["name"])
                if cls is None:
                    raise RuntimeError(f"no event class for {contract}.{item['name']}")
                plans[_topic(_signature(item))] = _plan(item, cls)
    missing = set(by_name) - {p.cls.__name__ for p in plans.values()}
    if missing:
        raise RuntimeError(f"event classes without an ABI event: {sorted(missing)}")
    return plans


def _topic(signature: str) -> bytes:
    return keccak(text=signature)


def topic0_of(cls: type[ChainEvent]) -> bytes:
    """The topic0 (event signature hash) of an event class."""
    for topic, plan in _plans().items():
        if plan.cls is cls:
            return topic
    raise KeyError(f"{cls.__name__} is not an event of the contracts")


def decode_log(log: RawLog) -> ChainEvent:
    """The typed event of one raw log of the deployment's contracts."""
    topics = log.topics
    plan = _plans().get(topics[0]) if topics else None
    if plan is None or len(topics) != plan.n_topics:
        raise EventDecodeError(f"log {log.log_index} of block {log.block_number} is no event")
    data = log.data
    try:
        if plan.static:
            if len(data) != 32 * len(plan.data_types):
                raise ValueError(f"{len(data)} data bytes")
            src: Sequence[Any] = (*topics[1:], *(data[i : i + 32] for i in range(0, len(data), 32)))
        else:
            src = (*topics[1:], *decode(plan.data_types, data))
        values = [convert(src[i]) for i, convert in plan.picks]
    except Exception as exc:
        raise EventDecodeError(
            f"{plan.cls.__name__} in block {log.block_number} does not decode: {exc}"
        ) from exc
    meta = EventMeta(
        log.block_number, log.block_hash, log.transaction_hash, log.log_index, log.address
    )
    return plan.cls(meta, *values)


def decode_logs(logs: Iterable[RawLog]) -> list[ChainEvent]:
    return [decode_log(log) for log in logs]


class EventStream:
    """Every event of one deployment, in chain order, fetched ``chunk_size`` blocks at a time
    so a replay of a long chain keeps memory bounded."""

    def __init__(
        self,
        backend: ChainBackend,
        deployment: Deployment,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self.backend = backend
        self.deployment = deployment
        self.chunk_size = chunk_size
        self._addresses = (deployment.consortium, deployment.registry)

    def events(
        self,
        from_block: int | None = None,
        to_block: int | None = None,
        *,
        chunk_size: int | None = None,
        types: Iterable[type[ChainEvent]] | None = None,
    ) -> Iterator[ChainEvent]:
        """Events in blocks ``from_block..to_block`` inclusive (default: from the deployment
        block to the head as of this call), optionally only those of the given ``types``."""
        start = self.deployment.block_number if from_block is None else from_block
        end = self.backend.block_number() if to_block is None else to_block
        step = chunk_size or self.chunk_size
        if step < 1:
            raise ValueError("chunk_size must be positive")
        topic0 = None if types is None else [topic0_of(cls) for cls in types]
        for lo in range(max(start, 0), end + 1, step):
            hi = min(lo + step - 1, end)
            logs = self.backend.get_logs(lo, hi, self._addresses, topic0)
            yield from map(decode_log, logs)

    def events_of(
        self,
        cls: type[E],
        from_block: int | None = None,
        to_block: int | None = None,
        *,
        chunk_size: int | None = None,
    ) -> Iterator[E]:
        """``events`` of one type, typed as such (the node indexes CertificateRecorded so)."""
        for event in self.events(from_block, to_block, chunk_size=chunk_size, types=[cls]):
            assert isinstance(event, cls)
            yield event
