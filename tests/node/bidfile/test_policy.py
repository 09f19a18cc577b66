"""The recognition policy: a bid file is encrypted only to certificates the node's index
recognizes for ``encrypt`` at the platform (the demo consortium on a seeded embedded chain,
indexed into SQLite)."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from huren.node import demo
from huren.node.bidfile import RecipientNotRecognized, decrypt, encrypt
from huren.node.bidfile.policy import RecognitionPolicy
from huren.node.db.engine import make_engine, migrate
from huren.node.indexer import Indexer
from huren.registry.client import RegistryClient
from huren.registry.types import (
    CertificateInput,
    CertificateKind,
    KeyUsage,
    RevocationReason,
    Right,
    Scope,
)
from tests.node.bidfile.conftest import Holder, holder
from tests.node.conftest import SeededChain

DAY = 86_400


def record(h: Holder, **fields: object) -> CertificateInput:
    now = int(time.time())  # the seeded chain runs on the wall clock, and so does the policy
    values: dict[str, object] = {
        "fingerprint": h.fingerprint,
        "holder": hashlib.sha256(b"holder " + h.name.encode()).digest(),
        "not_before": now - DAY,
        "not_after": now + 365 * DAY,
        "kind": CertificateKind.ENTERPRISE,
        "usage": KeyUsage.ENCRYPTION,
        "scope": Scope.ALLIANCE,
    }
    values.update(fields)
    return CertificateInput(**values)  # type: ignore[arg-type]


H = {
    name: holder(f"policy {name}")
    for name in (
        "alliance",
        "regional",
        "revoked",
        "signing",
        "unknown",
        "staff",
        "staff_granted",
        "enterprise",
    )
}


@pytest.fixture
def index(seeded: SeededChain, tmp_path: Path) -> Iterator[Engine]:
    nantong = demo.center_account("nantong").address
    zjca = RegistryClient(seeded.backend, seeded.deployment, demo.ca_operator_account("zjca"))
    certs = [
        record(H["alliance"]),
        record(H["regional"], scope=Scope.REGIONAL, center=nantong),
        record(H["revoked"]),
        record(H["signing"], usage=KeyUsage.SIGNING),
        record(H["enterprise"], usage=KeyUsage.SIGNING),
        record(H["staff"], kind=CertificateKind.STAFF),
        record(H["staff_granted"], kind=CertificateKind.STAFF),
    ]
    zjca.record_certificates("zjca", demo.issuer_key_id("zjca"), certs)
    zjca.revoke_certificate(H["revoked"].fingerprint, RevocationReason.KEY_COMPROMISE)
    enterprise = H["enterprise"].fingerprint
    zjca.grant_authorization(H["staff"].fingerprint, "jiaxing-ggzy", enterprise, Right.SIGN)
    granted = H["staff_granted"].fingerprint
    zjca.grant_authorization(granted, "jiaxing-ggzy", enterprise, Right.ENCRYPT | Right.SIGN)
    url = f"sqlite:///{tmp_path / 'node.db'}"
    migrate(url)
    engine = make_engine(url)
    indexer = Indexer(engine, seeded.backend, seeded.deployment)
    while not indexer.step().caught_up:
        pass
    yield engine
    engine.dispose()


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
