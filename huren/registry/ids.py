"""Identifiers as the contracts store them.

CA ids and platform ids are short ASCII names ("zjca", "jiaxing-ggzy") kept on chain as
``bytes32``, left-aligned and zero-padded, so they read back as text in any block explorer
and cost one word. Fingerprints (SHA-256 of a certificate's DER), holder commitments,
issuer key ids and evidence hashes are opaque 32-byte values.

Reading never fails: a ``bytes32`` that is not a valid id (written by some other client)
comes back as its ``0x``-hex form, which ``encode_id`` accepts again. Valid ids therefore may
not start with ``0x``, so the two forms cannot be confused.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from huren.registry.errors_base import InvalidIdentifier

__all__ = [
    "MAX_ID_BYTES",
    "ZERO32",
    "check_bytes32",
    "decode_id",
    "encode_id",
    "fingerprint_of",
    "is_valid_id",
    "validate_id",
]

MAX_ID_BYTES = 32
ZERO32 = bytes(32)


def is_valid_id(value: str) -> bool:
    """Whether ``value`` is 1..32 printable ASCII characters without spaces, not ``0x...``."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ID_BYTES
        and all("!" <= ch <= "~" for ch in value)
        and value[:2].lower() != "0x"
    )


def validate_id(value: str) -> str:
    """``value`` itself, or ``InvalidIdentifier`` saying what is wrong with it."""
    if not isinstance(value, str):
        raise InvalidIdentifier(f"an id is a str, not {type(value).__name__}")
    if not value:
        raise InvalidIdentifier("an id cannot be empty")
    if len(value.encode("utf-8")) > MAX_ID_BYTES:
        raise InvalidIdentifier(f"id {value!r} is longer than {MAX_ID_BYTES} bytes")
    bad = [ch for ch in value if not "!" <= ch <= "~"]
    if bad:
        raise InvalidIdentifier(f"id {value!r} has {bad[0]!r}: only printable ASCII, no spaces")
    if value[:2].lower() == "0x":
        raise InvalidIdentifier(f"id {value!r} starts with 0x, reserved for raw bytes32 ids")
    return value


def encode_id(value: str) -> bytes:
    """The ``bytes32`` form of id ``value`` (or of a ``0x`` + 64 hex digits raw id)."""
    if isinstance(value, str) and value[:2].lower() == "0x" and len(value) == 66:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    return validate_id(value).encode("ascii").ljust(MAX_ID_BYTES, b"\0")


@lru_cache(maxsize=4096)
def decode_id(raw: bytes) -> str:
    """The id a ``bytes32`` holds; its ``0x`` hex form when it holds no valid id."""
    if len(raw) != MAX_ID_BYTES:
        raise InvalidIdentifier(f"an id is 32 bytes, got {len(raw)}")
    text = raw.rstrip(b"\0")
    if text and all(33 <= b <= 126 for b in text):
        value = text.decode("ascii")
        if value[:2].lower() != "0x":
            return value
    return "0x" + raw.hex()


def check_bytes32(
    value: bytes | bytearray | memoryview, what: str, *, nonzero: bool = False
) -> bytes:
    """``value`` as ``bytes`` when it is exactly 32 bytes (and not all zero if ``nonzero``)."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidIdentifier(f"{what} must be 32 bytes, not {type(value).__name__}")
    value = bytes(value)
    if len(value) != 32:
        raise InvalidIdentifier(f"{what} must be 32 bytes, got {len(value)}")
    if nonzero and value == ZERO32:
        raise InvalidIdentifier(f"{what} must not be zero")
    return value


def fingerprint_of(der: bytes) -> bytes:
    """The fingerprint the registry keys a certificate by: SHA-256 of its DER encoding."""
    return hashlib.sha256(der).digest()
