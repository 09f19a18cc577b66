"""Two-party signatures through the co-signer's HTTP API versus in process, in one run.

    python benchmarks/cosign.py [--iterations N] [--rounds R]

* ``http``: the device SDK signs a 32-byte digest with a real node on loopback (uvicorn,
  SQLite, dev settings): round one (device signature, PIN proof, certificate recognized at
  the platform from the index, co-signer commitment, record written) and round two (the
  co-signer's share, record written), then the device aggregates and verifies. The PIN's
  Argon2id runs at libsodium's minimum cost here; its real cost (interactive parameters) is
  measured on its own and reported as ``argon2id_ms``: a phone pays it once per operation.
* ``in_process``: the same two-party FROST signature with both parties in one process,
  every message through its byte encoding (the keysplit benchmark's figure).
* ``ed25519``: a plain Ed25519 signature with a whole key (libsodium), the baseline.

Best of R rounds of N signatures each (the machine is shared). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from nacl import pwhash  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402

from huren.api.app import create_app  # noqa: E402
from huren.device.pin import TEST_PARAMS, PinParams, stretch  # noqa: E402
from huren.device.sdk import Device  # noqa: E402
from huren.node import demo  # noqa: E402
from huren.node.cosigner.wire import b64e  # noqa: E402
from huren.node.keysplit.sealing import RecoveryKey  # noqa: E402
from huren.node.node import Node  # noqa: E402
from huren.node.settings import Settings  # noqa: E402
from huren.registry.client import RegistryClient  # noqa: E402
from huren.registry.types import KeyUsage  # noqa: E402
from tests.api.conftest import cert_input  # noqa: E402
from tests.api.cosigner.support import certificate_for  # noqa: E402
from tests.node.keysplit.protocol import enrol, sign  # noqa: E402

ADMIN_KEY = "benchmark-admin-key-" + "x" * 20
PIN = "246810"


def best_ms(operation: Callable[[], object], iterations: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(iterations):
            operation()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(node: Node) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(node), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def enrolled_device(node: Node, http: httpx.Client, home: Path) -> tuple[Device, str]:
    """A device with one signing key whose certificate is bound, recorded and indexed."""
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    recovery = RecoveryKey.generate().public_key
    issued = http.post(
        "/v1/cosigner/tickets",
        json={"holder": "account:bench", "recovery_public_key": b64e(recovery)},
        headers=admin,
    )
    issued.raise_for_status()
    device = Device(home, http, pin_params=TEST_PARAMS)
    stored = device.enrol(issued.json()["ticket"], PIN)
    der = certificate_for(stored.public, "signing", "benchmark holder")
    http.post(
        f"/v1/cosigner/enrolments/{stored.enrolment_id}/certificates",
        json={"certificate": b64e(der)},
        headers=admin,
    ).raise_for_status()
    zjca = RegistryClient(node.backend, node.deployment, demo.ca_operator_account("zjca"))
    fingerprint = hashlib.sha256(der).digest()
    zjca.record_certificates(
        "zjca", demo.issuer_key_id("zjca"), [cert_input(fingerprint, usage=KeyUsage.SIGNING)]
    )
    while not node.indexer.step().caught_up:
        pass
    device.add_certificate(stored.enrolment_id, der)
    return device, stored.enrolment_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n, r = args.iterations, args.rounds
    digest = hashlib.sha256(b"bid file").digest()

    whole = SigningKey.generate()
    ed25519_ms = best_ms(lambda: whole.sign(digest), n * 10, r)
    keys = enrol(RecoveryKey.generate())
    in_process_ms = best_ms(lambda: sign([keys.device, keys.cosigner], digest), n, r)
    interactive = PinParams()
    salt = os.urandom(pwhash.argon2id.SALTBYTES)
    argon2id_ms = best_ms(lambda: stretch(PIN, salt, interactive), 3, 1)

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "node", admin_api_key=ADMIN_KEY, access_log=False)
        node = Node.open(settings, start_indexer=False)
        server, thread, url = serve(node)
        try:
            with httpx.Client(base_url=url, timeout=30.0) as http:
                device, enrolment_id = enrolled_device(node, http, Path(tmp) / "phone")
                http_ms = best_ms(
                    lambda: device.sign(enrolment_id, digest, pin=PIN, platform="alliance"), n, r
                )
        finally:
            server.should_exit = True
            thread.join(timeout=30)

    print(f"plain Ed25519 signature        {ed25519_ms:8.3f} ms")
    ratio = in_process_ms / ed25519_ms
    print(f"two-party FROST in process     {in_process_ms:8.3f} ms  ({ratio:.0f}x Ed25519)")
    print(
        f"two-party FROST over HTTP      {http_ms:8.3f} ms  ({http_ms / in_process_ms:.1f}x in "
        f"process, {1000 / http_ms:.0f}/s)"
    )
    print(f"Argon2id, interactive (per op) {argon2id_ms:8.1f} ms (not in the HTTP figure)")
    print(
        json.dumps(
            {
                "in_process_ms": round(in_process_ms, 3),
                "http_ms": round(http_ms, 3),
                "ed25519_ms": round(ed25519_ms, 4),
                "http_per_s": round(1000 / http_ms, 1),
                "http_vs_in_process": round(http_ms / in_process_ms, 2),
                "argon2id_ms": round(argon2id_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
