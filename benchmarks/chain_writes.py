"""Issuance throughput on the embedded chain: one record per transaction versus batches.

    python benchmarks/chain_writes.py [--single N] [--batch-size B] [--batches K]

Both figures come from one run on one freshly created, durable embedded chain (every block
journaled and fdatasync'ed before the call returns), through the typed client, so the ratio
is what batching buys on this machine today. Prints progress, then one JSON line:
{"single_tx_per_s": ..., "batched_records_per_s": ..., "ratio": ..., ...}
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

from eth_account import Account

from huren.registry.client import RegistryClient
from huren.registry.deploy import FoundingMember, deploy
from huren.registry.embedded import EmbeddedBackend
from huren.registry.types import CertificateInput, CertificateKind, KeyUsage, Scope

NOT_BEFORE = 1_767_225_600  # 2026-01-01
NOT_AFTER = NOT_BEFORE + 3 * 365 * 86_400


def certificate(n: int, center: str | None) -> CertificateInput:
    """A distinct record; every fourth one regional, like a real mix."""
    fingerprint = hashlib.sha256(b"bench certificate %d" % n).digest()
    regional = center is not None and n % 4 == 0
    return CertificateInput(
        fingerprint=fingerprint,
        holder=hashlib.sha256(b"bench holder %d" % n).digest(),
        not_before=NOT_BEFORE,
        not_after=NOT_AFTER,
        kind=CertificateKind(1 + n % 3),
        usage=KeyUsage(1 + n % 2),
        scope=Scope.REGIONAL if regional else Scope.ALLIANCE,
        center=center if regional else None,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=150, help="single-record transactions")
    parser.add_argument("--batch-size", type=int, default=1000, help="records per transaction")
    parser.add_argument("--batches", type=int, default=6, help="batched transactions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="huren-bench-") as tmp:
        backend = EmbeddedBackend(Path(tmp) / "chain")
        center = Account.create()
        operator = Account.create()
        for account in (center, operator):
            backend.fund(account.address, 10**24)
        deployment = deploy(
            backend, center, [FoundingMember(center.address, "Jiaxing", 330400)], 86_400
        )
        issuer_key = hashlib.sha256(b"bench issuer key").digest()
        RegistryClient(backend, deployment, center).propose_accredit_ca(
            "bench-ca", "Bench CA", [operator.address], [issuer_key]
        )
        ca = RegistryClient(backend, deployment, operator, max_batch=args.batch_size)
        serial = 0

        # Warm up both paths (imports, caches, the first storage writes).
        for _ in range(5):
            ca.record_certificate("bench-ca", issuer_key, certificate(serial, center.address))
            serial += 1
        ca.record_certificates(
            "bench-ca", issuer_key, [certificate(serial + i, center.address) for i in range(50)]
        )
        serial += 50

        started = time.perf_counter()
        for _ in range(args.single):
            ca.record_certificate("bench-ca", issuer_key, certificate(serial, center.address))
            serial += 1
        single_s = time.perf_counter() - started
        single_tx_per_s = args.single / single_s
        print(f"single: {args.single} tx in {single_s:.2f} s", file=sys.stderr)

        batches = [
            [
                certificate(serial + b * args.batch_size + i, center.address)
                for i in range(args.batch_size)
            ]
            for b in range(args.batches)
        ]
        serial += args.batches * args.batch_size
        started = time.perf_counter()
        for batch in batches:
            ca.record_certificates("bench-ca", issuer_key, batch)
        batched_s = time.perf_counter() - started
        records = args.batches * args.batch_size
        batched_records_per_s = records / batched_s
        print(f"batched: {records} records in {batched_s:.2f} s", file=sys.stderr)

        total = ca.certificate_count()
        if total != serial:
            print(f"expected {serial} records on chain, found {total}", file=sys.stderr)
            return 1
        backend.close()

    print(
        json.dumps(
            {
                "single_tx_per_s": round(single_tx_per_s, 1),
                "batched_records_per_s": round(batched_records_per_s, 1),
                "ratio": round(batched_records_per_s / single_tx_per_s, 1),
                "batch_size": args.batch_size,
                "target": {"ratio": 30, "batched_records_per_s": 1000},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
