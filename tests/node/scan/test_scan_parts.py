"""The scan core's pure parts: payloads (signature, expiry, malformed), kinds, the bind check,
the node scan key's settings."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from nacl.signing import SigningKey
from pydantic import SecretStr, ValidationError

from huren.node.scan import keys, wire
from huren.node.scan.errors import BindMismatch, InvalidScanRequest, PayloadInvalid, ScanExpired
from huren.node.scan.kinds import KINDS, RequestContext, SignKind, kind_of, register_kind
from huren.node.scan.verify import check_bind
from huren.node.settings import Settings

KEY = SigningKey(b"\x07" * 32)
PAYLOAD = wire.ScanPayload("https://node.example/api", "alliance", "ab" * 16, "n" * 22, 1_000)


def test_a_payload_round_trips_and_is_checked() -> None:
    text = wire.encode_payload(PAYLOAD, KEY)
    assert text.startswith("https://node.example/api/scan?v=1&p=alliance&r=")
    assert wire.decode_payload(text, bytes(KEY.verify_key), now=1_000) == PAYLOAD
    with pytest.raises(ScanExpired):
        wire.decode_payload(text, bytes(KEY.verify_key), now=1_001)
    other = SigningKey(b"\x08" * 32)
    with pytest.raises(PayloadInvalid, match="not signed by this node"):
        wire.decode_payload(text, bytes(other.verify_key), now=0)
    for old, new in (("p=alliance", "p=jiaxing-ggzy"), ("e=1000", "e=9999"), ("v=1", "v=2")):
        with pytest.raises(PayloadInvalid):
            wire.decode_payload(text.replace(old, new), bytes(KEY.verify_key), now=0)
    # another node's base URL is part of what is signed
    moved = text.replace("https://node.example/api", "https://evil.example/api")
    with pytest.raises(PayloadInvalid):
        wire.decode_payload(moved, bytes(KEY.verify_key), now=0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a url",
        "ftp://x/scan?v=1",
        "https://x/other?v=1",
        "https://x/scan?v=1&p=a",
        "x" * 2000,
    ],
)
def test_malformed_payloads_are_refused(text: str) -> None:
    with pytest.raises(PayloadInvalid):
        wire.decode_payload(text, bytes(KEY.verify_key), now=0)


def test_kinds_validate_their_parameters() -> None:
    context = RequestContext("alliance", "ab" * 16, 0, 120)
    login = kind_of("login")
    content = login.prepare({}, context)
    assert len(content["challenge"]) == 64
    assert login.prepare({}, context)["challenge"] != content["challenge"]  # fresh each time
    with pytest.raises(InvalidScanRequest):
        login.prepare({"challenge": "mine"}, context)  # the node makes the challenge
    sign = kind_of("sign")
    digest = "0f" * 32
    assert sign.message(
        sign.prepare({"digest_sha256": digest, "title": "t"}, context), context
    ) == (bytes.fromhex(digest))
    for bad in ({"digest_sha256": "0F" * 32, "title": "t"}, {"digest_sha256": digest}, {}):
        with pytest.raises(InvalidScanRequest):
            sign.prepare(bad, context)
    with pytest.raises(InvalidScanRequest, match="action is one of"):
        kind_of("nope")
    with pytest.raises(ValueError, match="registered already"):
        register_kind(SignKind())  # a name is never rebound
    assert register_kind(KINDS["sign"]) is KINDS["sign"]


def _certificate(name: str, uscc: str) -> x509.Certificate:
    key = Ed25519PrivateKey.generate()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{uscc}"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, None)
    )


def test_the_bind_check_compares_name_and_uscc() -> None:
    certificate = _certificate("甲公司", "91330400MA2B7Q8X3W")
    check_bind(certificate, None, None)
    check_bind(certificate, "甲公司", "91330400MA2B7Q8X3W")
    check_bind(certificate, "甲公司", None)
    with pytest.raises(BindMismatch):
        check_bind(certificate, "乙公司", "91330400MA2B7Q8X3W")
    with pytest.raises(BindMismatch):
        check_bind(certificate, "甲公司", "91330400MA2B7Q8X4X")


def test_outside_dev_a_real_scan_key_is_required(tmp_path: object) -> None:
    base = {
        "env": "prod",
        "operator_key_file": "k",
        "admin_api_key": "a" * 40,
        "account_secret": "s" * 40,
        "cosigner_kek": secrets.token_hex(32),
    }
    with pytest.raises(ValidationError, match="HUREN_SCAN_KEY"):
        Settings(**base)  # type: ignore[arg-type]
    for bad in ("00" * 32, keys.DEV_SEED.hex(), "abc"):
        with pytest.raises(ValidationError, match="scan key"):
            Settings(**base, scan_key=bad)  # type: ignore[arg-type]
    good = secrets.token_hex(32)
    settings = Settings(**base, scan_key=good)  # type: ignore[arg-type]
    assert bytes(keys.scan_key_of("prod", settings.scan_key)) == bytes.fromhex(good)
    assert bytes(keys.scan_key_of("dev", None)) == keys.DEV_SEED
    with pytest.raises(ValueError, match="HUREN_SCAN_KEY"):
        keys.scan_key_of("prod", SecretStr(""))
