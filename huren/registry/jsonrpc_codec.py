"""Decoding JSON-RPC answers into the backend's types (kept apart from the transport)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from eth_utils.address import to_checksum_address

from huren.registry.backend import BlockId, RawLog, Receipt

__all__ = ["b", "block_tag", "checksum", "hexstr", "log_of", "receipt_of"]


@lru_cache(maxsize=4096)
def checksum(address: str) -> str:
    return to_checksum_address(address)


def b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def hexstr(data: bytes) -> str:
    return "0x" + data.hex()


def log_of(raw: dict[str, Any]) -> RawLog:
    return RawLog(
        address=checksum(raw["address"]),
        topics=tuple(b(t) for t in raw["topics"]),
        data=b(raw["data"]),
        block_number=int(raw["blockNumber"], 16),
        block_hash=b(raw["blockHash"]),
        transaction_hash=b(raw["transactionHash"]),
        transaction_index=int(raw["transactionIndex"], 16),
        log_index=int(raw["logIndex"], 16),
    )


def receipt_of(raw: dict[str, Any]) -> Receipt:
    created = raw.get("contractAddress")
    return Receipt(
        transaction_hash=b(raw["transactionHash"]),
        block_number=int(raw["blockNumber"], 16),
        block_hash=b(raw["blockHash"]),
        gas_used=int(raw["gasUsed"], 16),
        status=int(raw.get("status", "0x1"), 16),
        contract_address=checksum(created) if created else None,
        logs=tuple(log_of(entry) for entry in raw["logs"]),
    )


def block_tag(block: BlockId) -> str:
    return block if isinstance(block, str) else hex(block)
