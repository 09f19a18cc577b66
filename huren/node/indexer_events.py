"""The raw events table (``chain_events``): writing a log as a row, reading rows back as
typed events, and undoing every indexed block after a given one.

Undoing rebuilds instead of keeping undo records: each stored event names the entity whose
rows it set (see ``indexer_projection``); entities are independent, so deleting the rows of
the entities that the undone events touched and re-applying the events that remain for them,
in chain order, yields exactly the state as of the remaining blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, select

from huren.node.db.models import ChainEvent as ChainEventRow
from huren.node.indexer_projection import (
    T_AUTHORIZATIONS,
    T_BINDINGS,
    T_CA_KEYS,
    T_CA_OPERATORS,
    T_CAS,
    T_CERTIFICATES,
    T_MEMBERS,
    T_PLATFORMS,
    T_PROPOSALS,
    T_QUORUM,
    T_VOTES,
    Projector,
    table,
)
from huren.registry.backend import RawLog
from huren.registry.event_types import ChainEvent
from huren.registry.events import decode_log

__all__ = ["ENTITY_CHUNK", "T_EVENTS", "clear_entities", "raw_row", "stored_events", "undo_after"]

T_EVENTS = table(ChainEventRow)
ENTITY_CHUNK = 500  # entities per query when rebuilding


def raw_row(entry: RawLog, event: ChainEvent, entity: str | None) -> dict[str, object]:
    """The ``chain_events`` row of a log (``event`` decoded from it, ``entity`` it set)."""
    return {
        "block_number": entry.block_number,
        "log_index": entry.log_index,
        "block_hash": entry.block_hash,
        "transaction_hash": entry.transaction_hash,
        "transaction_index": entry.transaction_index,
        "address": entry.address,
        "event": type(event).__name__,
        "topics": b"".join(entry.topics),
        "data": entry.data,
        "entity": entity,
    }


def stored_events(conn: Connection, entities: Sequence[str]) -> list[ChainEvent]:
    """The stored events of ``entities``, decoded, in chain order."""
    rows = conn.execute(
        select(
            T_EVENTS.c.address,
            T_EVENTS.c.topics,
            T_EVENTS.c.data,
            T_EVENTS.c.block_number,
            T_EVENTS.c.block_hash,
            T_EVENTS.c.transaction_hash,
            T_EVENTS.c.transaction_index,
            T_EVENTS.c.log_index,
        )
        .where(T_EVENTS.c.entity.in_(entities))
        .order_by(T_EVENTS.c.block_number, T_EVENTS.c.log_index)
    ).all()
    events = []
    for address, topics, data, block, block_hash, tx_hash, tx_index, log_index in rows:
        raw = bytes(topics)
        entry = RawLog(
            address=address,
            topics=tuple(raw[i : i + 32] for i in range(0, len(raw), 32)),
            data=bytes(data),
            block_number=int(block),
            block_hash=bytes(block_hash),
            transaction_hash=bytes(tx_hash),
            transaction_index=int(tx_index),
            log_index=int(log_index),
        )
        events.append(decode_log(entry))
    return events


def undo_after(conn: Connection, number: int) -> int:
    """Delete the raw events after block ``number`` and rebuild the rows they had set;
    the number of entities rebuilt."""
    entities = sorted(
        str(e)
        for (e,) in conn.execute(
            select(T_EVENTS.c.entity)
            .where(T_EVENTS.c.block_number > number, T_EVENTS.c.entity.is_not(None))
            .distinct()
        )
    )
    conn.execute(delete(T_EVENTS).where(T_EVENTS.c.block_number > number))
    clear_entities(conn, entities)
    projector = Projector(conn)  # made after clearing: it loads the CA roles that remain
    for i in range(0, len(entities), ENTITY_CHUNK):
        for event in stored_events(conn, entities[i : i + ENTITY_CHUNK]):
            projector.apply(event)
    projector.flush()
    return len(entities)


def clear_entities(conn: Connection, entities: Iterable[str]) -> None:
    """Delete every row of ``entities``, children (votes, operators, keys) first."""
    groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for entity in entities:
        kind, _, key = entity.partition(":")
        for t, where, params in _rows_of(kind, key):
            groups.setdefault((t, tuple(where)), []).append(params)
    for (t, keys), params_list in groups.items():
        stmt = delete(t).where(*[t.c[name] == bindparam(f"k_{name}") for name in keys])
        conn.execute(stmt, params_list)


def _rows_of(kind: str, key: str) -> list[tuple[Table, list[str], dict[str, Any]]]:
    """The (table, key columns, parameters) of the rows an entity owns."""
    if kind == "member":
        return [(T_MEMBERS, ["account"], {"k_account": key})]
    if kind == "ca":
        ca = {"k_ca_id": key}
        return [(T_CA_OPERATORS, ["ca_id"], ca), (T_CA_KEYS, ["ca_id"], ca), (T_CAS, ["ca_id"], ca)]
    if kind == "platform":
        return [(T_PLATFORMS, ["platform_id"], {"k_platform_id": key})]
    if kind == "proposal":
        proposal: dict[str, Any] = {"k_proposal_id": int(key)}
        return [(T_VOTES, ["proposal_id"], proposal), (T_PROPOSALS, ["proposal_id"], proposal)]
    if kind == "quorum":
        return [(T_QUORUM, ["id"], {"k_id": 1})]
    if kind == "certificate":
        return [(T_CERTIFICATES, ["fingerprint"], {"k_fingerprint": bytes.fromhex(key)})]
    if kind in ("binding", "authorization"):
        fp_hex, _, platform_id = key.partition(":")  # hex has no colon; the id may have one
        if kind == "binding":
            where = ["fingerprint", "platform_id"]
            params = {"k_fingerprint": bytes.fromhex(fp_hex), "k_platform_id": platform_id}
            return [(T_BINDINGS, where, params)]
        where = ["staff_fingerprint", "platform_id"]
        params = {"k_staff_fingerprint": bytes.fromhex(fp_hex), "k_platform_id": platform_id}
        return [(T_AUTHORIZATIONS, where, params)]
    raise ValueError(f"unknown entity kind {kind!r}")
