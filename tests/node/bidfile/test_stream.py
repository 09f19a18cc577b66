"""Encrypting to several certificates and opening with any one: sizes, recipients, the
policy, short reads, constant memory, the decapsulator interface and HPKE interop."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from huren.node.bidfile import (
    InvalidChunkSize,
    KeyCertificateMismatch,
    LocalX25519Decapsulator,
    NotAnEncryptionCertificate,
    NotARecipient,
    Recipient,
    RecipientNotRecognized,
    TooManyRecipients,
    decrypt,
    encrypt,
)
from huren.node.bidfile.header import ENTRY_LENGTH, PREFIX_LENGTH
from huren.node.bidfile.stream import TAG_LENGTH
from tests.node.bidfile.conftest import (
    CHUNK,
    Holder,
    RecordingPolicy,
    header_length,
    holder,
    seal,
    signing_certificate,
    unseal,
)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7])
def test_every_recipient_opens_the_one_file(
    holders: list[Holder], policy: RecordingPolicy, size: int
) -> None:
    data = bytes(i * 7 % 251 for i in range(size))
    blob = seal(data, holders, policy)
    chunks = max(1, -(-size // CHUNK))
    assert len(blob) == header_length(3) + size + chunks * TAG_LENGTH
    for h in holders:
        assert unseal(blob, h) == data
    assert policy.asked == [(tuple(h.fingerprint for h in holders), "alliance")]


def test_the_default_chunk_size_and_a_large_file(
    holders: list[Holder], policy: RecordingPolicy
) -> None:
    data = bytes(range(256)) * 1500  # 384,000 bytes: five full 64 KiB chunks and a part
    out = io.BytesIO()
    summary = encrypt(
        io.BytesIO(data), out, [holders[0].recipient], platform_id="alliance", policy=policy
    )
    assert summary.chunks == 6 and summary.plaintext_bytes == len(data)
    assert summary.ciphertext_bytes == len(out.getvalue())
    seen: list[int] = []
    back = io.BytesIO()
    result = decrypt(
        io.BytesIO(out.getvalue()), back, holders[0].decapsulator(), progress=seen.append
    )
    assert back.getvalue() == data
    assert sum(seen) == len(out.getvalue())
    assert (result.file_id, result.recipient, result.chunks) == (
        summary.file_id,
        holders[0].fingerprint,
        6,
    )


def test_a_non_recipient_cannot_open_it(holders: list[Holder], policy: RecordingPolicy) -> None:
    blob = seal(b"bid", holders[:2], policy)
    with pytest.raises(NotARecipient):
        unseal(blob, holders[2])
    stranger = LocalX25519Decapsulator(holders[2].key)  # no certificate: tries every entry
    with pytest.raises(NotARecipient):
        decrypt(io.BytesIO(blob), io.BytesIO(), stranger)


def test_a_key_without_its_certificate_finds_its_entry(
    holders: list[Holder], policy: RecordingPolicy
) -> None:
    blob = seal(b"sealed bid", holders, policy)
    out = io.BytesIO()
    result = decrypt(io.BytesIO(blob), out, LocalX25519Decapsulator(holders[2].key))
    assert out.getvalue() == b"sealed bid" and result.recipient == holders[2].fingerprint


def test_a_key_must_match_its_certificate(holders: list[Holder]) -> None:
    with pytest.raises(KeyCertificateMismatch):
        LocalX25519Decapsulator(holders[0].key, holders[1].certificate)


def test_recipients_are_checked_before_anything_is_written(
    holders: list[Holder], policy: RecordingPolicy
) -> None:
    stranger = holder("not recognized")
    out = io.BytesIO()
    with pytest.raises(RecipientNotRecognized) as caught:
        encrypt(
            io.BytesIO(b"x"),
            out,
            [holders[0].recipient, stranger.recipient],
            platform_id="jiaxing-ggzy",
            policy=policy,
        )
    assert caught.value.refusals == {stranger.fingerprint: ["UNKNOWN_CERTIFICATE"]}
    assert out.getvalue() == b""
    with pytest.raises(TooManyRecipients):
        encrypt(io.BytesIO(b"x"), out, [], platform_id="alliance", policy=policy)
    with pytest.raises(TooManyRecipients):
        twice = [holders[0].recipient] * 2
        encrypt(io.BytesIO(b"x"), out, twice, platform_id="alliance", policy=policy)
    with pytest.raises(NotAnEncryptionCertificate):
        Recipient.from_certificate(signing_certificate("a signing certificate"))
    with pytest.raises(NotAnEncryptionCertificate):
        Recipient.from_certificate(b"not a certificate")
    assert out.getvalue() == b""


def test_a_chunk_size_outside_the_limits_is_refused(
    holders: list[Holder], policy: RecordingPolicy
) -> None:
    for size in (15, 16 * 1024 * 1024 + 1):
        with pytest.raises(InvalidChunkSize):
            seal(b"x", holders[:1], policy, chunk_size=size)


# -- streaming ------------------------------------------------------------------------------


class Trickle(io.RawIOBase):
    """A source that hands out at most ``step`` bytes per call, like a pipe."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._pos, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
        n = min(len(buf), self._step, len(self._data) - self._pos)
        buf[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def test_short_reads_give_the_same_file(holders: list[Holder], policy: RecordingPolicy) -> None:
    data = bytes(range(256)) * 3
    blob = seal(data, holders[:1], policy)
    out = io.BytesIO()
    decrypt(Trickle(blob, 7), out, holders[0].decapsulator())
    assert out.getvalue() == data
    again = io.BytesIO()
    encrypt(
        Trickle(data, 5),
        again,
        [holders[0].recipient],
        platform_id="alliance",
        policy=policy,
        chunk_size=CHUNK,
    )
    assert unseal(again.getvalue(), holders[0]) == data


class Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
        n = min(len(buf), self.left)
        buf[:n] = bytes(n)
        self.left -= n
        return n


class Sink(io.RawIOBase):
    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: memoryview) -> int:  # type: ignore[override]
        self.size += len(data)
        return len(data)


def test_memory_does_not_grow_with_the_file(
    holders: list[Holder], policy: RecordingPolicy, tmp_path: Path
) -> None:
    def peak(run: Callable[[], object]) -> int:
        tracemalloc.start()
        try:
            run()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    size = 16 * 1024 * 1024
    sealed = tmp_path / "bid.hbf"
    with sealed.open("wb") as out:
        enc_peak = peak(
            lambda: encrypt(
                Zeros(size), out, [holders[0].recipient], platform_id="alliance", policy=policy
            )
        )
    assert sealed.stat().st_size == size + header_length(1) + 256 * TAG_LENGTH
    sink = Sink()
    with sealed.open("rb") as src:
        dec_peak = peak(lambda: decrypt(src, sink, holders[0].decapsulator()))
    assert sink.size == size
    # Three 64 KiB buffers and change, for 16 MiB (the file object's own buffer included).
    assert enc_peak < 1024 * 1024 and dec_peak < 1024 * 1024, (enc_peak, dec_peak)


# -- the decapsulator interface and HPKE interoperability --------------------------------------


class CountingDecapsulator:
    """Stands for a split key: every DH would be a round trip to the co-signer."""

    def __init__(self, h: Holder, with_fingerprint: bool) -> None:
        self.inner = h.decapsulator()
        self.fingerprint = h.fingerprint if with_fingerprint else None
        self.calls: list[bytes] = []

    @property
    def public_key(self) -> bytes:
        return self.inner.public_key

    @property
    def certificate_fingerprint(self) -> bytes | None:
        return self.fingerprint

    def dh(self, enc: bytes) -> bytes:
        self.calls.append(enc)
        return self.inner.dh(enc)


def test_a_decapsulator_is_asked_for_one_dh_when_it_names_its_certificate(
    holders: list[Holder], policy: RecordingPolicy
) -> None:
    blob = seal(b"bid", holders, policy)
    named = CountingDecapsulator(holders[2], with_fingerprint=True)
    decrypt(io.BytesIO(blob), io.BytesIO(), named)
    third_enc = blob[PREFIX_LENGTH + 2 * ENTRY_LENGTH + 32 : PREFIX_LENGTH + 2 * ENTRY_LENGTH + 64]
    assert named.calls == [third_enc]
    anonymous = CountingDecapsulator(holders[2], with_fingerprint=False)
    decrypt(io.BytesIO(blob), io.BytesIO(), anonymous)
    assert len(anonymous.calls) == 3  # tried in header order until its own entry opened


def test_key_wraps_interoperate_with_cryptography_hpke_both_ways(
    holders: list[Holder], policy: RecordingPolicy
) -> None:
    """Default files: wraps sealed by cryptography's ``hpke.Suite`` open through the DH path
    (every other test does that too). Files from the fixed-ephemeral hook (our RFC 9180
    sender): their wraps open with ``hpke.Suite.decrypt``, and the files decrypt."""
    from cryptography.hazmat.primitives import hpke as crypto_hpke
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from huren.node.bidfile.header import read_header, wrap_info

    class FixedEphemerals:
        def __init__(self) -> None:
            self.n = 0

        def token(self, n: int) -> bytes:
            return bytes(range(n))

        def ephemeral_key(self) -> X25519PrivateKey | None:
            self.n += 1
            return X25519PrivateKey.from_private_bytes(bytes([self.n]) * 32)

    out = io.BytesIO()
    encrypt(
        io.BytesIO(b"fixed"),
        out,
        [h.recipient for h in holders],
        platform_id="alliance",
        policy=policy,
        randomness=FixedEphemerals(),
    )
    suite = crypto_hpke.Suite(
        crypto_hpke.KEM.X25519, crypto_hpke.KDF.HKDF_SHA256, crypto_hpke.AEAD.AES_256_GCM
    )
    header = read_header(io.BytesIO(out.getvalue()))
    for h, entry in zip(holders, header.recipients, strict=True):
        info = wrap_info(header.prefix(), entry.fingerprint)
        assert suite.decrypt(entry.enc + entry.wrapped_key, h.key, info) == bytes(range(32))
        assert unseal(out.getvalue(), h) == b"fixed"
    default = seal(b"default", holders, policy)
    default_header = read_header(io.BytesIO(default))
    assert len({e.enc for e in default_header.recipients}) == 3  # fresh ephemeral keys
    for h in holders:
        assert unseal(default, h) == b"default"
