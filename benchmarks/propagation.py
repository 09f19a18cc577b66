"""How long an issuance takes to be recognized at another center's node.

    python benchmarks/propagation.py [--samples 30] [--poll-interval S]

Two ``huren node`` processes (A: Jiaxing, B: Nantong) on one anvil chain
(``tests/support/cluster.py``). Each sample: a CA operator records one alliance certificate
with the typed client against the chain (as a CA's issuance system would, beside node A),
the clock starts when the issuance receipt is back, and node B's ``GET /v1/recognition`` (at
B's own platform, with B's platform key) is polled every 5 ms until the certificate is
recognized. The nodes' indexers poll the chain every ``HUREN_INDEX_POLL_INTERVAL`` seconds
(the node's default 0.2 unless ``--poll-interval`` is given), which bounds the delay from
below. Prints progress to stderr, then one JSON line:
{"median_ms": ..., "p95_ms": ..., "samples": ..., "index_poll_interval_s": ...}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from huren.node import demo  # noqa: E402
from huren.node.settings import Settings  # noqa: E402
from huren.registry.client import RegistryClient  # noqa: E402
from huren.registry.types import CertificateInput, CertificateKind, KeyUsage, Scope  # noqa: E402
from tests.support.anvil import start_anvil  # noqa: E402
from tests.support.cluster import start_cluster  # noqa: E402

POLL_S = 0.005
TIMEOUT_S = 30.0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def certificate(n: int) -> CertificateInput:
    now = int(time.time())
    return CertificateInput(
        fingerprint=hashlib.sha256(b"bench propagation %d %d" % (now, n)).digest(),
        holder=hashlib.sha256(b"bench holder %d" % n).digest(),
        not_before=now - 86_400,
        not_after=now + 365 * 86_400,
        kind=CertificateKind.ENTERPRISE,
        usage=KeyUsage.SIGNING,
        scope=Scope.ALLIANCE,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--poll-interval", type=float, default=None, help="indexer poll, s")
    args = parser.parse_args()
    interval = args.poll_interval or Settings.model_fields["index_poll_interval"].default
    env = {} if args.poll_interval is None else {"HUREN_INDEX_POLL_INTERVAL": str(interval)}

    delays: list[float] = []
    with (
        tempfile.TemporaryDirectory(prefix="huren-bench-propagation-") as tmp,
        start_anvil() as anvil,
    ):
        say("deploying the demo consortium and starting nodes A (jiaxing) and B (nantong) ...")
        with start_cluster(anvil, Path(tmp), ["jiaxing", "nantong"], env=env) as cluster:
            b = cluster.nodes["nantong"]
            chain = cluster.backend()
            zjca = RegistryClient(chain, cluster.deployment, demo.ca_operator_account("zjca"))
            try:
                for n in range(args.samples + 1):  # the first one warms up, not counted
                    cert = certificate(n)
                    zjca.record_certificate("zjca", demo.issuer_key_id("zjca"), cert)
                    started = time.perf_counter()
                    deadline = started + TIMEOUT_S
                    while not b.recognition(cert.fingerprint, "nantong-ggzy")["recognized"]:
                        if time.perf_counter() > deadline:
                            raise SystemExit(f"not recognized at B within {TIMEOUT_S} s")
                        time.sleep(POLL_S)
                    delay = time.perf_counter() - started
                    if n > 0:
                        delays.append(delay)
                        say(f"sample {n}: {delay * 1000:.0f} ms")
                    time.sleep(interval * (n % 7) / 7)  # spread issuance over the poll phase
            finally:
                chain.close()
    ms = [d * 1000 for d in delays]
    result = {
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
        "samples": len(ms),
        "index_poll_interval_s": interval,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
