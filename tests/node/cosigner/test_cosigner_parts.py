"""The co-signer's parts without HTTP: the key-encryption key setting, secrets at rest, the
signed-request bytes, tickets and replay refusal with an injected clock (on SQLite and
PostgreSQL: the ``engine`` fixture of tests/node/conftest.py)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from nacl.signing import SigningKey
from pydantic import ValidationError
from sqlalchemy import Engine

from huren.node.cosigner import at_rest, auth, tickets, wire
from huren.node.cosigner.errors import (
    DeviceAuthFailed,
    InvalidRequest,
    RequestReplayed,
    TicketRefused,
)
from huren.node.db.cosigner_tables import CosignerDevice
from huren.node.db.engine import write_session
from huren.node.keysplit.sealing import RecoveryKey
from huren.node.settings import Settings

NOW = 1_800_000_000


def test_outside_dev_a_real_key_encryption_key_is_required(tmp_path: Path) -> None:
    base = {
        "env": "prod",
        "operator_key_file": tmp_path / "k",
        "admin_api_key": "a" * 40,
        "account_secret": "s" * 40,
        "scan_key": "2e" * 32,
    }
    with pytest.raises(ValidationError, match="HUREN_COSIGNER_KEK"):
        Settings(**base)  # type: ignore[arg-type]
    for bad in ("00" * 32, at_rest.DEV_KEK.hex(), "abc", "zz" * 32):
        with pytest.raises(ValidationError, match="key-encryption key"):
            Settings(**base, cosigner_kek=bad)  # type: ignore[arg-type]
    good = secrets.token_hex(32)
    settings = Settings(**base, cosigner_kek=good)  # type: ignore[arg-type]
    assert at_rest.kek_of("prod", settings.cosigner_kek) == bytes.fromhex(good)
    assert at_rest.kek_of("dev", None) == at_rest.DEV_KEK
    with pytest.raises(ValueError, match="HUREN_COSIGNER_KEK"):
        at_rest.kek_of("prod", None)
    assert good not in repr(settings)


def test_a_secret_at_rest_opens_only_under_its_key_and_binding() -> None:
    kek = secrets.token_bytes(32)
    stored = at_rest.seal(kek, at_rest.SHARE, "e1", 0, b"share bytes")
    assert b"share bytes" not in stored
    assert at_rest.open_sealed(kek, at_rest.SHARE, "e1", 0, stored) == b"share bytes"
    for args in [
        (secrets.token_bytes(32), at_rest.SHARE, "e1", 0),
        (kek, at_rest.UNWRAP, "e1", 0),
        (kek, at_rest.SHARE, "e2", 0),
        (kek, at_rest.SHARE, "e1", 1),
    ]:
        with pytest.raises(at_rest.AtRestError):
            at_rest.open_sealed(*args, stored)
    with pytest.raises(at_rest.AtRestError):
        at_rest.open_sealed(kek, at_rest.SHARE, "e1", 0, b"\x02" + stored[1:])


def test_the_signed_request_binds_every_field() -> None:
    base = ("POST", "/v1/cosigner/signings", "d" * 32, NOW, "n" * 16, b"{}")
    message = wire.request_message(*base)
    for i, other in enumerate(["GET", "/v1/cosigner/x", "e" * 32, NOW + 1, "m" * 16, b"{ }"]):
        changed = list(base)
        changed[i] = other
        assert wire.request_message(*changed) != message  # type: ignore[arg-type]
    assert wire.pin_proof_message(message) != message
    with pytest.raises(InvalidRequest):
        wire.b64d("not base64!")
    with pytest.raises(InvalidRequest):
        wire.b64d(wire.b64e(b"abc"), size=4)
    with pytest.raises(InvalidRequest):
        wire.check_public_key(bytes(32), "key")  # a small-order point


def test_a_ticket_is_refused_once_expired_used_or_guessed(engine: Engine) -> None:
    recovery = RecoveryKey.generate().public_key
    with write_session(engine) as s:
        issued = tickets.issue_ticket(s, "account:1", recovery, now=NOW, ttl_s=600)
        assert tickets.find_ticket(s, issued.ticket, now=NOW + 599).holder == "account:1"
        for guess in (issued.ticket[:-1] + "x", "hct_0000000000000000_" + "A" * 43, "nonsense"):
            with pytest.raises(TicketRefused):
                tickets.find_ticket(s, guess, now=NOW)
        with pytest.raises(TicketRefused):
            tickets.find_ticket(s, issued.ticket, now=NOW + 600)
        tickets.consume_ticket(s, issued.ticket_id, "e" * 32, now=NOW)
        with pytest.raises(TicketRefused):
            tickets.find_ticket(s, issued.ticket, now=NOW)
        with pytest.raises(TicketRefused):
            tickets.consume_ticket(s, issued.ticket_id, "f" * 32, now=NOW)
        with pytest.raises(InvalidRequest):
            tickets.issue_ticket(s, "account:1", bytes(32), now=NOW)
        with pytest.raises(InvalidRequest):
            tickets.issue_ticket(s, " padded ", recovery, now=NOW)


def _signed(key: SigningKey, timestamp: int, nonce: str, body: bytes = b"") -> auth.SignedRequest:
    device_id = wire.device_id_of(bytes(key.verify_key))
    message = wire.request_message("GET", "/p", device_id, timestamp, nonce, body)
    return auth.SignedRequest(
        "GET", "/p", body, device_id, timestamp, nonce, key.sign(message).signature
    )


def test_requests_are_refused_when_replayed_stale_forged_or_from_unknown_devices(
    engine: Engine,
) -> None:
    key = SigningKey.generate()
    with write_session(engine) as s:
        s.add(
            CosignerDevice(
                device_id=wire.device_id_of(bytes(key.verify_key)),
                public_key=bytes(key.verify_key),
                holder="account:1",
                created_at=NOW,
                last_seen_at=NOW,
            )
        )
    request = _signed(key, NOW, "nonce-0000000001")
    with write_session(engine) as s:
        assert auth.authenticate(s, request, now=NOW) is not None
    with write_session(engine) as s, pytest.raises(RequestReplayed):
        auth.authenticate(s, request, now=NOW + 60)
    # Past the retention the nonce is forgotten, but by then the timestamp is stale.
    with write_session(engine) as s, pytest.raises(DeviceAuthFailed, match="timestamp"):
        auth.authenticate(s, request, now=NOW + auth.NONCE_RETENTION_S + 1)
    tampered = _signed(key, NOW, "nonce-0000000002")
    tampered = auth.SignedRequest(
        tampered.method,
        tampered.path,
        b"{}",
        tampered.device_id,
        NOW,
        tampered.nonce,
        tampered.signature,
    )
    with write_session(engine) as s, pytest.raises(DeviceAuthFailed, match="signature"):
        auth.authenticate(s, tampered, now=NOW)
    stranger = _signed(SigningKey.generate(), NOW, "nonce-0000000003")
    with write_session(engine) as s, pytest.raises(DeviceAuthFailed, match="unknown"):
        auth.authenticate(s, stranger, now=NOW)
    with pytest.raises(DeviceAuthFailed):
        auth.parse_headers("GET", "/p", b"", {"x-huren-device": "short"})
