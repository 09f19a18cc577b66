"""Money as integer fen (分; 100 fen = 1 yuan). Never a float: amounts are parsed from and
written to decimal strings exactly."""

from __future__ import annotations

import re
from typing import NewType

from huren.node.billing.errors import InvalidMoney

__all__ = ["MAX_FEN", "Fen", "fen", "format_yuan", "parse_yuan"]

Fen = NewType("Fen", int)

MAX_FEN = 10**13  # 100 billion yuan: far above any fee, far below int64
_YUAN = re.compile(r"(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,2}))?")


def fen(value: int) -> Fen:
    """``value`` as an amount: a non-negative int (bool and float are refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMoney(f"an amount is an integer number of fen, not {type(value).__name__}")
    if not 0 <= value <= MAX_FEN:
        raise InvalidMoney(f"amount out of range: {value} fen")
    return Fen(value)


def parse_yuan(text: str) -> Fen:
    """``"120.50"`` -> 12050 fen, exactly; at most two decimals, no sign, no exponent."""
    match = _YUAN.fullmatch(text)
    if match is None:
        raise InvalidMoney(f"not a yuan amount with at most two decimals: {text!r}")
    whole, cents = match.group(1), match.group(2) or ""
    return fen(int(whole) * 100 + int(cents.ljust(2, "0")))


def format_yuan(amount: int) -> str:
    """12050 -> ``"120.50"``."""
    value = fen(amount)
    return f"{value // 100}.{value % 100:02d}"
