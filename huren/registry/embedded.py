"""The embedded chain: py-evm in process, durable under a data directory.

Design (see ``embedded_journal`` for the file formats and ``embedded_evm`` for block building):

- Every ``send`` mines one block; ``send_many`` packs its transactions into as few blocks as
  the gas limit allows (usually one). Transactions are signed locally with the caller's
  eth-account key; nonces come from the pending block's state, so a transaction that reverts
  (and is therefore left out) never burns one.
- Before ``send``/``send_many`` returns, each new block is appended to ``journal.bin`` as
  (timestamp, senders and raw transactions, resulting block hash) and fdatasync'ed. Reopening
  rebuilds the fixed genesis and re-mines the journal; every re-mined block must reproduce
  its recorded hash (else ``JournalCorrupt``). A torn last record, never acknowledged, is cut.
- ``snapshot.bin`` caches py-evm's whole key-value store at a block (written on ``close`` and
  every ``snapshot_every`` blocks, atomically), so reopening loads it and re-mines only the
  journal records after it. The journal is never compacted: it stays the source of truth.
- Each block's logs are kept decoded in memory and, encoded, in py-evm's store under a key
  prefix of ours, so snapshots carry them and ``get_logs`` never walks receipt tries.
- ``LOCK`` is flock'ed while open, so two backends never write the same directory.
- If a journal write fails, the in-memory chain is ahead of the disk: the backend refuses
  all further use; reopening recovers the last durable state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth.abc import BlockAPI, BlockHeaderAPI
from eth.chains.base import Chain
from eth.exceptions import HeaderNotFound, TransactionNotFound
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import Address, Hash32
from eth_utils.address import to_canonical_address
from eth_utils.exceptions import ValidationError

from huren.registry import embedded_evm as evm
from huren.registry.backend import (
    BackendError,
    BlockHeader,
    BlockId,
    ChainBackend,
    RawLog,
    Receipt,
    TransactionReverted,
    TxRequest,
)
from huren.registry.embedded_journal import (
    JOURNAL_NAME,
    LOCK_NAME,
    SNAPSHOT_NAME,
    BlockRecord,
    DataDirLock,
    DataDirLocked,
    Journal,
    JournalCorrupt,
    read_snapshot,
)
from huren.registry.embedded_journal import write_snapshot as save_snapshot

__all__ = [
    "DEFAULT_BLOCK_GAS_LIMIT",
    "DEFAULT_CHAIN_ID",
    "DataDirLocked",
    "EmbeddedBackend",
    "JournalCorrupt",
    "OpenStats",
]

log = logging.getLogger(__name__)

DEFAULT_CHAIN_ID = 20240  # the embedded dev chain; distinct from anvil's 31337
DEFAULT_BLOCK_GAS_LIMIT = 300_000_000
DEFAULT_SNAPSHOT_EVERY = 500


@dataclass(frozen=True, slots=True)
class OpenStats:
    """How the chain was restored (for tests, logs and benchmarks)."""

    snapshot_block: int | None  # block the snapshot was taken at, None if none was used
    replayed_blocks: int  # journal records re-mined on top of it
    dropped_tail_bytes: int  # torn, unacknowledged journal tail cut off
    seconds: float


class EmbeddedBackend(ChainBackend):
    """An in-process Prague chain persisted under ``data_dir``; see the module docstring."""

    _chain: Chain
    _kv: dict[bytes, bytes]  # py-evm's whole store: what a snapshot saves
    open_stats: OpenStats

    def __init__(
        self,
        data_dir: Path,
        *,
        chain_id: int = DEFAULT_CHAIN_ID,
        block_gas_limit: int = DEFAULT_BLOCK_GAS_LIMIT,
        clock: Callable[[], float] = time.time,
        snapshot_every: int = DEFAULT_SNAPSHOT_EVERY,
    ) -> None:
        """``clock`` gives block timestamps (strictly increasing regardless of its value);
        ``snapshot_every`` blocks a snapshot is written (0: only on close)."""
        self._dir = Path(data_dir)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._chain_id = chain_id
        self._clock = clock
        self._snapshot_every = snapshot_every
        self._lock = threading.RLock()
        self._broken: str | None = None
        self._closed = False
        self.faucet: LocalAccount = Account.from_key(evm.FAUCET_PRIVATE_KEY)
        self._dir_lock = DataDirLock(self._dir / LOCK_NAME)
        try:
            self._open(block_gas_limit)
        except BaseException:
            self._dir_lock.release()
            raise

    # -- opening ------------------------------------------------------------------------------

    def _open(self, gas_limit: int) -> None:
        started = time.perf_counter()
        faucet = to_canonical_address(self.faucet.address)
        chain, kv = evm.new_genesis(self._chain_id, gas_limit, faucet)
        self._genesis_hash = chain.get_canonical_head().hash
        self._journal, records, dropped = Journal.open(
            self._dir / JOURNAL_NAME,
            chain_id=self._chain_id,
            gas_limit=gas_limit,
            genesis_hash=self._genesis_hash,
        )
        self._logs: dict[int, tuple[RawLog, ...]] = {0: ()}  # genesis has none
        try:
            start = self._restore_snapshot(records)
            if start == 0:
                self._chain, self._kv = chain, kv
            for record in records[start:]:
                self._replay(record)
        except BaseException:
            self._journal.close()
            raise
        self._snapshot_at = start
        self.open_stats = OpenStats(
            snapshot_block=start or None,
            replayed_blocks=len(records) - start,
            dropped_tail_bytes=dropped,
            seconds=time.perf_counter() - started,
        )

    def _restore_snapshot(self, records: list[BlockRecord]) -> int:
        """Adopt the snapshot if it matches the journal; the block it is at, or 0."""
        snapshot = read_snapshot(
            self._dir / SNAPSHOT_NAME, chain_id=self._chain_id, genesis_hash=self._genesis_hash
        )
        if snapshot is None or snapshot.number == 0:
            return 0
        if snapshot.number > len(records):
            raise JournalCorrupt(
                f"snapshot is at block {snapshot.number} but the journal ends at "
                f"{len(records)}: acknowledged blocks are missing from the journal"
            )
        try:
            chain = evm.chain_from_store(self._chain_id, snapshot.kv)
            head_hash = chain.get_canonical_head().hash
        except Exception as exc:  # a checksummed but unreadable store: still only a cache
            log.warning("snapshot unreadable (%s); replaying the whole journal", exc)
            return 0
        if not head_hash == snapshot.block_hash == records[snapshot.number - 1].block_hash:
            log.warning("snapshot disagrees with the journal; replaying the whole journal")
            return 0
        self._chain, self._kv = chain, snapshot.kv
        return snapshot.number

    def _replay(self, record: BlockRecord) -> None:
        pending = evm.PendingBlock(self._chain, record.timestamp)
        for sender, raw in record.txs:
            tx = evm.decode_signed(raw, sender)
            try:
                failed = pending.apply(tx, sender).is_error
            except ValidationError as exc:
                raise JournalCorrupt(f"block {record.number}: journaled tx invalid: {exc}") from exc
            if failed:
                raise JournalCorrupt(f"block {record.number}: journaled tx 0x{tx.hash.hex()} fails")
        block = pending.seal()
        if block.hash != record.block_hash:
            raise JournalCorrupt(
                f"block {record.number} re-mined to 0x{block.hash.hex()}, journal says "
                f"0x{record.block_hash.hex()}"
            )
        self._remember(block, pending)

    # -- writing ------------------------------------------------------------------------------

    def send(self, request: TxRequest) -> Receipt:
        return self.send_many([request])[0]

    def send_many(self, requests: Sequence[TxRequest]) -> list[Receipt]:
        """Pack the requests into as few blocks as fit; stop at the first failure, keeping
        (and journaling) the transactions before it."""
        with self._lock:
            self._check_usable()
            receipts: list[Receipt] = []
            pending: evm.PendingBlock | None = None
            try:
                for request in requests:
                    while True:
                        if pending is None:
                            pending = self._new_pending()
                        if pending.add(request):
                            break
                        if not pending.transactions:
                            raise BackendError("transaction needs more gas than a block holds")
                        receipts += self._commit(pending)
                        pending = None
            finally:
                if pending is not None and pending.transactions:
                    receipts += self._commit(pending)
                self._sync()
            return receipts

    def _new_pending(self) -> evm.PendingBlock:
        parent = self._chain.get_canonical_head()
        timestamp = max(int(self._clock()), parent.timestamp + 1)
        return evm.PendingBlock(self._chain, timestamp)

    def _commit(self, pending: evm.PendingBlock) -> list[Receipt]:
        """Seal the block and append it to the journal (made durable by ``_sync``)."""
        block = pending.seal()
        record = BlockRecord(
            number=block.number,
            timestamp=block.header.timestamp,
            block_hash=block.hash,
            txs=tuple(
                (sender, tx.encode())
                for sender, tx in zip(pending.senders, pending.transactions, strict=True)
            ),
        )
        try:
            self._journal.append(record)
        except OSError as exc:
            self._broken = f"journal write failed: {exc}"
            raise BackendError(self._broken) from exc
        return self._remember(block, pending)

    def _remember(self, block: BlockAPI, pending: evm.PendingBlock) -> list[Receipt]:
        receipts = evm.block_receipts(block, pending.receipts, pending.senders)
        logs = self._logs[block.number] = tuple(log for r in receipts for log in r.logs)
        self._kv[evm.log_index_key(block.number)] = evm.encode_block_logs(block.hash, logs)
        return receipts

    def _sync(self) -> None:
        try:
            self._journal.sync()
        except OSError as exc:
            self._broken = f"journal sync failed: {exc}"
            raise BackendError(self._broken) from exc
        head = self._chain.get_canonical_head().block_number
        if self._snapshot_every and head - self._snapshot_at >= self._snapshot_every:
            self._write_snapshot()

    def _write_snapshot(self) -> None:
        head = self._chain.get_canonical_head()
        try:
            size = save_snapshot(
                self._dir / SNAPSHOT_NAME,
                chain_id=self._chain_id,
                genesis_hash=self._genesis_hash,
                number=head.block_number,
                block_hash=head.hash,
                kv=self._kv,
            )
        except OSError as exc:  # a cache only: the journal still has everything
            log.warning("could not write snapshot: %s", exc)
            return
        self._snapshot_at = head.block_number
        log.debug("snapshot at block %d: %d bytes", head.block_number, size)

    def fund(self, address: str, wei: int) -> None:
        self.send(TxRequest(sender=self.faucet, to=address, data=b"", value=wei))

    # -- reading ------------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self._chain_id

    def block_number(self) -> int:
        with self._lock:
            self._check_usable()
            return int(self._chain.get_canonical_head().block_number)

    def block(self, number: int) -> BlockHeader:
        with self._lock:
            header = self._header(number)
            return BlockHeader(
                number=header.block_number,
                hash=header.hash,
                parent_hash=header.parent_hash,
                timestamp=header.timestamp,
            )

    def _header(self, block: BlockId) -> BlockHeaderAPI:
        self._check_usable()
        if block == "latest":
            return self._chain.get_canonical_head()
        if block < 0:
            raise BackendError(f"no block {block}")
        try:
            return self._chain.get_canonical_block_header_by_number(block)  # type: ignore[arg-type]
        except HeaderNotFound:
            raise BackendError(f"no block {block}: the head is {self.block_number()}") from None

    def call(self, to: str, data: bytes, block: BlockId = "latest") -> bytes:
        with self._lock:
            header = self._header(block)
            result = evm.execute_call(self._chain, header, to_canonical_address(to), data)
            if result.is_error:
                raise TransactionReverted(evm.revert_data(result))
            return bytes(result.output)

    def get_logs(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[str],
        topic0: Sequence[bytes] | None = None,
    ) -> list[RawLog]:
        """No addresses, no logs (as the interface reads); ``to_block`` may pass the head."""
        wanted = {evm.checksum(to_canonical_address(a)) for a in addresses}
        if not wanted:
            return []
        topics = set(topic0) if topic0 is not None else None
        out: list[RawLog] = []
        with self._lock:
            self._check_usable()
            last = min(to_block, self._chain.get_canonical_head().block_number)
            for number in range(max(from_block, 0), last + 1):
                for entry in self._block_logs(number):
                    if entry.address not in wanted:
                        continue
                    if topics is not None and (not entry.topics or entry.topics[0] not in topics):
                        continue
                    out.append(entry)
        return out

    def _block_logs(self, number: int) -> tuple[RawLog, ...]:
        cached = self._logs.get(number)
        if cached is None:  # a block restored from a snapshot: decode its logs once
            cached = self._logs[number] = evm.decode_block_logs(
                number, self._kv[evm.log_index_key(number)]
            )
        return cached

    def _receipts_of(self, number: int) -> list[Receipt]:
        block = self._chain.get_canonical_block_by_number(number)  # type: ignore[arg-type]
        return evm.block_receipts(block, block.get_receipts(self._chain.chaindb), None)

    def receipt(self, transaction_hash: bytes) -> Receipt | None:
        """The receipt of a mined transaction, or None (not part of ``ChainBackend``)."""
        with self._lock:
            self._check_usable()
            try:
                number, index = self._chain.chaindb.get_transaction_index(Hash32(transaction_hash))
            except TransactionNotFound:
                return None
            return self._receipts_of(number)[index]

    def balance(self, address: str) -> int:
        with self._lock:
            state = self._chain.get_vm(self._header("latest")).state
            return int(state.get_balance(Address(to_canonical_address(address))))

    # -- lifecycle ----------------------------------------------------------------------------

    def _check_usable(self) -> None:
        if self._closed:
            raise BackendError("embedded chain is closed")
        if self._broken is not None:
            raise BackendError(f"embedded chain unusable ({self._broken}); reopen it")

    def write_snapshot(self) -> None:
        """Snapshot now (normally done on close and every ``snapshot_every`` blocks)."""
        with self._lock:
            self._check_usable()
            self._write_snapshot()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._broken is None:
                    head = self._chain.get_canonical_head().block_number
                    if head != self._snapshot_at:
                        self._write_snapshot()
                self._journal.close()
            finally:
                self._dir_lock.release()

    def __enter__(self) -> EmbeddedBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
