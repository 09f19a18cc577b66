"""Ids, value types and their validation (no chain needed, except to compare constants)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_abi.abi import decode

from huren.registry.abi import function_selectors
from huren.registry.client import DEFAULT_ADMIN_ROLE, GOVERNANCE_ROLE, MEMBER_ROLE
from huren.registry.errors import InvalidCertificateInput, InvalidIdentifier, RegistryError
from huren.registry.ids import (
    check_bytes32,
    decode_id,
    encode_id,
    fingerprint_of,
    is_valid_id,
    validate_id,
)
from huren.registry.types import (
    CertificateKind,
    KeyUsage,
    Reason,
    RevocationReason,
    Right,
    Scope,
)
from tests.registry.conftest import Network, make_cert


@pytest.mark.parametrize("value", ["zjca", "jiaxing-ggzy", "alliance", "a", "x" * 32, "CA_1.b~!"])
def test_id_round_trip(value: str) -> None:
    raw = encode_id(value)
    assert raw == value.encode().ljust(32, b"\0")
    assert decode_id(raw) == value
    assert is_valid_id(value) and validate_id(value) == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "empty"),
        ("x" * 33, "longer than 32"),
        ("has space", "no spaces"),
        ("tab\t", "no spaces"),
        ("中文", "printable ASCII"),
        ("0xabc", "starts with 0x"),
        ("nul\0", "ASCII"),
    ],
)
def test_invalid_ids(value: str, why: str) -> None:
    assert not is_valid_id(value)
    with pytest.raises(InvalidIdentifier, match=why):
        encode_id(value)
    with pytest.raises(ValueError):  # also a ValueError, for generic callers
        validate_id(value)


def test_id_errors_are_registry_errors() -> None:
    assert issubclass(InvalidIdentifier, RegistryError)
    with pytest.raises(InvalidIdentifier):
        encode_id(b"zjca")  # type: ignore[arg-type]


def test_raw_bytes32_ids_round_trip_as_hex() -> None:
    for raw in (bytes(32), os.urandom(32), b"ab\0cd".ljust(32, b"\0"), b"0xab".ljust(32, b"\0")):
        text = decode_id(raw)
        assert text.startswith("0x") and len(text) == 66
        assert encode_id(text) == raw
    with pytest.raises(InvalidIdentifier):
        decode_id(b"short")


def test_bytes32_checks_and_fingerprint() -> None:
    der = b"\x30\x03\x02\x01\x01"
    fp = fingerprint_of(der)
    assert len(fp) == 32 and check_bytes32(fp, "fingerprint") == fp
    assert check_bytes32(bytearray(fp), "x") == fp
    with pytest.raises(InvalidIdentifier, match="32 bytes"):
        check_bytes32(fp[:31], "fingerprint")
    with pytest.raises(InvalidIdentifier, match="zero"):
        check_bytes32(bytes(32), "holder", nonzero=True)
    with pytest.raises(InvalidIdentifier):
        check_bytes32("00" * 32, "fingerprint")  # type: ignore[arg-type]


def test_certificate_input_validates() -> None:
    cert = make_cert(kind=2, usage=2, scope=1)
    assert cert.kind is CertificateKind.STAFF and cert.usage is KeyUsage.ENCRYPTION
    assert cert.scope is Scope.ALLIANCE
    center = "0x" + "ab" * 20
    assert make_cert(scope=Scope.REGIONAL, center=center).center == center
    bad: list[dict[str, object]] = [
        {"fingerprint": bytes(32)},
        {"fingerprint": b"x" * 31},
        {"holder": bytes(32)},
        {"predecessor": bytes(32)},
        {"kind": 4},
        {"kind": True},
        {"usage": 0},
        {"scope": 3},
        {"not_before": 10, "not_after": 10},
        {"not_before": 0, "not_after": 2**40},
        {"not_before": 1.5},
        {"center": center},  # alliance with a center
        {"scope": Scope.REGIONAL},  # regional without one
        {"scope": Scope.REGIONAL, "center": "0x" + "00" * 20},
        {"scope": Scope.REGIONAL, "center": "not an address"},
    ]
    for overrides in bad:
        with pytest.raises(InvalidCertificateInput):
            make_cert(**overrides)


def test_enums_match_contract_constants(network: Network) -> None:
    backend, registry = network.backend, network.deployment.registry
    selectors = function_selectors("CertificateRegistry")

    def constant(name: str) -> int:
        return int(decode(["uint256"], backend.call(registry, selectors[name]))[0])

    prefixes: dict[str, Any] = {
        "KIND_": CertificateKind,
        "USAGE_": KeyUsage,
        "SCOPE_": Scope,
        "RIGHT_": Right,
        "REASON_": Reason,
    }
    checked = 0
    for name in selectors:
        for prefix, enum in prefixes.items():
            if name.startswith(prefix):
                assert enum[name.removeprefix(prefix)] == constant(name), name
                checked += 1
    assert checked == 3 + 2 + 2 + 5 + 10
    consortium = function_selectors("Consortium")
    for name, value in (
        ("MEMBER_ROLE", MEMBER_ROLE),
        ("GOVERNANCE_ROLE", GOVERNANCE_ROLE),
        ("DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE),
    ):
        assert backend.call(network.deployment.consortium, consortium[name]) == value


def test_revocation_reasons_are_the_irreversible_rfc5280_codes() -> None:
    assert sorted(RevocationReason) == [0, 1, 2, 3, 4, 5, 9, 10]
    assert Right(31) == Right.LOGIN | Right.SIGN | Right.SEAL | Right.ENCRYPT | Right.DECRYPT
