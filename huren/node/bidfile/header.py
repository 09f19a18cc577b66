"""The bid-file header, byte for byte (``docs/bidfile.md`` is the reader's description).

    prefix   magic "HURENBID" (8) | version u8 | kem_id u16 | kdf_id u16 | aead_id u16
             | chunk_size u32 | file_id (16) | recipient_count u16          = 37 bytes
    entries  recipient_count x (fingerprint (32) | enc (32) | wrapped_key (48)) = 112 each
    mac      HMAC-SHA256(header_mac_key, prefix || entries)                   = 32 bytes

Integers are big-endian. ``wrapped_key`` is the HPKE single-shot ciphertext of the 32-byte
content key (AES-256-GCM: 32 bytes plus a 16-byte tag) with ``info`` = WRAP_INFO_LABEL ||
prefix || fingerprint, so an entry only opens in a file with the same prefix and at its own
fingerprint.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol

from huren.node.bidfile.errors import (
    MalformedHeader,
    NotABidFile,
    TooManyRecipients,
    UnsupportedSuite,
    UnsupportedVersion,
)
from huren.node.bidfile.hpke import AEAD_AES_256_GCM, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ENTRY_LENGTH",
    "MAC_LENGTH",
    "MAGIC",
    "MAX_CHUNK_SIZE",
    "MAX_RECIPIENTS",
    "MIN_CHUNK_SIZE",
    "PREFIX_LENGTH",
    "VERSION",
    "WRAP_INFO_LABEL",
    "Header",
    "RecipientEntry",
    "read_header",
]

MAGIC = b"HURENBID"
VERSION = 1
SUITE = (KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_256_GCM)
DEFAULT_CHUNK_SIZE = 64 * 1024  # plaintext bytes per chunk; see docs/bidfile.md on the choice
MIN_CHUNK_SIZE = 16
MAX_CHUNK_SIZE = 16 * 1024 * 1024  # what a reader must buffer per chunk is bounded by this
MAX_RECIPIENTS = 1000  # as many as one recognition batch answers
FILE_ID_LENGTH = 16
WRAPPED_KEY_LENGTH = 48
ENTRY_LENGTH = 32 + 32 + WRAPPED_KEY_LENGTH
MAC_LENGTH = 32
WRAP_INFO_LABEL = b"huren bidfile v1 key wrap"
_PREFIX = struct.Struct(">8sBHHHI16sH")
PREFIX_LENGTH = _PREFIX.size  # 37


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class RecipientEntry:
    fingerprint: bytes
    enc: bytes
    wrapped_key: bytes

    def __post_init__(self) -> None:
        if (len(self.fingerprint), len(self.enc), len(self.wrapped_key)) != (32, 32, 48):
            raise MalformedHeader("a recipient entry is 32 + 32 + 48 bytes")

    def encode(self) -> bytes:
        return self.fingerprint + self.enc + self.wrapped_key


def _check_chunk_size(chunk_size: int) -> None:
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise MalformedHeader(f"chunk size {chunk_size} outside {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")


def _check_count(count: int) -> None:
    if not 1 <= count <= MAX_RECIPIENTS:
        raise TooManyRecipients(f"{count} recipients; between 1 and {MAX_RECIPIENTS}")


def encode_prefix(chunk_size: int, file_id: bytes, recipient_count: int) -> bytes:
    """The fixed fields, which every key wrap's info includes."""
    _check_chunk_size(chunk_size)
    _check_count(recipient_count)
    if len(file_id) != FILE_ID_LENGTH:
        raise MalformedHeader(f"file id must be {FILE_ID_LENGTH} bytes")
    return _PREFIX.pack(MAGIC, VERSION, *SUITE, chunk_size, file_id, recipient_count)


def wrap_info(prefix: bytes, fingerprint: bytes) -> bytes:
    return WRAP_INFO_LABEL + prefix + fingerprint


@dataclass(frozen=True, slots=True)
class Header:
    """A parsed or built header; ``mac`` is not checked here (that needs the content key)."""

    chunk_size: int
    file_id: bytes
    recipients: tuple[RecipientEntry, ...]
    mac: bytes

    def __post_init__(self) -> None:
        self.prefix()  # validates the fixed fields
        if len(self.mac) != MAC_LENGTH:
            raise MalformedHeader(f"the MAC is {MAC_LENGTH} bytes")
        fingerprints = [r.fingerprint for r in self.recipients]
        if len(set(fingerprints)) != len(fingerprints):
            raise MalformedHeader("a certificate is listed twice")

    def prefix(self) -> bytes:
        return encode_prefix(self.chunk_size, self.file_id, len(self.recipients))

    def authenticated_part(self) -> bytes:
        """prefix || entries: what the MAC covers."""
        return self.prefix() + b"".join(r.encode() for r in self.recipients)

    def encode(self) -> bytes:
        return self.authenticated_part() + self.mac

    def entry_for(self, fingerprint: bytes) -> RecipientEntry | None:
        for entry in self.recipients:
            if entry.fingerprint == fingerprint:
                return entry
        return None


def _read_exactly(src: Readable, n: int, what: str) -> bytes:
    data = bytearray()
    while len(data) < n:
        piece = src.read(n - len(data))
        if not piece:
            raise MalformedHeader(f"the file ends inside the header ({what})")
        data += piece
    return bytes(data)


def read_header(src: Readable) -> Header:
    """Read and parse a header from ``src``, leaving it at the first chunk. Raises
    ``NotABidFile``, ``UnsupportedVersion``, ``UnsupportedSuite`` or ``MalformedHeader``
    (the MAC is checked later, with the content key)."""
    try:
        head = _read_exactly(src, len(MAGIC) + 1, "magic and version")
    except MalformedHeader:
        raise NotABidFile("not a huren bid file (shorter than its magic bytes)") from None
    if head[: len(MAGIC)] != MAGIC:
        raise NotABidFile("not a huren bid file (magic bytes missing)")
    if head[len(MAGIC)] != VERSION:
        raise UnsupportedVersion(f"bid file version {head[len(MAGIC)]}; this reader knows 1")
    prefix = head + _read_exactly(src, PREFIX_LENGTH - len(head), "fixed fields")
    _, _, kem_id, kdf_id, aead_id, chunk_size, file_id, count = _PREFIX.unpack(prefix)
    if (kem_id, kdf_id, aead_id) != SUITE:
        raise UnsupportedSuite(f"HPKE suite {kem_id:#06x}/{kdf_id:#06x}/{aead_id:#06x}")
    _check_chunk_size(chunk_size)
    if not 1 <= count <= MAX_RECIPIENTS:
        raise MalformedHeader(f"{count} recipients; between 1 and {MAX_RECIPIENTS}")
    body = _read_exactly(src, count * ENTRY_LENGTH, "recipient entries")
    entries = tuple(
        RecipientEntry(body[i : i + 32], body[i + 32 : i + 64], body[i + 64 : i + ENTRY_LENGTH])
        for i in range(0, len(body), ENTRY_LENGTH)
    )
    mac = _read_exactly(src, MAC_LENGTH, "MAC")
    return Header(chunk_size, file_id, entries, mac)
