"""The generated error classes match the ABIs, and revert data decodes into them."""

from __future__ import annotations

import importlib.util
import pickle
import sys
from pathlib import Path
from types import ModuleType

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from huren.contracts.artifacts import load
from huren.registry import errors
from huren.registry.abi import canonical_signature
from huren.registry.errors import (
    CertificateAlreadyRecorded,
    ContractError,
    EmptyRevert,
    InvalidScope,
    NotCaOperator,
    Panic,
    ProposalNotOpen,
    RegistryError,
    RevertMessage,
    UnrecognizedRevert,
    WrongCertificateKind,
    decode_revert,
    error_classes,
)
from huren.registry.errors_base import snake_case
from huren.registry.ids import encode_id
from huren.registry.types import CertificateKind, ProposalStatus

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "0xabCDeF0123456789AbcdEf0123456789aBCDEF01"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_errors", ROOT / "scripts/gen_registry_errors.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_errors"] = module
    spec.loader.exec_module(module)
    return module


def test_generated_file_is_up_to_date() -> None:
    expected = generator().render()
    actual = (ROOT / "huren/registry/errors.py").read_text(encoding="utf-8")
    assert actual == expected, "run python scripts/gen_registry_errors.py"


def test_every_abi_error_has_its_class() -> None:
    known = error_classes()
    seen = set()
    for contract in ("Consortium", "CertificateRegistry", "AuditAnchor"):
        for item in load(contract).abi:
            if item["type"] != "error":
                continue
            cls = getattr(errors, item["name"])
            assert issubclass(cls, ContractError) and cls.__name__ == item["name"]
            assert cls.selector == keccak(text=canonical_signature(item))[:4]
            assert known[cls.selector] is cls
            assert cls.fields == tuple(snake_case(p["name"]) for p in item["inputs"])
            seen.add(cls)
    assert len(seen) == 58  # 30 + 27 minus the 5 both contracts declare, + AuditAnchor's 6
    assert len(known) == len(seen) + 2  # plus Error(string) and Panic(uint256)
    # Shared signatures are one class, whichever contract raised them.
    assert errors.NotCaOperator.selector == keccak(text="NotCaOperator(bytes32,address)")[:4]


def test_decode_typed_attributes() -> None:
    fp = bytes(range(32))
    data = NotCaOperator.selector + encode(["bytes32", "address"], [encode_id("zjca"), ACCOUNT])
    error = decode_revert(data, b"\x01" * 32)
    assert isinstance(error, NotCaOperator) and isinstance(error, RegistryError)
    assert error.ca_id == "zjca" and error.account == ACCOUNT
    assert error.revert_data == data and error.transaction_hash == b"\x01" * 32
    assert str(error) == f"NotCaOperator: {ACCOUNT} does not operate CA zjca"
    assert error.args_dict == {"ca_id": "zjca", "account": ACCOUNT}

    error = decode_revert(ProposalNotOpen.selector + encode(["uint256", "uint8"], [7, 4]))
    assert isinstance(error, ProposalNotOpen)
    assert error.id == 7 and error.status is ProposalStatus.EXPIRED
    assert "proposal 7 is EXPIRED" in str(error) and error.transaction_hash is None

    args = encode(["bytes32", "uint8", "uint8"], [fp, 1, 3])
    error = decode_revert(WrongCertificateKind.selector + args)
    assert isinstance(error, WrongCertificateKind)
    assert error.expected is CertificateKind.ENTERPRISE and error.actual is CertificateKind.PERSONAL

    args = encode(["bytes32", "uint256", "uint256"], [fp, 9, 2**200])
    error = decode_revert(InvalidScope.selector + args)
    assert isinstance(error, InvalidScope)
    assert (error.fingerprint, error.scope, error.center) == (fp, 9, 2**200)
    assert f"0x{fp.hex()}" in str(error)


def test_decode_special_cases() -> None:
    assert isinstance(decode_revert(b""), EmptyRevert)
    message = decode_revert(keccak(text="Error(string)")[:4] + encode(["string"], ["nope"]))
    assert isinstance(message, RevertMessage) and message.reason == "nope"
    panic = decode_revert(keccak(text="Panic(uint256)")[:4] + encode(["uint256"], [0x32]))
    assert isinstance(panic, Panic) and panic.code == 0x32
    assert panic.description == "array index out of bounds"
    unknown = decode_revert(b"\xde\xad\xbe\xef" + bytes(32))
    assert (
        isinstance(unknown, UnrecognizedRevert) and unknown.revert_data[:4] == b"\xde\xad\xbe\xef"
    )
    truncated = decode_revert(CertificateAlreadyRecorded.selector + b"\x01" * 5)
    assert isinstance(truncated, UnrecognizedRevert)
    assert isinstance(decode_revert(b"\x01\x02"), UnrecognizedRevert)


def test_errors_pickle_and_construct() -> None:
    fp = b"\x05" * 32
    error = CertificateAlreadyRecorded(fp, transaction_hash=b"\x02" * 32)
    assert error.fingerprint == fp and "already recorded" in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is CertificateAlreadyRecorded and copy.fingerprint == fp
    assert copy.transaction_hash == b"\x02" * 32
    with pytest.raises(TypeError):
        CertificateAlreadyRecorded()
