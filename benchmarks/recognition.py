"""Recognition throughput of one node API versus a bare endpoint of the same app.

    python benchmarks/recognition.py [--certificates N] [--duration S] [--rounds R]
                                     [--answer-cache N]
    python benchmarks/recognition.py --soak [--rate 1000] [--duration 60]

Default mode: a dev node on the embedded chain with the demo consortium and N recorded
certificates (so the index is realistic) is served by ``huren serve`` (one uvicorn worker,
loopback; ``HUREN_ACCESS_LOG=false`` and ``HUREN_LOG_LEVEL=warning``, for both endpoints
alike: a log line per request would be much of what gets measured). A separate load
process, ``wrk`` at 32 connections (apt-get installs it when missing), alternates
``GET /v1/recognition?fingerprint=...&platform=alliance&action=login`` (the demo platform
key, fingerprints rotated over the recorded ones) and the bare ``/v1/health`` for R rounds;
the best round of each is reported (the machine is shared). The index stays at one block
meanwhile, so after the first pass over the fingerprints the node answers from its cache of
answers about now (``HUREN_RECOGNITION_ANSWER_CACHE``); ``--answer-cache 0`` measures every
answer computed afresh from the index.
Ends with one JSON line: {"recognition_rps", "bare_rps", "ratio", "p99_ms", ...}. At a fixed
32 connections, latency is 32 / throughput (Little's law): p99 <= 10 ms needs > 3,200 rps.

Soak mode: one ``huren node`` on anvil (``tests/support/cluster.py``; the embedded chain's
data directory is locked by its node), while a CA operator records batches through the same
chain in the background; a rate-limited open-loop load process (asyncio over raw HTTP/1.1,
fixed schedule, latency counted from each request's due time) holds ``--rate`` requests/s
for ``--duration`` s. Ends with one JSON line: {"soak_rps", "errors", "p99_ms", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402

from huren.node import demo  # noqa: E402
from huren.registry.client import RegistryClient  # noqa: E402
from huren.registry.jsonrpc import JsonRpcBackend  # noqa: E402
from huren.registry.types import CertificateInput, CertificateKind, KeyUsage, Scope  # noqa: E402
from tests.support.cluster import free_port, stop_process_group  # noqa: E402

NOT_BEFORE = 1_767_225_600  # 2026-01-01
NOT_AFTER = NOT_BEFORE + 5 * 365 * 86_400
BATCH = 1000
CONNECTIONS = 32
RECOGNITION = "/v1/recognition?platform=alliance&action=login&fingerprint="
# How the node is served for both the bare and the recognition runs: no access log line per
# request and warnings only (logging 3,000 lines a second would be what gets measured).
SERVE_ENV = {"HUREN_ACCESS_LOG": "false", "HUREN_LOG_LEVEL": "warning"}

# wrk: every thread reads the fingerprints, starts at its own offset and rotates; done()
# prints the summary as JSON (latencies in microseconds).
WRK_LUA = r"""
local fps, i, prefix = {}, 0, ""
for line in io.lines(os.getenv("HUREN_BENCH_FPS")) do fps[#fps + 1] = line end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("HUREN_BENCH_KEY")
function init(args)
  prefix = args[1]
  i = math.random(#fps)
end
function request()
  i = i % #fps + 1
  if prefix == "/v1/health" then return wrk.format("GET", prefix) end
  return wrk.format("GET", prefix .. fps[i])
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


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def certificate(n: int, center: str) -> CertificateInput:
    """A realistic mix: mostly enterprise signing certificates, some staff, personal,
    encryption and regional ones (so some answers are refusals, as in life)."""
    regional = n % 10 == 9
    return CertificateInput(
        fingerprint=hashlib.sha256(b"bench recognition %d" % n).digest(),
        holder=hashlib.sha256(b"bench holder %d" % n).digest(),
        not_before=NOT_BEFORE,
        not_after=NOT_AFTER,
        kind=CertificateKind((1, 1, 1, 2, 3)[n % 5]),
        usage=KeyUsage.ENCRYPTION if n % 7 == 6 else KeyUsage.SIGNING,
        scope=Scope.REGIONAL if regional else Scope.ALLIANCE,
        center=center if regional else None,
    )


def record(client: RegistryClient, start: int, count: int) -> list[bytes]:
    center = demo.center_account("nantong").address
    certs = [certificate(n, center) for n in range(start, start + count)]
    for i in range(0, len(certs), BATCH):
        client.record_certificates("zjca", demo.issuer_key_id("zjca"), certs[i : i + BATCH])
    return [c.fingerprint for c in certs]


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the node exited:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(url + "/v1/ready", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the node was not ready in {timeout}s:\n{log.read_text(errors='replace')}")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    say("installing wrk (apt-get) ...")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        subprocess.run(install, capture_output=True, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and apt-get could not install it")
    return found


def run_wrk(wrk: str, url: str, path: str, env: dict[str, str], seconds: float) -> dict[str, Any]:
    cmd = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency"]
    cmd += ["--timeout", "5s", "-s", env["HUREN_BENCH_LUA"], url, "--", path]
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | env, check=False)
    lines = [x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    line = lines[-1]
    result: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return result


def throughput(args: argparse.Namespace) -> dict[str, Any]:
    from huren.node.node import Node
    from huren.node.settings import Settings

    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="huren-bench-recognition-") as tmp:
        root = Path(tmp)
        data = root / "node"
        say(f"seeding the demo consortium and recording {args.certificates} certificates ...")
        started = time.monotonic()
        node = Node.open(Settings(data_dir=data), start_indexer=False)
        try:
            zjca = RegistryClient(node.backend, node.deployment, demo.ca_operator_account("zjca"))
            fps = record(zjca, 0, args.certificates)
        finally:
            node.close()
        say(f"  {time.monotonic() - started:.1f} s")
        (root / "fps.txt").write_text("".join(fp.hex() + "\n" for fp in fps))
        (root / "bench.lua").write_text(WRK_LUA)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = root / "serve.log"
        cmd = [sys.executable, "-m", "huren.cli", "serve", "--data-dir", str(data)]
        answer_cache = {"HUREN_RECOGNITION_ANSWER_CACHE": str(args.answer_cache)}
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [*cmd, "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=os.environ | SERVE_ENV | answer_cache,
            )
        try:
            say("starting `huren serve` (indexes the certificates before serving) ...")
            wait_ready(url, proc, log, timeout=300)
            key = (data / "demo-platform-api-key").read_text().strip()
            check = httpx.get(
                url + RECOGNITION + fps[0].hex(), headers={"Authorization": f"Bearer {key}"}
            )
            check.raise_for_status()
            assert check.json()["recognized"] is True, check.text
            env = {"HUREN_BENCH_FPS": str(root / "fps.txt"), "HUREN_BENCH_KEY": key}
            env["HUREN_BENCH_LUA"] = str(root / "bench.lua")
            say("warming up ...")
            run_wrk(wrk, url, RECOGNITION, env, 2)
            run_wrk(wrk, url, "/v1/health", env, 2)
            best: dict[str, dict[str, Any]] = {}
            for r in range(args.rounds):
                for name, path in (("bare", "/v1/health"), ("recognition", RECOGNITION)):
                    result = run_wrk(wrk, url, path, env, args.duration)
                    say(
                        f"round {r + 1} {name}: {result['rps']:.0f} req/s, p50 "
                        f"{result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} "
                        f"ms, errors {result['errors']}"
                    )
                    if name not in best or result["rps"] > best[name]["rps"]:
                        best[name] = result
        finally:
            stop_process_group(proc)
    rec, bare = best["recognition"], best["bare"]
    return {
        "recognition_rps": round(rec["rps"], 1),
        "bare_rps": round(bare["rps"], 1),
        "ratio": round(rec["rps"] / bare["rps"], 3),
        "p99_ms": round(rec["p99_us"] / 1000, 2),
        "p50_ms": round(rec["p50_us"] / 1000, 2),
        "connections": CONNECTIONS,
        "certificates": args.certificates,
        "answer_cache": args.answer_cache,
        "errors": rec["errors"] + bare["errors"],
    }


# -- soak ---------------------------------------------------------------------------------------


ISSUE_BATCH = 100  # records per background issuance transaction, one a second
REQUEST_TIMEOUT_S = 5.0
GRACE_S = 5.0  # requests not sent by duration + grace count as missed (the rate was not held)


async def _response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split(b" ", 2)[1])
    length = None
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ValueError("no content-length")
    await reader.readexactly(length)
    return status


async def _open_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """Request i is due at t0 + i / rate; the first free connection sends it; its latency
    counts from the due time, so a server that falls behind shows it (no coordinated
    omission)."""
    fps = Path(spec["fps"]).read_text().split()
    rate, duration = spec["rate"], spec["duration"]
    total = int(rate * duration)
    head = f"Host: 127.0.0.1\r\nAuthorization: Bearer {spec['key']}\r\n\r\n"
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.2
    state = {"next": 0, "missed": 0}
    latencies: list[float] = []
    errors: dict[str, int] = {}

    async def connection() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while (i := state["next"]) < total:
            state["next"] += 1
            due = t0 + i / rate
            if loop.time() > t0 + duration + GRACE_S:
                state["missed"] += total - i
                state["next"] = total
                break
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", spec["port"])
                path = RECOGNITION + fps[i % len(fps)]
                writer.write(f"GET {path} HTTP/1.1\r\n{head}".encode())
                status = await asyncio.wait_for(_response(reader), REQUEST_TIMEOUT_S)
                if status == 200:
                    latencies.append(loop.time() - due)
                else:
                    errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(spec["connections"])))
    elapsed = loop.time() - t0
    latencies.sort()

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2)

    return {
        "achieved_rps": round(len(latencies) / elapsed, 1),
        "ok": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "missed": state["missed"],
        "p50_ms": pct(0.50) if latencies else None,
        "p99_ms": pct(0.99) if latencies else None,
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
    }


def _issue_in_background(
    client: RegistryClient, start: int, stop: threading.Event
) -> dict[str, Any]:
    """A CA operator records ISSUE_BATCH certificates a second until ``stop``."""
    done: dict[str, Any] = {"records": 0, "errors": 0, "last": None}
    n = start
    while not stop.is_set():
        began = time.monotonic()
        try:
            done["last"] = record(client, n, ISSUE_BATCH)[-1]
            done["records"] += ISSUE_BATCH
        except Exception as exc:  # reported, not raised: the soak goes on
            done["errors"] += 1
            say(f"issuance failed: {type(exc).__name__}: {exc}")
        n += ISSUE_BATCH
        stop.wait(max(0.0, 1.0 - (time.monotonic() - began)))
    return done


def soak(args: argparse.Namespace) -> dict[str, Any]:
    from tests.support.anvil import start_anvil
    from tests.support.cluster import deploy_demo, start_cluster

    with tempfile.TemporaryDirectory(prefix="huren-bench-soak-") as tmp, start_anvil() as anvil:
        root = Path(tmp)
        say(f"deploying on anvil and recording {args.certificates} certificates ...")
        deployment = deploy_demo(anvil, root)
        chain = JsonRpcBackend(anvil.url, chain_id=anvil.chain_id)
        zjca = RegistryClient(chain, deployment, demo.ca_operator_account("zjca"))
        fps = record(zjca, 0, args.certificates)
        (root / "fps.txt").write_text("".join(fp.hex() + "\n" for fp in fps))
        say("starting one `huren node` on anvil ...")
        with start_cluster(
            anvil, root, ["jiaxing"], deployment=deployment, env=SERVE_ENV
        ) as cluster:
            node = cluster.nodes["jiaxing"]
            spec = {"port": node.port, "key": node.keys["alliance"], "fps": str(root / "fps.txt")}
            spec |= {"rate": args.rate, "duration": args.duration, "connections": CONNECTIONS}
            stop = threading.Event()
            issued: dict[str, Any] = {}
            issuer = threading.Thread(
                target=lambda: issued.update(_issue_in_background(zjca, len(fps), stop))
            )
            say(f"holding {args.rate:.0f} req/s for {args.duration:.0f} s while issuing ...")
            issuer.start()
            try:
                worker = subprocess.run(
                    [sys.executable, __file__, "--load-worker", json.dumps(spec)],
                    capture_output=True,
                    text=True,
                    check=True,
                    timeout=args.duration + 3 * GRACE_S + REQUEST_TIMEOUT_S,
                )
            finally:
                stop.set()
                issuer.join()
            load = json.loads(worker.stdout.splitlines()[-1])
            say(f"load: {load}")
            say(f"issued in the background: {issued['records']} records")
            last, deadline = issued["last"] or fps[-1], time.monotonic() + 10
            while "UNKNOWN_CERTIFICATE" in (seen := node.recognition(last, "alliance"))["reasons"]:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        chain.close()
    return {
        "soak_rps": load["achieved_rps"],
        "target_rps": args.rate,
        "duration_s": args.duration,
        "errors": load["errors"] + load["missed"],
        "failed_requests": load["errors"],
        "missed_schedule": load["missed"],
        "p50_ms": load["p50_ms"],
        "p99_ms": load["p99_ms"],
        "issued_records": issued["records"],
        "issuance_errors": issued["errors"],
        "last_issued_indexed": "UNKNOWN_CERTIFICATE" not in seen["reasons"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=5000, help="recorded before load")
    parser.add_argument("--duration", type=float, default=None, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (best kept)")
    parser.add_argument(
        "--answer-cache", type=int, default=65_536, help="answers kept per block; 0: none"
    )
    parser.add_argument("--soak", action="store_true", help="hold --rate while issuing")
    parser.add_argument("--rate", type=float, default=1000.0, help="soak requests/s")
    parser.add_argument("--load-worker", help=argparse.SUPPRESS)  # the soak's load process
    args = parser.parse_args()
    if args.load_worker:
        print(json.dumps(asyncio.run(_open_loop(json.loads(args.load_worker)))), flush=True)
        return 0
    if args.duration is None:
        args.duration = 60.0 if args.soak else 10.0
    result = soak(args) if args.soak else throughput(args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
