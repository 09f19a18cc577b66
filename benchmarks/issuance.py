"""Approved issuance requests -> certificates issued and committed on chain, per second.

    python benchmarks/issuance.py [--requests N] [--batch B] [--rounds R]

A dev node (embedded chain, demo consortium, SQLite) issues N approved requests per round
through ``IssuanceService.issue_many``: reserve (intent in the database), sign (P-256,
deterministic ECDSA), record on chain in batches of B as zjca's operator, mark committed.
The baseline, measured in the same run, is the chain write alone: ``recordCertificates`` of
N ready-made records in the same batches (what issuance cannot beat), so ``ratio`` says
what the rest of the cycle costs. Best round of each (the machine is shared).

Ends with one JSON line: {"issued_per_s", "chain_only_per_s", "ratio", ...}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from cryptography.hazmat.primitives.asymmetric import ed25519, x25519  # noqa: E402

from huren.node import demo  # noqa: E402
from huren.node.pki.issuance import IssuanceRequest, IssuanceService  # noqa: E402
from huren.node.pki.profiles import EnterpriseSubject  # noqa: E402
from huren.registry.client import RegistryClient  # noqa: E402
from huren.registry.types import (  # noqa: E402
    CertificateInput,
    CertificateKind,
    KeyUsage,
    Scope,
)

SUBJECT = EnterpriseSubject("嘉兴市某某建设有限公司", "91350100M000100Y43")
NOT_BEFORE = 1_767_225_600  # 2026-01-01


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def requests(round_: int, count: int) -> list[IssuanceRequest]:
    """Pairs of signing and encryption requests, as a holder's certificates come."""
    out = []
    for n in range(count):
        signing = n % 2 == 0
        out.append(
            IssuanceRequest(
                request_id=f"bench-{round_}-{n}",
                approved_by="bench",
                ca_id="zjca",
                subject=SUBJECT,
                kind=CertificateKind.ENTERPRISE,
                usage=KeyUsage.SIGNING if signing else KeyUsage.ENCRYPTION,
                public_key=(
                    ed25519.Ed25519PrivateKey.generate().public_key()
                    if signing
                    else x25519.X25519PrivateKey.generate().public_key()
                ),
                validity_years=1 + n % 3,
                scope=Scope.ALLIANCE,
                holder=hashlib.sha256(b"bench holder %d %d" % (round_, n // 2)).digest(),
            )
        )
    return out


def chain_only(client: RegistryClient, round_: int, count: int, batch: int) -> float:
    records = [
        CertificateInput(
            fingerprint=hashlib.sha256(b"bench chain only %d %d" % (round_, n)).digest(),
            holder=hashlib.sha256(b"bench holder %d" % n).digest(),
            not_before=NOT_BEFORE,
            not_after=NOT_BEFORE + 365 * 86_400,
            kind=CertificateKind.ENTERPRISE,
            usage=KeyUsage.SIGNING,
            scope=Scope.ALLIANCE,
        )
        for n in range(count)
    ]
    started = time.perf_counter()
    for i in range(0, count, batch):
        client.record_certificates("zjca", demo.issuer_key_id("zjca"), records[i : i + batch])
    return count / (time.perf_counter() - started)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from huren.node.node import Node
    from huren.node.settings import Settings

    with tempfile.TemporaryDirectory(prefix="huren-bench-issuance-") as tmp:
        node = Node.open(Settings(data_dir=Path(tmp) / "node"), start_indexer=False)
        try:
            assert node.pki is not None
            service = IssuanceService(node.engine, node.pki.cas, node.client, batch_size=args.batch)
            zjca = node.client.with_account(demo.ca_operator_account("zjca"))
            best = {"issued": 0.0, "chain": 0.0}
            for r in range(args.rounds):
                batch = requests(r, args.requests)
                started = time.perf_counter()
                issued = service.issue_many(batch)
                rate = len(batch) / (time.perf_counter() - started)
                assert all(i.committed for i in issued)
                say(f"round {r + 1} issued and committed: {rate:.0f}/s")
                chain = chain_only(zjca, r, args.requests, args.batch)
                say(f"round {r + 1} chain writes alone: {chain:.0f}/s")
                best = {"issued": max(best["issued"], rate), "chain": max(best["chain"], chain)}
            node.catch_up()
        finally:
            node.close()
    return {
        "issued_per_s": round(best["issued"], 1),
        "chain_only_per_s": round(best["chain"], 1),
        "ratio": round(best["issued"] / best["chain"], 3),
        "requests": args.requests,
        "batch": args.batch,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="approved requests a round")
    parser.add_argument("--batch", type=int, default=500, help="records per transaction")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (best kept)")
    args = parser.parse_args()
    print(json.dumps(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
