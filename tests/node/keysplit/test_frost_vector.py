"""RFC 9591 test vector for FROST(Ed25519, SHA-512), reproduced value by value.

Origin of the vector: RFC 9591 Appendix E.1 ("FROST(Ed25519, SHA-512)"), as published in the
RFC and in the cfrg/draft-irtf-cfrg-frost repository's test vectors. The project's copy is
shared/vectors/frost-ed25519-sha512.json; tests/node/keysplit/vectors/ holds a byte-identical
copy so the repository is self-contained. Nothing in it is computed by the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nacl.signing
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from huren.node.keysplit.dealer import split_secret
from huren.node.keysplit.frost import (
    SignatureShare,
    aggregate,
    binding_factor_input,
    compute_binding_factors,
    compute_group_commitment,
    nonce_generate,
    verify_signature,
)
from huren.node.keysplit.group import base_mul, decode_scalar, encode_point, encode_scalar
from huren.node.keysplit.signer import Coordinator, SignerParty

VECTOR_PATH = Path(__file__).parent / "vectors" / "frost-ed25519-sha512.json"


@pytest.fixture(scope="module")
def vector() -> dict[str, Any]:
    return dict(json.loads(VECTOR_PATH.read_text()))


def scalar(hex_value: str) -> int:
    return decode_scalar(bytes.fromhex(hex_value))


def feed(*chunks: str) -> Iterator[bytes]:
    yield from (bytes.fromhex(c) for c in chunks)


def test_rfc9591_ed25519_vector(vector: dict[str, Any]) -> None:
    inputs = vector["inputs"]
    config = vector["config"]
    secret = scalar(inputs["group_secret_key"])
    coefficients = [scalar(c) for c in inputs["share_polynomial_coefficients"]]
    shares = split_secret(
        secret,
        coefficients,
        int(config["MAX_PARTICIPANTS"]),
        int(config["MIN_PARTICIPANTS"]),
    )
    group_key = base_mul(secret)
    assert encode_point(group_key).hex() == inputs["group_public_key"]
    for expected, share in zip(inputs["participant_shares"], shares, strict=True):
        assert share.identifier == expected["identifier"]
        assert encode_scalar(share.secret_share).hex() == expected["participant_share"]

    message = bytes.fromhex(inputs["message"])
    round_one = {o["identifier"]: o for o in vector["round_one_outputs"]["outputs"]}
    parties = {}
    commitments = []
    for identifier in inputs["participant_list"]:
        out = round_one[identifier]
        randomness = feed(out["hiding_nonce_randomness"], out["binding_nonce_randomness"])
        party = SignerParty(shares[identifier - 1], random_bytes=lambda n, r=randomness: next(r))
        commitment = party.commit()
        assert encode_point(commitment.hiding).hex() == out["hiding_nonce_commitment"]
        assert encode_point(commitment.binding).hex() == out["binding_nonce_commitment"]
        parties[identifier] = party
        commitments.append(commitment)

    # The nonces themselves stay inside the parties; recompute them from the same randomness
    # with the RFC's nonce_generate to check the intermediate values.
    for identifier in inputs["participant_list"]:
        out = round_one[identifier]
        sk = shares[identifier - 1].secret_share
        hiding = nonce_generate(sk, lambda n, o=out: bytes.fromhex(o["hiding_nonce_randomness"]))
        binding = nonce_generate(sk, lambda n, o=out: bytes.fromhex(o["binding_nonce_randomness"]))
        assert encode_scalar(hiding).hex() == out["hiding_nonce"]
        assert encode_scalar(binding).hex() == out["binding_nonce"]

    coordinator = Coordinator(shares[0].public)
    package = coordinator.signing_package(message, commitments)
    factors = compute_binding_factors(group_key, package)
    for identifier in inputs["participant_list"]:
        out = round_one[identifier]
        assert (
            binding_factor_input(group_key, package, identifier).hex()
            == out["binding_factor_input"]
        )
        assert encode_scalar(factors[identifier]).hex() == out["binding_factor"]
    group_commitment = compute_group_commitment(package, factors)
    assert encode_point(group_commitment).hex() == vector["final_output"]["sig"][:64]

    round_two = {o["identifier"]: o["sig_share"] for o in vector["round_two_outputs"]["outputs"]}
    sig_shares: list[SignatureShare] = []
    for identifier in inputs["participant_list"]:
        share = parties[identifier].sign(package)
        assert encode_scalar(share.share).hex() == round_two[identifier]
        sig_shares.append(share)

    signature = coordinator.aggregate(package, sig_shares)
    assert signature.hex() == vector["final_output"]["sig"]
    assert signature == aggregate(package, sig_shares, shares[0].public)

    # Ordinary Ed25519 verifiers accept it.
    Ed25519PublicKey.from_public_bytes(encode_point(group_key)).verify(signature, message)
    nacl.signing.VerifyKey(encode_point(group_key)).verify(message, signature)
    verify_signature(group_key, message, signature)
