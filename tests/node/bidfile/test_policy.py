"""The recognition policy: a bid file is encrypted only to certificates the node's index
recognizes for ``encrypt`` at the platform (the demo consortium on a seeded embedded chain,
indexed into SQLite)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import Engine

from huren.node.bidfile import RecipientNotRecognized, decrypt, encrypt
from huren.node.bidfile.policy import RecognitionPolicy
from tests.node.bidfile.conftest import INDEXED as H


def refusals(policy: RecognitionPolicy, names: list[str], platform: str) -> dict[str, list[str]]:
    by_fp = {H[n].fingerprint: n for n in names}
    try:
        policy.check([H[n].fingerprint for n in names], platform)
    except RecipientNotRecognized as exc:
        assert exc.platform_id == platform
        return {by_fp[f]: codes for f, codes in exc.refusals.items()}
    return {}


def test_the_policy_follows_recognition_for_encrypt(index: Engine) -> None:
    policy = RecognitionPolicy(index)
    assert refusals(policy, ["alliance", "staff_granted"], "jiaxing-ggzy") == {}
    assert refusals(policy, ["regional"], "nantong-ggzy") == {}
    everyone = list(H)
    assert refusals(policy, everyone, "jiaxing-ggzy") == {
        "regional": ["OUT_OF_SCOPE"],
        "revoked": ["REVOKED"],
        "signing": ["WRONG_USAGE"],
        "enterprise": ["WRONG_USAGE"],
        "unknown": ["UNKNOWN_CERTIFICATE"],
        "staff": ["NOT_AUTHORIZED"],  # authorized to sign there, not to encrypt
    }
    assert refusals(policy, ["alliance"], "no-such-platform") == {"alliance": ["UNKNOWN_PLATFORM"]}
    # Judged at a time before the certificates were valid: all refused as not yet valid.
    early = RecognitionPolicy(index, clock=lambda: 1_000_000_000)
    assert refusals(early, ["alliance"], "alliance") == {"alliance": ["NOT_YET_VALID"]}


def test_encrypting_through_the_policy(index: Engine) -> None:
    policy = RecognitionPolicy(index)
    to = [H["alliance"], H["staff_granted"]]
    blob = io.BytesIO()
    encrypt(
        io.BytesIO(b"tender"),
        blob,
        [h.recipient for h in to],
        platform_id="jiaxing-ggzy",
        policy=policy,
    )
    for h in to:
        out = io.BytesIO()
        decrypt(io.BytesIO(blob.getvalue()), out, h.decapsulator())
        assert out.getvalue() == b"tender"
    refused = io.BytesIO()
    with pytest.raises(RecipientNotRecognized):
        encrypt(
            io.BytesIO(b"tender"),
            refused,
            [H["alliance"].recipient, H["revoked"].recipient],
            platform_id="jiaxing-ggzy",
            policy=policy,
        )
    assert refused.getvalue() == b""
