"""Encrypting and decrypting bid files, streaming, in constant memory.

The content is cut into chunks of ``chunk_size`` plaintext bytes (64 KiB by default; the last
one shorter, never empty unless the whole content is), each sealed with AES-256-GCM under
the payload key with the nonce ``nonce_prefix (7) || index u32 || final flag (1)``: the
STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár ("Online
Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015). A chunk
authenticates only at its own index and with its own flag, so reordering, dropping chunks
from the end and appending are all caught; the payload key is derived with the header's
hash as salt, so the chunks belong to that header and no other.

Memory: two chunk buffers and one output buffer (about 3 x 64 KiB), whatever the size of
the file. A chunk's plaintext is written out only after its tag verified; a ``PayloadError``
still means the output written so far is invalid as a whole (the end was not reached).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke as crypto_hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from huren.node.bidfile import hpke
from huren.node.bidfile.errors import (
    ChunkAuthenticationFailed,
    EmptyFinalChunk,
    FileTooLarge,
    HeaderAuthenticationFailed,
    InvalidChunkSize,
    InvalidEncapsulation,
    KeyUnwrapFailed,
    NotARecipient,
    TooManyRecipients,
    TrailingData,
    TruncatedFile,
)
from huren.node.bidfile.header import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MAX_RECIPIENTS,
    MIN_CHUNK_SIZE,
    Header,
    Readable,
    RecipientEntry,
    encode_prefix,
    read_header,
    wrap_info,
)
from huren.node.bidfile.recipients import Decapsulator, Recipient, RecipientPolicy

__all__ = [
    "MAX_CHUNKS",
    "TAG_LENGTH",
    "DecryptionSummary",
    "EncryptionSummary",
    "OpenedHeader",
    "Randomness",
    "SystemRandomness",
    "decrypt",
    "decrypt_payload",
    "encrypt",
    "open_header",
]

TAG_LENGTH = 16
NONCE_PREFIX_LENGTH = 7
MAX_CHUNKS = 2**32  # the index is a u32
CONTENT_KEY_LENGTH = 32
HEADER_MAC_INFO = b"huren bidfile v1 header mac"
PAYLOAD_INFO = b"huren bidfile v1 payload"
_WRAP_SUITE = crypto_hpke.Suite(
    crypto_hpke.KEM.X25519, crypto_hpke.KDF.HKDF_SHA256, crypto_hpke.AEAD.AES_256_GCM
)

Progress = Callable[[int], None]


class Writable(Protocol):
    def write(self, data: memoryview, /) -> object: ...


class Randomness(Protocol):
    """Where an encryption's randomness comes from. ``ephemeral_key`` None lets
    cryptography's ``hpke.Suite`` draw the ephemeral key of each wrap itself; a test hook
    returns fixed keys (the wrap is then sealed by ``hpke.seal``, the same RFC 9180 sender)."""

    def token(self, n: int) -> bytes: ...

    def ephemeral_key(self) -> X25519PrivateKey | None: ...


class SystemRandomness:
    def token(self, n: int) -> bytes:
        return os.urandom(n)

    def ephemeral_key(self) -> X25519PrivateKey | None:
        return None


@dataclass(frozen=True, slots=True)
class EncryptionSummary:
    file_id: bytes
    recipients: tuple[bytes, ...]  # fingerprints, in header order
    plaintext_bytes: int
    ciphertext_bytes: int
    chunks: int


@dataclass(frozen=True, slots=True)
class DecryptionSummary:
    file_id: bytes
    recipient: bytes  # the fingerprint whose entry opened
    plaintext_bytes: int
    chunks: int


@dataclass(frozen=True, slots=True)
class PayloadKeys:
    key: bytes
    nonce_prefix: bytes


def header_mac(content_key: bytes, authenticated_part: bytes) -> bytes:
    mac_key = HKDF(SHA256(), 32, None, HEADER_MAC_INFO).derive(content_key)
    return hmac.new(mac_key, authenticated_part, hashlib.sha256).digest()


def payload_keys(content_key: bytes, header_bytes: bytes) -> PayloadKeys:
    """The chunk key and nonce prefix, bound to the whole header (MAC included)."""
    salt = hashlib.sha256(header_bytes).digest()
    okm = HKDF(SHA256(), 32 + NONCE_PREFIX_LENGTH, salt, PAYLOAD_INFO).derive(content_key)
    return PayloadKeys(okm[:32], okm[32:])


def chunk_nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if final else b"\x00")


def _fill(src: Readable, buf: memoryview) -> int:
    """Read into ``buf`` until it is full or the source ends; the number of bytes read."""
    readinto = getattr(src, "readinto", None)
    got = 0
    while got < len(buf):
        if readinto is not None:
            n = readinto(buf[got:])
        else:
            piece = src.read(len(buf) - got)
            n = len(piece)
            buf[got : got + n] = piece
        if not n:
            break
        got += n
    return got


def _wrap(content_key: bytes, recipient: Recipient, info: bytes, rnd: Randomness) -> bytes:
    ephemeral = rnd.ephemeral_key()
    if ephemeral is None:
        public = X25519PublicKey.from_public_bytes(recipient.public_key)
        return _WRAP_SUITE.encrypt(content_key, public, info)
    return hpke.seal(hpke.AEAD_AES_256_GCM, recipient.public_key, info, content_key, ephemeral)


def encrypt(
    src: Readable,
    dst: Writable,
    recipients: Sequence[Recipient],
    *,
    platform_id: str,
    policy: RecipientPolicy,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
    randomness: Randomness | None = None,
) -> EncryptionSummary:
    """Encrypt ``src`` to ``dst`` once so that any one of ``recipients`` can open it. The
    policy must recognize every recipient for ``encrypt`` at ``platform_id`` first; nothing
    is written otherwise. ``progress`` gets the plaintext bytes of each chunk. Should
    reading ``src`` or writing ``dst`` fail midway, ``dst`` holds a partial file: write to a
    temporary file and rename it on success (as ``huren bid encrypt`` does)."""
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise InvalidChunkSize(f"chunk size {chunk_size}: {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
    if not recipients or len(recipients) > MAX_RECIPIENTS:
        raise TooManyRecipients(f"{len(recipients)} recipients; 1 to {MAX_RECIPIENTS}")
    fingerprints = tuple(r.fingerprint for r in recipients)
    if len(set(fingerprints)) != len(fingerprints):
        raise TooManyRecipients("a certificate is chosen twice")
    policy.check(fingerprints, platform_id)
    rnd = randomness or SystemRandomness()
    content_key = rnd.token(CONTENT_KEY_LENGTH)
    file_id = rnd.token(16)
    prefix = encode_prefix(chunk_size, file_id, len(recipients))
    entries = []
    for r in recipients:
        sealed = _wrap(content_key, r, wrap_info(prefix, r.fingerprint), rnd)
        entries.append(RecipientEntry(r.fingerprint, sealed[: hpke.N_ENC], sealed[hpke.N_ENC :]))
    unsigned = Header(chunk_size, file_id, tuple(entries), bytes(32))
    mac = header_mac(content_key, unsigned.authenticated_part())
    header_bytes = unsigned.authenticated_part() + mac
    keys = payload_keys(content_key, header_bytes)
    dst.write(memoryview(header_bytes))

    aead = AESGCM(keys.key)
    current, following = bytearray(chunk_size), bytearray(chunk_size)
    out = bytearray(chunk_size + TAG_LENGTH)
    out_view = memoryview(out)  # encrypt_into wants a buffer of exactly the sealed length
    n = _fill(src, memoryview(current))
    index, total, written = 0, 0, len(header_bytes)
    while True:
        if index >= MAX_CHUNKS:
            raise FileTooLarge(f"more than {MAX_CHUNKS} chunks of {chunk_size} bytes")
        # A full chunk is final only when nothing follows it: look one chunk ahead.
        m = _fill(src, memoryview(following)) if n == chunk_size else 0
        final = m == 0
        nonce = chunk_nonce(keys.nonce_prefix, index, final)
        k = aead.encrypt_into(nonce, memoryview(current)[:n], None, out_view[: n + TAG_LENGTH])
        dst.write(out_view[:k])
        total += n
        written += k
        if progress is not None:
            progress(n)
        if final:
            break
        current, following = following, current
        n = m
        index += 1
    return EncryptionSummary(file_id, fingerprints, total, written, index + 1)


@dataclass(frozen=True, slots=True)
class OpenedHeader:
    """A header whose entry for the decapsulator's certificate opened and whose MAC
    verified: the chunks that follow can be decrypted with ``keys``."""

    header: Header
    recipient: bytes
    keys: PayloadKeys
    header_length: int


def _unwrap(header: Header, entry: RecipientEntry, decapsulator: Decapsulator) -> bytes:
    info = wrap_info(header.prefix(), entry.fingerprint)
    dh = decapsulator.dh(entry.enc)
    return hpke.open_with_dh(
        hpke.AEAD_AES_256_GCM, entry.enc, entry.wrapped_key, info, dh, decapsulator.public_key
    )


def open_header(src: Readable, decapsulator: Decapsulator) -> OpenedHeader:
    """Read the header, unwrap the content key for the decapsulator's certificate and check
    the header's MAC; ``src`` is left at the first chunk."""
    header = read_header(src)
    fingerprint = decapsulator.certificate_fingerprint
    content_key: bytes | None = None
    if fingerprint is not None:
        entry = header.entry_for(fingerprint)
        if entry is None:
            raise NotARecipient(f"certificate {fingerprint.hex()} is not a recipient")
        try:
            content_key = _unwrap(header, entry, decapsulator)
        except InvalidTag:
            raise KeyUnwrapFailed(f"the entry for {fingerprint.hex()} does not open") from None
    else:  # no fingerprint given: the entry that opens under this key is ours
        for entry in header.recipients:
            try:
                content_key = _unwrap(header, entry, decapsulator)
            except (InvalidTag, InvalidEncapsulation):  # not ours, or someone's bad enc
                continue
            fingerprint = entry.fingerprint
            break
        if content_key is None or fingerprint is None:
            raise NotARecipient("no recipient entry opens with this key")
    authenticated = header.authenticated_part()
    if not hmac.compare_digest(header_mac(content_key, authenticated), header.mac):
        raise HeaderAuthenticationFailed("the header's MAC does not verify")
    header_bytes = authenticated + header.mac
    keys = payload_keys(content_key, header_bytes)
    return OpenedHeader(header, fingerprint, keys, len(header_bytes))


def decrypt_payload(
    src: Readable, dst: Writable, opened: OpenedHeader, progress: Progress | None = None
) -> tuple[int, int]:
    """Decrypt the chunks after an opened header to ``dst``: (plaintext bytes, chunks).
    ``progress`` gets the ciphertext bytes of each chunk."""
    chunk_size = opened.header.chunk_size
    sealed = chunk_size + TAG_LENGTH
    aead = AESGCM(opened.keys.key)
    prefix = opened.keys.nonce_prefix
    buf = bytearray(sealed + 1)  # a sealed chunk and the first byte of the next, if any
    view = memoryview(buf)
    out = bytearray(chunk_size)
    out_view = memoryview(out)  # decrypt_into wants a buffer of exactly the plaintext length
    have = _fill(src, view)
    index, total = 0, 0
    while True:
        final = have <= sealed
        n = have if final else sealed
        if index == 0 and n == 0:
            raise TruncatedFile(0, "no chunk after the header")
        if index >= MAX_CHUNKS:
            raise FileTooLarge(f"more than {MAX_CHUNKS} chunks")
        chunk = view[:n]
        if n < TAG_LENGTH:
            raise ChunkAuthenticationFailed(index, "shorter than a tag")
        nonce = chunk_nonce(prefix, index, final)
        try:
            k = aead.decrypt_into(nonce, chunk, None, out_view[: n - TAG_LENGTH])
        except InvalidTag:
            raise _diagnose(aead, prefix, index, final, chunk) from None
        if final and k == 0 and index > 0:
            raise EmptyFinalChunk(index, "an empty final chunk after others")
        dst.write(out_view[:k])
        total += k
        if progress is not None:
            progress(n)
        if final:
            return total, index + 1
        buf[0] = buf[sealed]
        have = 1 + _fill(src, view[1:])
        index += 1


def _diagnose(aead: AESGCM, prefix: bytes, index: int, final: bool, chunk: memoryview) -> Exception:
    """Why chunk ``index`` failed: it opens with the other final flag when the file was cut
    at a chunk boundary (last chunk sealed as not final) or extended (a final chunk with
    more after it); otherwise it was changed, moved or spliced."""
    try:
        aead.decrypt(chunk_nonce(prefix, index, not final), chunk, None)
    except (InvalidTag, ValueError):
        return ChunkAuthenticationFailed(index, "does not authenticate at this position")
    if final:
        return TruncatedFile(index, "the file ends on a chunk sealed as not final")
    return TrailingData(index, "data follows the chunk sealed as final")


def decrypt(
    src: Readable,
    dst: Writable,
    decapsulator: Decapsulator,
    *,
    progress: Progress | None = None,
) -> DecryptionSummary:
    """Decrypt a whole bid file. Only a normal return means ``dst`` holds the content: on
    a ``PayloadError`` what was written is a prefix of authenticated chunks but the file
    did not end as sealed (or was changed further on), so discard it."""
    opened = open_header(src, decapsulator)
    if progress is not None:
        progress(opened.header_length)
    total, chunks = decrypt_payload(src, dst, opened, progress)
    return DecryptionSummary(opened.header.file_id, opened.recipient, total, chunks)
