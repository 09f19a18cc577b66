"""Split-key throughput versus whole-key operations, all in one process and one run.

    python benchmarks/keysplit.py [--iterations N] [--rounds R]

* Two-party FROST signature (device + co-signer, RFC 9591, the device coordinating): both
  commit, the device builds the package, both sign, the device aggregates and verifies the
  signature; every message between device and co-signer goes through its byte encoding and
  is parsed (and its points validated) on the receiving side, as over HTTP. Baseline: one
  plain Ed25519 signature (libsodium via PyNaCl) with the whole key.
* Split X25519 decryption: the co-signer answers a request (crossing the wire as bytes)
  with D_2 and its proof; the device checks the proof, adds its own s_1·E and combines.
  Baseline: one X25519 exchange with the whole key (``cryptography``).
* For scale, one 2-of-3 key generation (DKG, the recovery share sealed).

Best of R rounds of N operations each (the machine is shared). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: E402
from nacl.signing import SigningKey  # noqa: E402

from huren.node.keysplit.dealer import trusted_dealer_keygen  # noqa: E402
from huren.node.keysplit.decrypt import (  # noqa: E402
    DecryptionRequest,
    DecryptionShare,
    combine_decryption_shares,
    decryption_share,
    x25519_public_key,
)
from huren.node.keysplit.frost import (  # noqa: E402
    SignatureShare,
    SigningCommitment,
    SigningPackage,
)
from huren.node.keysplit.sealing import RecoveryKey  # noqa: E402
from huren.node.keysplit.signer import Coordinator, SignerParty  # noqa: E402
from tests.node.keysplit.protocol import enrol  # noqa: E402


def best_ms(operation: Callable[[], object], iterations: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(iterations):
            operation()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    device_key, cosigner_key, _ = trusted_dealer_keygen()
    device, cosigner = SignerParty(device_key), SignerParty(cosigner_key)
    coordinator = Coordinator(device_key.public)
    message = os.urandom(64)  # a document digest and context, as the device would sign

    def frost_sign() -> bytes:
        # The device coordinates; only what crosses the wire to or from the co-signer is
        # encoded and parsed (and so validated) on the other side.
        device_commitment = device.commit()
        cosigner_commitment = SigningCommitment.from_bytes(cosigner.commit().to_bytes())
        package = coordinator.signing_package(message, [device_commitment, cosigner_commitment])
        cosigner_share = cosigner.sign(SigningPackage.from_bytes(package.to_bytes()))
        shares = [device.sign(package), SignatureShare.from_bytes(cosigner_share.to_bytes())]
        return coordinator.aggregate(package, shares)

    whole_signing_key = SigningKey.generate()

    def ed25519_sign() -> bytes:
        return bytes(whole_signing_key.sign(message).signature)

    enc = X25519PrivateKey.generate().public_key().public_bytes_raw()
    public = device_key.public
    assert len(x25519_public_key(public)) == 32

    def split_decrypt() -> bytes:
        request = DecryptionRequest(public.group_public_key, public.epoch, enc)
        remote = decryption_share(cosigner_key, DecryptionRequest.from_bytes(request.to_bytes()))
        shares = [DecryptionShare.from_bytes(remote.to_bytes())]
        return combine_decryption_shares(public, request, shares, own_key=device_key)

    whole_x25519 = X25519PrivateKey.generate()
    peer = X25519PrivateKey.generate().public_key()

    def x25519() -> bytes:
        return whole_x25519.exchange(peer)

    recovery_key = RecoveryKey.generate()
    n, r = args.iterations, args.rounds
    frost_ms = best_ms(frost_sign, n, r)
    ed25519_ms = best_ms(ed25519_sign, n, r)
    split_ms = best_ms(split_decrypt, n, r)
    x25519_ms = best_ms(x25519, n, r)
    dkg_ms = best_ms(lambda: enrol(recovery_key), max(n // 20, 3), r)

    print(f"two-party FROST signature: {frost_ms:8.3f} ms  ({1000 / frost_ms:8.0f} /s)")
    print(f"plain Ed25519 signature:   {ed25519_ms:8.3f} ms  ({1000 / ed25519_ms:8.0f} /s)")
    print(f"  ratio FROST / Ed25519:   {frost_ms / ed25519_ms:8.1f}x")
    print(f"split X25519 decryption:   {split_ms:8.3f} ms  ({1000 / split_ms:8.0f} /s)")
    print(f"plain X25519 exchange:     {x25519_ms:8.3f} ms  ({1000 / x25519_ms:8.0f} /s)")
    print(f"  ratio split / X25519:    {split_ms / x25519_ms:8.1f}x")
    print(f"2-of-3 DKG (enrolment):    {dkg_ms:8.3f} ms")
    print(
        json.dumps(
            {
                "frost_sign_ms": round(frost_ms, 4),
                "frost_signs_per_s": round(1000 / frost_ms, 1),
                "ed25519_sign_ms": round(ed25519_ms, 4),
                "frost_vs_ed25519": round(frost_ms / ed25519_ms, 2),
                "split_decrypt_ms": round(split_ms, 4),
                "split_decrypts_per_s": round(1000 / split_ms, 1),
                "x25519_ms": round(x25519_ms, 4),
                "split_vs_x25519": round(split_ms / x25519_ms, 2),
                "dkg_ms": round(dkg_ms, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
