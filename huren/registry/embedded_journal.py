"""On-disk formats of the embedded chain: the block journal, state snapshots, the data-dir lock.

The journal is the single source of truth. Each mined block is one record holding what is
needed to re-mine it bit for bit (timestamp, each transaction's sender and raw signed bytes)
plus the block hash it produced, so a replay can prove it rebuilt the same chain. Records are
appended and fdatasync'ed before ``send`` returns; a crash can therefore only leave a torn
*last* record, which was never acknowledged and is cut off on open. A bad record followed by
a good one is not a torn write but damage, and raises ``JournalCorrupt`` instead of silently
dropping acknowledged blocks.

Snapshots are a cache that spares the replay: a dump of py-evm's whole key-value store (state
tries, headers, bodies, receipts) taken at a block boundary, written to a temporary file,
fsync'ed and renamed over the previous one. A snapshot that fails its checksum or disagrees
with the journal is ignored (the journal alone still rebuilds the chain).

Record layout: ``b"HRB1" | u32 payload length | u32 crc32(payload) | payload`` with payload
``u64 number | u64 timestamp | 32-byte block hash | u32 n | n * (20-byte sender | u32 len | raw)``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from huren.registry.backend import BackendError, ChainMismatch

log = logging.getLogger(__name__)

JOURNAL_NAME = "journal.bin"
SNAPSHOT_NAME = "snapshot.bin"
LOCK_NAME = "LOCK"

_JOURNAL_MAGIC = b"HURENJ01"
_JOURNAL_HEAD = struct.Struct(">8sQQ32s")  # magic, chain id, block gas limit, genesis hash
_JOURNAL_HEADER_SIZE = _JOURNAL_HEAD.size + 4  # + crc32
_RECORD_MAGIC = b"HRB1"
_RECORD_HEAD = struct.Struct(">4sII")  # magic, payload length, crc32(payload)
_PAYLOAD_HEAD = struct.Struct(">QQ32sI")  # number, timestamp, block hash, tx count
_TX_HEAD = struct.Struct(">20sI")  # sender, raw length
_SNAPSHOT_MAGIC = b"HURENS01"
_SNAPSHOT_HEAD = struct.Struct(">8sQ32sQ32sQ")  # magic, chain id, genesis, number, hash, count
_KV_HEAD = struct.Struct(">II")


class JournalCorrupt(BackendError):
    """The journal cannot be trusted: damaged before its tail, or it replays to other blocks."""


class DataDirLocked(BackendError):
    """Another process (or another backend in this one) already has this data directory open."""


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """One mined block, as the journal keeps it: enough to re-mine it exactly."""

    number: int
    timestamp: int
    block_hash: bytes
    txs: tuple[tuple[bytes, bytes], ...]  # (canonical sender address, raw signed transaction)

    def encode(self) -> bytes:
        parts = [_PAYLOAD_HEAD.pack(self.number, self.timestamp, self.block_hash, len(self.txs))]
        for sender, raw in self.txs:
            parts.append(_TX_HEAD.pack(sender, len(raw)))
            parts.append(raw)
        payload = b"".join(parts)
        return _RECORD_HEAD.pack(_RECORD_MAGIC, len(payload), zlib.crc32(payload)) + payload

    @classmethod
    def decode(cls, payload: bytes) -> BlockRecord:
        number, timestamp, block_hash, count = _PAYLOAD_HEAD.unpack_from(payload, 0)
        offset = _PAYLOAD_HEAD.size
        txs = []
        for _ in range(count):
            sender, length = _TX_HEAD.unpack_from(payload, offset)
            offset += _TX_HEAD.size
            raw = payload[offset : offset + length]
            if len(raw) != length:
                raise ValueError("transaction runs past the record")
            txs.append((sender, raw))
            offset += length
        if offset != len(payload):
            raise ValueError("trailing bytes in record")
        return cls(number, timestamp, block_hash, tuple(txs))


def _parse_record(data: bytes, offset: int) -> tuple[BlockRecord, int] | None:
    """The record at ``offset`` and the offset after it, or None if it is not a whole,
    checksummed, decodable record."""
    end = offset + _RECORD_HEAD.size
    if end > len(data):
        return None
    magic, length, crc = _RECORD_HEAD.unpack_from(data, offset)
    if magic != _RECORD_MAGIC or end + length > len(data):
        return None
    payload = data[end : end + length]
    if zlib.crc32(payload) != crc:
        return None
    try:
        return BlockRecord.decode(payload), end + length
    except (ValueError, struct.error):
        return None


def _fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (POSIX needs the directory synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Journal:
    """The append-only block journal of one data directory."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self.dirty = False

    @classmethod
    def open(
        cls, path: Path, *, chain_id: int, gas_limit: int, genesis_hash: bytes
    ) -> tuple[Journal, list[BlockRecord], int]:
        """Open (or create) the journal; return it, its records and how many torn tail bytes
        were cut off. Raises ``ChainMismatch`` if it belongs to another chain."""
        head = _JOURNAL_HEAD.pack(_JOURNAL_MAGIC, chain_id, gas_limit, genesis_hash)
        header = head + struct.pack(">I", zlib.crc32(head))
        if not path.exists() or path.stat().st_size < _JOURNAL_HEADER_SIZE:
            # Absent, or a creation that crashed before its rename: nothing was acknowledged.
            write_atomically(path, header)
        data = path.read_bytes()
        if data[:_JOURNAL_HEADER_SIZE] != header:
            cls._explain_header_mismatch(data[:_JOURNAL_HEADER_SIZE], chain_id, genesis_hash)
        records: list[BlockRecord] = []
        offset = _JOURNAL_HEADER_SIZE
        while offset < len(data):
            parsed = _parse_record(data, offset)
            if parsed is None:
                break
            record, offset = parsed
            if record.number != len(records) + 1:
                raise JournalCorrupt(f"{path}: record for block {record.number} out of order")
            records.append(record)
        dropped = len(data) - offset
        if dropped:
            cls._check_torn_tail(path, data, offset)
            log.warning("%s: dropping %d bytes of torn tail", path, dropped)
            with open(path, "r+b") as f:
                f.truncate(offset)
                f.flush()
                os.fsync(f.fileno())
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        return cls(path, fd), records, dropped

    @staticmethod
    def _explain_header_mismatch(header: bytes, chain_id: int, genesis_hash: bytes) -> None:
        head, crc = header[: _JOURNAL_HEAD.size], header[_JOURNAL_HEAD.size :]
        if head[:8] != _JOURNAL_MAGIC or struct.pack(">I", zlib.crc32(head)) != crc:
            raise JournalCorrupt("journal header is damaged or not a huren journal")
        _, their_chain_id, their_gas_limit, their_genesis = _JOURNAL_HEAD.unpack(head)
        raise ChainMismatch(
            f"data directory holds chain {their_chain_id} (gas limit {their_gas_limit}, "
            f"genesis 0x{their_genesis.hex()}), not chain {chain_id} (genesis "
            f"0x{genesis_hash.hex()})"
        )

    @staticmethod
    def _check_torn_tail(path: Path, data: bytes, offset: int) -> None:
        """A whole valid record after the bad spot means damage, not a torn append."""
        probe = data.find(_RECORD_MAGIC, offset + 1)
        while probe != -1:
            if _parse_record(data, probe) is not None:
                raise JournalCorrupt(
                    f"{path}: unreadable record at byte {offset} is followed by valid ones"
                )
            probe = data.find(_RECORD_MAGIC, probe + 1)

    def append(self, record: BlockRecord) -> None:
        """Write one record (not yet durable: call ``sync`` before acknowledging)."""
        view = memoryview(record.encode())
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.dirty = True

    def sync(self) -> None:
        if self.dirty:
            os.fdatasync(self._fd)
            self.dirty = False

    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        if self._fd >= 0:
            try:
                self.sync()
            finally:
                os.close(self._fd)
                self._fd = -1


@dataclass(frozen=True, slots=True)
class Snapshot:
    """py-evm's key-value store as it stood right after block ``number``."""

    number: int
    block_hash: bytes
    kv: dict[bytes, bytes]


def write_snapshot(
    path: Path,
    *,
    chain_id: int,
    genesis_hash: bytes,
    number: int,
    block_hash: bytes,
    kv: Mapping[bytes, bytes],
) -> int:
    """Atomically replace the snapshot file; returns its size in bytes."""
    parts = [
        _SNAPSHOT_HEAD.pack(_SNAPSHOT_MAGIC, chain_id, genesis_hash, number, block_hash, len(kv))
    ]
    for key, value in kv.items():
        parts.append(_KV_HEAD.pack(len(key), len(value)))
        parts.append(key)
        parts.append(value)
    body = b"".join(parts)
    data = body + struct.pack(">I", zlib.crc32(body))
    write_atomically(path, data)
    return len(data)


def read_snapshot(path: Path, *, chain_id: int, genesis_hash: bytes) -> Snapshot | None:
    """The snapshot at ``path``, or None if there is none or it is unusable (logged)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        body, (crc,) = data[:-4], struct.unpack(">I", data[-4:])
        if zlib.crc32(body) != crc:
            raise ValueError("checksum mismatch")
        magic, their_chain, their_genesis, number, block_hash, count = _SNAPSHOT_HEAD.unpack_from(
            body, 0
        )
        if magic != _SNAPSHOT_MAGIC or their_chain != chain_id or their_genesis != genesis_hash:
            raise ValueError("snapshot of another chain or format")
        kv: dict[bytes, bytes] = {}
        offset = _SNAPSHOT_HEAD.size
        for _ in range(count):
            klen, vlen = _KV_HEAD.unpack_from(body, offset)
            offset += _KV_HEAD.size
            kv[body[offset : offset + klen]] = body[offset + klen : offset + klen + vlen]
            offset += klen + vlen
        if offset != len(body):
            raise ValueError("length mismatch")
    except (ValueError, struct.error) as exc:
        log.warning("%s: ignoring unusable snapshot (%s); replaying the journal", path, exc)
        return None
    return Snapshot(number, block_hash, kv)


class DataDirLock:
    """An exclusive ``flock`` on the data directory's lock file, held while a backend is open.

    flock locks belong to the open file description, so a second backend in the same process
    is refused too, and the kernel drops the lock when a killed process's files close."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise DataDirLocked(f"{path.parent} is already open in another backend") from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
