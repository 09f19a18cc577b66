"""The RFC 9180 sender and DH-based receiver against the RFC's vector and against
cryptography's ``hpke.Suite``, both ways."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke as crypto_hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from huren.node.bidfile import InvalidEncapsulation, LocalX25519Decapsulator, hpke
from tests.node.bidfile.conftest import x25519_key

# RFC 9180 appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode)
# and its first encryption A.1.1.1, copied from the RFC's text.
A111 = {
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "skEm": "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
    "pkEm": "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    "skRm": "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    "pkRm": "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    "shared_secret": "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
    "key_schedule_context": "00725611c9d98c07c03f60095cd32d400d8347d45ed67097bbad50fc56da742d07"
    "cb6cffde367bb0565ba28bb02c90744a20f5ef37f30523526106f637abb05449",
    "secret": "12fff91991e93b48de37e7daddb52981084bd8aa64289c3788471d9a9712f397",
    "key": "4531685d41d65f03dc48f6b8302c05b0",
    "base_nonce": "56d890e5accaaf011cff4b7d",
    "pt": "4265617574792069732074727574682c20747275746820626561757479",
    "aad": "436f756e742d30",
    "ct": "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9"
    "6d8770ac83d07bea87e13c512a",
}
V = {k: bytes.fromhex(v) for k, v in A111.items()}
SUITE_256 = crypto_hpke.Suite(
    crypto_hpke.KEM.X25519, crypto_hpke.KDF.HKDF_SHA256, crypto_hpke.AEAD.AES_256_GCM
)
SUITE_128 = crypto_hpke.Suite(
    crypto_hpke.KEM.X25519, crypto_hpke.KDF.HKDF_SHA256, crypto_hpke.AEAD.AES_128_GCM
)


def raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_sender_and_key_schedule_reproduce_rfc9180_a111() -> None:
    ephemeral = X25519PrivateKey.from_private_bytes(V["skEm"])
    shared_secret, enc = hpke.encap(V["pkRm"], ephemeral)
    assert enc == V["pkEm"]
    assert shared_secret == V["shared_secret"]
    ctx = hpke.key_schedule_base(hpke.AEAD_AES_128_GCM, shared_secret, V["info"])
    assert ctx.key_schedule_context == V["key_schedule_context"]
    assert ctx.secret == V["secret"]
    assert (ctx.key, ctx.base_nonce) == (V["key"], V["base_nonce"])
    sealed = hpke.seal(hpke.AEAD_AES_128_GCM, V["pkRm"], V["info"], V["pt"], ephemeral, V["aad"])
    assert sealed == V["pkEm"] + V["ct"]


def test_receiver_from_a_dh_value_reproduces_rfc9180_a111() -> None:
    receiver = LocalX25519Decapsulator(X25519PrivateKey.from_private_bytes(V["skRm"]))
    assert receiver.public_key == V["pkRm"]
    dh = receiver.dh(V["pkEm"])
    assert hpke.decap_from_dh(dh, V["pkEm"], V["pkRm"]) == V["shared_secret"]
    opened = hpke.open_with_dh(
        hpke.AEAD_AES_128_GCM, V["pkEm"], V["ct"], V["info"], dh, V["pkRm"], V["aad"]
    )
    assert opened == V["pt"]


@pytest.mark.parametrize(
    ("aead_id", "suite"),
    [(hpke.AEAD_AES_256_GCM, SUITE_256), (hpke.AEAD_AES_128_GCM, SUITE_128)],
)
def test_cryptography_sender_opens_through_the_dh_path(
    aead_id: int, suite: crypto_hpke.Suite
) -> None:
    recipient = x25519_key("hpke interop recipient")
    receiver = LocalX25519Decapsulator(recipient)
    for i in range(5):  # fresh ephemeral keys each time
        message, info = b"content key %d" % i, b"info %d" % i
        sealed = suite.encrypt(message, recipient.public_key(), info)
        enc, ct = sealed[: hpke.N_ENC], sealed[hpke.N_ENC :]
        dh = receiver.dh(enc)
        assert hpke.open_with_dh(aead_id, enc, ct, info, dh, receiver.public_key) == message
        with pytest.raises(InvalidTag):
            hpke.open_with_dh(aead_id, enc, ct, info + b"!", dh, receiver.public_key)


@pytest.mark.parametrize(
    ("aead_id", "suite"),
    [(hpke.AEAD_AES_256_GCM, SUITE_256), (hpke.AEAD_AES_128_GCM, SUITE_128)],
)
def test_our_sender_opens_with_cryptography(aead_id: int, suite: crypto_hpke.Suite) -> None:
    recipient = x25519_key("hpke interop recipient 2")
    for i in range(5):
        ephemeral = x25519_key(f"ephemeral {i}")
        sealed = hpke.seal(aead_id, raw_public(recipient), b"info", b"message %d" % i, ephemeral)
        assert suite.decrypt(sealed, recipient, b"info") == b"message %d" % i
        with pytest.raises(InvalidTag):
            suite.decrypt(sealed, recipient, b"other info")


def test_a_small_order_enc_is_refused() -> None:
    receiver = LocalX25519Decapsulator(x25519_key("small order"))
    zero_point = bytes(32)  # u = 0 has order 1: every scalar maps it to the all-zero output
    with pytest.raises(InvalidEncapsulation):
        receiver.dh(zero_point)
    with pytest.raises(InvalidEncapsulation):  # a decapsulator that returns it anyway
        hpke.decap_from_dh(bytes(32), zero_point, receiver.public_key)
    with pytest.raises(InvalidEncapsulation):
        hpke.encap(zero_point, x25519_key("e"))
    with pytest.raises(InvalidEncapsulation):
        hpke.decap_from_dh(b"\x01" * 31, zero_point, receiver.public_key)
