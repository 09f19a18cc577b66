"""The chain backend interface: the one seam between huren and an EVM chain.

Two implementations pass the same conformance tests (tests/registry/test_backend_conformance.py):
- ``EmbeddedBackend`` (eth-tester + py-evm, persisted under a data directory), the default;
- ``JsonRpcBackend`` (any Ethereum JSON-RPC endpoint: anvil locally, Besu QBFT in production).

Everything above this seam (the typed client, the event stream, the node) speaks only these
types, so it never learns which chain it runs on. Transactions are always signed locally with
eth-account keys; the backend never holds keys of its own beyond a dev faucet.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from eth_account.signers.local import LocalAccount

BlockId = int | Literal["latest"]


@dataclass(frozen=True, slots=True)
class RawLog:
    """One log entry exactly as the chain holds it (not yet decoded)."""

    address: str  # checksummed contract address
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    transaction_index: int
    log_index: int  # position in the block, as eth_getLogs reports it


@dataclass(frozen=True, slots=True)
class Receipt:
    """A mined transaction. ``status`` is 1; a reverted transaction raises instead."""

    transaction_hash: bytes
    block_number: int
    block_hash: bytes
    gas_used: int
    status: int
    contract_address: str | None
    logs: tuple[RawLog, ...]


@dataclass(frozen=True, slots=True)
class BlockHeader:
    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int


@dataclass(frozen=True, slots=True)
class TxRequest:
    """A call to send: ``to=None`` deploys ``data`` as init code."""

    sender: LocalAccount
    to: str | None
    data: bytes
    gas: int | None = None  # None: estimate, then add a safety margin
    value: int = 0


class BackendError(Exception):
    """Root of every error a chain backend raises."""


class TransactionReverted(BackendError):
    """The EVM reverted. ``revert_data`` is the raw ABI-encoded error (may be empty)."""

    def __init__(self, revert_data: bytes, transaction_hash: bytes | None = None) -> None:
        super().__init__(f"execution reverted: 0x{revert_data.hex()}")
        self.revert_data = revert_data
        self.transaction_hash = transaction_hash


class ChainUnavailable(BackendError):
    """The chain cannot be reached or answered something that is not a chain answer."""


class ChainMismatch(BackendError):
    """The chain's id (or genesis) is not the one this backend was pinned to."""


class ChainBackend(ABC):
    """What huren needs from an EVM chain. Implementations must be thread-safe."""

    @property
    @abstractmethod
    def chain_id(self) -> int: ...

    @abstractmethod
    def block_number(self) -> int:
        """Number of the latest block."""

    @abstractmethod
    def block(self, number: int) -> BlockHeader:
        """The canonical block at ``number``; raises ``BackendError`` past the head."""

    @abstractmethod
    def send(self, request: TxRequest) -> Receipt:
        """Sign locally, send, wait for the receipt. Returns only once the transaction is
        mined (and, for the embedded chain, durable on disk). Raises ``TransactionReverted``
        when it reverts (also when gas estimation already shows the revert)."""

    def send_many(self, requests: Sequence[TxRequest]) -> list[Receipt]:
        """Send several transactions; implementations may pack them into fewer blocks.
        Stops at the first revert (raising it); earlier ones stay committed."""
        return [self.send(r) for r in requests]

    @abstractmethod
    def call(self, to: str, data: bytes, block: BlockId = "latest") -> bytes:
        """eth_call. Raises ``TransactionReverted`` with the revert data."""

    @abstractmethod
    def get_logs(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[str],
        topic0: Sequence[bytes] | None = None,
    ) -> list[RawLog]:
        """Logs of ``addresses`` in blocks ``from_block..to_block`` (inclusive), in chain order.
        ``topic0`` restricts to those event signatures."""

    @abstractmethod
    def balance(self, address: str) -> int: ...

    @abstractmethod
    def fund(self, address: str, wei: int) -> None:
        """Dev only: give ``address`` ether from the chain's faucet account."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files, sockets and processes."""
