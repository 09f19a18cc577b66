"""Helper process for the kill test: writes to an embedded chain until it is SIGKILLed.

Usage: ``python -m tests.registry.embedded_writer DATA_DIR``. Prints ``probe ADDRESS`` once,
then ``ack TXHASH VALUE`` for every transaction whose ``send``/``send_many`` returned, flushed
at once, so the parent knows exactly what was acknowledged when it pulls the trigger. Values
count up from 1, skipping 13 (which Probe forbids).
"""

from __future__ import annotations

import sys
from pathlib import Path

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from huren.contracts.artifacts import load
from huren.registry.backend import TxRequest
from huren.registry.embedded import EmbeddedBackend

SET = keccak(text="set(uint256)")[:4]


def main(data_dir: Path) -> None:
    # Frequent snapshots, so that a kill also lands in the middle of writing one.
    backend = EmbeddedBackend(data_dir, snapshot_every=7)
    receipt = backend.send(TxRequest(backend.faucet, None, load("Probe").bytecode))
    probe = receipt.contract_address
    assert probe is not None
    print("probe", probe, flush=True)
    value = 0
    step = 0
    while True:
        step += 1
        batch = 5 if step % 4 == 0 else 1
        values = [v for v in range(value + 1, value + 2 + batch) if v != 13][:batch]
        requests = [
            TxRequest(backend.faucet, probe, SET + encode(["uint256"], [v])) for v in values
        ]
        receipts = backend.send_many(requests) if batch > 1 else [backend.send(requests[0])]
        for v, r in zip(values, receipts, strict=True):
            print("ack", r.transaction_hash.hex(), v, flush=True)
        value = values[-1]


if __name__ == "__main__":
    main(Path(sys.argv[1]))
