"""The zone statement: its canonical bytes, the strict parser (one spelling per statement,
since the evidence hash is over the bytes), field checks and the signature check."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from huren.node.zones.errors import InvalidStatement, StatementSignatureInvalid
from huren.node.zones.statement import LABEL, ZoneStatement, verify_signature

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # anvil's first deployment address
FP = hashlib.sha256(b"certificate").digest()


def make(**fields: object) -> ZoneStatement:
    values: dict[str, object] = {
        "action": "bind",
        "chain_id": 1337,
        "registry": REGISTRY,
        "platform_id": "jiaxing-ggzy",
        "fingerprint": FP,
        "account_id": "8c1e" * 8,
        "issued_at": 1_764_366_000,
        "nonce": "9b2c" * 8,
    }
    values.update(fields)
    return ZoneStatement(**values)  # type: ignore[arg-type]


def test_canonical_bytes_written_out() -> None:
    # Written out by hand from the format in the module's docstring.
    expected = (
        f"{LABEL}\n"
        "action: bind\n"
        "chain-id: 1337\n"
        f"registry: {REGISTRY.lower()}\n"
        "platform: jiaxing-ggzy\n"
        f"certificate: {FP.hex()}\n"
        f"account: {'8c1e' * 8}\n"
        "issued-at: 1764366000\n"
        f"nonce: {'9b2c' * 8}\n"
    ).encode()
    st = make()
    assert st.to_bytes() == expected
    assert st.evidence_hash == hashlib.sha256(expected).digest()
    assert ZoneStatement.parse(expected) == st


def test_fresh_statements_differ_by_nonce() -> None:
    a = ZoneStatement.new(
        "unbind",
        chain_id=1,
        registry=REGISTRY,
        platform_id="alliance",
        fingerprint=FP,
        account_id="a",
        issued_at=5,
    )
    b = ZoneStatement.new(
        "unbind",
        chain_id=1,
        registry=REGISTRY,
        platform_id="alliance",
        fingerprint=FP,
        account_id="a",
        issued_at=5,
    )
    assert a.nonce != b.nonce and a.evidence_hash != b.evidence_hash
    assert ZoneStatement.parse(a.to_bytes()) == a


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw.replace(b"registry: 0x5fbd", b"registry: 0x5FbD"),  # checksummed
        lambda raw: raw.replace(b"chain-id: 1337", b"chain-id: 01337"),
        lambda raw: raw.replace(b"issued-at: ", b"issued-at: +"),
        lambda raw: raw[:-1],  # no final newline
        lambda raw: raw + b"\n",
        lambda raw: raw.replace(b"\n", b"\r\n"),
        lambda raw: raw.replace(b"action: bind", b"action: BIND"),
        lambda raw: raw.replace(b"action: bind", b"action:  bind"),
        lambda raw: raw.replace(b"huren-zone-statement/1", b"huren-zone-statement/2"),
        lambda raw: raw.replace(FP.hex().encode(), FP.hex().upper().encode()),
        lambda raw: raw.replace(b"platform: jiaxing-ggzy\n", b""),  # a field missing
        lambda raw: b"\n".join(reversed(raw.split(b"\n"))),  # fields out of order
        lambda raw: raw.replace(b"jiaxing", "嘉兴".encode()),  # not ASCII
        lambda raw: raw + b"x" * 2000,  # too long
        lambda raw: b"",
    ],
)
def test_only_the_canonical_spelling_parses(mutate: object) -> None:
    raw = make().to_bytes()
    with pytest.raises(InvalidStatement):
        ZoneStatement.parse(mutate(raw))  # type: ignore[operator]


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "rebind"},
        {"chain_id": 0},
        {"chain_id": True},
        {"registry": "0x1234"},
        {"platform_id": ""},
        {"platform_id": "has space"},
        {"platform_id": "0x" + "ab" * 32},  # raw ids are not accepted in statements
        {"platform_id": "p" * 33},
        {"fingerprint": b"short"},
        {"account_id": "a/b"},
        {"account_id": "a" * 33},
        {"issued_at": -1},
        {"issued_at": 2**40},
        {"nonce": "ab"},
        {"nonce": "AB" * 16},
    ],
)
def test_fields_are_checked(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidStatement):
        make(**fields)


def test_signature_check() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    raw = make().to_bytes()
    verify_signature(public, raw, key.sign(raw))
    with pytest.raises(StatementSignatureInvalid):
        verify_signature(public, make(issued_at=1).to_bytes(), key.sign(raw))
    with pytest.raises(StatementSignatureInvalid):
        verify_signature(
            Ed25519PrivateKey.generate().public_key().public_bytes_raw(), raw, key.sign(raw)
        )
    with pytest.raises(StatementSignatureInvalid):
        verify_signature(public, raw, key.sign(raw)[:63])
    with pytest.raises(StatementSignatureInvalid):
        verify_signature(b"\0" * 31, raw, key.sign(raw))  # not a key at all
