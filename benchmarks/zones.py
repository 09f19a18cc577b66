"""Cost of a zone change in the node, against the bare chain transaction it makes.

    python benchmarks/zones.py [--n N]

A fresh embedded chain with the demo consortium and a fresh SQLite index, in process (no
HTTP, no co-signer: each certificate has a plain Ed25519 key and is presented with the
statement). Baseline: ``bindCertificate`` then ``unbindCertificate`` sent directly by the
center's account on other certificates. Measured: ``ZoneService.bind`` then ``unbind`` (the
statement's checks against the index, recognition, the signature, the SMS code, the
statement row before and after the transaction, the operation log), codes sent untimed.
Also the nearest platform among the demo platforms against reading the platform list.
Each figure is mean milliseconds of N; ratios are against the baseline of the same run.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from huren.node import demo, demo_platforms
from huren.node.accounts.codes import Purpose
from huren.node.accounts.ratelimit import Limit
from huren.node.accounts.service import AccountService, Policy
from huren.node.db.engine import make_engine, migrate
from huren.node.indexer import Indexer
from huren.node.platforms.geo import Position
from huren.node.platforms.service import PlatformDirectory
from huren.node.ports.simulators import SimulatedSms, simulated_ports
from huren.node.zones.service import ZoneService
from huren.node.zones.statement import ZoneStatement
from huren.registry.client import RegistryClient
from huren.registry.embedded import EmbeddedBackend
from huren.registry.types import CertificateInput, CertificateKind, KeyUsage, Scope

PLATFORM = "jiaxing-ggzy"
PHONE = "13900139301"


def certificate(key: Ed25519PrivateKey, ca: ec.EllipticCurvePrivateKey, i: int) -> bytes:
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"holder {i}")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(ca, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        backend = EmbeddedBackend(Path(tmp) / "chain", snapshot_every=0)
        deployment = demo.seed(backend)
        url = f"sqlite:///{Path(tmp) / 'node.db'}"
        migrate(url)
        engine = make_engine(url)
        indexer = Indexer(engine, backend, deployment)
        center = RegistryClient(backend, deployment, demo.center_account("jiaxing"))
        zjca = RegistryClient(backend, deployment, demo.ca_operator_account("zjca"))
        ca = ec.generate_private_key(ec.SECP256R1())
        keys = [Ed25519PrivateKey.generate() for _ in range(2 * n)]
        ders = [certificate(k, ca, i) for i, k in enumerate(keys)]
        now = int(time.time())
        zjca.record_certificates(
            "zjca",
            demo.issuer_key_id("zjca"),
            [
                CertificateInput(
                    fingerprint=hashlib.sha256(d).digest(),
                    holder=hashlib.sha256(b"holder" + d).digest(),
                    not_before=now - 60,
                    not_after=now + 86_400,
                    kind=CertificateKind.ENTERPRISE,
                    usage=KeyUsage.SIGNING,
                    scope=Scope.ALLIANCE,
                )
                for d in ders
            ],
        )
        while not indexer.step().caught_up:
            pass
        demo_platforms.seed_profiles(engine)
        ports = simulated_ports()
        assert isinstance(ports.sms, SimulatedSms)
        unlimited = Limit(10**9, 1, "unlimited")
        accounts = AccountService(
            engine,
            ports,
            b"benchmark-secret-of-32-bytes-len",
            policy=Policy(unlimited, unlimited, unlimited, unlimited, unlimited),
        )

        def code() -> str:
            found = re.search(r"\d{6}", ports.sms.outbox(PHONE)[0].text)
            assert found is not None
            return found.group()

        accounts.send_code(PHONE, Purpose.LOGIN, "bench")
        account = accounts.login_sms(PHONE, code()).account
        zones = ZoneService(engine, center, accounts)

        start = time.perf_counter()
        for d in ders[n:]:
            fp = hashlib.sha256(d).digest()
            center.bind_certificate(fp, PLATFORM, hashlib.sha256(b"bind" + fp).digest())
            center.unbind_certificate(fp, PLATFORM, hashlib.sha256(b"unbind" + fp).digest())
        bare_ms = (time.perf_counter() - start) / n * 1000

        zone_s = 0.0
        for key, d in zip(keys[:n], ders[:n], strict=True):
            fp = hashlib.sha256(d).digest()
            for action in ("bind", "unbind"):
                st = ZoneStatement.new(
                    action,  # type: ignore[arg-type]
                    chain_id=deployment.chain_id,
                    registry=deployment.registry,
                    platform_id=PLATFORM,
                    fingerprint=fp,
                    account_id=account.id,
                    issued_at=int(time.time()),
                )
                zones.send_code(account.id, action, "bench")  # type: ignore[arg-type]
                sms = code()
                raw = st.to_bytes()
                signature = key.sign(raw)
                change = zones.bind if action == "bind" else zones.unbind
                t0 = time.perf_counter()
                change(account.id, raw, signature, sms, d)
                zone_s += time.perf_counter() - t0
                while not indexer.step().caught_up:  # the next check reads the index
                    pass
        zone_ms = zone_s / n * 1000

        directory = PlatformDirectory(engine)
        start = time.perf_counter()
        for _ in range(n * 10):
            directory.sites()
        list_ms = (time.perf_counter() - start) / (n * 10) * 1000
        start = time.perf_counter()
        for _ in range(n * 10):
            directory.nearest(Position(31.0, 120.5))
        nearest_ms = (time.perf_counter() - start) / (n * 10) * 1000
        engine.dispose()
        backend.close()
    print(f"bare bind+unbind transactions: {bare_ms:8.2f} ms (baseline)")
    print(f"zone bind+unbind in the node:  {zone_ms:8.2f} ms ({zone_ms / bare_ms:.2f}x)")
    print(f"platform list read:            {list_ms:8.3f} ms (baseline)")
    print(f"nearest platform:              {nearest_ms:8.3f} ms ({nearest_ms / list_ms:.2f}x)")
    print(
        json.dumps(
            {
                "benchmark": "zones",
                "n": n,
                "bare_bind_unbind_ms": round(bare_ms, 2),
                "zone_bind_unbind_ms": round(zone_ms, 2),
                "zone_vs_bare": round(zone_ms / bare_ms, 2),
                "platform_list_ms": round(list_ms, 3),
                "nearest_ms": round(nearest_ms, 3),
                "nearest_vs_list": round(nearest_ms / list_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
