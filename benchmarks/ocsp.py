"""OCSP responses per second: in process and through the node's HTTP responder.

    python benchmarks/ocsp.py [--certificates N] [--duration S] [--rounds R]

A dev node (embedded chain, demo consortium) issues N certificates through the PKI (zjca,
P-256 issuing key) and revokes a tenth of them; the index catches up. Requests are
nonce-less OCSP requests (as browsers and most relying parties send them; RFC 5019), over
the N serials plus as many never issued (unknown), rotated.

In process: ``OcspResponder.respond`` on request DER (parse, index lookup, answer), with the
response cache (``in_process_per_s``) and with every response signed afresh, which is what a
request with a nonce costs (``signed_per_s``, the baseline of the ratio).

Through HTTP: ``huren serve`` (one uvicorn worker, no access log) and ``wrk`` at 32
connections, alternating ``GET /v1/pki/cas/zjca/ocsp/<base64>`` (RFC 6960 A.1) with the
bare ``/v1/health`` for R rounds; best round of each (the machine is shared).

Ends with one JSON line: {"in_process_per_s", "http_per_s", ...}.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
from cryptography.x509 import ocsp  # noqa: E402
from recognition import ensure_wrk, run_wrk, say, wait_ready  # noqa: E402

from huren.node.pki.ca import CertificateAuthority  # noqa: E402
from huren.node.pki.issuance import IssuanceRequest  # noqa: E402
from huren.node.pki.ocsp import OcspResponder  # noqa: E402
from huren.node.pki.profiles import EnterpriseSubject  # noqa: E402
from huren.registry.types import CertificateKind, KeyUsage, RevocationReason, Scope  # noqa: E402
from tests.support.cluster import free_port, stop_process_group  # noqa: E402

SERVE_ENV = {"HUREN_ACCESS_LOG": "false", "HUREN_LOG_LEVEL": "warning"}
OCSP_PATH = "/v1/pki/cas/zjca/ocsp/"
SUBJECT = EnterpriseSubject("嘉兴市某某建设有限公司", "91350100M000100Y43")
WRK_LUA = r"""
local paths, i = {}, 0
for line in io.lines(os.getenv("HUREN_BENCH_FPS")) do paths[#paths + 1] = line end
function init(args)
  prefix = args[1]
  i = math.random(#paths)
end
function request()
  i = i % #paths + 1
  if prefix == "/v1/health" then return wrk.format("GET", prefix) end
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def ocsp_request(ca: CertificateAuthority, serial: int) -> bytes:
    key_bits = ca.issuing.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            hashlib.sha1(ca.issuing.subject.public_bytes()).digest(),
            hashlib.sha1(key_bits).digest(),
            serial,
            hashes.SHA1(),
        )
        .build()
    )
    return request.public_bytes(serialization.Encoding.DER)


def rate(responder: OcspResponder, requests: list[bytes], seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for der in requests[done % len(requests) :][:200]:
            responder.respond(der)
        done += min(200, len(requests) - done % len(requests))
    return done / elapsed


def prepare(data: Path, count: int) -> list[bytes]:
    from huren.node.node import Node
    from huren.node.settings import Settings

    node = Node.open(Settings(data_dir=data), start_indexer=False)
    try:
        assert node.pki is not None
        requests = [
            IssuanceRequest(
                request_id=f"bench-ocsp-{n}",
                approved_by="bench",
                ca_id="zjca",
                subject=SUBJECT,
                kind=CertificateKind.ENTERPRISE,
                usage=KeyUsage.SIGNING,
                public_key=ed25519.Ed25519PrivateKey.generate().public_key(),
                validity_years=1,
                scope=Scope.ALLIANCE,
                holder=hashlib.sha256(b"bench holder %d" % n).digest(),
            )
            for n in range(count)
        ]
        issued = node.pki.issuance.issue_many(requests)
        for result in issued[:: max(1, len(issued) // (count // 10 or 1))][: count // 10]:
            assert result.fingerprint is not None
            node.pki.issuance.revoke(result.fingerprint, RevocationReason.SUPERSEDED)
        node.catch_up()
        ca = node.pki.ca("zjca")
        serials = [int(r.serial, 16) for r in issued] + [n + 1 for n in range(count)]
        return [ocsp_request(ca, s) for s in serials]
    finally:
        node.close()


def in_process(data: Path, requests: list[bytes], args: argparse.Namespace) -> dict[str, Any]:
    from huren.node.node import Node
    from huren.node.settings import Settings

    node = Node.open(Settings(data_dir=data), start_indexer=False)
    try:
        assert node.pki is not None
        ca, lookup = node.pki.ca("zjca"), node.pki.lookup
        cached = OcspResponder(ca, lookup)
        signed = OcspResponder(ca, lookup, cache_s=0)
        for der in requests:  # warm the cache: the steady state of a busy responder
            cached.respond(der)
        best = {"cached": 0.0, "signed": 0.0}
        for r in range(args.rounds):
            for name, responder in (("signed", signed), ("cached", cached)):
                value = rate(responder, requests, args.duration)
                say(f"round {r + 1} in process {name}: {value:.0f} responses/s")
                best[name] = max(best[name], value)
        return best
    finally:
        node.close()


def over_http(
    data: Path, root: Path, requests: list[bytes], args: argparse.Namespace
) -> dict[str, Any]:
    wrk = ensure_wrk()
    paths = [OCSP_PATH + quote(base64.b64encode(der).decode(), safe="") for der in requests]
    (root / "paths.txt").write_text("".join(p + "\n" for p in paths))
    (root / "bench.lua").write_text(WRK_LUA)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "serve.log"
    cmd = [sys.executable, "-m", "huren.cli", "serve", "--data-dir", str(data)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*cmd, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=os.environ | SERVE_ENV,
        )
    try:
        wait_ready(url, proc, log, timeout=300)
        import httpx

        check = httpx.get(url + paths[0])
        check.raise_for_status()
        answer = ocsp.load_der_ocsp_response(check.content)
        assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
        env = {
            "HUREN_BENCH_FPS": str(root / "paths.txt"),
            "HUREN_BENCH_LUA": str(root / "bench.lua"),
        }
        say("warming up ...")
        run_wrk(wrk, url, OCSP_PATH, env, 2)
        best: dict[str, dict[str, Any]] = {}
        for r in range(args.rounds):
            for name, path in (("bare", "/v1/health"), ("ocsp", OCSP_PATH)):
                result = run_wrk(wrk, url, path, env, args.duration)
                say(
                    f"round {r + 1} http {name}: {result['rps']:.0f} req/s, p99 "
                    f"{result['p99_us'] / 1000:.1f} ms, errors {result['errors']}"
                )
                if name not in best or result["rps"] > best[name]["rps"]:
                    best[name] = result
        return best
    finally:
        stop_process_group(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=1000, help="issued before load")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (best kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="huren-bench-ocsp-") as tmp:
        root = Path(tmp)
        data = root / "node"
        say(f"issuing {args.certificates} certificates and revoking a tenth ...")
        started = time.monotonic()
        requests = prepare(data, args.certificates)
        say(f"  {time.monotonic() - started:.1f} s")
        local = in_process(data, requests, args)
        http = over_http(data, root, requests, args)
    result = {
        "in_process_per_s": round(local["cached"], 1),
        "in_process_signed_per_s": round(local["signed"], 1),
        "cache_ratio": round(local["cached"] / local["signed"], 2),
        "http_per_s": round(http["ocsp"]["rps"], 1),
        "http_bare_per_s": round(http["bare"]["rps"], 1),
        "http_ratio": round(http["ocsp"]["rps"] / http["bare"]["rps"], 3),
        "http_p99_ms": round(http["ocsp"]["p99_us"] / 1000, 2),
        "http_errors": http["ocsp"]["errors"] + http["bare"]["errors"],
        "certificates": args.certificates,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
