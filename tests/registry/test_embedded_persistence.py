"""Persistence of the embedded chain: clean close, SIGKILL, torn tails, snapshots, the lock.

The behaviour every backend shares is in test_backend_conformance.py; these tests are about
what only the embedded chain does: keep its blocks on disk and rebuild them exactly.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from huren.contracts.artifacts import load
from huren.registry.backend import BackendError, ChainMismatch, TransactionReverted, TxRequest
from huren.registry.embedded import (
    DEFAULT_CHAIN_ID,
    DataDirLocked,
    EmbeddedBackend,
    JournalCorrupt,
)
from huren.registry.embedded_journal import (
    JOURNAL_NAME,
    LOCK_NAME,
    SNAPSHOT_NAME,
    BlockRecord,
    DataDirLock,
)

REPO = Path(__file__).resolve().parents[2]
SET = keccak(text="set(uint256)")[:4]
GET = keccak(text="get()")[:4]
NOW = keccak(text="now_()")[:4]
VALUE_SET = keccak(text="ValueSet(address,uint256,uint256)")
VALUE_FORBIDDEN = keccak(text="ValueForbidden(uint256,address)")[:4]
T0 = 1_800_000_000  # a fake clock start, after the fixed genesis timestamp


def set_data(value: int) -> bytes:
    return SET + encode(["uint256"], [value])


class FakeClock:
    """An injectable clock: tests move time by assignment, never by sleeping."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "chain"


@pytest.fixture
def open_chain(data_dir: Path) -> Iterator[Callable[..., EmbeddedBackend]]:
    """Opens backends on ``data_dir`` and closes whichever are still open at the end."""
    opened: list[EmbeddedBackend] = []

    def make(**kwargs: object) -> EmbeddedBackend:
        backend = EmbeddedBackend(data_dir, **kwargs)  # type: ignore[arg-type]
        opened.append(backend)
        return backend

    yield make
    for backend in opened:
        backend.close()


def deploy(backend: EmbeddedBackend) -> str:
    address = backend.send(TxRequest(backend.faucet, None, load("Probe").bytecode)).contract_address
    assert address is not None
    return address


def get(backend: EmbeddedBackend, probe: str) -> int:
    return int(decode(["uint256"], backend.call(probe, GET))[0])


def head_hash(backend: EmbeddedBackend) -> bytes:
    return backend.block(backend.block_number()).hash


def build_history(backend: EmbeddedBackend) -> str:
    """A deploy, single sends, a packed batch and a batch cut short by a revert."""
    probe = deploy(backend)
    for value in range(1, 6):
        backend.send(TxRequest(backend.faucet, probe, set_data(value)))
    backend.send_many([TxRequest(backend.faucet, probe, set_data(v)) for v in range(30, 40)])
    with pytest.raises(TransactionReverted):
        batch = [set_data(20), set_data(13), set_data(21)]
        backend.send_many([TxRequest(backend.faucet, probe, d) for d in batch])
    with pytest.raises(TransactionReverted):  # explicit gas: reverts when applied, not estimated
        backend.send(TxRequest(backend.faucet, probe, set_data(13), gas=100_000))
    with pytest.raises(TransactionReverted):  # ... and after another one in the same block
        batch = [set_data(24), set_data(13)]
        backend.send_many([TxRequest(backend.faucet, probe, d, gas=100_000) for d in batch])
    backend.send(TxRequest(backend.faucet, probe, set_data(22)))
    return probe


def test_close_and_reopen_keeps_everything(
    open_chain: Callable[..., EmbeddedBackend], data_dir: Path
) -> None:
    first = open_chain()
    probe = build_history(first)
    head, logs = head_hash(first), first.get_logs(0, first.block_number(), [probe])
    assert get(first, probe) == 22 and len(logs) == 18
    first.close()

    from_snapshot = open_chain()
    assert from_snapshot.open_stats.snapshot_block == from_snapshot.block_number()
    assert from_snapshot.open_stats.replayed_blocks == 0
    assert head_hash(from_snapshot) == head and get(from_snapshot, probe) == 22
    assert from_snapshot.get_logs(0, from_snapshot.block_number(), [probe]) == logs
    from_snapshot.close()

    (data_dir / SNAPSHOT_NAME).unlink()
    replayed = open_chain()
    assert replayed.open_stats.snapshot_block is None
    assert replayed.open_stats.replayed_blocks == replayed.block_number()
    assert head_hash(replayed) == head and get(replayed, probe) == 22
    assert replayed.get_logs(0, replayed.block_number(), [probe]) == logs
    # and it keeps going: nonces and the contract survived
    replayed.send(TxRequest(replayed.faucet, probe, set_data(23)))
    assert get(replayed, probe) == 23


def test_send_many_packs_one_block(open_chain: Callable[..., EmbeddedBackend]) -> None:
    backend = open_chain()
    probe = deploy(backend)
    values = range(100, 150)
    receipts = backend.send_many([TxRequest(backend.faucet, probe, set_data(v)) for v in values])
    assert {r.block_number for r in receipts} == {backend.block_number()}
    assert [r.logs[0].transaction_index for r in receipts] == list(range(50))
    assert [r.logs[0].log_index for r in receipts] == list(range(50))


def test_send_many_spills_into_more_blocks_when_full(
    open_chain: Callable[..., EmbeddedBackend], data_dir: Path
) -> None:
    backend = open_chain(block_gas_limit=1_000_000)
    probe = deploy(backend)
    values = range(100, 140)
    receipts = backend.send_many([TxRequest(backend.faucet, probe, set_data(v)) for v in values])
    blocks = [r.block_number for r in receipts]
    assert blocks == sorted(blocks) and len(set(blocks)) > 1
    assert get(backend, probe) == 139
    head = head_hash(backend)
    backend.close()
    (data_dir / SNAPSHOT_NAME).unlink()
    assert head_hash(open_chain(block_gas_limit=1_000_000)) == head


def test_revert_carries_custom_error_and_leaves_no_trace(
    open_chain: Callable[..., EmbeddedBackend],
) -> None:
    backend = open_chain()
    probe = deploy(backend)
    before = backend.block_number()
    for gas in (None, 100_000):
        with pytest.raises(TransactionReverted) as caught:
            backend.send(TxRequest(backend.faucet, probe, set_data(13), gas=gas))
        data = caught.value.revert_data
        assert data[:4] == VALUE_FORBIDDEN
        assert decode(["uint256", "address"], data[4:]) == (13, backend.faucet.address.lower())
    with pytest.raises(TransactionReverted) as caught:
        backend.call(probe, set_data(13))
    assert caught.value.revert_data[:4] == VALUE_FORBIDDEN
    assert backend.block_number() == before  # nothing mined, no nonce burned
    backend.send(TxRequest(backend.faucet, probe, set_data(3)))
    assert get(backend, probe) == 3


def test_clock_drives_block_timestamps(open_chain: Callable[..., EmbeddedBackend]) -> None:
    clock = FakeClock()
    backend = open_chain(clock=clock)
    probe = deploy(backend)
    assert backend.block(1).timestamp == T0
    clock.now = T0 + 3600.9
    backend.send(TxRequest(backend.faucet, probe, set_data(1)))
    assert backend.block(2).timestamp == T0 + 3600
    assert decode(["uint256"], backend.call(probe, NOW)) == (T0 + 3600,)
    clock.now = T0  # a clock going backwards still yields strictly increasing timestamps
    backend.send(TxRequest(backend.faucet, probe, set_data(2)))
    backend.send(TxRequest(backend.faucet, probe, set_data(3)))
    assert [backend.block(n).timestamp for n in (3, 4)] == [T0 + 3601, T0 + 3602]
    assert backend.block(0).timestamp < T0


def test_torn_tail_is_dropped(open_chain: Callable[..., EmbeddedBackend], data_dir: Path) -> None:
    backend = open_chain()
    probe = build_history(backend)
    head = head_hash(backend)
    backend.close()
    journal = data_dir / JOURNAL_NAME
    size = journal.stat().st_size
    torn = BlockRecord(99, T0, bytes(32), ((bytes(20), b"\x02" * 90),)).encode()[:-7]
    for garbage in (os.urandom(37), b"HRB1" + os.urandom(3), torn):
        for with_snapshot in (True, False):
            with journal.open("ab") as f:
                f.write(garbage)
            if not with_snapshot:
                (data_dir / SNAPSHOT_NAME).unlink(missing_ok=True)
            reopened = EmbeddedBackend(data_dir)
            try:
                assert reopened.open_stats.dropped_tail_bytes == len(garbage)
                assert head_hash(reopened) == head and get(reopened, probe) == 22
                assert journal.stat().st_size == size
            finally:
                reopened.close()


def test_damage_before_the_tail_is_refused(
    open_chain: Callable[..., EmbeddedBackend], data_dir: Path
) -> None:
    backend = open_chain()
    build_history(backend)
    backend.close()
    journal = data_dir / JOURNAL_NAME
    data = bytearray(journal.read_bytes())
    data[200] ^= 0xFF  # inside the first record (the header is 60 bytes)
    journal.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt):
        EmbeddedBackend(data_dir)
    DataDirLock(data_dir / LOCK_NAME).release()  # the failed open released its lock


def test_replay_must_reproduce_recorded_hashes(
    open_chain: Callable[..., EmbeddedBackend], data_dir: Path
) -> None:
    backend = open_chain()
    probe = deploy(backend)
    size = (data_dir / JOURNAL_NAME).stat().st_size
    backend.send(TxRequest(backend.faucet, probe, set_data(1)))
    backend.close()
    journal = data_dir / JOURNAL_NAME
    data = journal.read_bytes()
    last = BlockRecord.decode(data[size + 12 :])
    forged = BlockRecord(last.number, last.timestamp, keccak(b"forged"), last.txs)
    journal.write_bytes(data[:size] + forged.encode())
    (data_dir / SNAPSHOT_NAME).unlink()
    with pytest.raises(JournalCorrupt, match="re-mined"):
        EmbeddedBackend(data_dir)


def test_bad_snapshot_falls_back_to_journal(
    open_chain: Callable[..., EmbeddedBackend], data_dir: Path
) -> None:
    backend = open_chain()
    probe = build_history(backend)
    head = head_hash(backend)
    backend.close()
    snapshot = data_dir / SNAPSHOT_NAME
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0x01
    snapshot.write_bytes(bytes(data))
    reopened = open_chain()
    assert reopened.open_stats.snapshot_block is None
    assert head_hash(reopened) == head and get(reopened, probe) == 22


def test_periodic_snapshot(open_chain: Callable[..., EmbeddedBackend], data_dir: Path) -> None:
    backend = open_chain(snapshot_every=3)
    probe = deploy(backend)
    for value in range(7):
        backend.send(TxRequest(backend.faucet, probe, set_data(value)))
    assert backend.block_number() == 8
    stamp = (data_dir / SNAPSHOT_NAME).stat().st_mtime_ns
    backend.close()  # head 8 was not snapshotted yet (6 was): close writes it
    assert (data_dir / SNAPSHOT_NAME).stat().st_mtime_ns >= stamp
    assert open_chain().open_stats.snapshot_block == 8


def test_data_dir_lock(open_chain: Callable[..., EmbeddedBackend], data_dir: Path) -> None:
    first = open_chain()
    with pytest.raises(DataDirLocked):
        EmbeddedBackend(data_dir)
    first.close()
    first.close()  # idempotent
    with pytest.raises(BackendError):
        first.block_number()
    open_chain().close()


def test_other_chain_parameters_are_refused(
    open_chain: Callable[..., EmbeddedBackend], data_dir: Path
) -> None:
    open_chain().close()
    with pytest.raises(ChainMismatch):
        EmbeddedBackend(data_dir, chain_id=DEFAULT_CHAIN_ID + 1)
    with pytest.raises(ChainMismatch):
        EmbeddedBackend(data_dir, block_gas_limit=30_000_000)


def test_genesis_is_deterministic(tmp_path: Path) -> None:
    hashes = set()
    for name in ("a", "b"):
        with EmbeddedBackend(tmp_path / name, clock=FakeClock(T0 + len(name))) as backend:
            hashes.add(backend.block(0).hash)
            assert backend.balance(backend.faucet.address) > 10**30
            assert backend.chain_id == DEFAULT_CHAIN_ID
    assert len(hashes) == 1


@pytest.mark.timeout(120)
def test_sigkill_loses_nothing_acknowledged(data_dir: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.registry.embedded_writer", str(data_dir)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: list[tuple[bytes, int]] = []
    try:
        assert writer.stdout is not None
        probe_line = writer.stdout.readline().split()
        assert probe_line[:1] == ["probe"], writer.stderr.read() if writer.stderr else ""
        wanted = 30 + random.randrange(20)  # kill at a random point of the write loop
        while len(acked) < wanted:
            line = writer.stdout.readline()
            assert line, writer.stderr.read() if writer.stderr else "writer died"
            _, hash_hex, value_text = line.split()
            acked.append((bytes.fromhex(hash_hex), int(value_text)))
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        assert writer.stdout is not None and writer.stderr is not None
        writer.stdout.close()
        writer.stderr.close()
    # lines printed after our last read were acknowledged too; we only check those we saw
    probe = probe_line[1]
    heads = []
    for attempt in range(3):
        if attempt == 2:
            (data_dir / SNAPSHOT_NAME).unlink()  # the slow path must agree as well
        with EmbeddedBackend(data_dir) as backend:
            if attempt == 0:  # the writer snapshotted every 7 blocks
                assert backend.open_stats.snapshot_block is not None
            logs = backend.get_logs(0, backend.block_number(), [probe], [VALUE_SET])
            values = [decode(["uint256", "uint256"], x.data)[1] for x in logs]
            assert values == [v for v in range(1, len(values) + 2) if v != 13][: len(values)]
            by_tx = {x.transaction_hash: x for x in logs}
            for tx_hash, value in acked:
                receipt = backend.receipt(tx_hash)
                assert receipt is not None and receipt.status == 1
                assert decode(["uint256", "uint256"], by_tx[tx_hash].data)[1] == value
            assert get(backend, probe) >= acked[-1][1]
            heads.append(head_hash(backend))
    assert heads[0] == heads[1] == heads[2]
