"""The embedded chain's stored log index decodes (with its own RLP reader) exactly as
pyrlp does, and refuses damaged input."""

from __future__ import annotations

import rlp
from hypothesis import given
from hypothesis import strategies as st

from huren.registry import embedded_evm as evm
from huren.registry.backend import RawLog

ADDRESSES = ["0x" + "ab" * 20, "0x00000000000000000000000000000000000000C0"]


@st.composite
def logs(draw: st.DrawFn) -> list[RawLog]:
    block_hash = draw(st.binary(min_size=32, max_size=32))
    out = []
    for i in range(draw(st.integers(0, 8))):
        address = evm.checksum(bytes.fromhex(draw(st.sampled_from(ADDRESSES))[2:]))
        out.append(
            RawLog(
                address=address,
                topics=tuple(draw(st.lists(st.binary(min_size=32, max_size=32), max_size=4))),
                data=draw(st.binary(max_size=2_000)),  # long data takes the long-length forms
                block_number=7,
                block_hash=block_hash,
                transaction_hash=draw(st.binary(min_size=32, max_size=32)),
                transaction_index=draw(st.integers(0, 70_000)),
                log_index=i,
            )
        )
    return out


@given(logs(), st.binary(min_size=32, max_size=32))
def test_the_log_index_round_trips_and_matches_pyrlp(
    entries: list[RawLog], block_hash: bytes
) -> None:
    entries = [
        RawLog(e.address, e.topics, e.data, 7, block_hash, e.transaction_hash,
               e.transaction_index, e.log_index)
        for e in entries
    ]  # fmt: skip
    encoded = evm.encode_block_logs(block_hash, entries)
    assert evm._rlp_decode(encoded) == rlp.decode(encoded)
    assert evm.decode_block_logs(7, encoded) == tuple(entries)


@given(st.binary(max_size=64))
def test_on_arbitrary_bytes_the_readers_agree_wherever_both_decode(data: bytes) -> None:
    try:
        expected = rlp.decode(data, strict=False)
    except Exception:
        expected = None
    try:
        got = evm._rlp_decode(data)
    except (ValueError, IndexError):
        got = None
    if got is not None and expected is not None:
        assert got == expected


def test_damaged_input_raises() -> None:
    encoded = evm.encode_block_logs(b"\x01" * 32, [])
    for damaged in (encoded[:-1], encoded + b"\x00", b"\xf9\xff"):
        try:
            evm._rlp_decode(damaged)
        except (ValueError, IndexError):
            continue
        raise AssertionError(f"{damaged.hex()} decoded")
