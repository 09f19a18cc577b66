"""Scan-to-act flows against a real node on loopback, as ratios of one co-signed signature.

    python benchmarks/scan.py [--iterations N] [--rounds R]

* ``cosign``: the baseline, one two-party signature through the co-signer's API (the device
  SDK's two rounds), as in benchmarks/cosign.py;
* ``scan_login``: a whole 扫码登录: the platform creates a request, the device scans the payload
  (node signature checked), reads the request, signs the challenge with the co-signer, posts
  the answer (the node checks certificate, recognition, signature, single use), the platform
  reads the approved result;
* ``session_sign``: a sign request pushed into a signing session (no QR, no PIN proof), received
  and auto-confirmed by the device, read by the platform.

PIN stretching runs at libsodium's minimum cost (see cosign.py for the real cost). Best of R
rounds of N flows each (the machine is shared). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from cosign import ADMIN_KEY, PIN, best_ms, enrolled_device, free_port  # noqa: E402

from huren.api.app import create_app  # noqa: E402
from huren.device.scan import ScanDevice  # noqa: E402
from huren.device.sessions import SigningSession  # noqa: E402
from huren.node import demo, platform_keys  # noqa: E402
from huren.node.db.engine import write_session  # noqa: E402
from huren.node.node import Node  # noqa: E402
from huren.node.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n, r = args.iterations, args.rounds
    digest = hashlib.sha256(b"bid file").digest()

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = Settings(
            data_dir=Path(tmp) / "node", admin_api_key=ADMIN_KEY, access_log=False, public_url=url
        )
        node = Node.open(settings, start_indexer=False)
        config = uvicorn.Config(
            create_app(node), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            with write_session(node.engine) as session:
                key = platform_keys.issue_key(
                    session,
                    "alliance",
                    center=demo.center_account("jiaxing").address,
                    now=int(time.time()),
                ).key
            platform = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=url, timeout=30.0) as http:
                device, enrolment_id = enrolled_device(node, http, Path(tmp) / "phone")
                phone = ScanDevice(device)
                fingerprint = phone.choose_certificate(None, None)[1]

                def cosign() -> None:
                    device.sign(enrolment_id, digest, pin=PIN, platform="alliance")

                def scan_login() -> None:
                    created = http.post(
                        "/v1/scan/requests", json={"action": "login"}, headers=platform
                    ).json()
                    phone.approve(phone.scan(created["payload"]), pin=PIN)
                    done = http.get(f"/v1/scan/requests/{created['request_id']}", headers=platform)
                    assert done.json()["status"] == "approved"

                session = SigningSession.start(
                    phone, pin=PIN, platform="alliance", auto_confirm=True
                )

                def session_sign() -> None:
                    created = http.post(
                        "/v1/scan/requests",
                        json={
                            "action": "sign",
                            "params": {"digest_sha256": digest.hex(), "title": "bid"},
                            "session_fingerprint": fingerprint,
                        },
                        headers=platform,
                    ).json()
                    assert session.run().approved == [created["request_id"]]
                    done = http.get(f"/v1/scan/requests/{created['request_id']}", headers=platform)
                    assert done.json()["status"] == "approved"

                cosign_ms = best_ms(cosign, n, r)
                login_ms = best_ms(scan_login, n, r)
                session_ms = best_ms(session_sign, n, r)
        finally:
            server.should_exit = True
            thread.join(timeout=30)

    print(f"co-signed signature (baseline) {cosign_ms:8.2f} ms")
    print(f"scan login, whole flow         {login_ms:8.2f} ms  ({login_ms / cosign_ms:.1f}x)")
    print(f"session sign, pushed + auto    {session_ms:8.2f} ms  ({session_ms / cosign_ms:.1f}x)")
    print(
        json.dumps(
            {
                "cosign_ms": round(cosign_ms, 2),
                "scan_login_ms": round(login_ms, 2),
                "session_sign_ms": round(session_ms, 2),
                "scan_login_vs_cosign": round(login_ms / cosign_ms, 2),
                "session_sign_vs_cosign": round(session_ms / cosign_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
