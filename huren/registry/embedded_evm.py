"""py-evm glue for the embedded chain: a deterministic genesis and a block builder.

We drive py-evm directly instead of going through eth-tester's ``PyEVMBackend`` because the
journal replay must re-mine every block bit for bit: eth-tester draws a random ``mix_hash``
per block, takes the genesis timestamp from the wall clock, and keeps a reverted transaction
in its pending block. Here a block is built by ``PendingBlock``, whose every transaction is
either wholly in (it succeeded) or wholly out (its state changes are reverted and it never
consumes a nonce), and the same code mines live blocks and replays journaled ones.

Chain rules: Prague (the contracts are compiled for ``evmVersion`` prague), EIP-1559 fees with
a genesis base fee of 0 that stays 0 while blocks use less than half their gas limit, so gas is
free as on a Besu free-gas consortium network; ``prevrandao`` is keccak(parent hash).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, cast

import rlp
from eth._utils.address import generate_contract_address
from eth.abc import (
    BlockAPI,
    BlockHeaderAPI,
    ComputationAPI,
    ReceiptAPI,
    SignedTransactionAPI,
    StateAPI,
)
from eth.chains.base import Chain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.exceptions import Revert
from eth.vm.base import VM
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth.vm.spoof import SpoofTransaction
from eth_bloom.bloom import BloomFilter
from eth_typing import Address
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError

from huren.registry.backend import BackendError, RawLog, Receipt, TransactionReverted, TxRequest

GENESIS_TIMESTAMP = 1_704_067_200  # 2024-01-01T00:00:00Z: fixed, so genesis is reproducible
# The faucet is eth-tester's first default account (private key 1): well known, dev only.
FAUCET_PRIVATE_KEY = (1).to_bytes(32, "big")
FAUCET_BALANCE = 10**36  # 10^18 ether: never runs dry in a dev chain
ZERO_ADDRESS = Address(b"\x00" * 20)
TX_BUILDER = PragueTransactionBuilder
# Our own keys in py-evm's store (its keys are 32-byte hashes or b"v1:..." schema keys): each
# block's logs, pre-decoded, so that snapshots carry them and get_logs never walks receipt
# tries (about 1 ms per block in pure Python).
LOG_INDEX_PREFIX = b"huren:logs:"


@lru_cache(maxsize=4096)
def checksum(address: bytes) -> str:
    """Checksummed form of a canonical address (cached: keccak per log is measurable)."""
    return to_checksum_address(address)


def chain_class(chain_id: int) -> type[Chain]:
    """A py-evm chain class pinned to Prague from genesis and to ``chain_id``."""
    attrs: dict[str, Any] = {"chain_id": chain_id, "vm_configuration": ((0, PragueVM),)}
    return type(f"HurenChain{chain_id}", (Chain,), attrs)


def new_genesis(chain_id: int, gas_limit: int, faucet: bytes) -> tuple[Chain, dict[bytes, bytes]]:
    """A fresh in-memory chain at its genesis block, and its key-value store."""
    memory = MemoryDB()
    db = AtomicDB(memory)
    params: dict[str, Any] = {
        "coinbase": ZERO_ADDRESS,
        "difficulty": 0,
        "extra_data": b"huren",
        "gas_limit": gas_limit,
        "mix_hash": b"\x00" * 32,
        "nonce": b"\x00" * 8,
        "timestamp": GENESIS_TIMESTAMP,
        "base_fee_per_gas": 0,
    }
    alloc = {faucet: {"balance": FAUCET_BALANCE, "nonce": 0, "code": b"", "storage": {}}}
    cls = chain_class(chain_id)
    cls.from_genesis(db, params, alloc)  # type: ignore[arg-type]
    return cls(db), memory.kv_store


def chain_from_store(chain_id: int, kv: dict[bytes, bytes]) -> Chain:
    """Reattach a chain to a key-value store loaded from a snapshot; its head is in the store."""
    return chain_class(chain_id)(AtomicDB(MemoryDB(kv)))


def is_revert(computation: ComputationAPI) -> bool:
    return isinstance(computation.error, Revert)


def revert_data(computation: ComputationAPI) -> bytes:
    """The REVERT payload (the ABI-encoded custom error); empty for other failures."""
    return bytes(computation.output) if is_revert(computation) else b""


def unsigned_call(
    chain_id: int,
    sender: bytes,
    nonce: int,
    to: bytes,
    value: int,
    data: bytes,
    gas: int,
    max_fee: int,
) -> SignedTransactionAPI:
    """An unsigned transaction posing as signed by ``sender``, for trial runs and eth_call."""
    tx = TX_BUILDER.new_unsigned_dynamic_fee_transaction(
        chain_id, nonce, 0, max_fee, gas, Address(to), value, data, ()
    )
    return cast(SignedTransactionAPI, SpoofTransaction(tx, from_=sender))


def decode_signed(raw: bytes, sender: bytes) -> SignedTransactionAPI:
    """Decode a raw transaction whose sender we already know.

    Without coincurve, eth-keys recovers a signer in ~5 ms of pure Python, more than the EVM
    spends on a simple call, so we pin the known sender (the live path signed it; the journal
    recorded it, and a wrong one would change the state root, which replay checks)."""
    tx = TX_BUILDER.decode(raw)
    tx.__dict__["sender"] = sender  # pre-fills the cached_property
    return tx


def execute_call(chain: Chain, header: BlockHeaderAPI, to: bytes, data: bytes) -> ComputationAPI:
    """eth_call against the state after ``header``, in that block's context, gas-free."""
    vm = chain.get_vm(header.copy(base_fee_per_gas=0))
    state = vm.state
    nonce = state.get_nonce(ZERO_ADDRESS)
    tx = unsigned_call(chain.chain_id, ZERO_ADDRESS, nonce, to, 0, data, header.gas_limit, 0)
    snapshot = state.snapshot()
    try:
        return state.apply_transaction(tx)
    finally:
        state.revert(snapshot)


def sign(
    request: TxRequest, chain_id: int, sender: bytes, nonce: int, gas: int, max_fee: int
) -> SignedTransactionAPI:
    """Sign with the caller's eth-account key: an EIP-1559 transaction paying exactly the
    block's base fee and no tip (fees go nowhere on this chain)."""
    fields: dict[str, object] = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "gas": gas,
        "maxFeePerGas": max_fee,
        "maxPriorityFeePerGas": 0,
        "value": request.value,
        "data": request.data,
    }
    if request.to:
        fields["to"] = request.to
    signed = request.sender.sign_transaction(fields)  # type: ignore[arg-type]
    return decode_signed(bytes(signed.raw_transaction), sender)


class PendingBlock:
    """The next block, built one transaction at a time on top of the chain's head."""

    def __init__(self, chain: Chain, timestamp: int) -> None:
        self.chain = chain
        parent = chain.get_canonical_head()
        header = chain.create_header_from_parent(
            parent,
            timestamp=timestamp,
            gas_limit=parent.gas_limit,
            mix_hash=keccak(parent.hash),
            coinbase=ZERO_ADDRESS,
        )
        self._vm = cast(VM, chain.get_vm(header))
        self._base = self._vm.get_block()
        self._vm.block_preprocessing(self._base)
        self.header = self._vm.get_header()
        self.transactions: list[SignedTransactionAPI] = []
        self.receipts: list[ReceiptAPI] = []
        self.senders: list[bytes] = []

    @property
    def state(self) -> StateAPI:
        return self._vm.state

    @property
    def base_fee(self) -> int:
        return int(self.header.base_fee_per_gas or 0)

    @property
    def gas_remaining(self) -> int:
        return int(self.header.gas_limit - self.header.gas_used)

    def nonce(self, address: bytes) -> int:
        """The sender's pending nonce: its state nonce after this block's transactions."""
        return int(self.state.get_nonce(Address(address)))

    def trial(self, tx: SignedTransactionAPI) -> ComputationAPI:
        """Run ``tx`` on the pending state and undo it (gas estimation, revert detection)."""
        state = self.state
        state.lock_changes()
        snapshot = state.snapshot()
        try:
            return state.apply_transaction(tx)
        finally:
            state.revert(snapshot)

    def apply(self, tx: SignedTransactionAPI, sender: bytes) -> ComputationAPI:
        """Apply ``tx``; it stays in the block only if it succeeded. Raises py-evm's
        ``ValidationError`` for an invalid transaction (nonce, funds, gas over the block)."""
        self._vm.validate_transaction_against_header(self.header, tx)
        state = self.state
        state.lock_changes()
        snapshot = state.snapshot()
        try:
            computation = state.apply_transaction(tx)
        except BaseException:
            state.revert(snapshot)
            raise
        if computation.is_error:
            state.revert(snapshot)
            return computation
        state.commit(snapshot)
        receipt = self._vm.make_receipt(self.header, tx, computation, state)
        self._vm.validate_receipt(receipt)
        # Unlike py-evm's MiningChain we skip the per-transaction state root: post-Byzantium
        # receipts do not carry one, and finalisation computes the block's once.
        self.header = self._vm.increment_blob_gas_used(
            self.header.copy(
                bloom=int(BloomFilter(self.header.bloom) | receipt.bloom),
                gas_used=receipt.gas_used,
            ),
            tx,
        )
        self.transactions.append(tx)
        self.receipts.append(receipt)
        self.senders.append(sender)
        return computation

    def add(self, request: TxRequest) -> bool:
        """Sign ``request`` (estimating its gas if unset) and apply it. False: it belongs in a
        fresh block instead (this one is too full). Raises ``TransactionReverted``, or
        ``BackendError`` for a transaction no block would take (bad funds, too much gas)."""
        sender = to_canonical_address(request.sender.address)
        to = to_canonical_address(request.to) if request.to else b""
        nonce = self.nonce(sender)
        max_fee = self.base_fee
        cap = self.gas_remaining
        if max_fee:  # only a full block raises the base fee; keep the trial affordable
            balance = self.state.get_balance(Address(sender))
            cap = min(cap, max(0, balance - request.value) // max_fee)
        chain_id = self.chain.chain_id
        gas = request.gas
        try:
            if gas is None:
                trial = self.trial(
                    unsigned_call(
                        chain_id, sender, nonce, to, request.value, request.data, cap, max_fee
                    )
                )
                if trial.is_error:
                    if not is_revert(trial) and self.transactions:
                        return False  # maybe only short of this block's remaining gas
                    raise TransactionReverted(revert_data(trial))
                needed = cap - trial.get_gas_remaining() + trial.data_floor_gas
                # Margin for the 63/64 rule of nested calls and for gas-dependent code paths.
                gas = min(cap, needed + needed // 4 + 10_000)
            elif gas > self.gas_remaining:
                return False
            tx = sign(request, chain_id, sender, nonce, gas, max_fee)
            result = self.apply(tx, sender)
            if result.is_error and request.gas is None and not is_revert(result) and gas < cap:
                tx = sign(request, chain_id, sender, nonce, cap, max_fee)  # estimate too tight
                result = self.apply(tx, sender)
        except ValidationError as exc:
            if self.transactions:
                return False  # e.g. too full for even a trial run; a fresh block decides
            raise BackendError(f"transaction rejected: {exc}") from exc
        if result.is_error:
            raise TransactionReverted(revert_data(result), tx.hash)
        return True

    def seal(self) -> BlockAPI:
        """Finalise the block (state root, requests hash) and make it the chain's head."""
        block = self._vm.set_block_transactions_and_withdrawals(
            self._base, self.header, self.transactions, self.receipts
        )
        block = self._vm.block_postprocessing(block)
        mined = self._vm.mine_block(block).block
        self.chain.chaindb.persist_block(mined)
        return mined


def block_receipts(
    block: BlockAPI, receipts: Sequence[ReceiptAPI], senders: Sequence[bytes] | None
) -> list[Receipt]:
    """huren receipts for a mined block; ``senders`` spares signature recovery when known.
    Every transaction in a block succeeded (a reverted one never enters), so status is 1."""
    out: list[Receipt] = []
    log_index = 0
    cumulative = 0
    for index, (tx, receipt) in enumerate(zip(block.transactions, receipts, strict=True)):
        logs = []
        for entry in receipt.logs:
            logs.append(
                RawLog(
                    address=checksum(entry.address),
                    topics=tuple(t.to_bytes(32, "big") for t in entry.topics),
                    data=bytes(entry.data),
                    block_number=block.number,
                    block_hash=block.hash,
                    transaction_hash=tx.hash,
                    transaction_index=index,
                    log_index=log_index,
                )
            )
            log_index += 1
        contract = None
        if not tx.to:
            sender = senders[index] if senders is not None else tx.sender
            contract = checksum(generate_contract_address(Address(sender), tx.nonce))
        out.append(
            Receipt(
                transaction_hash=tx.hash,
                block_number=block.number,
                block_hash=block.hash,
                gas_used=receipt.gas_used - cumulative,
                status=1,
                contract_address=contract,
                logs=tuple(logs),
            )
        )
        cumulative = receipt.gas_used
    return out


def log_index_key(number: int) -> bytes:
    return LOG_INDEX_PREFIX + number.to_bytes(8, "big")


def encode_block_logs(block_hash: bytes, logs: Sequence[RawLog]) -> bytes:
    items = [
        [
            bytes.fromhex(x.address[2:]),
            list(x.topics),
            x.data,
            x.transaction_hash,
            x.transaction_index,
            x.log_index,
        ]
        for x in logs
    ]
    return cast(bytes, rlp.encode([block_hash, items]))


def _rlp_item(buf: bytes, pos: int) -> tuple[bytes | list[Any], int]:
    """The RLP item at ``pos`` (bytes, or a list of items) and the position after it."""
    b0 = buf[pos]
    if b0 < 0x80:
        return buf[pos : pos + 1], pos + 1
    if b0 < 0xB8:
        end = pos + 1 + b0 - 0x80
        return buf[pos + 1 : end], end
    if b0 < 0xC0:
        start = pos + 1 + b0 - 0xB7
        end = start + int.from_bytes(buf[pos + 1 : start], "big")
        return buf[start:end], end
    if b0 < 0xF8:
        start, end = pos + 1, pos + 1 + b0 - 0xC0
    else:
        start = pos + 1 + b0 - 0xF7
        end = start + int.from_bytes(buf[pos + 1 : start], "big")
    items: list[Any] = []
    while start < end:
        item, start = _rlp_item(buf, start)
        items.append(item)
    if start != end or end > len(buf):
        raise ValueError("malformed RLP list")
    return items, end


def _rlp_decode(encoded: bytes) -> Any:
    """``rlp.decode`` for the log index this module writes, about 6x faster: pyrlp's
    generic, strict decoder made a cold replay of a 100,000-record chain mostly RLP. Only
    the structure is checked (the index is our own writing; a damaged one still raises)."""
    item, end = _rlp_item(encoded, 0)
    if end != len(encoded):
        raise ValueError("trailing bytes after RLP item")
    return item


def decode_block_logs(number: int, encoded: bytes) -> tuple[RawLog, ...]:
    block_hash, items = _rlp_decode(encoded)
    return tuple(
        RawLog(
            address=checksum(address),
            topics=tuple(topics),
            data=data,
            block_number=number,
            block_hash=block_hash,
            transaction_hash=tx_hash,
            transaction_index=int.from_bytes(tx_index, "big"),
            log_index=int.from_bytes(log_index, "big"),
        )
        for address, topics, data, tx_hash, tx_index, log_index in items
    )
