"""Exception roots of the registry layer and the machinery behind the per-error classes.

``huren.registry.errors`` (generated from the ABIs by ``scripts/gen_registry_errors.py``)
re-exports everything here; import from there. This module exists so that the generated one
holds only declarations and never needs hand edits.

Why classes per contract error: callers branch on the contract's reason (``except
NotAMember``) and read its arguments as typed attributes instead of parsing revert bytes.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, ClassVar

from eth_abi.abi import decode
from eth_utils.crypto import keccak

__all__ = [
    "BatchTooLarge",
    "ContractError",
    "DeploymentMismatch",
    "EmptyRevert",
    "EventDecodeError",
    "InvalidCertificateInput",
    "InvalidIdentifier",
    "Panic",
    "RegistryError",
    "RevertMessage",
    "UnrecognizedRevert",
    "decode_revert",
    "error_classes",
]


class RegistryError(Exception):
    """Root of every error the registry layer raises itself (backend errors stay as they are)."""


class InvalidIdentifier(RegistryError, ValueError):
    """A CA or platform id, fingerprint or other fixed-size value is malformed."""


class InvalidCertificateInput(RegistryError, ValueError):
    """A certificate record would be rejected by the contract; caught before sending."""


class BatchTooLarge(RegistryError, ValueError):
    """More records in one transaction than the client's configured maximum."""


class DeploymentMismatch(RegistryError):
    """The deployment belongs to another chain, or its contracts are not there."""


class EventDecodeError(RegistryError):
    """A log of the deployment's contracts that does not decode as any of their events."""


_SNAKE = re.compile(r"(?<=[a-z0-9])([A-Z])")
_BY_SELECTOR: dict[bytes, type[ContractError]] = {}


def snake_case(name: str) -> str:
    """``issuerKeyId`` -> ``issuer_key_id`` (Solidity parameter names to attribute names)."""
    return _SNAKE.sub(r"_\1", name).lower()


def _show(value: object) -> str:
    if isinstance(value, Enum):
        return str(value.name)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return value
    return str(value)


class ContractError(RegistryError):
    """A transaction or call reverted. ``revert_data`` is the raw ABI-encoded reason and
    ``transaction_hash`` the mined-and-dropped transaction (None for calls and estimates).

    Subclasses declare ``signature`` (Solidity form with parameter names), a ``message``
    template over the snake_case parameter names, and one annotated attribute per parameter;
    the annotation picks how the decoded ABI value is converted (see ``abi.converter``).
    """

    signature: ClassVar[str] = ""
    message: ClassVar[str] = "contract reverted"
    selector: ClassVar[bytes] = b""
    abi_types: ClassVar[tuple[str, ...]] = ()
    fields: ClassVar[tuple[str, ...]] = ()

    revert_data: bytes
    transaction_hash: bytes | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        signature = cls.__dict__.get("signature")
        if not signature:
            return
        name, _, params = signature.partition("(")
        pairs = [p.split() for p in params.rstrip(")").split(",") if p]
        cls.abi_types = tuple(p[0] for p in pairs)
        cls.fields = tuple(snake_case(p[1]) for p in pairs)
        cls.selector = keccak(text=f"{name}({','.join(cls.abi_types)})")[:4]
        _BY_SELECTOR[cls.selector] = cls

    def __init__(
        self,
        *args: Any,
        revert_data: bytes = b"",
        transaction_hash: bytes | None = None,
    ) -> None:
        if len(args) != len(self.fields):
            raise TypeError(f"{type(self).__name__} takes {len(self.fields)} arguments")
        for field, value in zip(self.fields, args, strict=True):
            setattr(self, field, value)
        self.revert_data = revert_data
        self.transaction_hash = transaction_hash
        shown = {f: _show(v) for f, v in zip(self.fields, args, strict=True)}
        super().__init__(f"{type(self).__name__}: {self.message.format(**shown)}")

    @property
    def args_dict(self) -> dict[str, Any]:
        """The error's arguments by attribute name."""
        return {f: getattr(self, f) for f in self.fields}

    def __reduce__(self) -> tuple[Any, ...]:
        values = tuple(getattr(self, f) for f in self.fields)
        return (_rebuild, (type(self), values, self.revert_data, self.transaction_hash))


def _rebuild(
    cls: type[ContractError], values: tuple[Any, ...], data: bytes, tx: bytes | None
) -> ContractError:
    return cls(*values, revert_data=data, transaction_hash=tx)


class EmptyRevert(ContractError):
    """A revert without data: ``require`` without a message, out of gas, a failed call."""

    message = "reverted without a reason"


class RevertMessage(ContractError):
    """``Error(string)``: a ``require`` or ``revert`` with a text reason."""

    signature = "Error(string reason)"
    message = "{reason}"
    reason: str


PANIC_CODES = {
    0x00: "generic compiler panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialized function",
}


class Panic(ContractError):
    """``Panic(uint256)``: a failed assertion, overflow, bad array index (a contract bug)."""

    signature = "Panic(uint256 code)"
    message = "panic {code}"
    code: int

    @property
    def description(self) -> str:
        return PANIC_CODES.get(self.code, "unknown panic code")


class UnrecognizedRevert(ContractError):
    """Revert data that is none of the known errors, or does not decode as its signature."""

    message = "unrecognized revert data"


def error_classes() -> dict[bytes, type[ContractError]]:
    """Selector -> class of every known error: the contracts' custom errors (both ABIs),
    ``Error(string)`` and ``Panic(uint256)``."""
    from huren.registry import errors  # noqa: F401 - registers the generated classes

    return dict(_BY_SELECTOR)


def decode_revert(data: bytes, transaction_hash: bytes | None = None) -> ContractError:
    """The typed exception for ABI-encoded revert ``data`` (never raises itself)."""
    from huren.registry import errors  # noqa: F401 - registers the generated classes
    from huren.registry.abi import converters_of

    data = bytes(data)
    if not data:
        return EmptyRevert(revert_data=data, transaction_hash=transaction_hash)
    cls = _BY_SELECTOR.get(data[:4])
    if cls is None or len(data) < 4:
        return UnrecognizedRevert(revert_data=data, transaction_hash=transaction_hash)
    try:
        raw = decode(list(cls.abi_types), data[4:], strict=False)
        values = [c(v) for c, v in zip(converters_of(cls), raw, strict=True)]
    except Exception:  # malformed arguments: keep the bytes, never mask the revert
        return UnrecognizedRevert(revert_data=data, transaction_hash=transaction_hash)
    return cls(*values, revert_data=data, transaction_hash=transaction_hash)
